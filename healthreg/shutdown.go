package healthreg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
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
//  4. srv.GracefulStop, and srv.Stop (which cancels the RPCs still running)
//     if it has not finished a little before the stop timeout
//     (WithStopTimeout) is up: a tenth of it, at most a second, is kept for
//     step 5.
//  5. liveness goes NOT_SERVING; the health port (ServeHealth) is stopped
//     the same way, by the end of the stop timeout. The stop timeout so
//     bounds both stops together: Shutdown takes at most the drain delay
//     plus the stop timeout, whatever the clients do. Shutdown waits for
//     the checks' schedulers and the probe, stopped since step 1.
//  6. grpc-go's health server is shut down, which freezes every status;
//     Shutdown waits, until the end of the stop timeout at most, for the
//     observers to have been told of every transition.
//
// It returns a non-nil error only when a server had to be stopped
// forcibly; each forced stop is also logged at Warn. A stop timeout of zero
// stops every server at once (srv.Stop) and is not reported. srv may be nil
// when the caller stops its server itself; steps 3-4 then only end the
// Watch streams.
//
// Calling Shutdown again, concurrently or later, does not repeat the
// sequence: it waits for the first call to finish (or for its own ctx) and
// returns the first call's result. Its srv is stopped all the same: with the
// first call's servers if that call has not reached step 4 yet, else at
// once by this call (with a stop timeout of its own), whose result then
// includes that stop's.
func (r *Registry) Shutdown(ctx context.Context, srv Stopper) error {
	return r.shutdown(ctx, ctx, srv)
}

// shutdown is Shutdown with separate contexts for the drain (drainCtx) and
// for a later call's wait for the first (waitCtx): Serve must wait for the
// whole shutdown even when it skips its own drain.
func (r *Registry) shutdown(drainCtx, waitCtx context.Context, srv Stopper) error {
	r.mu.Lock()
	if r.done != nil {
		return r.joinShutdownLocked(waitCtx, srv)
	}
	r.done = make(chan struct{})
	r.shutting = true
	r.addToStopLocked(srv)
	r.beginStop()
	r.recomputeLocked()
	r.mu.Unlock()
	r.deliver()

	log := r.logger()
	log.LogAttrs(drainCtx, slog.LevelInfo, "health: shutting down; draining", slog.Duration("drain_delay", r.cfg.drainDelay))
	r.drain(drainCtx)

	// One deadline for both stops, so that no client (one that never reads
	// holds a graceful stop to its deadline) can make Shutdown outlast the
	// pod's grace period, which allows for the drain and one stop timeout.
	portDeadline := time.Now().Add(r.cfg.stopTimeout)
	appDeadline := portDeadline.Add(-portStopReserve(r.cfg.stopTimeout))

	r.mu.Lock()
	apps := r.toStop
	r.toStop, r.stoppingApps = nil, true
	r.mu.Unlock()

	r.endAppWatch()
	var errs []error
	if forced := stopAllBy(apps, appDeadline); forced > 0 {
		errs = append(errs, r.forcedStop(drainCtx, "application server", forced))
	}

	r.mu.Lock()
	r.live, r.stopped = false, true
	r.recomputeLocked()
	r.portDown = true
	port := r.portSrv
	r.mu.Unlock()
	r.deliver()

	r.endPortWatch()
	if port != nil && !stopBy(port, portDeadline) {
		errs = append(errs, r.forcedStop(drainCtx, "health port", 1))
	}
	r.checkers.Wait() // stopped in step 1: by now they have had drain and stop to end

	// Everything is NOT_SERVING already; this makes grpc-go ignore any
	// SetServingStatus that might still come, which is the only reason to
	// call it, and why it comes last: it cannot be undone (Resume would set
	// every name SERVING, so it is never called).
	r.hs.Shutdown()

	// The observers hear of the last transitions before Shutdown returns,
	// unless they are still busy at the stop deadline: the time bound
	// holds whatever an observer does.
	r.awaitDelivered(portDeadline)

	err := errors.Join(errs...)
	r.doneErr = err
	close(r.done)
	return err
}

// joinShutdownLocked is a later Shutdown call: it has srv stopped, with the
// first call's servers if they are not being stopped yet, else itself, and
// waits for the first call. r.mu must be held; it is released.
func (r *Registry) joinShutdownLocked(ctx context.Context, srv Stopper) error {
	own := srv != nil && r.stoppingApps
	if !own {
		r.addToStopLocked(srv)
	}
	done := r.done
	r.mu.Unlock()

	var ownErr error
	if own && !stopBy(srv, time.Now().Add(r.cfg.stopTimeout)) {
		ownErr = r.forcedStop(ctx, "application server", 1)
	}
	select {
	case <-done:
		return errors.Join(r.doneErr, ownErr)
	case <-ctx.Done():
		return errors.Join(ctx.Err(), ownErr)
	}
}

// addToStopLocked queues srv for the first Shutdown call to stop, unless
// it is nil or queued already (Serve and the program may both pass the
// same server). r.mu must be held.
func (r *Registry) addToStopLocked(srv Stopper) {
	if srv == nil {
		return
	}
	for _, s := range r.toStop {
		if sameStopper(s, srv) {
			return
		}
	}
	r.toStop = append(r.toStop, srv)
}

// sameStopper reports whether a and b are the same server. Comparing
// interfaces panics for a dynamic type that is not comparable (a struct
// holding a func, say); such values count as different, and are stopped
// once per call, which is harmless.
func sameStopper(a, b Stopper) (same bool) {
	defer func() { _ = recover() }()
	return a == b
}

// forcedStop logs and returns the error for servers that had to be stopped
// forcibly.
func (r *Registry) forcedStop(ctx context.Context, what string, n int) error {
	if n > 1 {
		what = fmt.Sprintf("%d application servers", n)
	}
	err := fmt.Errorf("healthreg: %s: graceful stop did not finish within the stop timeout (%v); in-flight RPCs were cancelled",
		what, r.cfg.stopTimeout)
	r.logger().LogAttrs(ctx, slog.LevelWarn, "health: forced stop", slog.String("server", what), slog.Any("err", err))
	return err
}

// portStopReserve is the part of the stop timeout kept for the health
// port, whose stop starts only when the application server's has ended:
// a tenth, at most a second. Once the application server is down the port
// only has Check and List calls to finish, which are quick.
func portStopReserve(stopTimeout time.Duration) time.Duration {
	return min(stopTimeout/10, time.Second)
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

// stopAllBy stops every server in srvs at the same time, each by deadline
// (see stopBy), and returns how many had to be stopped forcibly.
func stopAllBy(srvs []Stopper, deadline time.Time) (forced int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, srv := range srvs {
		wg.Go(func() {
			if !stopBy(srv, deadline) {
				mu.Lock()
				forced++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return forced
}

// stopBy stops srv gracefully, or forcibly once deadline has passed, and
// reports whether it did not have to force it. A deadline already passed
// (a zero stop timeout) stops srv at once, as asked, and counts as
// graceful. It returns only after GracefulStop has returned (grpc-go's Stop
// makes a pending GracefulStop return), so it leaves no goroutine behind.
func stopBy(srv Stopper, deadline time.Time) (graceful bool) {
	wait := time.Until(deadline)
	if wait <= 0 {
		srv.Stop()
		return true
	}
	stopped := make(chan struct{})
	go func() {
		srv.GracefulStop()
		close(stopped)
	}()
	t := time.NewTimer(wait)
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
