package healthreg

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg/statuspb"
)

// readinessServer answers the readiness RPC from the registry's statuses;
// RegisterHealthService and ServeHealth register it beside
// grpc.health.v1.Health.
type readinessServer struct {
	statuspb.UnimplementedReadinessServiceServer
	r *Registry
}

// Check succeeds exactly while ReadinessName is SERVING (the status the
// health service reports at this moment), and fails with UNAVAILABLE,
// saying why, otherwise: before the server serves and SetReady, while a
// service that counts toward readiness is down, and from the moment
// Shutdown begins (so a load balancer takes the target out during the
// drain).
func (s readinessServer) Check(context.Context, *statuspb.CheckRequest) (*statuspb.CheckResponse, error) {
	if err := s.r.readinessErr(); err != nil {
		return nil, status.Errorf(codes.Unavailable, "not ready: %v", err)
	}
	return &statuspb.CheckResponse{}, nil
}

// readinessErr says why ReadinessName is not SERVING, or nil if it is.
func (r *Registry) readinessErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status[ReadinessName] == serving {
		return nil
	}
	if err := r.readinessErrLocked(); err != nil {
		return err
	}
	return errNotReady // unreachable: the status and its reason agree under r.mu
}

// registerReadinessService puts the readiness RPC on s.
func (r *Registry) registerReadinessService(s grpc.ServiceRegistrar) {
	statuspb.RegisterReadinessServiceServer(s, readinessServer{r: r})
}
