package connecthealth_test

import (
	"context"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/connecthealth"
)

// A connect-go server with the registry's health: Check and Watch over
// Connect, gRPC and gRPC-Web, the readiness RPC for an ALB, and a shutdown
// that drains, ends the Watch streams and stops the server.
func Example() {
	reg := healthreg.New()
	// reg.Register("greet.v1.GreetService", ...) for each service.

	mux := http.NewServeMux()
	mux.Handle(connecthealth.NewHandler(reg))
	mux.Handle(connecthealth.NewReadinessHandler(reg))
	// mux.Handle(greetv1connect.NewGreetServiceHandler(...))

	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true) // gRPC clients and probes over h2c
	srv := &http.Server{Handler: mux, Protocols: protocols}
	lis, err := net.Listen("tcp", ":8080")
	if err != nil {
		log.Fatal(err)
	}
	// Live before Serve starts (lis already queues connections), so that a
	// Serve that fails at once leaves liveness false, not true.
	reg.SetLive(true)
	reg.SetReady()
	go func() {
		srv.Serve(lis)
		reg.SetLive(false) // a dead server must not look alive
	}()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	if err := reg.Shutdown(context.Background(), connecthealth.Stopper(srv)); err != nil {
		log.Print(err)
	}
}
