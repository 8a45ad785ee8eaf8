package healthreg

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// The probe's settings in these tests: two calls without an answer within
// 500ms take liveness down, a margin no healthy loopback call under -race
// comes near.
const (
	probeInterval = 10 * time.Millisecond
	probeTimeout  = 500 * time.Millisecond
	probeFailures = 2
)

// probedServe runs Serve with the application-port probe for app on lis,
// plus a health port; healthOnApp registers the health service on app too,
// where the probe calls it. It returns the registry, the health port's client
// and a function that ends Serve and checks that everything stopped without
// a forced stop, hence without a probe call left hanging.
func probedServe(t *testing.T, seen *transitions, app *grpc.Server, lis net.Listener, healthOnApp bool) (*Registry, healthpb.HealthClient, func()) {
	t.Helper()
	r := newTestRegistry(t, WithObserver(seen.observe),
		WithAppProbe(probeInterval, probeTimeout, probeFailures))
	r.Register("a.A")
	if healthOnApp {
		r.RegisterHealthService(app)
	}
	healthLis := listen(t)
	healthDone := make(chan error, 1)
	go func() { healthDone <- r.ServeHealth(healthLis) }()
	ctx, cancel := context.WithCancel(context.Background())
	done := startServe(ctx, r, app, lis)
	waitFor(t, "liveness", func() bool { return r.Status(LivenessName) == SERVING })
	return r, dial(t, healthLis.Addr().String()), func() {
		t.Helper()
		cancel()
		if err := result(t, done); err != nil {
			t.Errorf("Serve = %v, want nil (no forced stop)", err)
		}
		if err := <-healthDone; err != nil {
			t.Errorf("ServeHealth = %v", err)
		}
	}
}

// everything is the same status for liveness, readiness, "" and a.A.
func everything(st healthpb.HealthCheckResponse_ServingStatus) statuses {
	return statuses{LivenessName: st, ReadinessName: st, overallName: st, "a.A": st}
}

// waitHealthPort waits until the health port reports liveness st, and
// checks that it answered every Check meanwhile, at once.
func waitHealthPort(t *testing.T, probes healthpb.HealthClient, st healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	waitFor(t, "the health port to report liveness "+st.String(), func() bool {
		start := time.Now()
		got, code := probe(t, probes, LivenessName)
		if took := time.Since(start); code != codes.OK || took > time.Second {
			t.Fatalf("the health port answered %v after %v", code, took)
		}
		return got == st
	})
}

// wedgeable is an application's interceptor: it answers every call with
// PERMISSION_DENIED (the probe has no credentials), unless it is wedged,
// when calls block until it is unwedged or their client leaves, like
// handlers stuck behind a deadlocked lock. Serve returns meanwhile only if
// someone stops the server: only the probe can see it.
type wedgeable struct {
	calls   atomic.Int32
	hanging atomic.Int32 // calls blocked now
	mu      sync.Mutex
	open    chan struct{} // closed while not wedged
	left    time.Duration // how much of its deadline the last blocked call had left when it gave up
}

func newWedgeable() *wedgeable {
	w := &wedgeable{open: make(chan struct{})}
	close(w.open)
	return w
}

func (w *wedgeable) wedge() {
	w.mu.Lock()
	w.open = make(chan struct{})
	w.mu.Unlock()
}

func (w *wedgeable) unwedge() {
	w.mu.Lock()
	close(w.open)
	w.mu.Unlock()
}

func (w *wedgeable) intercept(ctx context.Context, _ any, _ *grpc.UnaryServerInfo, _ grpc.UnaryHandler) (any, error) {
	w.calls.Add(1)
	w.mu.Lock()
	open := w.open
	w.mu.Unlock()
	w.hanging.Add(1)
	defer w.hanging.Add(-1)
	select {
	case <-open:
		return nil, status.Error(codes.PermissionDenied, "no credentials")
	case <-ctx.Done():
		deadline, _ := ctx.Deadline()
		w.mu.Lock()
		w.left = time.Until(deadline)
		w.mu.Unlock()
		return nil, ctx.Err()
	}
}

// An application server whose handlers hang takes liveness, and everything
// with it, NOT_SERVING on the health port, which keeps answering; liveness
// comes back when the server answers again. Errors the application returns
// are answers.
func TestAppProbe(t *testing.T) {
	var seen transitions
	app := newWedgeable()
	srv := grpc.NewServer(grpc.UnaryInterceptor(app.intercept))
	r, probes, stop := probedServe(t, &seen, srv, listen(t), true)

	waitFor(t, "a few probes", func() bool { return app.calls.Load() >= 5 })
	wantStatuses(t, r, probes, everything(SERVING)) // PERMISSION_DENIED is an answer

	app.wedge()
	waitHealthPort(t, probes, NOT_SERVING)
	wantStatuses(t, r, probes, everything(NOT_SERVING))
	err := seen.last(t, LivenessName, NOT_SERVING).Err
	if !errors.Is(err, errNotLive) || status.Code(err) != codes.DeadlineExceeded ||
		!strings.Contains(err.Error(), "no answer to 2 calls in a row") {
		t.Errorf("liveness Err = %v, want errNotLive after 2 DeadlineExceeded", err)
	}

	app.unwedge()
	waitHealthPort(t, probes, SERVING)
	wantStatuses(t, r, probes, everything(SERVING))

	// Wedged again at Shutdown: the probe's call in flight is cancelled at
	// once, not left to its timeout (nor to hold GracefulStop).
	app.wedge()
	waitFor(t, "a probe call to hang", func() bool { return app.hanging.Load() > 0 })
	stop()
	app.mu.Lock()
	defer app.mu.Unlock()
	if app.left < probeTimeout/2 {
		t.Errorf("the hanging probe call had %v of its deadline left when it ended: Shutdown did not cancel it", app.left)
	}
	close(app.open)
}

// An application that sheds load answers UNAVAILABLE or DEADLINE_EXCEEDED
// itself: those are answers too, and an overloaded server must not lose
// liveness (and then be restarted) for them. Only the same codes with
// nothing from the server count against it.
func TestAppProbeLoadShedding(t *testing.T) {
	var seen transitions
	var calls atomic.Int32
	shed := func(ctx context.Context, _ any, _ *grpc.UnaryServerInfo, _ grpc.UnaryHandler) (any, error) {
		if calls.Add(1)%2 == 0 {
			return nil, status.Error(codes.DeadlineExceeded, "queue wait over budget")
		}
		return nil, status.Error(codes.Unavailable, "overloaded, try another replica")
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(shed))
	r, probes, stop := probedServe(t, &seen, srv, listen(t), true)
	defer stop()
	waitFor(t, "a dozen probe calls", func() bool { return calls.Load() >= 12 })
	wantStatuses(t, r, probes, everything(SERVING))
	up := false // before Serve, liveness starts NOT_SERVING
	for _, tr := range seen.of(LivenessName) {
		if up && tr.To != SERVING {
			t.Errorf("liveness went %v (%v) while the server answered every call", tr.To, tr.Err)
		}
		up = up || tr.To == SERVING
	}
	if !up {
		t.Error("liveness never went SERVING")
	}
}

// stuckListener is an application port whose server has stopped taking
// connections without its Serve returning: once stuck, it cuts the
// connections it handed out and holds every new one back from the server,
// so the kernel still completes TCP handshakes but no gRPC server ever
// answers on them.
type stuckListener struct {
	net.Listener
	mu    sync.Mutex
	stuck bool
	conns []net.Conn // handed out while not stuck; held back while stuck
}

func (l *stuckListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		stuck := l.stuck
		l.conns = append(l.conns, c)
		l.mu.Unlock()
		if !stuck {
			return c, nil
		}
	}
}

// setStuck closes the connections of the state it leaves: the served ones
// when the port gets stuck, the held-back ones when it recovers.
func (l *stuckListener) setStuck(stuck bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stuck = stuck
	for _, c := range l.conns {
		c.Close()
	}
	l.conns = nil
}

// A port that stops taking connections is a failure too, and the probe sees
// its recovery at once because it dials afresh after a failure rather than
// waiting out gRPC's reconnect backoff. A port without the health service
// answers UNIMPLEMENTED, which counts as alive.
func TestAppProbeStuckPort(t *testing.T) {
	var seen transitions
	lis := &stuckListener{Listener: listen(t)}
	t.Cleanup(func() { lis.setStuck(false) })
	r, probes, stop := probedServe(t, &seen, grpc.NewServer(), lis, false)
	defer stop()
	time.Sleep(10 * probeInterval) // several probes answered UNIMPLEMENTED
	wantStatuses(t, r, probes, everything(SERVING))

	lis.setStuck(true)
	waitHealthPort(t, probes, NOT_SERVING)
	wantStatuses(t, r, probes, everything(NOT_SERVING))
	if err := seen.last(t, LivenessName, NOT_SERVING).Err; !errors.Is(err, errNotLive) {
		t.Errorf("liveness Err = %v", err)
	}

	start := time.Now()
	lis.setStuck(false)
	waitHealthPort(t, probes, SERVING)
	// A kept connection would wait out a backoff of about a second.
	if took := time.Since(start); took > probeTimeout {
		t.Errorf("recovery took %v: the probe waited for gRPC's reconnect backoff", took)
	}
	wantStatuses(t, r, probes, everything(SERVING))
}

func TestProbeTarget(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{tcp("10.0.0.7:50051"), "passthrough:///10.0.0.7:50051"},
		{tcp("[::1]:50051"), "passthrough:///[::1]:50051"},
		{tcp("0.0.0.0:50051"), "passthrough:///localhost:50051"}, // wildcards: loopback, v4 or v6
		{tcp("[::]:50051"), "passthrough:///localhost:50051"},
		{&net.UnixAddr{Net: "unix", Name: "/run/app.sock"}, "unix:/run/app.sock"},
		{&net.UnixAddr{Net: "unix", Name: "@app"}, "unix-abstract:app"},
	} {
		if got := probeTarget(tc.addr); got != tc.want {
			t.Errorf("probeTarget(%v) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}
