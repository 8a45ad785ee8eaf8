package healthreg

import (
	"context"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// Every test leaves no goroutine behind: schedulers, servers, streams and
// Serve's helpers all end with Shutdown or the test's cleanup.
func TestMain(m *testing.M) {
	if os.Getenv(hungAttackEnv) != "" {
		runHungAttackFromEnv()
		return
	}
	if os.Getenv(proberEnv) != "" {
		runProberFromEnv()
		return
	}
	goleak.VerifyTestMain(m)
}

// Shorthands for the statuses the tests compare against.
const (
	SERVING         = healthpb.HealthCheckResponse_SERVING
	NOT_SERVING     = healthpb.HealthCheckResponse_NOT_SERVING
	SERVICE_UNKNOWN = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
)

// waitTimeout bounds every wait-for-condition; generous because -race on a
// loaded machine is slow, but a passing test never waits for it.
const waitTimeout = 10 * time.Second

// waitFor polls cond until it holds, failing the test after waitTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// testLogger sends the registry's logs to the test's output, shown only when
// the test fails or with -v.
func testLogger(t testing.TB) Option {
	return WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil)))
}

// newTestRegistry is New with the test's logger, no drain and fast checks;
// opts come last so they override.
func newTestRegistry(t testing.TB, opts ...Option) *Registry {
	t.Helper()
	base := []Option{testLogger(t), WithDrainDelay(0), WithStopTimeout(5 * time.Second),
		WithChecks(CheckSchedule{Interval: 10 * time.Millisecond}), WithChecks(CheckSchedule{Timeout: time.Second})}
	return New(append(base, opts...)...)
}

// shutdownAtEnd makes sure r's goroutines are gone when the test ends, for
// tests that do not shut it down themselves.
func shutdownAtEnd(t testing.TB, r *Registry) {
	t.Cleanup(func() { r.Shutdown(context.Background(), nil) })
}

// listen returns a loopback listener on a free port.
func listen(t testing.TB) net.Listener {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return lis
}

// dial returns a health client for addr; the connection closes with the test.
func dial(t testing.TB, addr string) healthpb.HealthClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return healthpb.NewHealthClient(conn)
}

func insecureCreds() credentials.TransportCredentials { return insecure.NewCredentials() }

// appServer is an application server with r's health service, served on
// loopback by a plain goroutine (not Registry.Serve), so tests control
// liveness and readiness step by step.
type appServer struct {
	srv    *grpc.Server
	client healthpb.HealthClient
	served chan error
}

func startApp(t testing.TB, r *Registry, register ...func(*grpc.Server)) *appServer {
	t.Helper()
	lis := listen(t)
	a := &appServer{srv: grpc.NewServer(), served: make(chan error, 1)}
	r.RegisterHealthService(a.srv)
	for _, f := range register {
		f(a.srv)
	}
	go func() { a.served <- a.srv.Serve(lis) }()
	t.Cleanup(func() {
		a.srv.Stop()
		<-a.served
	})
	a.client = dial(t, lis.Addr().String())
	return a
}

// probe asks client for name's status; the code is OK or the RPC's error.
func probe(t testing.TB, client healthpb.HealthClient, name string) (healthpb.HealthCheckResponse_ServingStatus, codes.Code) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
	if err != nil {
		return SERVICE_UNKNOWN, status.Code(err)
	}
	return resp.GetStatus(), codes.OK
}

// wantStatuses asserts each name's status both in-process and over client.
func wantStatuses(t testing.TB, r *Registry, client healthpb.HealthClient, want map[string]healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	for name, st := range want {
		if got := r.Status(name); got != st {
			t.Errorf("Status(%q) = %v, want %v", name, got, st)
		}
		if client == nil {
			continue
		}
		if got, code := probe(t, client, name); code != codes.OK || got != st {
			t.Errorf("Check(%q) = %v, %v; want %v, OK", name, got, code, st)
		}
	}
}

// listStatuses returns List's statuses over client.
func listStatuses(t testing.TB, client healthpb.HealthClient) (map[string]healthpb.HealthCheckResponse_ServingStatus, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	resp, err := client.List(ctx, &healthpb.HealthListRequest{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]healthpb.HealthCheckResponse_ServingStatus)
	for name, st := range resp.GetStatuses() {
		out[name] = st.GetStatus()
	}
	return out, nil
}

// watcher collects what one Watch stream receives: a grpc.health.v1 client
// stream (watch) or a Watcher (startWatch).
type watcher struct {
	mu   sync.Mutex
	got  []healthpb.HealthCheckResponse_ServingStatus
	err  error // the stream's final error, once it ended
	done chan struct{}
}

func newWatcher() *watcher { return &watcher{done: make(chan struct{})} }

// add records one status received.
func (w *watcher) add(st healthpb.HealthCheckResponse_ServingStatus) {
	w.mu.Lock()
	w.got = append(w.got, st)
	w.mu.Unlock()
}

// end records the stream's final error; the stream has ended.
func (w *watcher) end(err error) {
	w.mu.Lock()
	w.err = err
	w.mu.Unlock()
	close(w.done)
}

func watch(t testing.TB, client healthpb.HealthClient, name string) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: name})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	w := newWatcher()
	go func() {
		for {
			resp, err := stream.Recv()
			if err != nil {
				w.end(err)
				return
			}
			w.add(resp.GetStatus())
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-w.done
	})
	return w
}

// last returns the latest status received, SERVICE_UNKNOWN-1 if none yet.
func (w *watcher) last() healthpb.HealthCheckResponse_ServingStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.got) == 0 {
		return -1
	}
	return w.got[len(w.got)-1]
}

// waitLast waits until the latest status received is st.
func (w *watcher) waitLast(t testing.TB, st healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	waitFor(t, "Watch to receive "+st.String(), func() bool { return w.last() == st })
}

// ended waits for the stream to end and returns its error.
func (w *watcher) ended(t testing.TB) error {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(waitTimeout):
		t.Fatal("Watch stream did not end")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// transitions records what an observer sees.
type transitions struct {
	mu  sync.Mutex
	all []Transition
}

func (ts *transitions) observe(t Transition) {
	ts.mu.Lock()
	ts.all = append(ts.all, t)
	ts.mu.Unlock()
}

// last waits until the observer has been told of name's transition to st
// (observers are called after the status changes, so Check can see a status
// before the observer does) and returns that transition.
func (ts *transitions) last(t testing.TB, name string, st servingStatus) Transition {
	t.Helper()
	var got Transition
	waitFor(t, "the observer to see "+name+" go "+st.String(), func() bool {
		all := ts.of(name)
		if len(all) == 0 || all[len(all)-1].To != st {
			return false
		}
		got = all[len(all)-1]
		return true
	})
	return got
}

// of returns the transitions seen for name so far.
func (ts *transitions) of(name string) []Transition {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var out []Transition
	for _, t := range ts.all {
		if t.Name == name {
			out = append(out, t)
		}
	}
	return out
}

// snapshot returns every transition seen so far.
func (ts *transitions) snapshot() []Transition {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]Transition(nil), ts.all...)
}

// appWatchesOpen is how many Watch streams are open on the application
// side, all its endpoints together.
func appWatchesOpen(r *Registry) int64 { return r.appWatches.Load() }

// settle waits until r's observers have been told of every transition so
// far: delivery is asynchronous, and changes queued meanwhile coalesce.
func settle(t testing.TB, r *Registry) {
	t.Helper()
	r.awaitDelivered(time.Now().Add(waitTimeout))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.delivering {
		t.Fatal("the observers are still busy")
	}
}
