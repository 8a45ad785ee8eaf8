package healthreg

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Check observers see every result: passes, failures with the check's
// error, and a run that overruns its timeout as DeadlineExceeded with a
// duration of at least the timeout.
func TestCheckObserver(t *testing.T) {
	var mu sync.Mutex
	var got []CheckResult
	fail := errors.New("down")
	var calls int
	r := newTestRegistry(t, WithChecks(CheckSchedule{Timeout: 50 * time.Millisecond}), WithCheckObserver(func(res CheckResult) {
		mu.Lock()
		got = append(got, res)
		mu.Unlock()
	}))
	shutdownAtEnd(t, r)
	r.Register("a.A", WithCheck("db", func(ctx context.Context) error {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		switch n {
		case 1:
			return nil
		case 2:
			return fail
		}
		<-ctx.Done() // honours its context, but only after the timeout
		return ctx.Err()
	}))
	waitFor(t, "three results", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 3
	})
	mu.Lock()
	defer mu.Unlock()
	for i, res := range got[:3] {
		if res.Service != "a.A" || res.Check != "db" {
			t.Errorf("result %d names %q/%q, want a.A/db", i, res.Service, res.Check)
		}
	}
	if got[0].Err != nil {
		t.Errorf("first result: %v, want a pass", got[0].Err)
	}
	if !errors.Is(got[1].Err, fail) {
		t.Errorf("second result: %v, want %v", got[1].Err, fail)
	}
	if !errors.Is(got[2].Err, context.DeadlineExceeded) || got[2].Duration < 50*time.Millisecond {
		t.Errorf("third result: %v after %v, want DeadlineExceeded after at least the 50ms timeout", got[2].Err, got[2].Duration)
	}
}
