// Command server serves helloworld.Greeter with the health service that
// protoc-gen-health's generated code registers it with:
//
//	go run ./helloworld/server -addr=:50051
//
// It is ready once it serves, and on SIGTERM it goes NOT_SERVING, drains
// for -drain, then stops gracefully within -stop-timeout.
package main

import (
	"context"
	"flag"
	"log"

	"google.golang.org/grpc"

	"github.com/protoc-gen-health/protoc-gen-health/examples/helloworld/gen/helloworld"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/healthflags"
)

type greeter struct {
	helloworld.UnimplementedGreeterServer
}

func (greeter) SayHello(_ context.Context, req *helloworld.HelloRequest) (*helloworld.HelloReply, error) {
	return &helloworld.HelloReply{Message: "Hello " + req.GetName()}, nil
}

func main() {
	cfg := healthflags.Define(flag.CommandLine) // -addr, -health-addr, -drain, -stop-timeout
	flag.Parse()

	reg := healthreg.New(cfg.Options()...)
	srv := grpc.NewServer()
	helloworld.RegisterGreeterServer(srv, greeter{})
	helloworld.RegisterGreeterHealth(reg) // generated; NOT_SERVING until ready
	reg.RegisterHealthService(srv)        // grpc.health.v1.Health: Check, Watch, List

	// Listens, declares itself ready once serving, and on SIGTERM or SIGINT:
	// NOT_SERVING at once, serves through the drain, GracefulStop, Stop.
	if err := cfg.ListenAndServe(context.Background(), reg, srv); err != nil {
		log.Fatal(err)
	}
}
