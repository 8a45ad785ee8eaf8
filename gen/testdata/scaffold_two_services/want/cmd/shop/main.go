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
	grpc "google.golang.org/grpc"
	log "log"
)

// cartServiceServer implements shop.v1.CartService. Every method answers
// Unimplemented until you write it.
type cartServiceServer struct {
	v1.UnimplementedCartServiceServer
}

// catalogServiceServer implements shop.v1.CatalogService. Every method answers
// Unimplemented until you write it.
type catalogServiceServer struct {
	v1.UnimplementedCatalogServiceServer
}

// cartServiceServer2 implements shop.v2.CartService. Every method answers
// Unimplemented until you write it.
type cartServiceServer2 struct {
	v2.UnimplementedCartServiceServer
}

func main() {
	cfg := healthreg.Flags(flag.CommandLine) // -addr, -health-addr, -drain, -stop-timeout
	flag.Parse()

	reg := healthreg.New(cfg.Options()...)
	srv := grpc.NewServer()
	v1.RegisterCartServiceServer(srv, &cartServiceServer{})
	v1.RegisterCartServiceHealth(reg)
	v1.RegisterCatalogServiceServer(srv, &catalogServiceServer{})
	v1.RegisterCatalogServiceHealth(reg)
	v2.RegisterCartServiceServer(srv, &cartServiceServer2{})
	v2.RegisterCartServiceHealth(reg)
	reg.RegisterHealthService(srv)

	// Listens, declares itself ready once serving, and on SIGTERM or SIGINT:
	// NOT_SERVING at once, serves through the drain, GracefulStop, Stop.
	if err := cfg.ListenAndServe(context.Background(), reg, srv); err != nil {
		log.Fatal(err)
	}
}
