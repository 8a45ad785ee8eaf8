package healthreg

import (
	"log/slog"
	"time"
)

// CheckResult is one result of one check, as passed to check observers
// (WithCheckObserver): what the check's damping (WithThresholds) is fed.
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
// every check, passing or not, for metrics (see otelhealth). Unlike
// WithObserver's, fn is called on the check's own scheduler goroutine, so
// for several checks concurrently: it must be safe for concurrent use, and
// quick, since the check's next run waits for it. It is never called with
// a registry lock held. A panic in fn is recovered and logged at Error.
func WithCheckObserver(fn func(CheckResult)) Option {
	if fn == nil {
		panic("healthreg: WithCheckObserver(nil)")
	}
	return func(c *config) { c.checkObservers = append(c.checkObservers, fn) }
}

// reportCheck hands one result of c to the check observers.
func (r *Registry) reportCheck(c *check, took time.Duration, err error) {
	if len(r.cfg.checkObservers) == 0 {
		return
	}
	res := CheckResult{Service: c.svc.name, Check: c.name, Duration: took, Err: err}
	for _, fn := range r.cfg.checkObservers {
		// A panic here would otherwise end the process (this is the
		// scheduler's goroutine) or, recovered higher up, the check.
		r.isolate("health check observer", func() { fn(res) },
			slog.String("service", res.Service), slog.String("check", res.Check))
	}
}
