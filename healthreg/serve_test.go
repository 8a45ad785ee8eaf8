package healthreg

import (
	"context"
	"errors"
	"log/slog"
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
		LivenessName: SERVING, ReadinessName: SERVING, overallName: SERVING, "a.A": SERVING,
	})

	cancel()
	if err := result(t, done); err != nil {
		t.Fatalf("Serve = %v", err)
	}
	wantStatuses(t, r, nil, statuses{
		LivenessName: NOT_SERVING, ReadinessName: NOT_SERVING, overallName: NOT_SERVING, "a.A": NOT_SERVING,
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

	// Serve's drain follows ctx only if ctx is still live when Serve begins
	// the shutdown (a ctx ended by then is what started it, and a drain
	// ended at once would be none): wait for that before ending the drain.
	waitShutting(t, r)
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

// Serve called once Shutdown has begun does not serve: it returns
// ErrShuttingDown when Shutdown has finished, with srv stopped and lis
// closed.
func TestServeAfterShutdown(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(time.Hour))
	drainCtx, endDrain := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { first <- r.Shutdown(drainCtx, nil) }()
	waitShutting(t, r)

	srv, lis := grpc.NewServer(), listen(t)
	done := startServe(context.Background(), r, srv, lis)
	select {
	case err := <-done:
		t.Fatalf("Serve returned %v during the drain", err)
	case <-time.After(50 * time.Millisecond):
	}
	endDrain()
	if err := result(t, done); !errors.Is(err, ErrShuttingDown) {
		t.Errorf("Serve during the drain = %v, want ErrShuttingDown", err)
	}
	if err := <-first; err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := srv.Serve(listen(t)); !errors.Is(err, grpc.ErrServerStopped) {
		t.Errorf("srv.Serve after Serve = %v, want ErrServerStopped", err)
	}
	if _, err := lis.Accept(); err == nil {
		t.Error("lis is still open")
	}

	// And once Shutdown has finished.
	srv2 := grpc.NewServer()
	if err := result(t, startServe(context.Background(), r, srv2, listen(t))); !errors.Is(err, ErrShuttingDown) {
		t.Errorf("Serve after Shutdown = %v, want ErrShuttingDown", err)
	}
	if err := srv2.Serve(listen(t)); !errors.Is(err, grpc.ErrServerStopped) {
		t.Errorf("srv.Serve after Serve = %v, want ErrServerStopped", err)
	}
}

// A Shutdown that Serve did not start (the program's own, or another
// Serve's) stops Serve's server too and makes Serve return; before, two
// Serves on one registry left the second serving and blocked for ever.
func TestServeReturnsOnAnyShutdown(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(10*time.Millisecond))
	srv1, srv2 := grpc.NewServer(), grpc.NewServer()
	r.RegisterHealthService(srv1)
	r.RegisterHealthService(srv2)
	lis1, lis2 := listen(t), listen(t)
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	done1, done2 := startServe(ctx1, r, srv1, lis1), startServe(ctx2, r, srv2, lis2)
	c2 := dial(t, lis2.Addr().String())
	waitFor(t, "the second server", func() bool {
		st, _ := probe(t, c2, LivenessName)
		return st == SERVING
	})

	cancel1() // only the first Serve's ctx
	for i, done := range []<-chan error{done1, done2} {
		if err := result(t, done); err != nil {
			t.Errorf("Serve %d = %v", i+1, err)
		}
	}
	if _, code := probe(t, c2, LivenessName); code != codes.Unavailable {
		t.Errorf("the second server after Shutdown: %v, want Unavailable", code)
	}

	// The program's own Shutdown, with no server, stops Serve's.
	r2 := newTestRegistry(t)
	srv3 := grpc.NewServer()
	done3 := startServe(context.Background(), r2, srv3, listen(t))
	waitFor(t, "liveness", func() bool { return r2.Status(LivenessName) == SERVING })
	if err := r2.Shutdown(context.Background(), nil); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if err := result(t, done3); err != nil {
		t.Errorf("Serve = %v", err)
	}
}

// A Shutdown that begins while Serve starts makes Serve return nil (it
// served and was stopped) or ErrShuttingDown (it never served), never
// grpc.ErrServerStopped, which srv.Serve returns when the stop came first
// and which a main would take for a failure.
func TestServeRacingShutdown(t *testing.T) {
	for range 200 {
		r := newTestRegistry(t, WithLogger(slog.New(slog.DiscardHandler)))
		go r.Shutdown(context.Background(), nil)
		err := result(t, startServe(context.Background(), r, grpc.NewServer(), listen(t)))
		if err != nil && !errors.Is(err, ErrShuttingDown) {
			t.Fatalf("Serve racing Shutdown = %v, want nil or ErrShuttingDown", err)
		}
	}
}
