package healthreg

import (
	"log/slog"
	"time"
)

// CheckResult is one result of one check, as passed to check observers
// (WithCheckObserver): what the check's damping (CheckSchedule) is fed.
type CheckResult struct {
	// Service is the name the check's service was registered under.
	Service string

	// Check is the check's name (WithCheck).
	Check string

	// Duration is how long the run took. For a run that overran its
	// timeout it is the time from its start until it was counted as failed
	// (at the timeout, and at each later tick while it still runs).
	Duration time.Duration

	// Err is nil for a passing run; otherwise the check's error, or why the
	// run failed: it panicked, it exited without returning, or it gave no
	// result within its timeout (then errors.Is(Err,
	// context.DeadlineExceeded)).
	Err error
}

// WithCheckObserver adds fn to the functions told about every result of
// every check, passing or not, for metrics (see otelhealth). Like
// WithObserver's, fn is called on the registry's delivery goroutine, one
// result at a time, in order (each result before the transitions it
// caused), without any registry lock held; no check waits for it. While
// fn is slow, up to 1024 results queue and later ones are dropped (a
// warning counts them). A panic in fn is recovered and logged at Error
// (rate-limited).
func WithCheckObserver(fn func(CheckResult)) Option {
	if fn == nil {
		panic("healthreg: WithCheckObserver(nil)")
	}
	return func(c *config) { c.checkObservers = append(c.checkObservers, fn) }
}

// observeCheck hands one result to the check observers.
func (r *Registry) observeCheck(res CheckResult) {
	for _, fn := range r.cfg.checkObservers {
		r.isolate("health check observer", func() { fn(res) },
			slog.String("service", res.Service), slog.String("check", res.Check))
	}
}
