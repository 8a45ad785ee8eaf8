package healthreg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestIsReservedName(t *testing.T) {
	for name, want := range map[string]bool{
		"liveness": true, "readiness": true, "": true,
		"helloworld.Greeter": false, "Liveness": false, " ": false,
	} {
		if got := isReservedName(name); got != want {
			t.Errorf("isReservedName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestNewStartsNotServing(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	wantStatuses(t, r, nil, map[string]healthpb.HealthCheckResponse_ServingStatus{
		LivenessName: NOT_SERVING, ReadinessName: NOT_SERVING, overallName: NOT_SERVING,
		"unknown.Service": SERVICE_UNKNOWN,
	})
}

func TestReadinessFollowsServices(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	a := r.Register("a.A")
	b := r.Register("b.B")
	wantStatuses(t, r, nil, map[string]healthpb.HealthCheckResponse_ServingStatus{
		"a.A": NOT_SERVING, "b.B": NOT_SERVING, ReadinessName: NOT_SERVING, overallName: NOT_SERVING,
	})

	// A report made before SetReady holds afterwards.
	b.SetServing(false, errors.New("warming up"))
	r.SetLive(true)
	r.SetReady()
	wantStatuses(t, r, nil, map[string]healthpb.HealthCheckResponse_ServingStatus{
		"a.A": SERVING, "b.B": NOT_SERVING, ReadinessName: NOT_SERVING, overallName: NOT_SERVING,
	})

	b.SetServing(true, nil)
	wantStatuses(t, r, nil, map[string]healthpb.HealthCheckResponse_ServingStatus{
		"a.A": SERVING, "b.B": SERVING, ReadinessName: SERVING, overallName: SERVING,
	})

	a.SetServing(false, nil)
	wantStatuses(t, r, nil, map[string]healthpb.HealthCheckResponse_ServingStatus{
		"a.A": NOT_SERVING, "b.B": SERVING, ReadinessName: NOT_SERVING, overallName: NOT_SERVING,
	})
}

// Every name requires liveness: a program that reports its application
// server gone (SetLive(false)) must not keep readiness SERVING on a health
// port. Liveness comes up first and goes down last, so no probe ever sees
// a name SERVING while liveness is NOT_SERVING.
func TestReadinessFollowsLiveness(t *testing.T) {
	var seen transitions
	r := newTestRegistry(t, WithObserver(seen.observe))
	r.Register("a.A")
	r.Register("b.B", ExcludeFromReadiness())
	healthLis := listen(t)
	portDone := make(chan error, 1)
	go func() { portDone <- r.ServeHealth(healthLis) }()
	probes := dial(t, healthLis.Addr().String())
	all := func(st healthpb.HealthCheckResponse_ServingStatus) statuses {
		return statuses{LivenessName: st, ReadinessName: st, overallName: st, "a.A": st, "b.B": st}
	}
	// order returns the names of the transitions seen since the last call.
	var n int
	order := func() []string {
		var names []string
		for _, tr := range seen.snapshot()[n:] {
			names = append(names, tr.Name)
			if tr.To == NOT_SERVING && !errors.Is(tr.Err, errNotLive) {
				t.Errorf("%q went down with %v, want errNotLive", tr.Name, tr.Err)
			}
		}
		n += len(names)
		return names
	}

	r.SetReady() // ready, but no server is serving
	wantStatuses(t, r, probes, all(NOT_SERVING))
	// Observers are told on the registry's delivery goroutine, after the
	// statuses change: wait for each name's first transition to have been
	// delivered before counting from there.
	for name := range all(NOT_SERVING) {
		seen.last(t, name, NOT_SERVING)
	}
	n = len(seen.snapshot())
	for _, step := range []struct {
		live bool
		want []string
	}{
		{true, []string{LivenessName, "a.A", "b.B", ReadinessName, overallName}},
		{false, []string{ReadinessName, overallName, "a.A", "b.B", LivenessName}},
		{true, []string{LivenessName, "a.A", "b.B", ReadinessName, overallName}},
	} {
		r.SetLive(step.live)
		want := NOT_SERVING
		if step.live {
			want = SERVING
		}
		wantStatuses(t, r, probes, all(want))
		// The step's transitions are delivered asynchronously: wait for as
		// many as it should cause (one more, or another order, still fails).
		waitFor(t, fmt.Sprintf("the observer to see SetLive(%v)'s %d transitions", step.live, len(step.want)), func() bool {
			return len(seen.snapshot()) >= n+len(step.want)
		})
		if got := order(); !slices.Equal(got, step.want) {
			t.Errorf("SetLive(%v): transitions %q, want %q", step.live, got, step.want)
		}
	}

	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := <-portDone; err != nil {
		t.Errorf("ServeHealth = %v", err)
	}
}

func TestExcludeFromReadiness(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	r.Register("main.Main")
	admin := r.Register("admin.Admin", ExcludeFromReadiness())
	r.SetLive(true)
	r.SetReady()
	admin.SetServing(false, nil)
	wantStatuses(t, r, nil, map[string]healthpb.HealthCheckResponse_ServingStatus{
		"main.Main": SERVING, "admin.Admin": NOT_SERVING, ReadinessName: SERVING, overallName: SERVING,
	})
}

func TestSetLive(t *testing.T) {
	r := newTestRegistry(t)
	r.Register("a.A", WithCheck("fails", func(context.Context) error { return errors.New("down") }))
	r.SetLive(true)
	if got := r.Status(LivenessName); got != SERVING {
		t.Fatalf("liveness = %v after SetLive(true)", got)
	}
	r.SetReady()
	waitFor(t, "the failing check to be seen", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.services["a.A"].checks[0].known
	})
	// Checks never touch liveness.
	if got := r.Status(LivenessName); got != SERVING {
		t.Fatalf("liveness = %v with a failing check", got)
	}
	r.SetLive(false)
	if got := r.Status(LivenessName); got != NOT_SERVING {
		t.Fatalf("liveness = %v after SetLive(false)", got)
	}
	r.SetLive(true)
	r.Shutdown(context.Background(), nil)
	r.SetLive(true) // ignored: the server has stopped
	if got := r.Status(LivenessName); got != NOT_SERVING {
		t.Fatalf("liveness = %v after Shutdown", got)
	}
}

func TestRegisterPanics(t *testing.T) {
	r := newTestRegistry(t)
	r.Register("a.A")
	for _, tc := range []struct {
		name string
		do   func()
		want string
	}{
		{"duplicate", func() { r.Register("a.A") }, `Register("a.A"): already registered`},
		{"liveness", func() { r.Register(LivenessName) }, `Register("liveness"): the name is reserved`},
		{"readiness", func() { r.Register(ReadinessName) }, `Register("readiness"): the name is reserved`},
		{"overall", func() { r.Register(overallName) }, `Register(""): the name is reserved`},
		{"duplicate check", func() {
			ok := func(context.Context) error { return nil }
			r.Register("b.B", WithCheck("db", ok), WithCheck("db", ok))
		}, `Register("b.B"): two checks named "db"`},
		{"after shutdown", func() {
			r.Shutdown(context.Background(), nil)
			r.Register("c.C")
		}, `Register("c.C") after Shutdown began`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := recoverMessage(tc.do); !strings.Contains(got, tc.want) {
				t.Errorf("panic = %q, want it to contain %q", got, tc.want)
			}
		})
	}
	// The failed registrations left nothing behind.
	if got := r.Status("b.B"); got != SERVICE_UNKNOWN {
		t.Errorf("Status(b.B) = %v after a refused Register", got)
	}
}

func TestOptionPanics(t *testing.T) {
	for name, do := range map[string]func(){
		"WithDrainDelay":    func() { WithDrainDelay(-1) },
		"WithStopTimeout":   func() { WithStopTimeout(-1) },
		"WithChecks":        func() { WithChecks(CheckSchedule{Timeout: -time.Second}) },
		"WithServiceChecks": func() { WithServiceChecks(CheckSchedule{SuccessesBeforeUp: -1}) },
		"WithObserver":      func() { WithObserver(nil) },
		"WithCheck":         func() { WithCheck("x", nil) },
		"WithAppProbe":      func() { WithAppProbe(time.Second, time.Second, 0) },
	} {
		if got := recoverMessage(do); !strings.Contains(got, name) {
			t.Errorf("%s: panic = %q, want one naming the option", name, got)
		}
	}
}

func recoverMessage(do func()) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg, _ = p.(string)
		}
	}()
	do()
	return "no panic"
}

// Observers see each name's transitions in order, and, once delivery has
// caught up between changes (settle; changes queued meanwhile coalesce),
// every one of them.
func TestObserverSeesEveryTransitionInOrder(t *testing.T) {
	var seen transitions
	r := newTestRegistry(t, WithObserver(seen.observe))
	settle(t, r)
	svc := r.Register("a.A")
	settle(t, r)
	r.SetLive(true)
	settle(t, r)
	r.SetReady()
	settle(t, r)
	svc.SetServing(false, errors.New("disk full"))
	settle(t, r)
	svc.SetServing(true, nil)
	settle(t, r)
	r.Shutdown(context.Background(), nil)

	type step struct {
		name     string
		from, to healthpb.HealthCheckResponse_ServingStatus
		err      error // checked with errors.Is; nil: Err must be nil
	}
	want := []step{
		// New: the reserved names appear.
		{ReadinessName, SERVICE_UNKNOWN, NOT_SERVING, errNotReady},
		{overallName, SERVICE_UNKNOWN, NOT_SERVING, errNotReady},
		{LivenessName, SERVICE_UNKNOWN, NOT_SERVING, errNotLive},
		// Register.
		{"a.A", SERVICE_UNKNOWN, NOT_SERVING, errNotReady},
		// SetLive, SetReady: services before readiness.
		{LivenessName, NOT_SERVING, SERVING, nil},
		{"a.A", NOT_SERVING, SERVING, nil},
		{ReadinessName, NOT_SERVING, SERVING, nil},
		{overallName, NOT_SERVING, SERVING, nil},
		// SetServing(false): readiness goes down first.
		{ReadinessName, SERVING, NOT_SERVING, nil},
		{overallName, SERVING, NOT_SERVING, nil},
		{"a.A", SERVING, NOT_SERVING, nil},
		{"a.A", NOT_SERVING, SERVING, nil},
		{ReadinessName, NOT_SERVING, SERVING, nil},
		{overallName, NOT_SERVING, SERVING, nil},
		// Shutdown: readiness first, liveness only once the server stopped.
		{ReadinessName, SERVING, NOT_SERVING, ErrShuttingDown},
		{overallName, SERVING, NOT_SERVING, ErrShuttingDown},
		{"a.A", SERVING, NOT_SERVING, ErrShuttingDown},
		{LivenessName, SERVING, NOT_SERVING, errNotLive},
	}
	got := seen.snapshot()
	if len(got) != len(want) {
		t.Fatalf("observed %d transitions, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Name != w.name || g.From != w.from || g.To != w.to {
			t.Errorf("transition %d = %q %v→%v, want %q %v→%v", i, g.Name, g.From, g.To, w.name, w.from, w.to)
		}
		switch {
		case w.to == SERVING && g.Err != nil:
			t.Errorf("transition %d to SERVING has Err %v", i, g.Err)
		case w.to == NOT_SERVING && g.Err == nil:
			t.Errorf("transition %d to NOT_SERVING has no Err", i)
		case w.err != nil && !errors.Is(g.Err, w.err):
			t.Errorf("transition %d Err = %v, want %v", i, g.Err, w.err)
		}
	}
	// The service's own reason reaches the service and, named, readiness.
	if err := got[10].Err; err == nil || err.Error() != "disk full" {
		t.Errorf("service Err = %v, want disk full", err)
	}
	if err := got[8].Err; err == nil || err.Error() != `service "a.A": disk full` {
		t.Errorf("readiness Err = %v", err)
	}
}

// An observer may call back into the Registry, even to change a status,
// without deadlocking, and still sees transitions in order.
func TestObserverMayCallRegistry(t *testing.T) {
	var (
		r    *Registry
		svc  *Service
		once sync.Once
		seen transitions
	)
	r = newTestRegistry(t, WithObserver(func(tr Transition) {
		// New reports the reserved names before r is assigned.
		if tr.Name == ReadinessName && tr.To == SERVING {
			_ = r.Status(tr.Name)
			once.Do(func() { svc.SetServing(false, nil) })
		}
		seen.observe(tr)
	}))
	shutdownAtEnd(t, r)
	svc = r.Register("a.A")
	settle(t, r) // readiness NOT_SERVING is told before it goes SERVING
	r.SetLive(true)
	r.SetReady()
	waitFor(t, "readiness to go down again", func() bool {
		got := seen.of(ReadinessName)
		return len(got) == 3 && got[2].To == NOT_SERVING
	})
}

func TestTransitionsAreLogged(t *testing.T) {
	var buf syncBuffer
	r := New(WithLogger(slog.New(slog.NewTextHandler(&buf, nil))), WithDrainDelay(0))
	shutdownAtEnd(t, r)
	settle(t, r)
	svc := r.Register("a.A")
	settle(t, r)
	r.SetLive(true)
	r.SetReady()
	settle(t, r)
	svc.SetServing(false, errors.New("disk full"))
	settle(t, r)
	for _, want := range []string{
		`level=INFO msg="health status changed" name=a.A from=NOT_SERVING to=SERVING`,
		`level=INFO msg="health status changed" name=a.A from=SERVING to=NOT_SERVING err="disk full"`,
		`name="" from=SERVING to=NOT_SERVING err="service \"a.A\": disk full"`,
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %s; log:\n%s", want, buf.String())
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the registry's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestSupportPackageIsVersion1(t *testing.T) {
	const _ = SupportPackageIsVersion1 // what generated code does
}
