package healthreg

import (
	"context"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// Watcher returns grpc.health.v1.Health/Watch for one endpoint of a server
// other than grpc-go's (connecthealth calls it once per handler). The
// function it returns calls send with name's status at once and after
// every change, exactly as the registry's own Watch streams see them
// (SERVICE_UNKNOWN for a name not registered, which a later Register
// changes; a fast burst may be coalesced, but the last status sent is
// always the latest). It returns:
//
//   - ctx.Err() when ctx ends (the client left);
//   - send's error when send fails;
//   - ErrShuttingDown when Shutdown ends the streams, just before it stops
//     the application server (step 3), after send has been given the
//     latest status. Answer it as UNAVAILABLE so clients reconnect
//     elsewhere;
//   - at once, an error whose gRPC status (status.FromError) is
//     INVALID_ARGUMENT (a name longer than MaxNameLength) or
//     RESOURCE_EXHAUSTED (too many Watch streams): the bounds of grpc-go's
//     Watch apply here too. Each Watcher has a Watch budget of its own
//     (WithMaxWatches), so clients who fill one endpoint never refuse a
//     Watch on another.
func (r *Registry) Watcher() func(ctx context.Context, name string, send func(healthpb.HealthCheckResponse_ServingStatus) error) error {
	h := &healthServer{Server: r.hs, r: r, end: r.appWatch, budget: r.newAppBudget()}
	return func(ctx context.Context, name string, send func(healthpb.HealthCheckResponse_ServingStatus) error) error {
		s := &funcStream{ctx: ctx, send: send}
		err := h.Watch(&healthpb.HealthCheckRequest{Service: name}, s)
		switch {
		case s.err != nil:
			return s.err
		case ctx.Err() != nil:
			return ctx.Err()
		case r.appWatch.Err() != nil:
			return ErrShuttingDown
		}
		return err
	}
}

// funcStream is a Watch stream whose messages go to a function. grpc-go's
// health server uses only Context and Send; the rest of grpc.ServerStream
// does nothing.
type funcStream struct {
	ctx  context.Context
	send func(healthpb.HealthCheckResponse_ServingStatus) error
	err  error // send's first error
}

func (s *funcStream) Send(m *healthpb.HealthCheckResponse) error {
	if err := s.send(m.GetStatus()); err != nil {
		s.err = err
		return err
	}
	return nil
}

func (s *funcStream) Context() context.Context     { return s.ctx }
func (s *funcStream) SetHeader(metadata.MD) error  { return nil }
func (s *funcStream) SendHeader(metadata.MD) error { return nil }
func (s *funcStream) SetTrailer(metadata.MD)       {}
func (s *funcStream) SendMsg(any) error            { return nil }
func (s *funcStream) RecvMsg(any) error            { return nil }
