// Command shop serves these services with the health service, as
// shop/deployment.yaml runs it (the flags below are its args):
//
//   - shop.v1.CartService
//   - shop.v1.CatalogService
//   - shop.v2.CartService
//
// protoc-gen-health v0.1.0 scaffolded this file (scaffold=true) from
// shop/v1/cart.proto, shop/v2/cart.proto for you to edit: it is not regenerated.
package main

import (
	context "context"
	v1 "example.com/shop/gen/shop/v1"
	v2 "example.com/shop/gen/shop/v2"
	flag "flag"
	healthreg "github.com/protoc-gen-health/protoc-gen-health/healthreg"
	healthflags "github.com/protoc-gen-health/protoc-gen-health/healthreg/healthflags"
	grpc "google.golang.org/grpc"
	log "log"
)

// server implements every service of workload shop: each method
// answers Unimplemented until you write it. The workload's registration
// function (emit=register) takes one value that implements all of them, so
// a service added to the workload fails this build until server implements
// it.
type server struct {
	v1.UnimplementedCartServiceServer
	v1.UnimplementedCatalogServiceServer
	v2.UnimplementedCartServiceServer
}

func main() {
	cfg := healthflags.Define(flag.CommandLine) // -addr, -health-addr, -drain, -stop-timeout
	flag.Parse()

	reg := healthreg.New(cfg.Options()...)
	srv := grpc.NewServer()
	v1.RegisterShopWorkload(srv, reg, &server{})
	reg.RegisterHealthService(srv)

	// Listens, declares itself ready once serving, and on SIGTERM or SIGINT:
	// NOT_SERVING at once, serves through the drain, GracefulStop, Stop.
	if err := cfg.ListenAndServe(context.Background(), reg, srv); err != nil {
		log.Fatal(err)
	}
}
