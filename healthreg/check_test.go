package healthreg

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// switchCheck is a check whose result the test sets.
type switchCheck struct{ err atomic.Pointer[error] }

func (f *switchCheck) set(err error) { f.err.Store(&err) }

func (f *switchCheck) check(context.Context) error {
	if p := f.err.Load(); p != nil {
		return *p
	}
	return nil
}

func TestFailingCheckAndRecovery(t *testing.T) {
	const interval = 50 * time.Millisecond
	var seen transitions
	r := newTestRegistry(t, WithChecks(CheckSchedule{Interval: interval}), WithObserver(seen.observe))
	shutdownAtEnd(t, r)
	var db switchCheck
	r.Register("a.A", WithCheck("db", db.check))
	r.SetLive(true)
	r.SetReady()
	waitFor(t, "SERVING", func() bool { return r.Status("a.A") == SERVING })

	db.set(errors.New("connection refused"))
	start := time.Now()
	waitFor(t, "NOT_SERVING", func() bool { return r.Status(ReadinessName) == NOT_SERVING })
	// One interval, plus slack for a loaded machine running -race.
	if took := time.Since(start); took > interval+500*time.Millisecond {
		t.Errorf("a failing check took %v to show, interval %v", took, interval)
	}
	if err := seen.last(t, "a.A", NOT_SERVING).Err; err == nil || err.Error() != `check "db": connection refused` {
		t.Errorf("Err = %v", err)
	}

	db.set(nil)
	waitFor(t, "recovery", func() bool { return r.Status(ReadinessName) == SERVING })
}

// The first round runs at Register and again at SetReady, so readiness never
// waits for a tick.
func TestFirstRoundRunsAtOnce(t *testing.T) {
	r := newTestRegistry(t, WithChecks(CheckSchedule{Interval: time.Hour}))
	shutdownAtEnd(t, r)
	var db switchCheck
	db.set(errors.New("not yet"))
	r.Register("a.A", WithCheck("db", db.check))
	waitFor(t, "the Register round", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.services["a.A"].checks[0].known
	})
	db.set(nil)
	r.SetLive(true)
	r.SetReady()
	waitFor(t, "the SetReady round", func() bool { return r.Status(ReadinessName) == SERVING })
}

// scripted is a check whose every run announces itself and then returns the
// result the test feeds it, so the test steps through runs one by one.
type scripted struct {
	started chan struct{}
	results chan error
}

func newScripted() *scripted {
	return &scripted{started: make(chan struct{}, 1), results: make(chan error)}
}

func (s *scripted) check(ctx context.Context) error {
	s.started <- struct{}{}
	select {
	case err := <-s.results:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// feed completes the run in flight with err and waits for the next run to
// start, which the scheduler does only after recording err.
func (s *scripted) feed(t *testing.T, err error) {
	t.Helper()
	s.results <- err
	select {
	case <-s.started:
	case <-time.After(waitTimeout):
		t.Fatal("the next run did not start")
	}
}

func TestThresholds(t *testing.T) {
	var seen transitions
	r := newTestRegistry(t, WithChecks(CheckSchedule{Interval: time.Millisecond, Timeout: time.Hour, FailuresBeforeDown: 1, SuccessesBeforeUp: 1}),
		WithObserver(seen.observe))
	shutdownAtEnd(t, r)
	s := newScripted()
	r.Register("a.A", WithCheck("flaky", s.check), WithServiceChecks(CheckSchedule{FailuresBeforeDown: 3, SuccessesBeforeUp: 2}))
	settle(t, r) // a.A's NOT_SERVING is told before it comes up
	r.SetLive(true)
	r.SetReady()
	<-s.started
	fail := errors.New("flaky")
	for i, step := range []struct {
		result error
		want   string
	}{
		{nil, "SERVING"}, // the first result counts at once
		{fail, "SERVING"},
		{fail, "SERVING"},
		{nil, "SERVING"}, // a success resets the failure count
		{fail, "SERVING"},
		{fail, "SERVING"},
		{fail, "NOT_SERVING"}, // third failure in a row
		{nil, "NOT_SERVING"},
		{fail, "NOT_SERVING"}, // a failure resets the success count
		{nil, "NOT_SERVING"},
		{nil, "SERVING"}, // second success in a row
	} {
		s.feed(t, step.result)
		got := r.Status("a.A")
		if got.String() != step.want {
			t.Fatalf("after result %d (%v): %s, want %s", i, step.result, got, step.want)
		}
		seen.last(t, "a.A", got)
	}
	if got := len(seen.of("a.A")); got != 4 { // appear, up, down, up
		t.Errorf("%d transitions, want 4: %v", got, seen.of("a.A"))
	}
}

// Never more than one run of a check at a time, however short the interval
// and however often SetReady asks for a round.
func TestOneRunAtATime(t *testing.T) {
	r := newTestRegistry(t, WithChecks(CheckSchedule{Interval: time.Millisecond}))
	var running, most, runs atomic.Int32
	r.Register("a.A", WithCheck("slow", func(context.Context) error {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(5 * time.Millisecond) // outlasts several ticks
		runs.Add(1)
		return nil
	}))
	r.SetReady()
	waitFor(t, "a few runs", func() bool { return runs.Load() >= 5 })
	r.Shutdown(context.Background(), nil)
	if m := most.Load(); m != 1 {
		t.Errorf("%d runs at once", m)
	}
}

// A check that honours its context fails when it times out, and then runs
// again normally.
func TestCheckTimeout(t *testing.T) {
	var seen transitions
	r := newTestRegistry(t, WithChecks(CheckSchedule{Timeout: 20 * time.Millisecond}), WithObserver(seen.observe))
	shutdownAtEnd(t, r)
	var slow atomic.Bool
	r.Register("a.A", WithCheck("slow", func(ctx context.Context) error {
		if slow.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}))
	r.SetLive(true)
	r.SetReady()
	waitFor(t, "SERVING", func() bool { return r.Status("a.A") == SERVING })
	slow.Store(true)
	waitFor(t, "NOT_SERVING", func() bool { return r.Status("a.A") == NOT_SERVING })
	if err := seen.last(t, "a.A", NOT_SERVING).Err; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Err = %v, want DeadlineExceeded", err)
	}
	slow.Store(false)
	waitFor(t, "SERVING again", func() bool { return r.Status("a.A") == SERVING })
}

// hangingCheck passes once, then hangs, ignoring its context, until released.
type hangingCheck struct {
	calls   atomic.Int32
	release chan struct{}
}

func (h *hangingCheck) check(context.Context) error {
	if h.calls.Add(1) == 1 {
		return nil
	}
	<-h.release
	return nil
}

// A hung check fails once its timeout passes, is not started again while it
// hangs, holds the service down through the thresholds, does not slow the
// health service, and is the only goroutine Shutdown leaves behind.
func TestHungCheck(t *testing.T) {
	var seen transitions
	r := newTestRegistry(t, WithChecks(CheckSchedule{Interval: 5 * time.Millisecond}), WithChecks(CheckSchedule{Timeout: 20 * time.Millisecond}),
		WithObserver(seen.observe))
	h := &hangingCheck{release: make(chan struct{})}
	// Cleanups run last-in first-out: the client and server close first,
	// then the leak check runs while the abandoned run still hangs, then
	// the run is released so TestMain's own leak check finds nothing.
	t.Cleanup(func() { close(h.release) })
	t.Cleanup(func() {
		// The abandoned run is by design still blocked in the check after
		// Shutdown; nothing else may be left.
		goleak.VerifyNone(t, goleak.IgnoreTopFunction(
			"github.com/protoc-gen-health/protoc-gen-health/healthreg.(*hangingCheck).check"))
	})
	// Three failures to go down: the timeout is one; only the ticks that
	// find the run still hanging can supply the others.
	r.Register("a.A", WithCheck("hangs", h.check), WithServiceChecks(CheckSchedule{FailuresBeforeDown: 3, SuccessesBeforeUp: 1}))
	app := startApp(t, r)
	r.SetLive(true)
	r.SetReady()
	waitFor(t, "SERVING", func() bool { return r.Status("a.A") == SERVING })
	waitFor(t, "NOT_SERVING", func() bool { return r.Status("a.A") == NOT_SERVING })

	if n := h.calls.Load(); n != 2 {
		t.Errorf("the check ran %d times, want 2: restarted while hanging", n)
	}
	if err := seen.last(t, "a.A", NOT_SERVING).Err; err == nil || !strings.Contains(err.Error(), `check "hangs": still running`) {
		t.Errorf("Err = %v", err)
	}
	// The health service answers at once.
	start := time.Now()
	if st, code := probe(t, app.client, "a.A"); st != NOT_SERVING {
		t.Errorf("Check = %v, %v", st, code)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Check took %v while a check hangs", took)
	}

	start = time.Now()
	if err := r.Shutdown(context.Background(), app.srv); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Shutdown took %v: it waited for the hung check", took)
	}
	if n := h.calls.Load(); n != 2 {
		t.Errorf("the check ran %d times, want 2", n)
	}
}

// panicker panics on its third run (the first after the one SetReady
// asks for), then passes.
type panicker struct{ calls atomic.Int32 }

func (p *panicker) check(context.Context) error {
	if p.calls.Add(1) == 3 {
		panic("boom")
	}
	return nil
}

func TestPanickingCheck(t *testing.T) {
	var seen transitions
	var logs syncBuffer
	// Checks 300ms apart: the failed run's transition is delivered before
	// the next run undoes it (changes queued meanwhile would coalesce).
	r := newTestRegistry(t, WithObserver(seen.observe), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithChecks(CheckSchedule{Interval: 300 * time.Millisecond}))
	shutdownAtEnd(t, r)
	p := &panicker{}
	r.Register("a.A", WithCheck("panics", p.check))
	settle(t, r) // a.A NOT_SERVING is told before it comes up
	r.SetLive(true)
	r.SetReady()
	waitFor(t, "down and up again", func() bool { return len(seen.of("a.A")) >= 4 })

	got := seen.of("a.A")
	if err := got[2].Err; got[2].To != NOT_SERVING || err == nil || err.Error() != `check "panics": panicked: boom` {
		t.Errorf("transition = %+v", got[2])
	}
	if got[3].To != SERVING {
		t.Errorf("transition = %+v, want recovery", got[3])
	}
	for _, want := range []string{`level=ERROR msg="health check panicked" service=a.A check=panics panic=boom stack=`, "(*panicker).check"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// goexiter ends its goroutine without returning once, as t.FailNow in a
// check shared with tests would, then passes.
type goexiter struct{ calls atomic.Int32 }

func (g *goexiter) check(context.Context) error {
	if g.calls.Add(1) == 3 {
		runtime.Goexit()
	}
	return nil
}

// A run that calls runtime.Goexit sends no result of its own; it must fail
// like a panicking one rather than stay in flight for ever, so the check
// runs again and the service recovers.
func TestGoexitingCheck(t *testing.T) {
	var seen transitions
	var logs syncBuffer
	r := newTestRegistry(t, WithObserver(seen.observe), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithChecks(CheckSchedule{Interval: 300 * time.Millisecond})) // see TestPanickingCheck
	shutdownAtEnd(t, r)
	g := &goexiter{}
	r.Register("a.A", WithCheck("exits", g.check))
	settle(t, r) // a.A NOT_SERVING is told before it comes up
	r.SetLive(true)
	r.SetReady()
	waitFor(t, "down and up again", func() bool { return len(seen.of("a.A")) >= 4 })

	got := seen.of("a.A")
	if err := got[2].Err; got[2].To != NOT_SERVING || err == nil || err.Error() != `check "exits": exited without returning (runtime.Goexit)` {
		t.Errorf("transition = %+v", got[2])
	}
	if got[3].To != SERVING {
		t.Errorf("transition = %+v, want recovery", got[3])
	}
	for _, want := range []string{`level=ERROR msg="health check exited without returning" service=a.A check=exits stack=`, "(*goexiter).check"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}
