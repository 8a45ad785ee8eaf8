// Command server serves two services, shop.v1.CartService and
// shop.v1.CatalogService, as one workload: its probes ask for "readiness",
// which is SERVING only when both are.
//
//	go run ./examples/multi/server -addr=:50051 -health-addr=:8086
package main

import (
	"context"
	"sync"

	"google.golang.org/grpc"

	"github.com/protoc-gen-health/protoc-gen-health/examples/internal/serve"
	shopv1 "github.com/protoc-gen-health/protoc-gen-health/examples/multi/gen/shop/v1"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
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
	serve.Main("multi", func(s *grpc.Server, r *healthreg.Registry) {
		shopv1.RegisterCartServiceServer(s, &cart{carts: map[string]int32{}})
		shopv1.RegisterCartServiceHealth(r)
		shopv1.RegisterCatalogServiceServer(s, catalog{})
		shopv1.RegisterCatalogServiceHealth(r)
	})
}
