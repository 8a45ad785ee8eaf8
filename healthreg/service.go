package healthreg

import (
	"context"
	"fmt"
)

// Service is one registered health-check name, usually a gRPC service's full
// name. Its status is SERVING exactly when liveness is SERVING, the
// registry is ready and not shutting down, its own SetServing report is
// true, and all its checks pass.
type Service struct {
	r        *Registry
	name     string
	excluded bool        // does not count toward readiness
	cfg      checkConfig // how its checks are scheduled; fixed at Register
	checks   []*check    // fixed at Register

	// Guarded by r.mu.
	reported  bool  // the last SetServing report; true until told otherwise
	reportErr error // why reported is false
}

// SetServing is the service's own report of its health, combined (AND) with
// the registry's readiness and the service's checks: false makes the service
// NOT_SERVING with reason as Transition.Err; true lets it be SERVING if the
// rest allows. The report is kept through Shutdown but no longer matters:
// after Shutdown begins the service stays NOT_SERVING.
func (s *Service) SetServing(serving bool, reason error) {
	r := s.r
	r.mu.Lock()
	s.reported = serving
	s.reportErr = nil
	if !serving {
		s.reportErr = reason
		if reason == nil {
			s.reportErr = errReportedNotServing
		}
	}
	r.recomputeLocked()
	r.mu.Unlock()
	r.deliver()
}

// ServiceOption configures one service; pass options to Register. Invalid
// values panic when the option is built, like Option.
type ServiceOption func(*Service)

// WithCheck adds a check named name to the service; repeat it for several
// checks. fn is called on the service's check interval with a context that
// ends after the check timeout; a nil error means passing. The service is
// SERVING only while all its checks pass. A run that panics, or calls
// runtime.Goexit, is recovered and fails; a run that ignores its context
// and overruns the timeout fails and is abandoned (see the package
// documentation).
func WithCheck(name string, fn func(context.Context) error) ServiceOption {
	if fn == nil {
		panic(fmt.Sprintf("healthreg: WithCheck(%q, nil)", name))
	}
	return func(s *Service) {
		for _, c := range s.checks {
			if c.name == name {
				panic(fmt.Sprintf("healthreg: Register(%q): two checks named %q", s.name, name))
			}
		}
		s.checks = append(s.checks, newCheck(s, name, fn))
	}
}

// ExcludeFromReadiness keeps the service's own status but leaves it out of
// readiness and "": for a service whose failure should not take the whole
// process out of load balancing (an optional feature, an admin API).
func ExcludeFromReadiness() ServiceOption {
	return func(s *Service) { s.excluded = true }
}

// WithServiceChecks overrides WithChecks for this service: the fields it
// sets (see CheckSchedule) replace the registry's.
func WithServiceChecks(sched CheckSchedule) ServiceOption {
	sched.mustBeValid("WithServiceChecks")
	return func(s *Service) { sched.applyTo(&s.cfg) }
}
