package healthreg

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Transition is one change of one name's status, as logged and passed to
// observers (WithObserver).
type Transition struct {
	// Name is the health-check name: a service's, LivenessName,
	// ReadinessName or "" (what clients ask when they name no service).
	Name string

	// From is the previous status; SERVICE_UNKNOWN when the name first
	// appears (what Watch reported for it until then).
	From healthpb.HealthCheckResponse_ServingStatus

	// To is the new status.
	To healthpb.HealthCheckResponse_ServingStatus

	// Err says why To is not SERVING; nil when it is: the registry's own
	// state (not ready yet, ErrShuttingDown, the application server not
	// serving or not answering), the reason given to SetServing, or a
	// check's failure (a panic, a timeout, or the check's error), wrapped
	// with the check's and service's names.
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

// maxQueuedChecks bounds the check results waiting for the check
// observers; while it is full, further results are dropped, and counted
// in the log.
const maxQueuedChecks = 1024

// queueCheckLocked queues res for the check observers. r.mu must be held.
func (r *Registry) queueCheckLocked(res CheckResult) {
	if len(r.cfg.checkObservers) == 0 {
		return
	}
	if len(r.checkQueue) >= maxQueuedChecks {
		r.checksDropped++
		return
	}
	r.checkQueue = append(r.checkQueue, res)
}

// deliver makes sure a goroutine of its own delivers what is queued: it
// logs the transitions and hands check results and transitions to the
// observers, one at a time and in order, without holding r.mu (so
// observers may call back into the Registry). Whoever changes a status
// calls deliver after unlocking and returns at once: no observer, however
// slow, holds up a status change, New or Shutdown (which waits for the
// queue only until its stop deadline).
func (r *Registry) deliver() {
	r.mu.Lock()
	r.startDeliveryLocked()
	r.mu.Unlock()
}

// startDeliveryLocked starts the delivery goroutine if something is
// queued and none runs. r.mu must be held.
func (r *Registry) startDeliveryLocked() {
	if r.delivering || len(r.pending)+len(r.checkQueue)+r.checksDropped == 0 {
		return
	}
	r.delivering = true
	r.delivered = make(chan struct{})
	go r.deliverQueued(r.delivered)
}

// deliverQueued delivers until the queue is empty, then closes idle. It
// hands over to a new goroutine whatever was queued after its last look,
// and whatever is left when an observer ends it with runtime.Goexit.
func (r *Registry) deliverQueued(idle chan struct{}) {
	defer func() {
		r.mu.Lock()
		r.delivering = false
		close(idle)
		r.startDeliveryLocked()
		r.mu.Unlock()
	}()
	for {
		r.mu.Lock()
		batch, checks, dropped := r.pending, r.checkQueue, r.checksDropped
		r.pending, r.checkQueue, r.checksDropped = nil, nil, 0
		clear(r.queued)
		r.mu.Unlock()
		if len(batch)+len(checks)+dropped == 0 {
			return
		}
		if dropped > 0 {
			r.logger().LogAttrs(context.Background(), slog.LevelWarn,
				"health check observers are too slow: check results dropped", slog.Int("dropped", dropped))
		}
		// The check observers hear of a result before the transition
		// observers hear of what it changed.
		for _, res := range checks {
			r.observeCheck(res)
		}
		for _, t := range batch {
			if t.From != t.To {
				r.report(t)
			}
		}
	}
}

// awaitDelivered waits until everything queued so far has been
// delivered, or until deadline.
func (r *Registry) awaitDelivered(deadline time.Time) {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		r.mu.Lock()
		idle, busy := r.delivered, r.delivering
		r.mu.Unlock()
		if !busy {
			return
		}
		select {
		case <-idle:
		case <-t.C:
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
		r.observe(fn, t)
	}
}

// observe calls one observer with one transition. An observer's panic is
// its own failure, not the registry's: it is recovered and logged with its
// stack, and delivery goes on with the next observer and transition.
func (r *Registry) observe(fn func(Transition), t Transition) {
	r.isolate("health observer", func() { fn(t) },
		slog.String("name", t.Name), slog.String("to", t.To.String()))
}

// isolate runs fn, a user's callback, and recovers and logs (at Error, with
// attrs and the stack; see logPanic) a panic in it, or its
// runtime.Goexit, which ends the calling goroutine all the same but is
// then at least logged.
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
		r.logPanic(msg, p, attrs...)
	}()
	fn()
	returned = true
}

// logPanic logs a recovered panic at Error with its stack, rate-limited
// (panicLogBurst at once, then one per panicLogEvery): an observer or a
// check that panics on every call would otherwise log a stack trace per
// flap, megabytes a second. The next message logged says how many were
// left out.
func (r *Registry) logPanic(msg string, p any, attrs ...slog.Attr) {
	left, ok := r.panicLog.allow(time.Now())
	if !ok {
		return
	}
	if p != nil {
		attrs = append(attrs, slog.Any("panic", p))
	}
	attrs = append(attrs, slog.String("stack", string(debug.Stack())))
	if left > 0 {
		attrs = append(attrs, slog.Int("panics_not_logged", left))
	}
	r.logger().LogAttrs(context.Background(), slog.LevelError, msg, attrs...)
}

const (
	panicLogBurst = 5
	panicLogEvery = time.Minute
)

// logLimit is a token bucket for panic logs.
type logLimit struct {
	mu      sync.Mutex
	tokens  float64
	last    time.Time // of the last refill
	skipped int       // since the last message logged
}

// allow reports whether to log a message now, and how many were skipped
// since the last one logged.
func (l *logLimit) allow(now time.Time) (skipped int, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last.IsZero() {
		l.tokens = panicLogBurst
	} else {
		l.tokens = min(panicLogBurst, l.tokens+float64(now.Sub(l.last))/float64(panicLogEvery))
	}
	l.last = now
	if l.tokens < 1 {
		l.skipped++
		return 0, false
	}
	l.tokens--
	skipped, l.skipped = l.skipped, 0
	return skipped, true
}
