package healthreg

import (
	"context"
	"log/slog"
	"runtime/debug"

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

// queueLocked queues t for delivery, coalesced with the name's transition
// already queued if there is one: that one keeps its place and its From,
// and takes t's To and Err. The queue so holds at most one transition per
// name however slow the observers are, and what an observer is told about
// a name is still a chain (each From is the previous To it was told). A
// name whose queued changes return it to where it was (From == To) is not
// reported at all. r.mu must be held.
func (r *Registry) queueLocked(t Transition) {
	if i, ok := r.queued[t.Name]; ok {
		r.pending[i].To, r.pending[i].Err = t.To, t.Err
		return
	}
	r.queued[t.Name] = len(r.pending)
	r.pending = append(r.pending, t)
}

// deliver logs queued transitions and hands them to the observers, one at a
// time and in order, without holding r.mu (so observers may call back into
// the Registry). Whoever changes a status calls deliver after unlocking; if
// another goroutine is already delivering, it picks up the new transitions
// too, so a caller never waits behind a slow observer it did not need, and a
// re-entrant call from an observer cannot deadlock.
func (r *Registry) deliver() {
	for r.delivering.CompareAndSwap(false, true) {
		r.deliverPending()

		// A transition queued between our last look and the end of
		// deliverPending was left to us by a goroutine that saw delivering
		// set: look again.
		r.mu.Lock()
		more := len(r.pending) > 0
		r.mu.Unlock()
		if !more {
			return
		}
	}
}

// deliverPending delivers until the queue is empty. It clears delivering
// however it ends, so that even a logger that panics, or an observer that
// calls runtime.Goexit, leaves delivery to the next caller rather than
// stuck for good.
func (r *Registry) deliverPending() {
	defer r.delivering.Store(false)
	for {
		r.mu.Lock()
		batch := r.pending
		r.pending = nil
		clear(r.queued)
		r.mu.Unlock()
		if len(batch) == 0 {
			return
		}
		for _, t := range batch {
			if t.From != t.To {
				r.report(t)
			}
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
		r.observe(fn, t)
	}
}

// observe calls one observer with one transition. An observer's panic is
// its own failure, not the caller's (who may be Shutdown, a check's
// scheduler or any SetServing): it is recovered and logged with its stack,
// and delivery goes on with the next observer and transition.
func (r *Registry) observe(fn func(Transition), t Transition) {
	r.isolate("health observer", func() { fn(t) },
		slog.String("name", t.Name), slog.String("to", t.To.String()))
}

// isolate runs fn, a user's callback, and recovers and logs (at Error, with
// attrs and the stack) a panic in it, or its runtime.Goexit, which ends the
// calling goroutine all the same but is then at least logged.
func (r *Registry) isolate(what string, fn func(), attrs ...slog.Attr) {
	returned := false
	defer func() {
		if returned {
			return
		}
		p := recover()
		msg := what + " panicked"
		if p == nil { // runtime.Goexit: panic(nil) recovers a *runtime.PanicNilError
			msg = what + " exited without returning (runtime.Goexit)"
		}
		attrs = append(attrs, slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
		r.logger().LogAttrs(context.Background(), slog.LevelError, msg, attrs...)
	}()
	fn()
	returned = true
}
