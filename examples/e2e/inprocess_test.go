package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/protoc-gen-health/protoc-gen-health/examples/helloworld/gen/helloworld"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
)

const (
	serving    = healthpb.HealthCheckResponse_SERVING
	notServing = healthpb.HealthCheckResponse_NOT_SERVING
	unknownSvc = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
)

type healthStatus = healthpb.HealthCheckResponse_ServingStatus

type greeter struct {
	helloworld.UnimplementedGreeterServer
}

func (greeter) SayHello(_ context.Context, req *helloworld.HelloRequest) (*helloworld.HelloReply, error) {
	return &helloworld.HelloReply{Message: "Hello " + req.GetName()}, nil
}

// TestGeneratedCodeInProcess serves helloworld's generated registration on
// a grpc.Server on loopback and follows every health name through Check,
// Watch and List: before the registry serves, once it is ready, and while it
// drains.
func TestGeneratedCodeInProcess(t *testing.T) {
	t.Parallel()
	// The drain is long and cut short by the test, so that a slow machine
	// cannot end it before the draining phase has been checked.
	reg := healthreg.New(healthreg.WithDrainDelay(time.Minute), healthreg.WithLogger(slog.New(slog.DiscardHandler)))
	srv := grpc.NewServer()
	helloworld.RegisterGreeterServer(srv, greeter{})
	helloworld.RegisterGreeterHealth(reg)
	if st := reg.Status("helloworld.Greeter"); st != notServing {
		t.Fatalf("after RegisterGreeterHealth, helloworld.Greeter is %v, want NOT_SERVING (registered, not ready)", st)
	}
	reg.RegisterHealthService(srv)

	// srv serves two listeners: one it serves by itself from the start, from
	// which the test watches the registry before Registry.Serve runs, and
	// the one Registry.Serve serves, which makes it live and ready.
	observeLis := listen(t)
	appLis := listen(t)
	observed := make(chan error, 1)
	go func() { observed <- srv.Serve(observeLis) }()
	t.Cleanup(srv.Stop) // on failure; Shutdown stops it otherwise
	cc := dial(t, observeLis.Addr().String())
	hc := healthpb.NewHealthClient(cc)

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // ends the watches on failure
	names := []string{helloworld.Greeter_HealthName, healthreg.LivenessName, healthreg.ReadinessName, ""}
	watches := map[string]*watch{}
	for _, name := range append(names, unknownName) {
		watches[name] = startWatch(ctx, hc, name)
	}

	before := map[string]healthStatus{names[0]: notServing, names[1]: notServing, names[2]: notServing, names[3]: notServing}
	checkPhase(t, "before Serve", hc, watches, before)

	served := make(chan error, 1)
	go func() { served <- reg.Serve(context.Background(), srv, appLis) }()
	ready := map[string]healthStatus{names[0]: serving, names[1]: serving, names[2]: serving, names[3]: serving}
	waitFor(t, hc, healthreg.ReadinessName, serving)
	checkPhase(t, "ready", hc, watches, ready)

	// Serve's own Shutdown would wait for this one (Shutdown runs once), so
	// its drain is the one the test can cut short.
	drainCtx, endDrain := context.WithCancel(context.Background())
	defer endDrain()
	stopped := make(chan error, 1)
	go func() { stopped <- reg.Shutdown(drainCtx, srv) }()
	draining := map[string]healthStatus{names[0]: notServing, names[1]: serving, names[2]: notServing, names[3]: notServing}
	waitFor(t, hc, healthreg.ReadinessName, notServing)
	checkPhase(t, "draining", hc, watches, draining)
	rpcCtx, rpcCancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer rpcCancel()
	if err := sayHello(rpcCtx, dial(t, appLis.Addr().String())); err != nil {
		t.Errorf("draining: SayHello: %v", err)
	}

	endDrain()
	for what, ch := range map[string]chan error{"Shutdown": stopped, "Registry.Serve": served, "grpc.Server.Serve of the observing listener": observed} {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("%s: %v", what, err)
			}
		case <-time.After(exitTimeout):
			t.Fatalf("%s did not return within %v of the drain's end", what, exitTimeout)
		}
	}

	// Shutdown ended every Watch with UNAVAILABLE, its last message the
	// name's status when it ended: the draining one.
	draining[unknownName] = unknownSvc
	for name, w := range watches {
		select {
		case <-w.done:
		case <-time.After(rpcTimeout):
			t.Fatalf("Watch(%q) still open after Shutdown", name)
		}
		if code := status.Code(w.err); code != codes.Unavailable {
			t.Errorf("Watch(%q) ended with %v, want code Unavailable", name, w.err)
		}
		if last, _, _ := w.latest(); last != draining[name] {
			t.Errorf("Watch(%q)'s last status: %v, want %v (all: %v)", name, last, draining[name], w.all())
		}
	}
}

// checkPhase checks that Check, List and every Watch agree with want, and
// that Check answers NOT_FOUND for an unknown name.
func checkPhase(t *testing.T, phase string, hc healthpb.HealthClient, watches map[string]*watch, want map[string]healthStatus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	for name, st := range want {
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
		if err != nil || resp.GetStatus() != st {
			t.Errorf("%s: Check(%q) = %v, %v; want %v", phase, name, resp.GetStatus(), err, st)
		}
	}
	if _, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: unknownName}); status.Code(err) != codes.NotFound {
		t.Errorf("%s: Check(%q): %v, want code NotFound", phase, unknownName, err)
	}

	list, err := hc.List(ctx, &healthpb.HealthListRequest{})
	if err != nil {
		t.Fatalf("%s: List: %v", phase, err)
	}
	got := map[string]healthStatus{}
	for name, resp := range list.GetStatuses() {
		got[name] = resp.GetStatus()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: List (-want +got):\n%s", phase, diff)
	}

	for name, w := range watches {
		st, ok := want[name]
		if !ok {
			st = unknownSvc
		}
		eventually(t, rpcTimeout, phase+": Watch("+name+") reports "+st.String(), func() (bool, string) {
			last, n, err := w.latest()
			return n > 0 && last == st && err == nil, fmt.Sprintf("received %s, ended: %v", w.all(), err)
		})
	}
}

// waitFor polls Check until name reports st.
func waitFor(t *testing.T, hc healthpb.HealthClient, name string, st healthStatus) {
	t.Helper()
	eventually(t, startTimeout, "Check("+name+") "+st.String(), func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
		defer cancel()
		resp, err := hc.Check(ctx, &healthpb.HealthCheckRequest{Service: name})
		return err == nil && resp.GetStatus() == st, resp.GetStatus().String()
	})
}

// watch records what one Watch stream sends.
type watch struct {
	mu   sync.Mutex
	got  []healthStatus
	err  error         // why the stream ended; set before done closes
	done chan struct{} // closed when the stream has ended
}

func startWatch(ctx context.Context, hc healthpb.HealthClient, name string) *watch {
	w := &watch{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		stream, err := hc.Watch(ctx, &healthpb.HealthCheckRequest{Service: name})
		for err == nil {
			var resp *healthpb.HealthCheckResponse
			if resp, err = stream.Recv(); err == nil {
				w.mu.Lock()
				w.got = append(w.got, resp.GetStatus())
				w.mu.Unlock()
			}
		}
		w.mu.Lock()
		w.err = err
		w.mu.Unlock()
	}()
	return w
}

// latest returns the last status received, how many were, and why the
// stream ended (nil while it is open).
func (w *watch) latest() (last healthStatus, n int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if n = len(w.got); n > 0 {
		last = w.got[n-1]
	}
	return last, n, w.err
}

// all returns every status received, for messages.
func (w *watch) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return fmt.Sprint(w.got)
}
