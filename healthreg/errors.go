package healthreg

import "errors"

// Reasons for NOT_SERVING that come from the registry itself rather than from
// a service or a check. They appear as Transition.Err (possibly wrapped), so
// observers can tell a planned state (not ready yet, shutting down) from a
// failure with errors.Is.
var (
	// ErrNotReady: SetReady has not been called yet.
	ErrNotReady = errors.New("healthreg: not ready")

	// ErrShuttingDown: Shutdown has begun. ServeHealth also returns it when the
	// health port has already been stopped.
	ErrShuttingDown = errors.New("healthreg: shutting down")

	// ErrNotLive: the application server is not serving (not started yet, or
	// stopped), or it serves but does not answer (WithAppProbe). It is the
	// only reason liveness is ever NOT_SERVING, and once the registry is
	// ready it takes readiness, "" and every service down too.
	ErrNotLive = errors.New("healthreg: application server is not serving")
)

// errReportedNotServing is the reason when SetServing(false, nil) gave none.
var errReportedNotServing = errors.New("reported not serving")
