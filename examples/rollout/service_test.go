//go:build unix

package rollout

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// The Kubernetes Service that the second load goes through.
const (
	// propagation is how long after a pod's SIGTERM its address leaves the
	// endpoints that route new connections (the endpoints controller sees
	// the pod terminating, then kube-proxy on each node reprograms its
	// rules). It must be shorter than a drain that protects this traffic.
	propagation = 300 * time.Millisecond
	// serviceWorkers goroutines send through the Service, servicePause
	// apart: every RPC opens a connection, which costs a port (TIME_WAIT)
	// and CPU, so this load is paced; it still sends tens of RPCs to a
	// terminating pod within propagation.
	serviceWorkers   = 2
	servicePause     = 2 * time.Millisecond
	minServiceServed = 20 // RPCs each server must answer through the Service in a phase
)

// endpointsController is a Service's endpoint list, kept as Kubernetes keeps
// it during a rolling update: a replacement pod's address is added once it
// is ready, and a terminating pod's address is removed propagation after
// its SIGTERM, not at it. Its goroutine applies the changes at their time.
type endpointsController struct {
	changes  chan change
	stopping chan struct{}
	stopOnce sync.Once
	done     chan struct{}

	mu      sync.Mutex
	addrs   []string
	next    int                  // round-robin position
	pending int                  // changes sent to the goroutine, not yet applied
	removed map[string]time.Time // when each address left the list
}

// change adds or removes addr at the time at.
type change struct {
	addr string
	add  bool
	at   time.Time
}

// startEndpoints starts a controller that lists servers; it stops at the
// test's end at the latest.
func startEndpoints(t testing.TB, servers ...*server) *endpointsController {
	c := &endpointsController{
		changes:  make(chan change),
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
		removed:  map[string]time.Time{},
	}
	for _, s := range servers {
		c.addrs = append(c.addrs, s.Addr)
	}
	go c.run()
	t.Cleanup(c.stop)
	return c
}

func (c *endpointsController) run() {
	defer close(c.done)
	var pending []change // by time
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		for len(pending) > 0 && !time.Now().Before(pending[0].at) {
			c.apply(pending[0])
			pending = pending[1:]
		}
		var due <-chan time.Time
		if len(pending) > 0 {
			timer.Reset(time.Until(pending[0].at))
			due = timer.C
		}
		select {
		case ch := <-c.changes:
			i := slices.IndexFunc(pending, func(p change) bool { return p.at.After(ch.at) })
			if i < 0 {
				i = len(pending)
			}
			pending = slices.Insert(pending, i, ch)
		case <-due:
		case <-c.stopping:
			return
		}
	}
}

func (c *endpointsController) apply(ch change) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pending--
	if ch.add {
		c.addrs = append(c.addrs, ch.addr)
		return
	}
	c.addrs = slices.DeleteFunc(c.addrs, func(a string) bool { return a == ch.addr })
	c.removed[ch.addr] = time.Now()
}

func (c *endpointsController) send(ch change) {
	c.mu.Lock()
	c.pending++
	c.mu.Unlock()
	select {
	case c.changes <- ch:
	case <-c.stopping:
	}
}

// terminating tells the controller that s got SIGTERM at term: its address
// leaves the list propagation later.
func (c *endpointsController) terminating(s *server, term time.Time) {
	c.send(change{addr: s.Addr, at: term.Add(propagation)})
}

// ready tells the controller that s is ready: its address joins the list
// at once.
func (c *endpointsController) ready(s *server) {
	c.send(change{addr: s.Addr, add: true, at: time.Now()})
}

// waitSettled waits until every change told so far is applied.
func (c *endpointsController) waitSettled(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		c.mu.Lock()
		n, addrs := c.pending, slices.Clone(c.addrs)
		c.mu.Unlock()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("endpoints: %d changes not applied within %v; listed %v", n, waitLimit, addrs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// removedAt returns when s's address left the list (zero if it has not).
func (c *endpointsController) removedAt(s *server) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.removed[s.Addr]
}

// pick returns the next listed address, round-robin, as kube-proxy picks a
// backend for each new connection.
func (c *endpointsController) pick() (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.addrs) == 0 {
		return "", false
	}
	c.next++
	return c.addrs[c.next%len(c.addrs)], true
}

func (c *endpointsController) stop() {
	c.stopOnce.Do(func() { close(c.stopping) })
	<-c.done
}

// startServiceLoad sends SayHello as a client of the Service does: each
// RPC opens a new connection to the address the Service picks and closes
// it after the RPC, with no health checking and no retry elsewhere, so a
// pod still listed after its listener closed fails the RPC that picked it.
func startServiceLoad(t testing.TB, c *endpointsController) *load {
	return startWorkers(t, serviceWorkers, servicePause, func() (string, error) {
		addr, ok := c.pick()
		if !ok {
			return "", errors.New("the Service has no endpoints")
		}
		cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return addr, err
		}
		defer cc.Close()
		return addr, sayHello(cc)
	})
}

// serviceLostNothing asserts that the Service load of a rolling restart
// under -drain lost no RPC, that every server answered it, and that it
// reached A and B well after their SIGTERM: only the drain served those.
func serviceLostNothing(t *testing.T, ro rollout) {
	t.Helper()
	r := ro.service
	if r.failed != 0 {
		t.Errorf("through the Service, %d of %d RPCs failed, want none (-drain=%v outlasts the endpoints' %v); first errors:\n%s",
			r.failed, r.total, ro.drain, propagation, strings.Join(r.errs, "\n"))
	}
	for _, s := range []*server{ro.a, ro.b, ro.a2} {
		if r.served[s.Addr] < minServiceServed {
			t.Errorf("through the Service, server %s answered %d RPCs, want at least %d", s.name, r.served[s.Addr], minServiceServed)
		}
	}
	for _, s := range []*server{ro.a, ro.b} {
		if after := r.lastStart[s.Addr].Sub(ro.term(s)); after < propagation/2 {
			t.Errorf("through the Service, the last RPC that %s answered began %v after its SIGTERM, want the load to reach it late in the endpoints' %v",
				s.name, after, propagation)
		}
	}
}

func (ro rollout) logService(t *testing.T, ec *endpointsController) {
	t.Helper()
	r := ro.service
	t.Logf("through the Service: RPCs %d, failed %d (to A %d, B %d, A' %d); answered by A %d, B %d, A' %d; "+
		"A left the endpoints %v after its SIGTERM, its last answered RPC began %v after it; B %v, %v",
		r.total, r.failed, r.failedBy[ro.a.Addr], r.failedBy[ro.b.Addr], r.failedBy[ro.a2.Addr],
		r.served[ro.a.Addr], r.served[ro.b.Addr], r.served[ro.a2.Addr],
		ec.removedAt(ro.a).Sub(ro.termA).Round(time.Millisecond), r.lastStart[ro.a.Addr].Sub(ro.termA).Round(time.Millisecond),
		ec.removedAt(ro.b).Sub(ro.termB).Round(time.Millisecond), r.lastStart[ro.b.Addr].Sub(ro.termB).Round(time.Millisecond))
}
