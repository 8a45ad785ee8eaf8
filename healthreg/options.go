package healthreg

import (
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg/internal/defaults"
)

const (
	// defaultCheckInterval is how often each check runs.
	defaultCheckInterval = 10 * time.Second

	// defaultCheckTimeout is how long one run of a check may take before it
	// counts as failed.
	defaultCheckTimeout = 5 * time.Second
)

// config holds what New's options set; it is read-only after New.
type config struct {
	drainDelay  time.Duration
	stopTimeout time.Duration
	logger      *slog.Logger // nil: slog.Default() at the time of logging
	observers   []func(Transition)
	checks      checkConfig // defaults for every service's checks
	appProbe    *appProbe   // nil: no application-port probe

	checkObservers []func(CheckResult) // WithCheckObserver

	maxWatches int // open Watch streams, on each endpoint

	// The health port's bounds (see portBounds); fixed but for tests.
	healthMaxConns       int
	healthMaxWaiting     int
	healthRequestTimeout time.Duration
}

// checkConfig is how a service's checks are scheduled and damped.
type checkConfig struct {
	interval           time.Duration
	timeout            time.Duration
	failuresBeforeDown int
	successesBeforeUp  int
}

func defaultConfig() config {
	return config{
		drainDelay:  defaults.DrainDelay,
		stopTimeout: defaults.StopTimeout,
		maxWatches:  defaultMaxWatches,

		healthMaxConns:       healthMaxConns,
		healthMaxWaiting:     healthMaxWaiting,
		healthRequestTimeout: healthRequestTimeout,
		checks: checkConfig{
			interval:           defaultCheckInterval,
			timeout:            defaultCheckTimeout,
			failuresBeforeDown: 1,
			successesBeforeUp:  1,
		},
	}
}

// Option configures a Registry; pass options to New. Invalid values panic
// when the option is built, because they are programming errors and the
// panic's stack then points at the offending call.
type Option func(*config)

// WithDrainDelay sets how long Shutdown keeps serving after marking readiness
// NOT_SERVING (default 5s), so that Kubernetes, which removes a terminating
// pod from its endpoints asynchronously, and the load balancers behind it
// stop sending traffic before the server stops accepting it. Zero skips the
// drain.
func WithDrainDelay(d time.Duration) Option {
	mustNotBeNegative("WithDrainDelay", d)
	return func(c *config) { c.drainDelay = d }
}

// WithStopTimeout sets how long Shutdown's graceful stops of the
// application server and the health port may take together before Stop
// (default 15s: with the default drain, 20s in all, under Kubernetes'
// default terminationGracePeriodSeconds of 30s). Zero stops at once,
// cancelling in-flight RPCs.
func WithStopTimeout(d time.Duration) Option {
	mustNotBeNegative("WithStopTimeout", d)
	return func(c *config) { c.stopTimeout = d }
}

// WithLogger sets the logger for status transitions (Info), panicking checks
// (Error) and forced stops (Warn). Nil, the default, means slog.Default() as
// it is when each message is logged, so a later slog.SetDefault is honoured.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.logger = l }
}

// WithObserver adds fn to the functions told about every status transition
// of every name (services, liveness, readiness and ""), including a name's
// first appearance (From is SERVICE_UNKNOWN). Observers are called on a
// goroutine of the registry's, one transition at a time, in the order the
// transitions happened, without any registry lock held, so fn may call the
// Registry. No status change, New or Shutdown waits for fn: while it is
// busy, later transitions queue coalesced per name (a change undone
// meanwhile is not reported), and Shutdown waits for the queue only until
// its stop timeout ends. A panic in fn is recovered and logged at Error
// (rate-limited); delivery goes on.
func WithObserver(fn func(Transition)) Option {
	if fn == nil {
		panic("healthreg: WithObserver(nil)")
	}
	return func(c *config) { c.observers = append(c.observers, fn) }
}

// CheckSchedule is how checks run and how their results are damped, for
// WithChecks (every service) and WithServiceChecks (one service). A zero
// field keeps the value it would otherwise have: the default, or for a
// service what WithChecks set. Negative values panic.
type CheckSchedule struct {
	// Interval is how often each check runs (default 10s).
	Interval time.Duration

	// Timeout is how long one run of a check may take before it counts as
	// failed (default 5s).
	Timeout time.Duration

	// FailuresBeforeDown and SuccessesBeforeUp damp flapping checks: a
	// passing check counts as failing only after FailuresBeforeDown
	// consecutive failures, and a failing one as passing only after
	// SuccessesBeforeUp consecutive successes (defaults 1, 1). A check's
	// first result counts at once, so start-up does not wait several
	// intervals.
	FailuresBeforeDown, SuccessesBeforeUp int
}

// WithChecks sets how every service's checks run (see CheckSchedule);
// WithServiceChecks overrides it for one service.
func WithChecks(s CheckSchedule) Option {
	s.mustBeValid("WithChecks")
	return func(c *config) { s.applyTo(&c.checks) }
}

// applyTo sets cfg's fields that s sets.
func (s CheckSchedule) applyTo(cfg *checkConfig) {
	if s.Interval > 0 {
		cfg.interval = s.Interval
	}
	if s.Timeout > 0 {
		cfg.timeout = s.Timeout
	}
	if s.FailuresBeforeDown > 0 {
		cfg.failuresBeforeDown = s.FailuresBeforeDown
	}
	if s.SuccessesBeforeUp > 0 {
		cfg.successesBeforeUp = s.SuccessesBeforeUp
	}
}

func (s CheckSchedule) mustBeValid(option string) {
	if s.Interval < 0 || s.Timeout < 0 || s.FailuresBeforeDown < 0 || s.SuccessesBeforeUp < 0 {
		panic(fmt.Sprintf("healthreg: %s(%+v): must not be negative", option, s))
	}
}

// WithAppProbe makes Serve check that the application port answers, not
// only that its server runs. From when the server first accepts until
// Shutdown begins, Serve calls grpc.health.v1.Health/Check("liveness") on
// the listener's address every interval, over one connection that it keeps
// while the port answers and dials afresh after a failure (so a recovered
// port is seen at the next call, not after gRPC's reconnect backoff). Any
// answer proves the port alive, including an error chosen by the
// application's interceptors (Unauthenticated, PermissionDenied) and
// Unimplemented from a port without the health service, and even
// UNAVAILABLE or DEADLINE_EXCEEDED when the server itself sends them (a
// load shedder: an overloaded server must not be restarted for shedding).
// Only calls that got nothing from the server (no header, no trailer) and
// ended UNAVAILABLE (the transport failed) or DEADLINE_EXCEEDED (no answer
// within timeout) count: failures of them in a row set liveness, and with
// it everything else, NOT_SERVING; the next answer sets it back if the
// server still serves.
//
// Use it with a health port (ServeHealth), which answers whatever happens
// to the application server: without the probe, a wedged server (a
// deadlocked interceptor, exhausted workers, a stuck transport) whose Serve
// has not returned keeps liveness SERVING, and the kubelet never restarts
// it. The probe dials in plaintext: a TLS application port needs the
// matching grpc.WithTransportCredentials (with a client certificate if the
// port demands one) in dialOpts, or every call fails its handshake and
// liveness goes NOT_SERVING. dialOpts follow the defaults, so they override
// them. A wildcard listener (":50051") is dialled on 127.0.0.1; pass
// grpc.WithContextDialer for one that loopback does not reach. The
// application sees one Check call per interval, with the user agent
// "healthreg-app-probe", through its interceptors.
func WithAppProbe(interval, timeout time.Duration, failures int, dialOpts ...grpc.DialOption) Option {
	mustBePositive("WithAppProbe", interval)
	mustBePositive("WithAppProbe", timeout)
	if failures < 1 {
		panic(fmt.Sprintf("healthreg: WithAppProbe(%d failures): must be at least 1", failures))
	}
	p := &appProbe{interval: interval, timeout: timeout, failures: failures, dialOpts: dialOpts}
	return func(c *config) { c.appProbe = p }
}

func mustNotBeNegative(option string, d time.Duration) {
	if d < 0 {
		panic(fmt.Sprintf("healthreg: %s(%v): must not be negative", option, d))
	}
}

func mustBePositive(option string, d time.Duration) {
	if d <= 0 {
		panic(fmt.Sprintf("healthreg: %s(%v): must be positive", option, d))
	}
}
