package healthreg

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

// startServe runs r.Serve in the background and returns its result channel.
func startServe(ctx context.Context, r *Registry, srv *grpc.Server, lis net.Listener) <-chan error {
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, srv, lis) }()
	return done
}

// result waits for Serve's result.
func result(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(waitTimeout):
		t.Fatal("Serve did not return")
		return nil
	}
}

func TestServe(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(10*time.Millisecond))
	r.Register("a.A")
	srv := grpc.NewServer()
	r.RegisterHealthService(srv)
	lis := listen(t)
	client := dial(t, lis.Addr().String())
	wantStatuses(t, r, nil, statuses{LivenessName: NOT_SERVING, ReadinessName: NOT_SERVING})

	ctx, cancel := context.WithCancel(context.Background())
	done := startServe(ctx, r, srv, lis)
	waitFor(t, "liveness", func() bool { return r.Status(LivenessName) == SERVING })
	wantStatuses(t, r, client, statuses{
		LivenessName: SERVING, ReadinessName: SERVING, OverallName: SERVING, "a.A": SERVING,
	})

	cancel()
	if err := result(t, done); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	wantStatuses(t, r, nil, statuses{
		LivenessName: NOT_SERVING, ReadinessName: NOT_SERVING, OverallName: NOT_SERVING, "a.A": NOT_SERVING,
	})
}

// A separate health port answers probes while the application port is down,
// so liveness must follow the application server, not the process.
func TestServeHealthPort(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(time.Hour)) // the test cuts it short
	r.Register("a.A")
	app := grpc.NewServer() // no health service on the application port
	appLis, healthLis := listen(t), listen(t)
	healthDone := make(chan error, 1)
	go func() { healthDone <- r.ServeHealth(healthLis) }()
	probes := dial(t, healthLis.Addr().String())
	waitFor(t, "the health port", func() bool {
		_, code := probe(t, probes, LivenessName)
		return code == codes.OK
	})
	wantStatuses(t, r, probes, statuses{LivenessName: NOT_SERVING, ReadinessName: NOT_SERVING})

	ctx, cancel := context.WithCancel(context.Background())
	done := startServe(ctx, r, app, appLis)
	waitFor(t, "liveness", func() bool { return r.Status(LivenessName) == SERVING })
	wantStatuses(t, r, probes, statuses{LivenessName: SERVING, ReadinessName: SERVING, "a.A": SERVING})
	if _, code := probe(t, dial(t, appLis.Addr().String()), LivenessName); code != codes.Unimplemented {
		t.Errorf("health on the application port: %v, want Unimplemented", code)
	}

	// The application server dies; the health port still answers, and says so.
	app.Stop()
	waitFor(t, "liveness to drop", func() bool {
		st, _ := probe(t, probes, LivenessName)
		return st == NOT_SERVING
	})
	wantStatuses(t, r, probes, statuses{LivenessName: NOT_SERVING, ReadinessName: NOT_SERVING, "a.A": NOT_SERVING})

	cancel() // ends the drain that Serve started when the server died
	if err := result(t, done); err != nil {
		t.Errorf("Serve = %v, want nil (the server was stopped, it did not fail)", err)
	}
	if err := <-healthDone; err != nil {
		t.Errorf("ServeHealth = %v", err)
	}
	if _, code := probe(t, probes, LivenessName); code != codes.Unavailable {
		t.Errorf("health port after Shutdown: %v, want Unavailable", code)
	}
	if err := r.ServeHealth(listen(t)); !errors.Is(err, ErrShuttingDown) {
		t.Errorf("ServeHealth after Shutdown = %v", err)
	}
}

// A server that cannot serve never goes live, and Serve reports why without
// draining.
func TestServeStoppedServer(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(time.Hour))
	srv := grpc.NewServer()
	srv.Stop()
	if err := result(t, startServe(context.Background(), r, srv, listen(t))); !errors.Is(err, grpc.ErrServerStopped) {
		t.Errorf("Serve = %v, want ErrServerStopped", err)
	}
	wantStatuses(t, r, nil, statuses{LivenessName: NOT_SERVING, ReadinessName: NOT_SERVING})
}

func TestServeListenerFails(t *testing.T) {
	r := newTestRegistry(t)
	lis := listen(t)
	lis.Close()
	err := result(t, startServe(context.Background(), r, grpc.NewServer(), lis))
	if err == nil || errors.Is(err, grpc.ErrServerStopped) {
		t.Errorf("Serve = %v, want the listener's error", err)
	}
	if got := r.Status(LivenessName); got != NOT_SERVING {
		t.Errorf("liveness = %v", got)
	}
}
