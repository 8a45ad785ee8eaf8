// Command helloworld-greeter serves these services with the health service, as
// helloworld-greeter/deployment.yaml runs it (the flags below are its args):
//
//   - helloworld.Greeter
//
// protoc-gen-health v0.1.0 scaffolded this file (scaffold=true) from
// helloworld/greeter.proto for you to edit: it is not regenerated.
package main

import (
	context "context"
	helloworld "example.com/helloworld"
	flag "flag"
	healthreg "github.com/protoc-gen-health/protoc-gen-health/healthreg"
	healthflags "github.com/protoc-gen-health/protoc-gen-health/healthreg/healthflags"
	grpc "google.golang.org/grpc"
	log "log"
)

// server implements every service of workload helloworld-greeter: each method
// answers Unimplemented until you write it. The workload's registration
// function (emit=register) takes one value that implements all of them, so
// a service added to the workload fails this build until server implements
// it.
type server struct {
	helloworld.UnimplementedGreeterServer
}

func main() {
	cfg := healthflags.Define(flag.CommandLine) // -addr, -health-addr, -drain, -stop-timeout
	flag.Parse()

	reg := healthreg.New(cfg.Options()...)
	srv := grpc.NewServer()
	helloworld.RegisterHelloworldGreeterWorkload(srv, reg, &server{})
	reg.RegisterHealthService(srv)

	// Listens, declares itself ready once serving, and on SIGTERM or SIGINT:
	// NOT_SERVING at once, serves through the drain, GracefulStop, Stop.
	if err := cfg.ListenAndServe(context.Background(), reg, srv); err != nil {
		log.Fatal(err)
	}
}
