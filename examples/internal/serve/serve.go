// Package serve is the plumbing both example servers share: flags, the
// health registry, an optional health port, and the shutdown sequence on
// SIGTERM. Each example's main only registers its services.
package serve

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"

	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
)

// Main parses the flags, builds the gRPC server and the health registry,
// lets register add the example's services to both, and serves until
// SIGTERM or SIGINT. It exits the process on error.
func Main(name string, register func(*grpc.Server, *healthreg.Registry)) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	addr := fs.String("addr", ":50051", "address of the gRPC server (services and health)")
	healthAddr := fs.String("health-addr", "", "optional address of a separate plaintext health-only server")
	drain := fs.Duration("drain", healthreg.DefaultDrainDelay, "how long to keep serving after readiness goes NOT_SERVING on shutdown")
	stopTimeout := fs.Duration("stop-timeout", healthreg.DefaultStopTimeout, "graceful-stop deadline after the drain, then a hard stop")
	fs.Parse(os.Args[1:])

	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("server", name)
	if err := run(*addr, *healthAddr, log, register,
		healthreg.WithDrainDelay(*drain), healthreg.WithStopTimeout(*stopTimeout), healthreg.WithLogger(log)); err != nil {
		log.Error("server failed", "err", err)
		os.Exit(1)
	}
}

func run(addr, healthAddr string, log *slog.Logger, register func(*grpc.Server, *healthreg.Registry), opts ...healthreg.Option) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// Tests and operators read the bound address from this line and take it
	// to mean "started": print it once liveness is SERVING, which Serve sets
	// after it has installed its SIGTERM handler, so a SIGTERM sent on
	// seeing the line always gets the drain and the graceful stop.
	var once sync.Once
	opts = append(opts, healthreg.WithObserver(func(t healthreg.Transition) {
		if t.Name == healthreg.LivenessName && t.To == healthpb.HealthCheckResponse_SERVING {
			once.Do(func() { fmt.Fprintf(os.Stdout, "grpc listening on %s\n", lis.Addr()) })
		}
	}))
	reg := healthreg.New(opts...)
	srv := grpc.NewServer()
	register(srv, reg)
	reg.RegisterHealthService(srv)

	if healthAddr != "" {
		hl, err := net.Listen("tcp", healthAddr)
		if err != nil {
			lis.Close()
			return err
		}
		go func() {
			if err := reg.ServeHealth(hl); err != nil {
				log.Error("health server failed", "err", err)
			}
		}()
		fmt.Fprintf(os.Stdout, "health listening on %s\n", hl.Addr())
	}
	return reg.Serve(context.Background(), srv, lis)
}
