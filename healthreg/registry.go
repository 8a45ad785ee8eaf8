package healthreg

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// servingStatus shortens the generated enum's name inside the package.
type servingStatus = healthpb.HealthCheckResponse_ServingStatus

const (
	serving    = healthpb.HealthCheckResponse_SERVING
	notServing = healthpb.HealthCheckResponse_NOT_SERVING
	unknown    = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
)

// listLimit is grpc-go's maxAllowedServices: List answers RESOURCE_EXHAUSTED
// when the health server knows more names than this.
const listLimit = 100

// Registry owns the health-check names of one process and keeps grpc-go's
// health server (which answers Check, Watch and List) in step with them.
// Create it with New; it is safe for concurrent use.
type Registry struct {
	cfg config
	hs  *health.Server // the only place statuses are served from

	mu           sync.Mutex
	services     map[string]*Service
	order        []*Service               // registration order, for stable output
	status       map[string]servingStatus // what hs was last told, per name
	pending      []Transition             // not yet delivered to log and observers; one per name
	queued       map[string]int           // index in pending of each name's transition
	ready        bool                     // SetReady was called
	live         bool                     // the application server is serving
	probeErr     error                    // why the application port fails its probe; nil if it answers
	shutting     bool                     // Shutdown has begun
	stopped      bool                     // Shutdown has stopped the application server
	toStop       []Stopper                // servers passed to Shutdown (and Serve) to stop
	stoppingApps bool                     // Shutdown has taken toStop: later servers stop themselves
	portSrv      *grpc.Server             // ServeHealth's server, made on first use
	portBounds   *portBounds              // portSrv's bounds on connections and calls
	portDown     bool                     // Shutdown has stopped portSrv
	done         chan struct{}            // closed when Shutdown has finished
	doneErr      error                    // Shutdown's result, set before done closes

	checkQueue    []CheckResult // not yet delivered to the check observers
	checksDropped int           // results dropped while checkQueue was full
	delivering    bool          // a goroutine is delivering what is queued
	delivered     chan struct{} // closed when that goroutine is done
	panicLog      logLimit      // panics of observers and checks logged with their stacks
	// Open Watch streams, each budget bounded by cfg.maxWatches: one per
	// server RegisterHealthService registered on and per Watcher (each
	// counting into appWatches too), one for the health port. Nothing
	// holds the application side's budgets but their endpoints, so a
	// Watcher built per request is collected with it.
	appWatches  atomic.Int64
	portWatches watchBudget

	// stopping is done once Shutdown begins: it stops the checks and the
	// application-port probe and cancels the probe's call in flight.
	stopping  context.Context
	beginStop context.CancelFunc
	checkers  sync.WaitGroup // one per check's scheduler goroutine, one for the probe

	// Watch streams never end on their own, and GracefulStop waits for every
	// open stream, so Shutdown ends them through these contexts just before
	// stopping each server (see healthServer.Watch).
	appWatch, portWatch       context.Context
	endAppWatch, endPortWatch context.CancelFunc
}

// New returns a Registry with liveness, readiness and "" NOT_SERVING: nothing
// is SERVING until the application server serves (Serve or SetLive) and
// SetReady is called.
func New(opts ...Option) *Registry {
	r := &Registry{
		cfg:      defaultConfig(),
		hs:       health.NewServer(),
		services: make(map[string]*Service),
		status:   make(map[string]servingStatus),
		queued:   make(map[string]int),
	}
	for _, o := range opts {
		o(&r.cfg)
	}
	r.stopping, r.beginStop = context.WithCancel(context.Background())
	r.appWatch, r.endAppWatch = context.WithCancel(context.Background())
	r.portWatch, r.endPortWatch = context.WithCancel(context.Background())

	// grpc-go's NewServer starts "" SERVING; recompute overrides it before
	// the server can be registered anywhere, so no client ever sees it.
	r.mu.Lock()
	r.recomputeLocked()
	r.mu.Unlock()
	r.deliver()
	return r
}

// Register adds a health-check name, NOT_SERVING until the registry is live
// and ready and its checks pass. Its checks start at once, so their first results are
// in by the time SetReady is called. Register services before SetReady:
// one registered later with checks makes readiness NOT_SERVING until its
// first round of checks passes.
//
// Register panics, like grpc.Server.RegisterService, on programming errors: a
// name already registered, a reserved name (LivenessName, ReadinessName,
// ""), a name
// longer than MaxNameLength bytes, or a call after Shutdown has begun.
func (r *Registry) Register(name string, opts ...ServiceOption) *Service {
	if isReservedName(name) {
		panic(fmt.Sprintf("healthreg: Register(%q): the name is reserved", name))
	}
	s := &Service{r: r, name: name, cfg: r.cfg.checks, reported: true}
	for _, o := range opts {
		o(s)
	}

	r.mu.Lock()
	if msg := r.refuseLocked(name); msg != "" {
		r.mu.Unlock()
		panic(msg)
	}
	r.services[name] = s
	r.order = append(r.order, s)
	r.recomputeLocked()
	if len(r.status) == listLimit+1 {
		r.logger().Warn("healthreg: more than 100 health-check names; List now answers RESOURCE_EXHAUSTED (Check and Watch are unaffected)",
			slog.Int("names", len(r.status)))
	}
	for _, c := range s.checks {
		r.checkers.Add(1)
		go c.schedule(r.stopping.Done())
	}
	r.mu.Unlock()
	r.deliver()
	return s
}

// refuseLocked says why name cannot be registered now, or "" if it can.
func (r *Registry) refuseLocked(name string) string {
	switch {
	case r.shutting:
		return fmt.Sprintf("healthreg: Register(%q) after Shutdown began", name)
	case r.services[name] != nil:
		return fmt.Sprintf("healthreg: Register(%q): already registered", name)
	case len(name) > MaxNameLength:
		return fmt.Sprintf("healthreg: Register(%.64q...): the name is %d bytes, longer than MaxNameLength (%d)", name, len(name), MaxNameLength)
	}
	return ""
}

// SetReady declares the process ready for traffic: from now on each service
// is SERVING when its report and checks allow, and readiness follows them.
// It also runs every check once more at once, so readiness reflects fresh
// results rather than the ones from registration. Serve calls it once the
// application server is accepting connections. It is a no-op after the
// first call and after Shutdown has begun; there is no way back to "not
// ready" short of Shutdown: use a service's SetServing for temporary outages.
func (r *Registry) SetReady() {
	r.mu.Lock()
	defer r.deliver() // runs after the Unlock below
	defer r.mu.Unlock()
	if r.ready || r.shutting {
		return
	}
	r.ready = true
	r.recomputeLocked()
	for _, s := range r.order {
		for _, c := range s.checks {
			c.runSoon()
		}
	}
}

// SetLive reports whether the application's gRPC server is serving; it sets
// liveness, which readiness, "" and every service require too. Serve calls
// it: true once the server accepts connections, false when the server's
// Serve returns. Call it yourself only when you run the server without
// Registry.Serve, and then call it with false when the server's Serve
// returns, so a dead application port cannot hide behind a healthy health
// port (ServeHealth). Once Shutdown has stopped the server, liveness stays
// NOT_SERVING.
func (r *Registry) SetLive(live bool) {
	r.mu.Lock()
	if !r.stopped {
		r.live = live
		r.recomputeLocked()
	}
	r.mu.Unlock()
	r.deliver()
}

// Status returns the status the health service currently reports for name,
// SERVICE_UNKNOWN if the name is not known: for tests and logging.
func (r *Registry) Status(name string) healthpb.HealthCheckResponse_ServingStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	if st, ok := r.status[name]; ok {
		return st
	}
	return unknown
}

// newAppBudget returns a Watch budget for one more endpoint of the
// application side.
func (r *Registry) newAppBudget() *watchBudget {
	return &watchBudget{side: &r.appWatches}
}

// logger returns the configured logger, or the default one as it is now.
func (r *Registry) logger() *slog.Logger {
	if r.cfg.logger != nil {
		return r.cfg.logger
	}
	return slog.Default()
}
