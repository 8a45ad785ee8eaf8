package healthreg

import "errors"

// ErrShuttingDown is returned by Serve and ServeHealth called once Shutdown
// has begun (or has stopped the health port), and by a Watcher's function
// when Shutdown ends the streams. Transition.Err wraps it from the moment
// Shutdown begins, so an observer can tell a planned departure from a
// failure with errors.Is.
var ErrShuttingDown = errors.New("healthreg: shutting down")

// The registry's other reasons for NOT_SERVING, as Transition.Err (possibly
// wrapped). Unexported: no caller needs to match them, and their text says
// why.
var (
	// errNotReady: SetReady has not been called yet.
	errNotReady = errors.New("healthreg: not ready")

	// errNotLive: the application server is not serving (not started yet, or
	// stopped), or it serves but does not answer (WithAppProbe). It is the
	// only reason liveness is ever NOT_SERVING, and once the registry is
	// ready it takes readiness, "" and every service down too.
	errNotLive = errors.New("healthreg: application server is not serving")
)

// errReportedNotServing is the reason when SetServing(false, nil) gave none.
var errReportedNotServing = errors.New("reported not serving")
