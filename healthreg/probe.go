package healthreg

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
)

// The application-port probe (WithAppProbe). Serve ties liveness to the
// lifetime of srv.Serve, which says nothing about a server that still runs
// but no longer answers; behind a health port such a server would look
// alive for ever. The probe asks the application port the way a client
// would, and takes liveness down while it gets no answer.

// appProbe is what WithAppProbe configured; read-only.
type appProbe struct {
	interval time.Duration
	timeout  time.Duration
	failures int // calls in a row without an answer that take liveness down
	dialOpts []grpc.DialOption
}

// probeUserAgent lets the application's logs and interceptors tell the
// probe's calls from its clients'.
const probeUserAgent = "healthreg-app-probe"

// startAppProbe starts probing addr, the address Serve serves, if
// WithAppProbe asked for it. The probe runs until Shutdown begins, and
// Shutdown waits for it like for the checks' schedulers.
func (r *Registry) startAppProbe(addr net.Addr) {
	p := r.cfg.appProbe
	if p == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shutting { // too late: Shutdown may be waiting for r.checkers already
		return
	}
	r.checkers.Add(1)
	go r.runAppProbe(p, addr)
}

// runAppProbe calls addr at once and then on every tick. It holds no lock
// while it calls, so however long a call takes, the health service never
// waits for it.
func (r *Registry) runAppProbe(p *appProbe, addr net.Addr) {
	defer r.checkers.Done()
	target := probeTarget(addr)
	ticker := time.NewTicker(p.interval)
	defer ticker.Stop()
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUserAgent(probeUserAgent),
		grpc.WithStatsHandler(answerTracker{}),
	}, p.dialOpts...)

	var conn *grpc.ClientConn // kept while the port answers
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	failed, down := 0, false
	for {
		var err error
		if conn == nil {
			conn, err = grpc.NewClient(target, opts...)
		}
		if err == nil {
			err = probeOnce(r.stopping, conn, p.timeout)
		}
		if r.stopping.Err() != nil {
			return // a call cut short by Shutdown proves nothing
		}
		if err != nil && conn != nil {
			// A fresh connection dials at the next call; the old one could
			// sit in gRPC's reconnect backoff (up to two minutes) or on a
			// transport that will never answer.
			conn.Close()
			conn = nil
		}

		if err != nil {
			failed++
		} else {
			failed = 0
		}
		switch {
		case !down && failed >= p.failures:
			down = true
			r.setProbeErr(fmt.Errorf("%w: application port %s: no answer to %d calls in a row, the last: %w",
				errNotLive, addr, failed, err))
		case down && failed == 0:
			down = false
			r.setProbeErr(nil)
		}

		select {
		case <-r.stopping.Done():
			return
		case <-ticker.C:
		}
	}
}

// probeOnce makes one cheap call on conn and returns an error only if the
// server did not answer it: any status the server sends, even an error,
// proves that the port accepts connections and runs handlers. That includes
// UNAVAILABLE or DEADLINE_EXCEEDED sent by the application itself (a load
// shedder, say): an overloaded server must not be restarted for it. Only the
// same codes made up by the client, with no header or trailer from the
// server, count.
func probeOnce(ctx context.Context, conn *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	answered := new(atomic.Bool)
	ctx = context.WithValue(ctx, answeredKey{}, answered)
	_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: LivenessName})
	switch status.Code(err) {
	case codes.Unavailable, codes.DeadlineExceeded:
		if !answered.Load() {
			return err
		}
	}
	return nil
}

// answeredKey carries, in a call's context, the flag answerTracker sets.
type answeredKey struct{}

// answerTracker is a client stats handler that marks a call answered when
// a header or trailer arrives from the server: proof that the server
// received the call and ran it, whatever status it chose.
type answerTracker struct{}

func (answerTracker) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (answerTracker) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return ctx
}
func (answerTracker) HandleConn(context.Context, stats.ConnStats) {}
func (answerTracker) HandleRPC(ctx context.Context, s stats.RPCStats) {
	switch s.(type) {
	case *stats.InHeader, *stats.InTrailer:
		if answered, ok := ctx.Value(answeredKey{}).(*atomic.Bool); ok {
			answered.Store(true)
		}
	}
}

// setProbeErr records the probe's verdict: err takes liveness down, nil lets
// it follow the server again. Once Shutdown has begun liveness is left as it
// is: the probe has stopped.
func (r *Registry) setProbeErr(err error) {
	r.mu.Lock()
	if !r.shutting {
		r.probeErr = err
		r.recomputeLocked()
	}
	r.mu.Unlock()
	r.deliver()
}

// probeTarget is the gRPC target that reaches a listener's address from
// the same host. A wildcard address (":50051", "0.0.0.0", "[::]") is
// reached on localhost.
func probeTarget(addr net.Addr) string {
	switch a := addr.(type) {
	case *net.TCPAddr:
		if a.IP.IsUnspecified() {
			// "localhost" resolves to ::1 and 127.0.0.1 and the dialer tries
			// both, so it reaches a dual-stack, an IPv4-only and an
			// IPv6-only (tcp6) wildcard listener alike.
			return "passthrough:///" + net.JoinHostPort("localhost", strconv.Itoa(a.Port))
		}
		return "passthrough:///" + a.String()
	case *net.UnixAddr:
		if len(a.Name) > 0 && a.Name[0] == '@' {
			return "unix-abstract:" + a.Name[1:]
		}
		return "unix:" + a.Name
	}
	return "passthrough:///" + addr.String()
}
