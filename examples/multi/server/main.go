// Command server serves two services, shop.v1.CartService and
// shop.v1.CatalogService, as one workload: its probes ask for "readiness",
// which is SERVING only when both are.
//
//	go run ./multi/server -addr=:50051 -health-addr=:8086
package main

import (
	"context"
	"flag"
	"log"
	"sync"

	"google.golang.org/grpc"

	shopv1 "github.com/protoc-gen-health/protoc-gen-health/examples/multi/gen/shop/v1"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/healthflags"
)

type cart struct {
	shopv1.UnimplementedCartServiceServer
	mu    sync.Mutex
	carts map[string]int32
}

func (c *cart) AddItem(_ context.Context, req *shopv1.AddItemRequest) (*shopv1.AddItemResponse, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.carts[req.GetCartId()]++
	return &shopv1.AddItemResponse{Items: c.carts[req.GetCartId()]}, nil
}

type catalog struct {
	shopv1.UnimplementedCatalogServiceServer
}

func (catalog) GetItem(_ context.Context, req *shopv1.GetItemRequest) (*shopv1.GetItemResponse, error) {
	return &shopv1.GetItemResponse{Title: "item " + req.GetSku()}, nil
}

func main() {
	cfg := healthflags.Define(flag.CommandLine) // -addr, -health-addr, -drain, -stop-timeout
	flag.Parse()

	reg := healthreg.New(cfg.Options()...)
	srv := grpc.NewServer()
	shopv1.RegisterCartServiceServer(srv, &cart{carts: map[string]int32{}})
	shopv1.RegisterCartServiceHealth(reg)
	shopv1.RegisterCatalogServiceServer(srv, catalog{})
	shopv1.RegisterCatalogServiceHealth(reg)
	reg.RegisterHealthService(srv)

	if err := cfg.ListenAndServe(context.Background(), reg, srv); err != nil {
		log.Fatal(err)
	}
}
