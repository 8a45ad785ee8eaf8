package healthreg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// check is one WithCheck of one service: its function, the goroutine that
// schedules it, and its damped result.
type check struct {
	svc  *Service
	name string
	fn   func(context.Context) error
	soon chan struct{} // a pending request for an immediate run (SetReady)

	// Guarded by svc.r.mu.
	passing   bool  // the damped result the service's status uses
	known     bool  // a first result has come in
	failures  int   // consecutive failures so far
	successes int   // consecutive successes so far
	err       error // the latest failure, wrapped with the check's name
}

func newCheck(s *Service, name string, fn func(context.Context) error) *check {
	return &check{
		svc:  s,
		name: name,
		fn:   fn,
		soon: make(chan struct{}, 1),
		err:  fmt.Errorf("check %q: no result yet", name),
	}
}

// runSoon asks for a run now instead of at the next tick. It never blocks:
// a request already pending covers this one.
func (c *check) runSoon() {
	select {
	case c.soon <- struct{}{}:
	default:
	}
}

// run is one call of a check's function, in its own goroutine so that the
// scheduler (and through it the health server) never waits on user code.
type run struct {
	result    chan error // buffered, so an abandoned run can always finish
	cancel    context.CancelFunc
	deadline  *time.Timer
	started   time.Time
	abandoned bool // overran its timeout; its result will be ignored
}

// schedule runs the check at once and then on every tick, until stop is
// closed. It never starts a run while the previous one is still going: a
// run that overruns its timeout is recorded as failing and abandoned, and
// each tick while it still runs records another failure, so a hung check
// holds the service down (whatever the thresholds) without piling up
// goroutines. Only the scheduler is tracked by r.checkers; an abandoned run
// is left to finish on its own.
func (c *check) schedule(stop <-chan struct{}) {
	r := c.svc.r
	defer r.checkers.Done()
	cfg := c.svc.cfg
	ticker := time.NewTicker(cfg.interval)
	defer ticker.Stop()

	var cur *run // the run in flight, nil if none
	tick := func() {
		switch {
		case cur == nil:
			cur = c.start(cfg.timeout)
		case cur.abandoned:
			r.recordCheck(c, cur.started, fmt.Errorf("still running %v after it started: %w",
				time.Since(cur.started).Round(time.Millisecond), context.DeadlineExceeded))
		}
		// Otherwise a run is in flight within its timeout: let it finish.
	}

	tick()
	for {
		var result <-chan error
		var deadline <-chan time.Time
		if cur != nil {
			result = cur.result
			if !cur.abandoned {
				deadline = cur.deadline.C
			}
		}
		select {
		case <-stop:
			c.stopRun(cur)
			return
		case <-ticker.C:
			tick()
		case <-c.soon:
			tick()
		case err := <-result:
			late, started := cur.abandoned, cur.started
			cur.cancel()
			cur.deadline.Stop()
			cur = nil
			if !late { // a late result is stale: the next tick starts afresh
				r.recordCheck(c, started, err)
			}
		case <-deadline:
			cur.abandoned = true
			cur.cancel()
			r.recordCheck(c, cur.started, fmt.Errorf("no result within %v: %w", cfg.timeout, context.DeadlineExceeded))
		}
	}
}

// start calls the check's function in a new goroutine.
func (c *check) start(timeout time.Duration) *run {
	// Read the clock before the timeout's clocks start, so that a run cut
	// off at its timeout is reported (CheckResult.Duration) as taking at
	// least the timeout.
	started := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	cur := &run{
		result:   make(chan error, 1),
		cancel:   cancel,
		deadline: time.NewTimer(timeout),
		started:  started,
	}
	go c.call(ctx, cur.result)
	return cur
}

// call runs the check's function once and sends its result. A panic is the
// check's failure, not the process's: it is recovered, logged with its
// stack, and reported as the run's error. So is runtime.Goexit (t.Fatal or
// t.FailNow in a check shared with tests): it runs the deferred function
// with no panic to recover, and without a result the run would stay in
// flight for ever and hold its service down for good.
func (c *check) call(ctx context.Context, result chan<- error) {
	returned := false
	defer func() {
		if returned {
			return
		}
		p := recover()
		var err error
		switch pe, isErr := p.(error); {
		case p == nil: // Goexit: panic(nil) recovers a *runtime.PanicNilError
			err = errors.New("exited without returning (runtime.Goexit)")
		case isErr:
			err = fmt.Errorf("panicked: %w", pe)
		default:
			err = fmt.Errorf("panicked: %v", p)
		}
		msg := "health check exited without returning"
		if p != nil {
			msg = "health check panicked"
		}
		c.svc.r.logPanic(msg, p, slog.String("service", c.svc.name), slog.String("check", c.name))
		result <- err
	}()
	err := c.fn(ctx)
	returned = true
	result <- err
}

// stopRun ends the run in flight, if any, when Shutdown stops the checks.
// A run within its timeout is cancelled and waited for (at most until its
// deadline), so a check that honours its context leaves no goroutine
// behind; one that does not is abandoned like any other hung run.
func (c *check) stopRun(cur *run) {
	if cur == nil {
		return
	}
	cur.cancel()
	if !cur.abandoned {
		select {
		case <-cur.result:
		case <-cur.deadline.C:
		}
	}
	cur.deadline.Stop()
}

// recordCheck feeds one result of the run started at started into the
// check's damping and, if that flips the check, into the statuses. The
// check observers (WithCheckObserver) hear of the result before the
// transition observers hear of what it changed.
func (r *Registry) recordCheck(c *check, started time.Time, err error) {
	took := time.Since(started)
	r.mu.Lock()
	r.queueCheckLocked(CheckResult{Service: c.svc.name, Check: c.name, Duration: took, Err: err})
	if !r.shutting && c.observe(err) {
		r.recomputeLocked()
	}
	r.mu.Unlock()
	r.deliver()
}

// observe applies one result to the check's damping and reports whether the
// check flipped between passing and failing. The first result counts at
// once; after that it takes cfg.failuresBeforeDown consecutive failures to
// fail and cfg.successesBeforeUp consecutive successes to pass again.
// svc.r.mu must be held.
func (c *check) observe(err error) (flipped bool) {
	cfg := c.svc.cfg
	if err != nil {
		c.err = fmt.Errorf("check %q: %w", c.name, err)
		c.failures++
		c.successes = 0
	} else {
		c.successes++
		c.failures = 0
	}
	was := c.passing
	switch {
	case !c.known:
		c.known = true
		c.passing = err == nil
		return true // the service may leave its "no result yet" state
	case c.passing && c.failures >= cfg.failuresBeforeDown:
		c.passing = false
	case !c.passing && c.successes >= cfg.successesBeforeUp:
		c.passing = true
	}
	return c.passing != was
}
