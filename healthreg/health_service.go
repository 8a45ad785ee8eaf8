package healthreg

import (
	"context"
	"errors"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthgrpc "google.golang.org/grpc/health/grpc_health_v1"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// RegisterHealthService registers grpc.health.v1.Health, answered by the
// registry's grpc-go health server, on s (usually the application's
// *grpc.Server, before it serves). Its Watch streams are ended by Shutdown
// just before it stops the application server; each server registered on
// has a Watch budget of its own (WithMaxWatches). It also registers the
// readiness RPC for status-code-only checkers
// (statuspb.ReadinessService_Check_FullMethodName).
func (r *Registry) RegisterHealthService(s grpc.ServiceRegistrar) {
	healthgrpc.RegisterHealthServer(s, &healthServer{Server: r.hs, r: r, end: r.appWatch, budget: r.newAppBudget()})
	r.registerReadinessService(s)
}

// ServeHealth serves only the health service (and the readiness RPC), in
// plaintext and without the application's interceptors, on lis: a separate
// health port that probes can reach even when the application port needs
// TLS or authentication. It
// blocks like grpc.Server.Serve and returns nil once Shutdown has stopped it
// (after the application server), or ErrShuttingDown if Shutdown already
// had. Several listeners may be served at once.
//
// Anyone who reaches the port can call it, so its server is built with
// bounds (small requests, few streams per connection, fixed flow-control
// windows, keepalive enforcement; see the package documentation, "Bounds").
//
// The health port keeps answering while the application server is down;
// liveness, which every other name requires, is what tells the truth then
// (see SetLive and Serve). It cannot tell a server that runs but no longer
// answers; WithAppProbe can.
func (r *Registry) ServeHealth(lis net.Listener) error {
	r.mu.Lock()
	if r.portDown {
		r.mu.Unlock()
		lis.Close()
		return ErrShuttingDown
	}
	if r.portSrv == nil {
		r.portBounds = newPortBounds(&r.cfg)
		r.portSrv = grpc.NewServer(healthServerOptions(r.portBounds)...)
		healthgrpc.RegisterHealthServer(r.portSrv, &healthServer{Server: r.hs, r: r, end: r.portWatch, budget: &r.portWatches})
		r.registerReadinessService(r.portSrv)
	}
	srv, conns := r.portSrv, &r.portBounds.conns
	r.mu.Unlock()

	err := srv.Serve(conns.listener(lis))
	if errors.Is(err, grpc.ErrServerStopped) { // Shutdown got there first
		return ErrShuttingDown
	}
	return err
}

// healthServer is grpc-go's health server with two additions, on every
// server the registry's health service is registered on:
//
//   - Check and Watch refuse names longer than MaxNameLength, and Watch
//     refuses a stream beyond its endpoint's budget (WithMaxWatches), before
//     grpc-go's server sees the request (its Watch keeps the name for the
//     stream's life);
//   - a Watch can be ended: grpc-go's Watch returns only when the client
//     goes away, and GracefulStop waits for every open stream, so one
//     watching client (grpc-go's client-side health checking keeps a Watch
//     open per connection) would hold every graceful stop until the stop
//     timeout.
//
// List is grpc-go's own: it takes no name and answers at most listLimit.
type healthServer struct {
	*health.Server
	r      *Registry
	end    context.Context // done when this server's streams must end
	budget *watchBudget    // its endpoint's open Watch streams
}

// Check is grpc-go's Check for a name that could be registered.
func (h *healthServer) Check(ctx context.Context, req *healthpb.HealthCheckRequest) (*healthpb.HealthCheckResponse, error) {
	if err := checkNameLength(req.GetService()); err != nil {
		return nil, err
	}
	return h.Server.Check(ctx, req)
}

// Watch runs grpc-go's Watch until the client leaves or h.end is done; in
// the second case it first makes sure the stream's last message is the
// name's latest status, then ends the stream with UNAVAILABLE so clients
// re-resolve and reconnect elsewhere.
func (h *healthServer) Watch(req *healthpb.HealthCheckRequest, stream healthgrpc.Health_WatchServer) error {
	if err := checkNameLength(req.GetService()); err != nil {
		return err
	}
	if err := h.budget.acquire(h.r.cfg.maxWatches); err != nil {
		return err
	}
	defer h.budget.release()

	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	defer context.AfterFunc(h.end, cancel)()

	w := &watchStream{Health_WatchServer: stream, ctx: ctx}
	err := h.Server.Watch(req, w)
	if h.end.Err() == nil || stream.Context().Err() != nil {
		return err // the client left
	}
	// grpc-go's Watch may have seen the cancellation before a queued update.
	if latest := h.r.Status(req.GetService()); !w.sent || w.last != latest {
		if err := stream.Send(&healthpb.HealthCheckResponse{Status: latest}); err != nil {
			return err
		}
	}
	return status.Error(codes.Unavailable, "healthreg: server is shutting down")
}

// watchStream substitutes a cancellable context for a Watch stream's and
// remembers the last status sent. Only the handler goroutine uses it.
type watchStream struct {
	healthgrpc.Health_WatchServer
	ctx  context.Context
	sent bool
	last healthpb.HealthCheckResponse_ServingStatus
}

func (w *watchStream) Context() context.Context { return w.ctx }

func (w *watchStream) Send(m *healthpb.HealthCheckResponse) error {
	w.sent, w.last = true, m.GetStatus()
	return w.Health_WatchServer.Send(m)
}
