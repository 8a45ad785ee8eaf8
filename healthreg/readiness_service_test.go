package healthreg

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg/statuspb"
)

// albCheck calls the readiness RPC the way an AWS ALB health check does: a
// raw call on the method path with an empty message as the body, judged by
// the status code alone. It returns the code and the error's message.
func albCheck(t testing.TB, conn *grpc.ClientConn) (codes.Code, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	err := conn.Invoke(ctx, statuspb.ReadinessService_Check_FullMethodName, &emptypb.Empty{}, &emptypb.Empty{})
	return status.Code(err), status.Convert(err).Message()
}

func dialConn(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// The readiness RPC through a whole life, on the application port and on
// the health port: UNAVAILABLE until live and ready, OK while ready,
// UNAVAILABLE while a counted service is down and from the start of the
// drain, and unreachable after the stop. Meanwhile grpc.health.v1 Check of
// "" answers NOT_SERVING with status OK, which is what a status-code-only
// checker would wrongly pass.
func TestReadinessRPCOverLifecycle(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(time.Hour)) // the test ends the drain
	a := r.Register("a.A")
	b := r.Register("b.B", ExcludeFromReadiness())
	appLis := listen(t)
	srv := grpc.NewServer()
	r.RegisterHealthService(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(appLis) }()
	healthLis := listen(t)
	portDone := make(chan error, 1)
	go func() { portDone <- r.ServeHealth(healthLis) }()

	conns := map[string]*grpc.ClientConn{
		"app port":    dialConn(t, appLis.Addr().String()),
		"health port": dialConn(t, healthLis.Addr().String()),
	}
	want := func(phase string, code codes.Code, reason error) {
		t.Helper()
		for port, conn := range conns {
			got, msg := albCheck(t, conn)
			if got != code {
				t.Errorf("%s, %s: readiness RPC = %v (%s), want %v", phase, port, got, msg, code)
			}
			if reason != nil && !strings.Contains(msg, reason.Error()) {
				t.Errorf("%s, %s: message %q does not say %q", phase, port, msg, reason)
			}
		}
	}

	want("before the server serves", codes.Unavailable, errNotReady)
	r.SetLive(true)
	want("serving, not ready", codes.Unavailable, errNotReady)
	r.SetReady()
	want("ready", codes.OK, nil)

	down := errors.New("database unreachable")
	a.SetServing(false, down)
	want("a counted service down", codes.Unavailable, down)
	a.SetServing(true, nil)
	want("the service back", codes.OK, nil)
	b.SetServing(false, nil)
	want("an excluded service down", codes.OK, nil)

	ctx, endDrain := context.WithCancel(context.Background())
	shutdown := make(chan error, 1)
	go func() { shutdown <- r.Shutdown(ctx, srv) }()
	waitFor(t, "Shutdown to begin", func() bool { return r.Status(ReadinessName) == NOT_SERVING })
	want("draining", codes.Unavailable, ErrShuttingDown)
	// What a status-code-only checker sees from the standard health service.
	if st, code := probe(t, healthpb.NewHealthClient(conns["app port"]), overallName); code != codes.OK || st != NOT_SERVING {
		t.Errorf("draining: grpc.health.v1 Check(\"\") = %v, %v; want NOT_SERVING, OK", st, code)
	}

	endDrain()
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := <-served; err != nil {
		t.Fatalf("application server's Serve = %v", err)
	}
	if err := <-portDone; err != nil {
		t.Fatalf("ServeHealth = %v", err)
	}
	want("stopped", codes.Unavailable, nil)
}

// A client generated from the proto reaches the same RPC.
func TestReadinessRPCGeneratedClient(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	lis := listen(t)
	srv := grpc.NewServer()
	r.RegisterHealthService(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	t.Cleanup(func() {
		srv.Stop()
		<-served
	})
	client := statuspb.NewReadinessServiceClient(dialConn(t, lis.Addr().String()))
	r.SetLive(true)
	r.SetReady()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := client.Check(ctx, &statuspb.CheckRequest{}); err != nil {
		t.Fatalf("Check when ready: %v", err)
	}
}
