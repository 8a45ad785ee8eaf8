package healthreg

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestShutdownTwice(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(20*time.Millisecond))
	app := startApp(t, r)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range 3 {
		wg.Go(func() { errs[i] = r.Shutdown(context.Background(), app.srv) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Shutdown %d = %v", i, err)
		}
	}
	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Errorf("Shutdown after Shutdown = %v", err)
	}
	// A second call whose ctx ends first returns the ctx's error.
	r2 := newTestRegistry(t, WithDrainDelay(time.Hour))
	r2.SetLive(true)
	r2.SetReady()
	drainCtx, endDrain := context.WithCancel(context.Background())
	first := make(chan error)
	go func() { first <- r2.Shutdown(drainCtx, nil) }()
	waitFor(t, "the first Shutdown", func() bool { return r2.Status(ReadinessName) == NOT_SERVING })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r2.Shutdown(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("impatient second Shutdown = %v", err)
	}
	endDrain()
	if err := <-first; err != nil {
		t.Error(err)
	}
}

// A client watching health (as grpc-go's client-side health checking does on
// every connection) must not hold GracefulStop until the stop timeout.
func TestWatchDoesNotHoldGracefulStop(t *testing.T) {
	r := newTestRegistry(t, WithStopTimeout(time.Hour))
	app := startApp(t, r)
	r.SetLive(true)
	r.SetReady()
	w := watch(t, app.client, overallName)
	w.waitLast(t, SERVING)
	if err := r.Shutdown(context.Background(), app.srv); err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	if err := w.ended(t); status.Code(err) != codes.Unavailable {
		t.Errorf("Watch ended with %v", err)
	}
	if got := w.last(); got != NOT_SERVING {
		t.Errorf("Watch ended on %v", got)
	}
}

// hangService has one streaming method that runs until its client leaves or
// the server stops: an RPC GracefulStop would wait for forever.
var hangService = grpc.ServiceDesc{
	ServiceName: "test.Hang",
	HandlerType: (*any)(nil),
	Streams: []grpc.StreamDesc{{
		StreamName:    "Hang",
		ServerStreams: true,
		Handler: func(srv any, stream grpc.ServerStream) error {
			srv.(chan struct{}) <- struct{}{}
			<-stream.Context().Done()
			return stream.Context().Err()
		},
	}},
}

func TestForcedStop(t *testing.T) {
	r := newTestRegistry(t, WithStopTimeout(50*time.Millisecond))
	entered := make(chan struct{}, 1)
	lis := listen(t)
	srv := grpc.NewServer()
	srv.RegisterService(&hangService, entered)
	r.RegisterHealthService(srv)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := conn.NewStream(context.Background(), &hangService.Streams[0], "/test.Hang/Hang")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.SendMsg(&emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	<-entered
	r.SetLive(true)

	err = r.Shutdown(context.Background(), srv)
	if err == nil || !strings.Contains(err.Error(), "application server: graceful stop did not finish within the stop timeout (50ms)") {
		t.Errorf("Shutdown = %v, want a forced stop", err)
	}
	if err := <-served; err != nil {
		t.Errorf("Serve = %v", err)
	}
	if got := r.Status(LivenessName); got != NOT_SERVING {
		t.Errorf("liveness = %v after the stop", got)
	}
	if err := stream.RecvMsg(&emptypb.Empty{}); status.Code(err) != codes.Unavailable {
		t.Errorf("the hanging RPC ended with %v", err)
	}
}

// Shutdown cancels a run in flight and waits for it when it honours its
// context.
func TestShutdownCancelsRunningCheck(t *testing.T) {
	r := newTestRegistry(t, WithChecks(CheckSchedule{Timeout: time.Hour}))
	entered := make(chan struct{})
	var got error
	r.Register("a.A", WithCheck("waits", func(ctx context.Context) error {
		close(entered)
		<-ctx.Done()
		got = ctx.Err() // read after Shutdown: it waits for this run
		return got
	}))
	<-entered
	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(got, context.Canceled) {
		t.Errorf("the check's context ended with %v", got)
	}
}

// A client that never reads holds a graceful stop to its deadline on each
// port it uses. The stop timeout bounds both ports together: Shutdown ends
// within drain + stop (plus scheduling), not drain + 2 × stop, and reports
// both forced stops.
func TestShutdownBoundedWithNeverReadingClients(t *testing.T) {
	const drain, stop = 200 * time.Millisecond, 2 * time.Second
	r := newTestRegistry(t, WithDrainDelay(drain), WithStopTimeout(stop))
	app := grpc.NewServer()
	r.RegisterHealthService(app)
	appLis, portLis := listen(t), listen(t)
	portDone := make(chan error, 1)
	go func() { portDone <- r.ServeHealth(portLis) }()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := startServe(ctx, r, app, appLis)
	waitFor(t, "liveness", func() bool { return r.Status(LivenessName) == SERVING })

	stuckWatch(t, appLis.Addr().String(), LivenessName)
	stuckWatch(t, portLis.Addr().String(), LivenessName)
	waitFor(t, "both Watch streams to open", func() bool {
		return appWatchesOpen(r) == 1 && r.portWatches.open.Load() == 1
	})

	began := time.Now()
	cancel()
	err := result(t, served)
	took := time.Since(began)
	t.Logf("Shutdown took %v (drain %v, stop timeout %v)", took, drain, stop)
	if took > drain+stop+time.Second {
		t.Errorf("Shutdown took %v, want at most drain + stop + 1s = %v", took, drain+stop+time.Second)
	}
	for _, want := range []string{"application server: graceful stop did not finish", "health port: graceful stop did not finish"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Serve = %v, want it to report %q", err, want)
		}
	}
	if err := <-portDone; err != nil {
		t.Errorf("ServeHealth = %v", err)
	}
}

// Every server passed to Shutdown is stopped: by the first call if it has
// not begun stopping yet, else by the later call itself.
func TestLaterShutdownStopsItsServer(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(time.Hour))
	early, late := startApp(t, r), startApp(t, r)
	drainCtx, endDrain := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { first <- r.Shutdown(drainCtx, nil) }()
	waitShutting(t, r)

	// During the drain: the first call stops it with its own.
	second := make(chan error, 1)
	go func() { second <- r.Shutdown(context.Background(), early.srv) }()
	waitFor(t, "the second Shutdown to queue its server", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return len(r.toStop) == 1
	})
	endDrain()
	for _, ch := range []chan error{first, second} {
		if err := <-ch; err != nil {
			t.Errorf("Shutdown = %v", err)
		}
	}
	if err := result(t, early.served); err != nil {
		t.Errorf("the server of the second Shutdown: Serve = %v", err)
	}

	// After the first has finished: the call stops its server itself.
	if err := r.Shutdown(context.Background(), late.srv); err != nil {
		t.Errorf("Shutdown after Shutdown = %v", err)
	}
	if err := result(t, late.served); err != nil {
		t.Errorf("the server of the last Shutdown: Serve = %v", err)
	}
	early.served <- nil // for the cleanups, which read them again
	late.served <- nil
}

// waitShutting waits until Shutdown has begun. (Readiness is no sign when
// the registry never was ready.)
func waitShutting(t testing.TB, r *Registry) {
	t.Helper()
	waitFor(t, "Shutdown to begin", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.shutting
	})
}

// A server passed twice (by Serve and by the program's own Shutdown) is
// stopped once; a Stopper that is not comparable does not panic.
func TestAddToStopOnce(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	srv := grpc.NewServer()
	odd := funcStopper{stop: func() {}}
	r.mu.Lock()
	for _, s := range []Stopper{srv, nil, srv, odd, odd} {
		r.addToStopLocked(s)
	}
	n := len(r.toStop)
	r.toStop = nil
	r.mu.Unlock()
	if n != 3 {
		t.Errorf("%d servers queued, want 3 (srv once, each non-comparable one)", n)
	}
}

// funcStopper is a Stopper whose type is not comparable.
type funcStopper struct{ stop func() }

func (f funcStopper) GracefulStop() { f.stop() }
func (f funcStopper) Stop()         { f.stop() }
