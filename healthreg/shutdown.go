package healthreg

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Stopper is what Shutdown stops; *grpc.Server satisfies it.
type Stopper interface {
	GracefulStop()
	Stop()
}

// Shutdown takes the process out of service and stops srv, in this order:
//
//  1. At once readiness, "" and every service go NOT_SERVING and stay so;
//     checks and the application-port probe (WithAppProbe) stop running (a
//     run or call in flight is cancelled). liveness stays as it is: SERVING
//     unless the server was already down; the process is only leaving.
//  2. srv keeps serving for the drain delay (WithDrainDelay), while load
//     balancers and Kubernetes endpoints catch up; ctx ending cuts the drain
//     short.
//  3. Watch streams on servers where RegisterHealthService put the health
//     service are ended (their last message is the latest status), since
//     they would otherwise hold GracefulStop to its deadline.
//  4. srv.GracefulStop, bounded by the stop timeout (WithStopTimeout); if it
//     is exceeded srv.Stop cancels the RPCs still running.
//  5. liveness goes NOT_SERVING; the health port (ServeHealth) is stopped
//     the same way as srv; Shutdown waits for the checks' schedulers and
//     the probe.
//  6. grpc-go's health server is shut down, which freezes every status.
//
// It returns a non-nil error only when srv had to be stopped forcibly. srv
// may be nil when the caller stops its server itself; steps 3-4 then only
// end the Watch streams.
//
// Calling Shutdown again, concurrently or later, does not repeat anything: it
// waits for the first call to finish (or for its own ctx) and returns the
// first call's result; its srv is ignored.
func (r *Registry) Shutdown(ctx context.Context, srv Stopper) error {
	r.mu.Lock()
	if r.done != nil {
		done := r.done
		r.mu.Unlock()
		select {
		case <-done:
			return r.doneErr
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.done = make(chan struct{})
	r.shutting = true
	r.beginStop()
	r.recomputeLocked()
	r.mu.Unlock()
	r.deliver()

	log := r.logger()
	log.LogAttrs(ctx, slog.LevelInfo, "health: shutting down; draining", slog.Duration("drain_delay", r.cfg.drainDelay))
	r.drain(ctx)

	r.endAppWatch()
	var err error
	if srv != nil && !stopWithin(srv, r.cfg.stopTimeout) {
		err = fmt.Errorf("healthreg: graceful stop took longer than %v; in-flight RPCs were cancelled", r.cfg.stopTimeout)
		log.LogAttrs(ctx, slog.LevelWarn, "health: forced stop", slog.Any("err", err))
	}

	r.mu.Lock()
	r.live, r.stopped = false, true
	r.recomputeLocked()
	r.portDown = true
	port := r.portSrv
	r.mu.Unlock()
	r.deliver()

	r.endPortWatch()
	if port != nil {
		stopWithin(port, r.cfg.stopTimeout) // only Check and List calls are left: quick
	}
	r.checkers.Wait()

	// Everything is NOT_SERVING already; this makes grpc-go ignore any
	// SetServingStatus that might still come, which is the only reason to
	// call it, and why it comes last: it cannot be undone (Resume would set
	// every name SERVING, so it is never called).
	r.hs.Shutdown()

	r.doneErr = err
	close(r.done)
	return err
}

// drain waits for the drain delay or for ctx, whichever ends first.
func (r *Registry) drain(ctx context.Context) {
	if r.cfg.drainDelay <= 0 {
		return
	}
	t := time.NewTimer(r.cfg.drainDelay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// stopWithin stops srv gracefully, or forcibly once timeout has passed, and
// reports whether the graceful stop finished in time. It returns only after
// GracefulStop has returned (grpc-go's Stop makes a pending GracefulStop
// return), so it leaves no goroutine behind.
func stopWithin(srv Stopper, timeout time.Duration) (graceful bool) {
	stopped := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(stopped)
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-stopped:
		return true
	case <-t.C:
		srv.Stop()
		<-stopped
		return false
	}
}
