// Package connecthealth serves a healthreg.Registry over connect-go: the
// Connect, gRPC and gRPC-Web protocols, on any net/http server.
//
// It answers grpc.health.v1.Health Check and Watch with the same statuses and
// names as healthreg's grpc-go service ("" follows "readiness"; a name
// nobody registered is NOT_FOUND on Check and SERVICE_UNKNOWN on Watch), and
// Shutdown ends its Watch streams (latest status, then UNAVAILABLE) just
// before it stops the server. connect's own grpchealth has no Watch and
// answers "" SERVING whatever the process's state.
//
// It is a module of its own so that healthreg itself depends only on grpc-go
// and protobuf.
package connecthealth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"connectrpc.com/connect"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/statuspb"
)

// The procedures served, as connect names them.
const (
	ServicePath    = "/grpc.health.v1.Health/"
	CheckProcedure = healthpb.Health_Check_FullMethodName
	WatchProcedure = healthpb.Health_Watch_FullMethodName
)

// MaxRequestBytes is the largest request message the handlers read
// (connect.WithReadMaxBytes, which opts can override); a larger one is
// refused with RESOURCE_EXHAUSTED before it is buffered. connect's own
// default is no limit, and health endpoints are usually reachable without
// authentication. A name of healthreg.MaxNameLength bytes fits even in the
// Connect protocol's JSON with every byte escaped (six bytes each).
const MaxRequestBytes = 8 << 10

// NewHandler returns the path and handler of grpc.health.v1.Health over r,
// for http.ServeMux.Handle:
//
//	mux.Handle(connecthealth.NewHandler(reg))
//
// opts are passed to connect (interceptors, compression, read limits) after
// connect.WithReadMaxBytes(MaxRequestBytes). Each handler has a Watch
// budget of its own (healthreg.WithMaxWatches): clients who fill it never
// refuse a Watch on the application's gRPC server or another handler.
func NewHandler(r *healthreg.Registry, opts ...connect.HandlerOption) (string, http.Handler) {
	h := handler{r: r, watcher: r.Watcher()}
	opts = withDefaults(opts)
	mux := http.NewServeMux()
	mux.Handle(CheckProcedure, connect.NewUnaryHandler(CheckProcedure, h.check, opts...))
	mux.Handle(WatchProcedure, connect.NewServerStreamHandler(WatchProcedure, h.watch, opts...))
	return ServicePath, mux
}

type handler struct {
	r       *healthreg.Registry
	watcher func(context.Context, string, func(healthpb.HealthCheckResponse_ServingStatus) error) error // NewHandler's own Watch budget
}

// check answers from the registry's current statuses, as grpc-go does,
// and, as healthreg's grpc-go service does, INVALID_ARGUMENT for a name no
// Register can have made.
func (h handler) check(_ context.Context, req *connect.Request[healthpb.HealthCheckRequest]) (*connect.Response[healthpb.HealthCheckResponse], error) {
	name := req.Msg.GetService()
	if len(name) > healthreg.MaxNameLength {
		return nil, connect.NewError(connect.CodeInvalidArgument,
			fmt.Errorf("healthreg: service name of %d bytes; names are at most %d bytes", len(name), healthreg.MaxNameLength))
	}
	st := h.r.Status(name)
	if st == healthpb.HealthCheckResponse_SERVICE_UNKNOWN {
		return nil, connect.NewError(connect.CodeNotFound, errors.New("unknown service"))
	}
	return connect.NewResponse(&healthpb.HealthCheckResponse{Status: st}), nil
}

// watch streams the name's statuses until the client leaves or Shutdown
// ends the stream, which the client sees as UNAVAILABLE.
func (h handler) watch(ctx context.Context, req *connect.Request[healthpb.HealthCheckRequest], stream *connect.ServerStream[healthpb.HealthCheckResponse]) error {
	err := h.watcher(ctx, req.Msg.GetService(), func(st healthpb.HealthCheckResponse_ServingStatus) error {
		return stream.Send(&healthpb.HealthCheckResponse{Status: st})
	})
	if errors.Is(err, healthreg.ErrShuttingDown) {
		return connect.NewError(connect.CodeUnavailable, err)
	}
	// A bound's refusal carries its gRPC status (INVALID_ARGUMENT,
	// RESOURCE_EXHAUSTED), whose codes are connect's.
	if st, ok := status.FromError(err); ok && err != nil {
		return connect.NewError(connect.Code(st.Code()), err)
	}
	return err
}

// NewReadinessHandler returns the path and handler of healthreg's readiness
// RPC (statuspb.ReadinessService_Check_FullMethodName) over r, for checkers
// that judge the status code alone, such as an AWS ALB (emit=alb): OK while
// "readiness" is SERVING, UNAVAILABLE otherwise. opts are as NewHandler's.
//
//	mux.Handle(connecthealth.NewReadinessHandler(reg))
func NewReadinessHandler(r *healthreg.Registry, opts ...connect.HandlerOption) (string, http.Handler) {
	h := handler{r: r}
	return "/" + statuspb.ReadinessService_ServiceDesc.ServiceName + "/",
		connect.NewUnaryHandler(statuspb.ReadinessService_Check_FullMethodName, h.ready, withDefaults(opts)...)
}

// withDefaults puts the handlers' defaults before the caller's options,
// which connect applies in order, so the caller's override them.
func withDefaults(opts []connect.HandlerOption) []connect.HandlerOption {
	return append([]connect.HandlerOption{connect.WithReadMaxBytes(MaxRequestBytes)}, opts...)
}

// ready answers the readiness RPC from the status of "readiness".
func (h handler) ready(context.Context, *connect.Request[statuspb.CheckRequest]) (*connect.Response[statuspb.CheckResponse], error) {
	if st := h.r.Status(healthreg.ReadinessName); st != healthpb.HealthCheckResponse_SERVING {
		return nil, connect.NewError(connect.CodeUnavailable, fmt.Errorf("not ready: readiness is %v", st))
	}
	return connect.NewResponse(&statuspb.CheckResponse{}), nil
}

// Stopper lets Registry.Shutdown stop an *http.Server: GracefulStop is
// srv.Shutdown (stop accepting, wait for requests in flight; Watch streams
// have been ended just before), Stop is srv.Close (cut every connection),
// which Shutdown calls once its stop timeout has passed.
func Stopper(srv *http.Server) healthreg.Stopper { return httpStopper{srv} }

type httpStopper struct{ srv *http.Server }

func (s httpStopper) GracefulStop() { s.srv.Shutdown(context.Background()) }
func (s httpStopper) Stop()         { s.srv.Close() }
