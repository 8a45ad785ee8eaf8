package healthreg

import (
	"errors"
	"fmt"
)

// The rules that turn the registry's state into a status per name live here
// and nowhere else. Every state change (a report, a check result, SetReady,
// SetLive, a probe result, Register, Shutdown) calls recomputeLocked, which
// derives every name's status afresh and pushes the ones that changed to
// grpc-go's health server; deriving instead of patching keeps the rules in
// one place.

// recomputeLocked brings every name up to date. r.mu must be held.
func (r *Registry) recomputeLocked() {
	live := statusOf(r.liveErrLocked())
	// Everything else needs the application server too: a health port must
	// not report a process ready whose application port is dead.
	up := r.ready && !r.shutting && live == serving
	readiness := serving
	if !up {
		readiness = notServing
	}
	services := make([]servingStatus, len(r.order))
	for i, s := range r.order {
		services[i] = statusOf(r.serviceErrLocked(s))
		if services[i] != serving && !s.excluded {
			readiness = notServing
		}
	}

	// Order the updates so that no client ever sees a name SERVING while one
	// it depends on is NOT_SERVING: liveness comes up first and goes down
	// last; readiness goes down before the services it counts and comes up
	// after them.
	if live == serving {
		r.setLocked(LivenessName, live, r.liveErrLocked)
	}
	if readiness == notServing {
		r.setAggregatesLocked(readiness)
	}
	for i, s := range r.order {
		r.setLocked(s.name, services[i], func() error { return r.serviceErrLocked(s) })
	}
	if readiness == serving {
		r.setAggregatesLocked(readiness)
	}
	if live != serving {
		r.setLocked(LivenessName, live, r.liveErrLocked)
	}
}

// setAggregatesLocked sets readiness and "", which are always equal.
func (r *Registry) setAggregatesLocked(st servingStatus) {
	r.setLocked(ReadinessName, st, r.readinessErrLocked)
	r.setLocked(overallName, st, r.readinessErrLocked)
}

// setLocked records name's status, tells grpc-go's health server (which
// wakes the name's Watch streams) and queues the transition. The reason is
// computed only for a transition, since building it can allocate.
func (r *Registry) setLocked(name string, st servingStatus, reason func() error) {
	old, known := r.status[name]
	if known && old == st {
		return
	}
	if !known {
		old = unknown // what Watch reported for the name until now
	}
	r.status[name] = st
	r.hs.SetServingStatus(name, st)
	t := Transition{Name: name, From: old, To: st}
	if st != serving {
		t.Err = reason()
	}
	r.queueLocked(t)
}

// registryErrLocked says why no service nor readiness can be SERVING, or
// nil. It names one reason, the first of shutting down, not ready, not live:
// before Serve both of the last two hold, and "not ready" is what a reader
// of the transition log expects at start-up.
func (r *Registry) registryErrLocked() error {
	switch {
	case r.shutting:
		return ErrShuttingDown
	case !r.ready:
		return errNotReady
	}
	return r.liveErrLocked()
}

// serviceErrLocked says why s is not SERVING, or nil if it is.
func (r *Registry) serviceErrLocked(s *Service) error {
	if err := r.registryErrLocked(); err != nil {
		return err
	}
	if !s.reported {
		return s.reportErr
	}
	var failing []error
	for _, c := range s.checks {
		if !c.passing {
			failing = append(failing, c.err)
		}
	}
	if len(failing) == 1 {
		return failing[0] // errors.Join would hide it behind a wrapper
	}
	return errors.Join(failing...)
}

// readinessErrLocked says why readiness is not SERVING, or nil if it is.
func (r *Registry) readinessErrLocked() error {
	if err := r.registryErrLocked(); err != nil {
		return err
	}
	var down []error
	for _, s := range r.order {
		if err := r.serviceErrLocked(s); err != nil && !s.excluded {
			down = append(down, fmt.Errorf("service %q: %w", s.name, err))
		}
	}
	return errors.Join(down...)
}

// liveErrLocked says why liveness is not SERVING, or nil if it is: the
// application server is not serving, or it serves but does not answer the
// application-port probe (WithAppProbe).
func (r *Registry) liveErrLocked() error {
	if !r.live {
		return errNotLive
	}
	return r.probeErr
}

func statusOf(reason error) servingStatus {
	if reason != nil {
		return notServing
	}
	return serving
}
