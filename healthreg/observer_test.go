package healthreg

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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
	r.SetLive(true)
	r.SetReady()
	a.SetServing(false, nil)
	a.SetServing(true, nil)
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
	if got := strings.Count(logs.String(), "health observer panicked"); got != len(all) || !strings.Contains(logs.String(), "observer bug") {
		t.Errorf("%d panics logged, want %d with the panic's value:\n%s", got, len(all), logs.String())
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
		r.SetReady() // delivers a.A going SERVING: the observer blocks
		close(ready)
	}()
	<-entered

	for i := range 100_000 {
		a.SetServing(i%2 == 1, nil) // returns at once: another goroutine delivers
	}
	r.mu.Lock()
	queued := len(r.pending)
	r.mu.Unlock()
	if queued > 4 { // liveness, readiness, "" and a.A
		t.Errorf("%d transitions queued, want at most one per name (4)", queued)
	}

	close(block)
	<-ready
	for _, name := range []string{LivenessName, ReadinessName, OverallName, "a.A"} {
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
		WithCheckInterval(time.Millisecond),
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
