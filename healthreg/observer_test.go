package healthreg

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// A panicking observer is recovered and logged; it and the other observers
// are still told of every later transition, and Shutdown completes.
func TestPanickingObserver(t *testing.T) {
	var logs syncBuffer
	var seen transitions
	var calls atomic.Int64
	r := New(WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithDrainDelay(0),
		WithObserver(func(Transition) {
			calls.Add(1)
			panic("observer bug")
		}),
		WithObserver(seen.observe))
	a := r.Register("a.A")
	settle(t, r)
	r.SetLive(true)
	settle(t, r)
	r.SetReady()
	settle(t, r)
	a.SetServing(false, nil)
	settle(t, r)
	a.SetServing(true, nil)
	settle(t, r)
	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	seen.last(t, LivenessName, NOT_SERVING)
	all := seen.snapshot()
	if len(all) != 18 {
		t.Errorf("the second observer saw %d transitions, want 18: %v", len(all), all)
	}
	if n := calls.Load(); n != int64(len(all)) {
		t.Errorf("the panicking observer was called %d times, want %d", n, len(all))
	}
	if got := strings.Count(logs.String(), "health observer panicked"); got != panicLogBurst || !strings.Contains(logs.String(), "observer bug") {
		t.Errorf("%d panics logged, want the first %d with the panic's value:\n%s", got, panicLogBurst, logs.String())
	}
}

// A panicking observer under 10,000 flaps logs a few stack traces, not
// one per call: the log is rate-limited, and the next message logged says
// how many were left out.
func TestPanickingObserverLogBounded(t *testing.T) {
	var logs syncBuffer
	var calls atomic.Int64
	r := New(WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		WithDrainDelay(0), WithObserver(func(Transition) {
			calls.Add(1)
			panic("observer bug")
		}))
	a := r.Register("a.A")
	r.SetLive(true)
	r.SetReady()
	for i := range 10_000 {
		a.SetServing(i%2 == 1, nil)
		settle(t, r) // each flap is delivered, none coalesced
	}
	settle(t, r)
	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	n, logged := calls.Load(), logs.Len()
	t.Logf("%d observer panics logged in %d bytes", n, logged)
	if n < 30_000 { // a.A, readiness and "" each flap
		t.Errorf("the observer was called %d times, want at least 30,000", n)
	}
	if logged > 64<<10 {
		t.Errorf("%d panics logged %d bytes, want at most 64 KiB", n, logged)
	}
	// Pretend a minute passed: the next panic is logged, and says how
	// many were not.
	r.panicLog.mu.Lock()
	r.panicLog.last = r.panicLog.last.Add(-panicLogEvery)
	r.panicLog.mu.Unlock()
	r.logPanic("health observer panicked", "again")
	if !strings.Contains(logs.String(), "panics_not_logged=") {
		t.Errorf("the log does not count the panics left out:\n%s", logs.String()[max(0, logs.Len()-2000):])
	}
}

// An observer that takes long, or never returns, holds up neither New,
// nor status changes, nor Serve and Shutdown beyond the drain delay and
// the stop timeout.
func TestBlockedObserver(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	began := time.Now()
	r := New(testLogger(t), WithDrainDelay(100*time.Millisecond), WithStopTimeout(300*time.Millisecond),
		WithObserver(func(Transition) {
			calls.Add(1)
			<-release
		}),
		WithCheckObserver(func(CheckResult) {
			calls.Add(1)
			<-release
		}),
		WithChecks(CheckSchedule{Interval: time.Millisecond}))
	// Released observers log what was queued meanwhile through t.Output:
	// wait for them before the test ends (a log line after it is a data
	// race with the test's end).
	t.Cleanup(func() {
		close(release)
		settle(t, r)
	})
	flaky := &switchCheck{}
	a := r.Register("a.A", WithCheck("c", flaky.check))
	// Whichever comes first blocks the delivery goroutine for good.
	waitFor(t, "an observer to be called", func() bool { return calls.Load() == 1 })
	for i := range 1000 {
		a.SetServing(i%2 == 0, nil)
	}
	a.SetServing(true, nil)
	// The checks still run and still change the status, though their
	// observer and the transitions' never return.
	flaky.set(errors.New("down"))
	app := grpc.NewServer()
	r.RegisterHealthService(app)
	lis := listen(t)
	served := startServe(context.Background(), r, app, lis)
	waitFor(t, "liveness", func() bool { return r.Status(LivenessName) == SERVING })
	if r.Status("a.A") != NOT_SERVING {
		t.Errorf("a.A is %v with its check failing", r.Status("a.A"))
	}
	flaky.set(nil)
	waitFor(t, "a.A to recover", func() bool { return r.Status("a.A") == SERVING })

	// The observers block until the test ends: Serve returning at all
	// (result waits, then fails) shows Shutdown does not wait for them.
	stopAt := time.Now()
	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := result(t, served); err != nil {
		t.Fatal(err)
	}
	t.Logf("Shutdown to Serve's return: %v with drain 100ms and stop 300ms; New to Serve's return: %v; the observer was called %d times",
		time.Since(stopAt), time.Since(began), calls.Load())
	r.mu.Lock()
	queued := len(r.pending) + len(r.checkQueue)
	r.mu.Unlock()
	if queued > 4+maxQueuedChecks {
		t.Errorf("%d queued for the blocked observers, want at most one transition per name and %d results", queued, maxQueuedChecks)
	}
}

// While an observer is busy, transitions queue coalesced per name: 100,000
// changes of one service leave at most one queued transition per name, and
// what the observer is then told is each name's chain of changes, ending
// on its current status.
func TestObserverQueueBounded(t *testing.T) {
	block, entered := make(chan struct{}), make(chan struct{})
	var seen transitions
	var blocked atomic.Bool
	r := newTestRegistry(t, WithObserver(func(tr Transition) {
		if tr.Name == "a.A" && tr.To == SERVING && blocked.CompareAndSwap(false, true) {
			close(entered)
			<-block
		}
		seen.observe(tr)
	}))
	shutdownAtEnd(t, r)
	a := r.Register("a.A")
	r.SetLive(true)
	ready := make(chan struct{})
	go func() {
		r.SetReady() // a.A goes SERVING: the observer blocks on it
		close(ready)
	}()
	<-entered

	for i := range 100_000 {
		a.SetServing(i%2 == 1, nil) // returns at once: the delivery goroutine is busy
	}
	r.mu.Lock()
	queued := len(r.pending)
	r.mu.Unlock()
	if queued > 4 { // liveness, readiness, "" and a.A
		t.Errorf("%d transitions queued, want at most one per name (4)", queued)
	}

	close(block)
	<-ready
	settle(t, r)
	for _, name := range []string{LivenessName, ReadinessName, overallName, "a.A"} {
		chain := seen.of(name)
		for i := 1; i < len(chain); i++ {
			if chain[i].From != chain[i-1].To || chain[i].From == chain[i].To {
				t.Errorf("%s: transition %d is %v→%v after one to %v", name, i, chain[i].From, chain[i].To, chain[i-1].To)
			}
		}
		if last := chain[len(chain)-1].To; last != r.Status(name) {
			t.Errorf("%s: the observer was last told %v, the status is %v", name, last, r.Status(name))
		}
	}
	t.Logf("%d transitions delivered for 100,000 changes", len(seen.snapshot()))
}

// A panicking check observer runs on a check's scheduler goroutine: it is
// recovered and logged, and the check goes on running.
func TestPanickingCheckObserver(t *testing.T) {
	var logs syncBuffer
	var calls atomic.Int64
	r := New(WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithDrainDelay(0),
		WithChecks(CheckSchedule{Interval: time.Millisecond}),
		WithCheckObserver(func(CheckResult) {
			calls.Add(1)
			panic("check observer bug")
		}))
	r.Register("a.A", WithCheck("ok", func(context.Context) error { return nil }))
	waitFor(t, "several check results", func() bool { return calls.Load() >= 3 })
	if err := r.Shutdown(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "health check observer panicked") || !strings.Contains(logs.String(), "check observer bug") {
		t.Errorf("the panic was not logged:\n%s", logs.String())
	}
}
