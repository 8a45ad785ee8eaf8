//go:build unix

package rollout

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // registers client-side health checking
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"
	"google.golang.org/grpc/status"

	"github.com/protoc-gen-health/protoc-gen-health/examples/helloworld/gen/helloworld"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
)

// The scenario's timings and sizes.
const (
	// drain is the servers' -drain. It must exceed the client's reaction to
	// a readiness flip (one Watch message on an open stream: milliseconds)
	// and the Service's propagation (300ms) by far more than a connection
	// and an RPC take; the margins are wide because the machine may be busy.
	drain = time.Second
	// rpcTimeout is each RPC's own deadline: short, but far above a
	// loopback round trip, so that it expiring means a lost request.
	rpcTimeout = 2 * time.Second
	workers    = 4   // goroutines sending SayHello
	minServed  = 100 // successful RPCs each server must answer in a phase
	waitLimit  = 10 * time.Second
)

// TestRollingRestartLosesNothing restarts two helloworld servers one at a
// time, as a Deployment's rolling update does, while workers send SayHello
// without pause through a round_robin client that health-checks readiness,
// and asserts that not one RPC fails, that every server took traffic, and
// that the client left each old server on its readiness flip. The load
// through the Service must lose nothing either (serviceLostNothing).
func TestRollingRestartLosesNothing(t *testing.T) {
	ro := rollingRestart(t, drain, true)
	serviceLostNothing(t, ro)
	r := ro.result
	if r.failed != 0 {
		t.Errorf("%d of %d RPCs failed, want none; first errors:\n%s", r.failed, r.total, strings.Join(r.errs, "\n"))
	}
	for _, s := range []*server{ro.a, ro.b, ro.a2} {
		if r.served[s.Addr] < minServed {
			t.Errorf("server %s answered %d RPCs, want at least %d", s.name, r.served[s.Addr], minServed)
		}
	}
	if len(r.served) != 3 {
		t.Errorf("RPCs were answered by %v, want only A, B and A'", r.addrs())
	}
	// The client left A and B on the readiness flip, not on the GOAWAY that
	// ends their drain: no RPC to them began in the second half of it.
	for _, s := range []*server{ro.a, ro.b} {
		if after := ro.lastAfterTerm(s); after >= drain/2 {
			t.Errorf("an RPC to %s began %v after its SIGTERM, want the client to have left it within -drain/2=%v", s.name, after, drain/2)
		}
	}
}

// TestRollingRestartWithoutHealthCheck is the first negative control: the
// same rollout with a client that does not health-check. It shows what the
// last assertion of TestRollingRestartLosesNothing catches: the client keeps
// sending to A and B until the GOAWAY at the end of their drains.
//
// It loses nothing either, which is why failures make no negative control
// here (nor with -drain=0: TestRollingRestartWithoutDrainFails logs that
// count): a grpc-go client that balances over connections of its own is
// moved by the GOAWAY that GracefulStop sends. RPCs it had not yet sent on
// the closing connection are retried transparently on another one, those
// the server took finish, and the closed listener only refuses
// reconnections to an address the balancer then skips. The drain protects
// clients that open new connections through something still routing to
// the pod (kube-proxy, an L4 balancer, a lagging resolver): the Service
// load, which must lose nothing here too, and fails without the drain.
func TestRollingRestartWithoutHealthCheck(t *testing.T) {
	ro := rollingRestart(t, drain, false)
	serviceLostNothing(t, ro)
	if r := ro.result; r.failed != 0 {
		t.Errorf("%d of %d RPCs failed, want none (the GOAWAY moves the client); first errors:\n%s", r.failed, r.total, strings.Join(r.errs, "\n"))
	}
	for _, s := range []*server{ro.a, ro.b} {
		if after := ro.lastAfterTerm(s); after < drain/2 {
			t.Errorf("the last RPC to %s began %v after its SIGTERM, want the client, blind to readiness, to send until late in -drain=%v", s.name, after, drain)
		}
	}
}

// TestRollingRestartWithoutDrainFails is the negative control of the
// Service load: the same rollout with -drain=0. GracefulStop then closes
// the listener at SIGTERM while the endpoints still list the pod for
// propagation, and the Service load, which dials the listed addresses
// round-robin every few milliseconds, must see its connections refused.
func TestRollingRestartWithoutDrainFails(t *testing.T) {
	ro := rollingRestart(t, 0, true)
	r := ro.service
	if r.failed == 0 {
		t.Errorf("through the Service, none of %d RPCs failed with -drain=0, want failures while the endpoints list a closed listener", r.total)
	}
	for _, s := range []*server{ro.a, ro.b} {
		if r.failedBy[s.Addr] == 0 {
			t.Errorf("through the Service, no RPC to %s failed in the %v its address stayed listed after SIGTERM with -drain=0", s.name, propagation)
		}
	}
	if n := r.failedBy[ro.a2.Addr]; n != 0 {
		t.Errorf("through the Service, %d RPCs to A', which never stopped, failed", n)
	}
	for _, e := range r.errs {
		if !strings.HasPrefix(e, codes.Unavailable.String()+":") {
			t.Errorf("through the Service, an RPC failed with %s, want UNAVAILABLE", e)
		}
	}
}

// rollout is what rollingRestart did and counted.
type rollout struct {
	drain        time.Duration // the servers' -drain
	a, b, a2     *server
	termA, termB time.Time // just before each SIGTERM
	result                 // the grpc-go client's load
	service      result    // the load through the Service
}

// term is when s got SIGTERM.
func (ro rollout) term(s *server) time.Time {
	if s == ro.b {
		return ro.termB
	}
	return ro.termA
}

// lastAfterTerm is how long after its SIGTERM the last RPC that s answered
// for the grpc-go client began.
func (ro rollout) lastAfterTerm(s *server) time.Duration {
	return ro.lastStart[s.Addr].Sub(ro.term(s))
}

// rollingRestart runs servers A and B with -drain=drain under two loads,
// replaces A with A', then stops B, as a rolling update of a two-replica
// Deployment with maxSurge 0 does, and returns the loads' counts. One load
// is a grpc-go client (newClient) whose resolver lists each server until it
// has exited; the other goes through a Kubernetes Service
// (startServiceLoad), whose endpoints drop a server propagation after its
// SIGTERM and add A' once it is ready.
func rollingRestart(t *testing.T, drain time.Duration, healthCheck bool) rollout {
	ro := rollout{drain: drain, a: startServer(t, "A", drain), b: startServer(t, "B", drain)}
	res := manual.NewBuilderWithScheme("rollout")
	res.InitialState(endpoints(ro.a, ro.b))
	l := startLoad(t, newClient(t, res, healthCheck))
	ec := startEndpoints(t, ro.a, ro.b)
	sl := startServiceLoad(t, ec)
	l.waitServed(t, ro.a, minServed)
	l.waitServed(t, ro.b, minServed)
	sl.waitServed(t, ro.a, minServiceServed)
	sl.waitServed(t, ro.b, minServiceServed)

	// A goes first. Kubernetes removes a terminating pod from the Service's
	// endpoints asynchronously, and clients learn it later still (DNS TTL,
	// xDS, a re-resolution), so A stays in the resolver until it has exited:
	// only client-side health checking, which sees readiness go NOT_SERVING
	// at SIGTERM, keeps requests off A while it drains. Removing A at
	// SIGTERM instead would test the resolver, not the server's shutdown.
	ro.termA = ro.a.sigterm(t)
	ec.terminating(ro.a, ro.termA)
	exitA := ro.a.waitExit(t, drain)

	// The replacement pod comes up on a new address and the endpoints
	// follow: A' appears and the exited A goes. The Service's endpoints
	// list A' once it is ready, and have dropped A propagation after its
	// SIGTERM.
	ro.a2 = startServer(t, "A'", drain, ro.a.Addr)
	res.UpdateState(endpoints(ro.a2, ro.b))
	ec.ready(ro.a2)
	l.waitServed(t, ro.a2, minServed)
	ec.waitSettled(t)
	sl.waitServed(t, ro.a2, minServiceServed)

	ro.termB = ro.b.sigterm(t)
	ec.terminating(ro.b, ro.termB)
	exitB := ro.b.waitExit(t, drain)
	// A' alone carries the loads once B has gone from both lists.
	l.waitServed(t, ro.a2, l.served(ro.a2)+minServed)
	ec.waitSettled(t)
	sl.waitServed(t, ro.a2, sl.served(ro.a2)+minServiceServed)
	ro.result = l.stop()
	ro.service = sl.stop()

	r := ro.result
	t.Logf("SIGTERM to exit: A %v, B %v (-drain=%v)",
		exitA.Sub(ro.termA).Round(time.Millisecond), exitB.Sub(ro.termB).Round(time.Millisecond), drain)
	t.Logf("RPCs: %d, failed: %d; answered by A %d, B %d, A' %d; the last to A began %v after its SIGTERM, to B %v",
		r.total, r.failed, r.served[ro.a.Addr], r.served[ro.b.Addr], r.served[ro.a2.Addr],
		ro.lastAfterTerm(ro.a).Round(time.Microsecond), ro.lastAfterTerm(ro.b).Round(time.Microsecond))
	ro.logService(t, ec)
	return ro
}

// TestRollingRestartWithoutUpdateFails is the second negative control: the
// rollout with health checking, but the resolver never learns of A', as
// with endpoints that never catch up. When B goes too, no server the client
// knows of is left, and RPCs must fail; the counters must see it.
func TestRollingRestartWithoutUpdateFails(t *testing.T) {
	a := startServer(t, "A", drain)
	b := startServer(t, "B", drain)
	res := manual.NewBuilderWithScheme("rollout")
	res.InitialState(endpoints(a, b))
	l := startLoad(t, newClient(t, res, true))
	l.waitServed(t, a, minServed)
	l.waitServed(t, b, minServed)

	a.sigterm(t)
	a.waitExit(t, drain)
	a2 := startServer(t, "A'", drain, a.Addr) // the resolver is not told
	l.waitServed(t, b, l.served(b)+minServed)
	b.sigterm(t)
	l.waitFailed(t)
	r := l.stop() // failing RPCs fail fast: no need to spin through B's drain
	b.waitExit(t, drain)
	t.Logf("RPCs: %d, failed: %d; answered by A %d, B %d, A' %d; first errors:\n%s",
		r.total, r.failed, r.served[a.Addr], r.served[b.Addr], r.served[a2.Addr], strings.Join(r.errs, "\n"))

	if r.served[a2.Addr] != 0 {
		t.Errorf("A', which the client never knew of, answered %d RPCs", r.served[a2.Addr])
	}
	for _, e := range r.errs {
		if !strings.HasPrefix(e, codes.Unavailable.String()+":") && !strings.HasPrefix(e, codes.DeadlineExceeded.String()+":") {
			t.Errorf("an RPC failed with %s, want UNAVAILABLE or DEADLINE_EXCEEDED", e)
		}
	}
}

// TestReadinessFlipsBeforeListenerCloses watches readiness on a server as
// client-side health checking does, and checks the order of its shutdown
// against the clock: SIGTERM, NOT_SERVING on the open Watch, a new
// connection still served, and only after -drain the Watch stream's end
// (just before GracefulStop closes the listener), then a clean exit. Every
// assertion but the served new connection follows from the server's own
// ordering and timers; that one needs the test to dial within the drain,
// which it does milliseconds after NOT_SERVING arrives.
func TestReadinessFlipsBeforeListenerCloses(t *testing.T) {
	s := startServer(t, "S", drain)
	cc := dial(t, s.Addr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := healthpb.NewHealthClient(cc).Watch(ctx, &healthpb.HealthCheckRequest{Service: healthreg.ReadinessName})
	if err != nil {
		t.Fatal(err)
	}
	// Received on another goroutine, so a stream that stays silent fails
	// the test at a timeout instead of hanging it.
	type msg struct {
		st  healthpb.HealthCheckResponse_ServingStatus
		err error
		at  time.Time
	}
	msgs := make(chan msg, 16)
	go func() {
		defer close(msgs)
		for {
			resp, err := stream.Recv()
			msgs <- msg{resp.GetStatus(), err, time.Now()}
			if err != nil {
				return
			}
		}
	}()
	next := func(what string) msg {
		t.Helper()
		select {
		case m := <-msgs:
			return m
		case <-time.After(waitLimit):
			t.Fatalf("Watch: no %s within %v", what, waitLimit)
			return msg{}
		}
	}
	if m := next("first status"); m.err != nil || m.st != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Watch(readiness) began with %v, %v; want SERVING", m.st, m.err)
	}

	term := s.sigterm(t)
	flip := next("NOT_SERVING")
	if flip.err != nil || flip.st != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Fatalf("after SIGTERM, Watch(readiness) got %v, %v; want NOT_SERVING", flip.st, flip.err)
	}
	// A client that connects now, as one routed by stale endpoints would,
	// is still served.
	if err := sayHello(dial(t, s.Addr)); err != nil {
		t.Errorf("a new connection %v after NOT_SERVING: %v; want it served during the drain", time.Since(flip.at), err)
	}
	end := next("end of stream")
	if status.Code(end.err) != codes.Unavailable {
		t.Errorf("Watch(readiness) ended with %v, %v; want UNAVAILABLE", end.st, end.err)
	}
	if d := end.at.Sub(term); d < drain {
		t.Errorf("Watch(readiness) ended %v after SIGTERM, want at least -drain=%v", d, drain)
	}
	exit := s.waitExit(t, drain)
	t.Logf("after SIGTERM: NOT_SERVING at %v, Watch ended at %v, exit at %v",
		flip.at.Sub(term).Round(time.Microsecond), end.at.Sub(term).Round(time.Millisecond), exit.Sub(term).Round(time.Millisecond))
	if err := sayHello(dial(t, s.Addr)); err == nil {
		t.Error("a server that has exited answered SayHello")
	}
}

// newClient returns a client of the resolver's servers that balances
// round_robin and, with healthCheck, uses the generated service config
// (gRFC A17), which health-checks the workload's readiness name on each
// connection: a server is picked only while its Watch says SERVING.
func newClient(t testing.TB, res *manual.Resolver, healthCheck bool) *grpc.ClientConn {
	t.Helper()
	cfg := `{"loadBalancingConfig":[{"round_robin":{}}]}`
	if healthCheck {
		cfg = helloworld.Greeter_ServiceConfig
	}
	cc, err := grpc.NewClient(res.Scheme()+":///helloworld",
		grpc.WithResolvers(res),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultServiceConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })

	// Start with a ready channel, so that RPCs without WaitForReady do not
	// wait for (or, in TRANSIENT_FAILURE, fail on) the first connections.
	cc.Connect()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for st := cc.GetState(); st != connectivity.Ready; st = cc.GetState() {
		if !cc.WaitForStateChange(ctx, st) {
			t.Fatalf("client not ready within %v: %v", waitLimit, st)
		}
	}
	return cc
}

// dial returns a plain client of addr, closed at the test's end.
func dial(t testing.TB, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func sayHello(cc *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	resp, err := helloworld.NewGreeterClient(cc).SayHello(ctx, &helloworld.HelloRequest{Name: "rollout"})
	if err == nil && resp.GetMessage() != "Hello rollout" {
		err = fmt.Errorf("SayHello answered %q", resp.GetMessage())
	}
	return err
}

// endpoints is the resolver state that lists servers, one endpoint each.
func endpoints(servers ...*server) resolver.State {
	var st resolver.State
	for _, s := range servers {
		st.Endpoints = append(st.Endpoints, resolver.Endpoint{Addresses: []resolver.Address{{Addr: s.Addr}}})
	}
	return st
}

// load is goroutines sending SayHello back to back (or pause apart), each
// RPC with its own deadline and without WaitForReady, until stop; every RPC
// is counted, by the server that answered it or as a failure.
type load struct {
	stopping chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	mu  sync.Mutex
	res result
}

// result is what a load counted.
type result struct {
	total, failed int
	served        map[string]int       // successful RPCs by server address
	failedBy      map[string]int       // failed RPCs by server address, where known
	lastStart     map[string]time.Time // when the last RPC a server answered began
	errs          []string             // the first few failures
}

func (r result) addrs() []string { return slices.Sorted(maps.Keys(r.served)) }

// startLoad starts workers goroutines sending SayHello on cc back to back;
// they stop at the test's end at the latest.
func startLoad(t testing.TB, cc *grpc.ClientConn) *load {
	client := helloworld.NewGreeterClient(cc)
	return startWorkers(t, workers, 0, func() (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
		defer cancel()
		var p peer.Peer
		resp, err := client.SayHello(ctx, &helloworld.HelloRequest{Name: "rollout"}, grpc.Peer(&p))
		if err == nil && resp.GetMessage() != "Hello rollout" {
			err = fmt.Errorf("SayHello answered %q", resp.GetMessage())
		}
		var addr string
		if p.Addr != nil {
			addr = p.Addr.String()
		}
		return addr, err
	})
}

// startWorkers starts n goroutines that call send, pause apart, until stop
// or the test's end. send makes one RPC with its own deadline, not tied to
// stop (so stopping lets RPCs in flight finish rather than cancelling
// them), and returns the address of the server it went to ("" if unknown)
// and its error.
func startWorkers(t testing.TB, n int, pause time.Duration, send func() (addr string, err error)) *load {
	l := &load{stopping: make(chan struct{}), res: result{
		served: map[string]int{}, failedBy: map[string]int{}, lastStart: map[string]time.Time{},
	}}
	for range n {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stopping:
					return
				default:
				}
				start := time.Now()
				addr, err := send()
				l.count(start, addr, err)
				if pause > 0 {
					time.Sleep(pause)
				}
			}
		}()
	}
	t.Cleanup(func() { l.stop() })
	return l
}

// count counts one RPC that began at start.
func (l *load) count(start time.Time, addr string, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.res.total++
	if err != nil {
		l.res.failed++
		if addr != "" {
			l.res.failedBy[addr]++
		}
		if len(l.res.errs) < 5 {
			l.res.errs = append(l.res.errs, describe(err))
		}
		return
	}
	l.res.served[addr]++
	if start.After(l.res.lastStart[addr]) {
		l.res.lastStart[addr] = start
	}
}

// describe is "CODE: message"; an error that is no status is Unknown.
func describe(err error) string {
	s := status.Convert(err)
	return s.Code().String() + ": " + s.Message()
}

// stop stops the workers, waits for their last RPCs and returns the counts.
func (l *load) stop() result {
	l.stopOnce.Do(func() { close(l.stopping) })
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.res
}

// served returns how many RPCs s has answered so far.
func (l *load) served(s *server) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.res.served[s.Addr]
}

// waitServed waits until s has answered n RPCs.
func (l *load) waitServed(t testing.TB, s *server, n int) {
	t.Helper()
	l.waitFor(t, fmt.Sprintf("server %s to answer %d RPCs", s.name, n), func(r *result) bool { return r.served[s.Addr] >= n })
}

// waitFailed waits until an RPC has failed.
func (l *load) waitFailed(t testing.TB) {
	t.Helper()
	l.waitFor(t, "an RPC to fail", func(r *result) bool { return r.failed > 0 })
}

func (l *load) waitFor(t testing.TB, what string, cond func(*result) bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		l.mu.Lock()
		ok := cond(&l.res)
		state := fmt.Sprintf("served %v, %d failed: %v", l.res.served, l.res.failed, l.res.errs)
		l.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; %s", what, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
