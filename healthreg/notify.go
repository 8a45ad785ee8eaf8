package healthreg

import (
	"context"
	"log/slog"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Transition is one change of one name's status, as logged and passed to
// observers (WithObserver).
type Transition struct {
	// Name is the health-check name: a service's, LivenessName,
	// ReadinessName or OverallName ("").
	Name string

	// From is the previous status; SERVICE_UNKNOWN when the name first
	// appears (what Watch reported for it until then).
	From healthpb.HealthCheckResponse_ServingStatus

	// To is the new status.
	To healthpb.HealthCheckResponse_ServingStatus

	// Err says why To is not SERVING; nil when it is. It wraps ErrNotReady,
	// ErrShuttingDown or ErrNotLive for the registry's own states, the reason
	// given to SetServing, or a check's failure (a panic, a timeout, or the
	// check's error), wrapped with the check's and service's names.
	Err error
}

// deliver logs queued transitions and hands them to the observers, one at a
// time and in order, without holding r.mu (so observers may call back into
// the Registry). Whoever changes a status calls deliver after unlocking; if
// another goroutine is already delivering, it picks up the new transitions
// too, so a caller never waits behind a slow observer it did not need, and a
// re-entrant call from an observer cannot deadlock.
func (r *Registry) deliver() {
	for r.delivering.CompareAndSwap(false, true) {
		for {
			r.mu.Lock()
			batch := r.pending
			r.pending = nil
			r.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for _, t := range batch {
				r.report(t)
			}
		}
		r.delivering.Store(false)

		// A transition queued between our last look and the Store above was
		// left to us by a goroutine that saw delivering set: look again.
		r.mu.Lock()
		more := len(r.pending) > 0
		r.mu.Unlock()
		if !more {
			return
		}
	}
}

// report logs one transition and calls the observers.
func (r *Registry) report(t Transition) {
	attrs := []slog.Attr{
		slog.String("name", t.Name),
		slog.String("from", t.From.String()),
		slog.String("to", t.To.String()),
	}
	if t.Err != nil {
		attrs = append(attrs, slog.Any("err", t.Err))
	}
	r.logger().LogAttrs(context.Background(), slog.LevelInfo, "health status changed", attrs...)
	for _, fn := range r.cfg.observers {
		fn(t)
	}
}
