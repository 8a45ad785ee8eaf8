// Command server serves helloworld.Greeter with the health service that
// protoc-gen-health's generated code registers it with:
//
//	go run ./examples/helloworld/server -addr=:50051
//
// It is ready once it listens, and on SIGTERM it goes NOT_SERVING, drains
// for -drain, then stops gracefully within -stop-timeout.
package main

import (
	"context"

	"google.golang.org/grpc"

	"github.com/protoc-gen-health/protoc-gen-health/examples/helloworld/gen/helloworld"
	"github.com/protoc-gen-health/protoc-gen-health/examples/internal/serve"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
)

type greeter struct {
	helloworld.UnimplementedGreeterServer
}

func (greeter) SayHello(_ context.Context, req *helloworld.HelloRequest) (*helloworld.HelloReply, error) {
	return &helloworld.HelloReply{Message: "Hello " + req.GetName()}, nil
}

func main() {
	serve.Main("helloworld", func(s *grpc.Server, r *healthreg.Registry) {
		helloworld.RegisterGreeterServer(s, greeter{})
		helloworld.RegisterGreeterHealth(r)
	})
}
