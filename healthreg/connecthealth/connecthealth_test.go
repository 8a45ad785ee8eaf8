package connecthealth_test

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"connectrpc.com/connect"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/connecthealth"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/statuspb"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	SERVING         = healthpb.HealthCheckResponse_SERVING
	NOT_SERVING     = healthpb.HealthCheckResponse_NOT_SERVING
	SERVICE_UNKNOWN = healthpb.HealthCheckResponse_SERVICE_UNKNOWN
)

// waitTimeout bounds every wait; a passing test never reaches it.
const waitTimeout = 10 * time.Second

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// server is the handler on an HTTP server that speaks HTTP/1.1 and
// cleartext HTTP/2 (h2c), the way a connect-go service is usually served
// behind a mesh or in a cluster.
type server struct {
	srv    *http.Server
	addr   string
	served chan error
}

func startServer(t *testing.T, r *healthreg.Registry) *server {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(connecthealth.NewHandler(r))
	mux.Handle(connecthealth.NewReadinessHandler(r))
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	s := &server{
		srv:    &http.Server{Handler: mux, Protocols: protocols, ReadHeaderTimeout: waitTimeout},
		addr:   lis.Addr().String(),
		served: make(chan error, 1),
	}
	go func() { s.served <- s.srv.Serve(lis) }()
	t.Cleanup(func() {
		s.srv.Close()
		<-s.served
	})
	return s
}

// probeBin is the pinned grpc_health_probe that `make tools` builds.
func probeBin(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "bin", "grpc-health-probe"))
	if err == nil {
		_, err = os.Stat(p)
	}
	if err != nil {
		t.Fatalf("grpc-health-probe is missing: run `make tools` at the repository's root first (%v)", err)
	}
	return p
}

// probeExit runs grpc_health_probe against addr and returns its exit code:
// 0 SERVING, 2 connection failure, 3 RPC failure, 4 not SERVING.
func probeExit(t *testing.T, addr, name string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, probeBin(t), "-addr", addr, "-service", name).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		t.Logf("grpc_health_probe -service %q: %s", name, out)
		return exit.ExitCode()
	}
	t.Fatalf("grpc_health_probe: %v: %s", err, out)
	return -1
}

// clients are the three protocols connect serves, plus grpc-go over h2c.
type clients struct {
	conn    *grpc.ClientConn
	grpcGo  healthpb.HealthClient
	connect *connect.Client[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse]
	grpcWeb *connect.Client[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse]
	watch   *connect.Client[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse]
}

func newClients(t *testing.T, addr string) clients {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{}
	t.Cleanup(func() {
		conn.Close()
		transport.CloseIdleConnections()
	})
	hc := &http.Client{Transport: transport}
	base := "http://" + addr
	return clients{
		conn:    conn,
		grpcGo:  healthpb.NewHealthClient(conn),
		connect: connect.NewClient[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse](hc, base+connecthealth.CheckProcedure),
		grpcWeb: connect.NewClient[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse](hc, base+connecthealth.CheckProcedure, connect.WithGRPCWeb()),
		watch:   connect.NewClient[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse](hc, base+connecthealth.WatchProcedure),
	}
}

// check asks name over every client and fails unless each answers st (or,
// for SERVICE_UNKNOWN, fails with NOT_FOUND as grpc-go's server does).
func (c clients) check(t *testing.T, name string, st healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req := &healthpb.HealthCheckRequest{Service: name}

	resp, err := c.grpcGo.Check(ctx, req)
	if st == SERVICE_UNKNOWN {
		if status.Code(err) != codes.NotFound {
			t.Errorf("grpc-go Check(%q) = %v, %v; want NotFound", name, resp, err)
		}
	} else if err != nil || resp.GetStatus() != st {
		t.Errorf("grpc-go Check(%q) = %v, %v; want %v", name, resp.GetStatus(), err, st)
	}
	for proto, client := range map[string]*connect.Client[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse]{"connect": c.connect, "grpc-web": c.grpcWeb} {
		resp, err := client.CallUnary(ctx, connect.NewRequest(req))
		if st == SERVICE_UNKNOWN {
			if connect.CodeOf(err) != connect.CodeNotFound {
				t.Errorf("%s Check(%q) = %v; want NotFound", proto, name, err)
			}
			continue
		}
		if err != nil || resp.Msg.GetStatus() != st {
			t.Errorf("%s Check(%q) = %v, %v; want %v", proto, name, resp, err, st)
		}
	}
}

// ready calls the readiness RPC as an AWS ALB does: gRPC, an empty body,
// judged by the status code alone.
func (c clients) ready(t *testing.T) codes.Code {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	return status.Code(c.conn.Invoke(ctx, statuspb.ReadinessService_Check_FullMethodName, &emptypb.Empty{}, &emptypb.Empty{}))
}

// watcher records one Watch stream, over grpc-go or the Connect protocol.
type watcher struct {
	mu   sync.Mutex
	got  []healthpb.HealthCheckResponse_ServingStatus
	err  error
	done chan struct{}
}

func (w *watcher) add(st healthpb.HealthCheckResponse_ServingStatus) {
	w.mu.Lock()
	w.got = append(w.got, st)
	w.mu.Unlock()
}

func (w *watcher) last() healthpb.HealthCheckResponse_ServingStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.got) == 0 {
		return -1
	}
	return w.got[len(w.got)-1]
}

func (w *watcher) waitLast(t *testing.T, what string, st healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	waitFor(t, what+" to receive "+st.String(), func() bool { return w.last() == st })
}

func (w *watcher) ended(t *testing.T) error {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(waitTimeout):
		t.Fatal("Watch stream did not end")
	}
	return w.err
}

func watchGRPC(t *testing.T, c healthpb.HealthClient, name string) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.Watch(ctx, &healthpb.HealthCheckRequest{Service: name})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return record(t, cancel, func() (healthpb.HealthCheckResponse_ServingStatus, error) {
		resp, err := stream.Recv()
		return resp.GetStatus(), err
	})
}

func watchConnect(t *testing.T, c *connect.Client[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse], name string) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.CallServerStream(ctx, connect.NewRequest(&healthpb.HealthCheckRequest{Service: name}))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	return record(t, cancel, func() (healthpb.HealthCheckResponse_ServingStatus, error) {
		if stream.Receive() {
			return stream.Msg().GetStatus(), nil
		}
		defer stream.Close()
		return 0, cmp.Or(stream.Err(), io.EOF)
	})
}

// record collects what recv returns until it fails, whose error is the
// stream's end; cancel ends the stream when the test does.
func record(t *testing.T, cancel context.CancelFunc, recv func() (healthpb.HealthCheckResponse_ServingStatus, error)) *watcher {
	w := &watcher{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			st, err := recv()
			if err != nil {
				w.err = err
				return
			}
			w.add(st)
		}
	}()
	t.Cleanup(func() { cancel(); <-w.done })
	return w
}

// The adapter through a process's life, asked by grpc_health_probe, a
// grpc-go client over h2c and connect's Connect and gRPC-Web clients:
// every name as healthreg's grpc-go service reports it, Watch streams that
// follow changes, and Shutdown that ends them and stops the server
// gracefully.
func TestLifecycle(t *testing.T) {
	r := healthreg.New(healthreg.WithDrainDelay(time.Hour), healthreg.WithStopTimeout(waitTimeout),
		healthreg.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))))
	a := r.Register("a.A")
	s := startServer(t, r)
	c := newClients(t, s.addr)

	// Not yet live: everything NOT_SERVING; unknown names NOT_FOUND.
	c.check(t, "", NOT_SERVING)
	c.check(t, "no.Such", SERVICE_UNKNOWN)
	if got := probeExit(t, s.addr, healthreg.LivenessName); got != 4 {
		t.Errorf("grpc_health_probe liveness before live: exit %d, want 4", got)
	}
	overall := watchGRPC(t, c.grpcGo, "")
	svc := watchConnect(t, c.watch, "a.A")
	later := watchConnect(t, c.watch, "later.L")
	overall.waitLast(t, `grpc-go Watch("")`, NOT_SERVING)
	later.waitLast(t, `connect Watch("later.L")`, SERVICE_UNKNOWN)
	if got := c.ready(t); got != codes.Unavailable {
		t.Errorf("readiness RPC before ready = %v, want Unavailable", got)
	}

	r.SetLive(true)
	r.SetReady()
	r.Register("later.L")
	for _, name := range []string{healthreg.LivenessName, healthreg.ReadinessName, "", "a.A"} {
		c.check(t, name, SERVING)
		if got := probeExit(t, s.addr, name); got != 0 {
			t.Errorf("grpc_health_probe %q when ready: exit %d, want 0", name, got)
		}
	}
	if got := c.ready(t); got != codes.OK {
		t.Errorf("readiness RPC when ready = %v, want OK", got)
	}
	if got := probeExit(t, s.addr, "no.Such"); got != 3 {
		t.Errorf("grpc_health_probe of an unknown name: exit %d, want 3", got)
	}
	overall.waitLast(t, `grpc-go Watch("")`, SERVING)
	svc.waitLast(t, `connect Watch("a.A")`, SERVING)
	later.waitLast(t, `connect Watch("later.L")`, SERVING)

	a.SetServing(false, errors.New("database unreachable"))
	c.check(t, "", NOT_SERVING)
	overall.waitLast(t, `grpc-go Watch("")`, NOT_SERVING)
	svc.waitLast(t, `connect Watch("a.A")`, NOT_SERVING)
	a.SetServing(true, nil)
	overall.waitLast(t, `grpc-go Watch("")`, SERVING)

	ctx, endDrain := context.WithCancel(context.Background())
	shutdown := make(chan error, 1)
	go func() { shutdown <- r.Shutdown(ctx, connecthealth.Stopper(s.srv)) }()
	waitFor(t, "Shutdown to begin", func() bool { return r.Status(healthreg.ReadinessName) == NOT_SERVING })
	// Draining: still answering, out of service, alive.
	c.check(t, "", NOT_SERVING)
	c.check(t, healthreg.LivenessName, SERVING)
	if got := probeExit(t, s.addr, healthreg.ReadinessName); got != 4 {
		t.Errorf("grpc_health_probe readiness while draining: exit %d, want 4", got)
	}
	overall.waitLast(t, `grpc-go Watch("")`, NOT_SERVING)
	svc.waitLast(t, `connect Watch("a.A")`, NOT_SERVING)
	if got := c.ready(t); got != codes.Unavailable {
		t.Errorf("readiness RPC while draining = %v, want Unavailable", got)
	}

	endDrain()
	if err := <-shutdown; err != nil {
		t.Fatalf("Shutdown = %v (a Watch stream held the graceful stop?)", err)
	}
	if err := <-s.served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve = %v, want http.ErrServerClosed", err)
	}
	s.served <- nil // for the cleanup
	if err := overall.ended(t); status.Code(err) != codes.Unavailable {
		t.Errorf("grpc-go Watch ended with %v, want Unavailable", err)
	}
	for name, w := range map[string]*watcher{"a.A": svc, "later.L": later} {
		if err := w.ended(t); connect.CodeOf(err) != connect.CodeUnavailable {
			t.Errorf("connect Watch(%q) ended with %v, want Unavailable", name, err)
		}
	}
	for what, w := range map[string]*watcher{`Watch("")`: overall, `Watch("a.A")`: svc, `Watch("later.L")`: later} {
		if got := w.last(); got != NOT_SERVING {
			t.Errorf("%s ended on %v, want NOT_SERVING", what, got)
		}
	}
	if got := probeExit(t, s.addr, healthreg.LivenessName); got != 2 {
		t.Errorf("grpc_health_probe after the stop: exit %d, want 2 (no connection)", got)
	}
}

// The bounds of healthreg's grpc-go service hold over connect too: a name
// longer than MaxNameLength is INVALID_ARGUMENT on Check and Watch (one
// byte shorter is merely unknown), a request past MaxRequestBytes and a
// Watch beyond WithMaxWatches are RESOURCE_EXHAUSTED.
func TestBounds(t *testing.T) {
	r := healthreg.New(healthreg.WithMaxWatches(1), healthreg.WithDrainDelay(0),
		healthreg.WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))))
	t.Cleanup(func() { r.Shutdown(context.Background(), nil) })
	s := startServer(t, r)
	c := newClients(t, s.addr)

	long := strings.Repeat("n", healthreg.MaxNameLength+1)
	c.check(t, long[1:], SERVICE_UNKNOWN)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	req := &healthpb.HealthCheckRequest{Service: long}
	if _, err := c.grpcGo.Check(ctx, req); status.Code(err) != codes.InvalidArgument {
		t.Errorf("grpc-go Check of %d bytes = %v, want InvalidArgument", len(long), err)
	}
	for proto, client := range map[string]*connect.Client[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse]{"connect": c.connect, "grpc-web": c.grpcWeb} {
		if _, err := client.CallUnary(ctx, connect.NewRequest(req)); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Errorf("%s Check of %d bytes = %v, want InvalidArgument", proto, len(long), err)
		}
	}
	// The longest name fits MaxRequestBytes even as JSON that escapes each
	// of its bytes (\u0001).
	escaped := &healthpb.HealthCheckRequest{Service: strings.Repeat("\x01", healthreg.MaxNameLength)}
	jsonClient := connect.NewClient[healthpb.HealthCheckRequest, healthpb.HealthCheckResponse](
		http.DefaultClient, "http://"+s.addr+connecthealth.CheckProcedure, connect.WithProtoJSON())
	if _, err := jsonClient.CallUnary(ctx, connect.NewRequest(escaped)); connect.CodeOf(err) != connect.CodeNotFound {
		t.Errorf("JSON Check of %d escaped bytes = %v, want NotFound", len(escaped.Service), err)
	}
	// A request past MaxRequestBytes is refused before it is read whole.
	huge := &healthpb.HealthCheckRequest{Service: strings.Repeat("n", connecthealth.MaxRequestBytes)}
	if _, err := c.grpcGo.Check(ctx, huge); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("grpc-go Check of %d bytes = %v, want ResourceExhausted", len(huge.Service), err)
	}
	if _, err := c.connect.CallUnary(ctx, connect.NewRequest(huge)); connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Errorf("connect Check of %d bytes = %v, want ResourceExhausted", len(huge.Service), err)
	}
	if err := watchConnect(t, c.watch, long).ended(t); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Errorf("connect Watch of %d bytes ended with %v, want InvalidArgument", len(long), err)
	}

	first := watchConnect(t, c.watch, "")
	first.waitLast(t, `the first Watch("")`, NOT_SERVING)
	if err := watchConnect(t, c.watch, "").ended(t); connect.CodeOf(err) != connect.CodeResourceExhausted {
		t.Errorf("a second Watch with WithMaxWatches(1) ended with %v, want ResourceExhausted", err)
	}
}
