package healthreg

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

type statuses = map[string]healthpb.HealthCheckResponse_ServingStatus

// The whole life of a process as a probe sees it over a real connection:
// Check, Watch and List before ready, after ready, during the drain and
// after the stop.
func TestProbesOverLifecycle(t *testing.T) {
	r := newTestRegistry(t, WithDrainDelay(time.Hour)) // the test ends the drain
	a := r.Register("a.A")
	r.Register("b.B", ExcludeFromReadiness())
	app := startApp(t, r)
	c := app.client

	watches := map[string]*watcher{}
	for _, name := range []string{LivenessName, ReadinessName, overallName, "a.A", "b.B"} {
		watches[name] = watch(t, c, name)
	}
	wantEverywhere := func(phase string, want statuses) {
		t.Helper()
		wantStatuses(t, r, c, want)
		got, err := listStatuses(t, c)
		if err != nil {
			t.Fatalf("%s: List: %v", phase, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: List = %v, want %v", phase, got, want)
		}
		for name, st := range want {
			watches[name].waitLast(t, st)
		}
	}

	// Serving, not ready: only the server is up.
	r.SetLive(true)
	wantEverywhere("before ready", statuses{
		LivenessName: SERVING, ReadinessName: NOT_SERVING, overallName: NOT_SERVING,
		"a.A": NOT_SERVING, "b.B": NOT_SERVING,
	})

	r.SetReady()
	wantEverywhere("ready", statuses{
		LivenessName: SERVING, ReadinessName: SERVING, overallName: SERVING,
		"a.A": SERVING, "b.B": SERVING,
	})

	// Shutdown with a drain the test ends by cancelling ctx.
	ctx, endDrain := context.WithCancel(context.Background())
	shutdown := make(chan error, 1)
	go func() { shutdown <- r.Shutdown(ctx, app.srv) }()
	waitFor(t, "Shutdown to begin", func() bool { return r.Status(ReadinessName) == NOT_SERVING })
	// The server still answers during the drain; liveness stays SERVING.
	wantEverywhere("draining", statuses{
		LivenessName: SERVING, ReadinessName: NOT_SERVING, overallName: NOT_SERVING,
		"a.A": NOT_SERVING, "b.B": NOT_SERVING,
	})
	// Checks and reports no longer change anything.
	r.SetReady()
	a.SetServing(true, nil)
	wantStatuses(t, r, c, statuses{"a.A": NOT_SERVING, ReadinessName: NOT_SERVING})

	endDrain()
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown = %v", err)
	}
	wantStatuses(t, r, nil, statuses{
		LivenessName: NOT_SERVING, ReadinessName: NOT_SERVING, overallName: NOT_SERVING,
		"a.A": NOT_SERVING, "b.B": NOT_SERVING,
	})
	// Each Watch stream ended on its latest status, then UNAVAILABLE.
	for name, w := range watches {
		if err := w.ended(t); status.Code(err) != codes.Unavailable {
			t.Errorf("Watch(%q) ended with %v, want Unavailable", name, err)
		}
		want := NOT_SERVING
		if name == LivenessName {
			want = SERVING // the stream ends before the server stops
		}
		if got := w.last(); got != want {
			t.Errorf("Watch(%q) ended on %v, want %v", name, got, want)
		}
	}
	// The server is gone.
	if _, code := probe(t, c, LivenessName); code != codes.Unavailable {
		t.Errorf("Check after stop: %v, want Unavailable", code)
	}
}

func TestUnknownName(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	app := startApp(t, r)

	if _, code := probe(t, app.client, "no.Such"); code != codes.NotFound {
		t.Errorf("Check(unknown) = %v, want NotFound", code)
	}
	w := watch(t, app.client, "no.Such")
	w.waitLast(t, SERVICE_UNKNOWN)

	// A Watch on a name registered later sees it appear.
	r.Register("no.Such")
	w.waitLast(t, NOT_SERVING)
	r.SetLive(true)
	r.SetReady()
	w.waitLast(t, SERVING)
}

// grpc-go's Watch keeps only the latest pending status per stream, so a
// burst of changes may be coalesced, but the stream always ends up on the
// latest one.
func TestWatchEndsOnLatestStatus(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	app := startApp(t, r)
	svc := r.Register("a.A")
	r.SetLive(true)
	r.SetReady()
	w := watch(t, app.client, "a.A")
	w.waitLast(t, SERVING)
	for i := range 101 {
		svc.SetServing(i%2 == 1, nil) // ends on false
	}
	w.waitLast(t, NOT_SERVING)
	svc.SetServing(true, nil)
	w.waitLast(t, SERVING)
}

// List is grpc-go's: it refuses with RESOURCE_EXHAUSTED above 100 names,
// which with the 3 reserved names means above 97 services.
func TestListLimit(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	app := startApp(t, r)
	for i := range 97 {
		r.Register(fmt.Sprintf("s.S%d", i))
	}
	got, err := listStatuses(t, app.client)
	if err != nil || len(got) != 100 {
		t.Fatalf("List with 100 names = %d names, %v", len(got), err)
	}
	r.Register("s.S97")
	if _, err := listStatuses(t, app.client); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("List with 101 names: %v, want ResourceExhausted", err)
	}
	// Check and Watch do not care.
	if st, code := probe(t, app.client, "s.S97"); code != codes.OK || st != NOT_SERVING {
		t.Errorf("Check with 101 names = %v, %v", st, code)
	}
}
