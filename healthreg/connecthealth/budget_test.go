package connecthealth_test

import (
	"context"
	"log/slog"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // client-side health checking
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
)

// healthChecked is the service config of a grpc-go client that does
// client-side health checking: a backend whose Watch("") fails or is not
// SERVING is taken out of round_robin's picks.
const healthChecked = `{"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}`

// Each endpoint the registry serves has a Watch budget of its own: with a
// connect handler's Watches all taken (over h2c, by grpc-go), a grpc-go
// client doing client-side health checking against the application's
// gRPC server still gets its calls through, and with the gRPC server's
// all taken, one checking through the connect handler does.
func TestWatchBudgetPerEndpoint(t *testing.T) {
	for _, full := range []string{"connect handler", "gRPC server"} {
		t.Run("full "+full, func(t *testing.T) {
			const budget = 3
			r := healthreg.New(healthreg.WithMaxWatches(budget), healthreg.WithDrainDelay(0),
				healthreg.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))))
			t.Cleanup(func() { r.Shutdown(context.Background(), nil) })
			addrs := map[string]string{"connect handler": startServer(t, r).addr, "gRPC server": startGRPC(t, r)}
			r.SetLive(true)
			r.SetReady()

			fullAddr, otherAddr := addrs[full], addrs["connect handler"]
			if full == "connect handler" {
				otherAddr = addrs["gRPC server"]
			}
			filler := dialHealth(t, fullAddr, "")
			for range budget {
				watchGRPC(t, filler, "").waitLast(t, full+" Watch", SERVING)
			}
			if err := watchGRPC(t, filler, "").ended(t); status.Code(err) != codes.ResourceExhausted {
				t.Fatalf("%s: Watch %d ended with %v, want ResourceExhausted", full, budget+1, err)
			}

			// WaitForReady rides out the health check's first answer; a
			// refused Watch leaves the backend unhealthy until the deadline.
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			checked := dialHealth(t, otherAddr, healthChecked)
			if resp, err := checked.Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true)); err != nil || resp.GetStatus() != SERVING {
				t.Errorf("a health-checked client beside a full %s: %v, %v", full, resp.GetStatus(), err)
			}
		})
	}
}

// startGRPC serves the registry's health service on a grpc-go server, as
// the application's, until the test ends, and returns its address.
func startGRPC(t *testing.T, r *healthreg.Registry) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := grpc.NewServer()
	r.RegisterHealthService(app)
	served := make(chan error, 1)
	go func() { served <- app.Serve(lis) }()
	t.Cleanup(func() { app.Stop(); <-served })
	return lis.Addr().String()
}

// dialHealth is a grpc-go health client of addr (over h2c for the connect
// handler) with serviceConfig, if not "".
func dialHealth(t *testing.T, addr, serviceConfig string) healthpb.HealthClient {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if serviceConfig != "" {
		opts = append(opts, grpc.WithDefaultServiceConfig(serviceConfig))
	}
	cc, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return healthpb.NewHealthClient(cc)
}
