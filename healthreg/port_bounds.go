package healthreg

import (
	"container/list"
	"context"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/stats"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"
)

// The health port's bounds on what clients who never finish a call can
// hold. grpc-go bounds the calls per connection (MaxConcurrentStreams) but
// neither the connections nor how long a call may wait for its request: a
// call whose headers arrived holds a goroutine and its headers until its
// request does, which a hostile client never sends. Without these bounds
// 1,000 connections × 16 such calls with 15 KB of headers each held 495 MB.
// They also bound the goroutines a flood keeps busy, which a probe's
// goroutines queue behind for the CPU.

// portBounds holds the health port's connections and the calls still
// waiting for their request to fixed numbers. When a bound is reached the
// newcomer is admitted and the oldest is dropped, rather than the newcomer
// refused: a probe's connection and call are the newest there are, and
// the attacker would otherwise keep the port full and every probe out.
type portBounds struct {
	conns   connBound
	waiting requestBound
}

func newPortBounds(cfg *config) *portBounds {
	return &portBounds{
		conns:   connBound{max: cfg.healthMaxConns, byHost: make(map[string]*list.List)},
		waiting: requestBound{max: cfg.healthMaxWaiting, timeout: cfg.healthRequestTimeout, conns: make(map[*connCalls]struct{})},
	}
}

// serverOptions hook the bounds on calls into the health port's server.
func (b *portBounds) serverOptions() []grpc.ServerOption {
	return []grpc.ServerOption{grpc.InTapHandle(b.waiting.tap), grpc.StatsHandler(requestSeen{})}
}

// connBound holds the open connections of the health port's listeners,
// grouped by remote host, oldest first.
type connBound struct {
	max int

	mu     sync.Mutex
	seq    uint64 // numbers the connections in the order they came
	open   int
	byHost map[string]*list.List // of *boundConn
}

// listener returns lis with its connections counted against b.
func (b *connBound) listener(lis net.Listener) net.Listener {
	return &boundListener{Listener: lis, b: b}
}

type boundListener struct {
	net.Listener
	b *connBound
}

func (l *boundListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if c := l.b.admit(c); c != nil {
			return c, nil
		}
	}
}

// boundConn is an admitted connection; Close (by grpc-go, or by admit
// when it drops the connection) takes it out of the count.
type boundConn struct {
	net.Conn
	b    *connBound
	host string
	seq  uint64        // its place in the order connections came; guarded by b.mu
	elem *list.Element // nil once out of the count; guarded by b.mu
}

// admit counts c, or closes it and returns nil when that would put the
// count over the bound and c's remote host already holds the most
// connections; for a connection from any other host it closes the oldest
// connection of the host holding the most instead. A probe's host (the
// node, for the kubelet) holds one or two connections, a flooding client
// most of them: the flood's newest connections are closed before grpc-go
// spends anything on them, and a probe always gets in.
func (b *connBound) admit(c net.Conn) net.Conn {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		host = c.RemoteAddr().String() // a Unix socket's peer, usually ""
	}
	bc := &boundConn{Conn: c, b: b, host: host}
	var drop *boundConn
	b.mu.Lock()
	if b.open >= b.max {
		// Of hosts holding as many, the one with the oldest connection: a
		// probe's is the newest there is.
		var most *list.List
		for _, l := range b.byHost {
			if most == nil || l.Len() > most.Len() ||
				l.Len() == most.Len() && l.Front().Value.(*boundConn).seq < most.Front().Value.(*boundConn).seq {
				most = l
			}
		}
		if own := b.byHost[host]; own != nil && own.Len() >= most.Len() {
			b.mu.Unlock()
			c.Close()
			return nil
		}
		drop = most.Front().Value.(*boundConn)
		b.removeLocked(drop)
	}
	l := b.byHost[host]
	if l == nil {
		l = list.New()
		b.byHost[host] = l
	}
	b.seq++
	bc.seq = b.seq
	bc.elem = l.PushBack(bc)
	b.open++
	b.mu.Unlock()
	if drop != nil {
		drop.Conn.Close() // grpc-go sees the read fail and cleans up
	}
	return bc
}

// removeLocked takes c out of the count. b.mu must be held.
func (b *connBound) removeLocked(c *boundConn) {
	if c.elem == nil {
		return
	}
	l := b.byHost[c.host]
	l.Remove(c.elem)
	if l.Len() == 0 {
		delete(b.byHost, c.host)
	}
	c.elem = nil
	b.open--
}

func (c *boundConn) Close() error {
	c.b.mu.Lock()
	c.b.removeLocked(c)
	c.b.mu.Unlock()
	return c.Conn.Close()
}

// requestBound resets calls that have not delivered their request within
// timeout, and holds the calls waiting for theirs, across all connections,
// to max. Beyond it, a call on the connection holding the most waiting
// calls is refused (RESOURCE_EXHAUSTED, before grpc-go starts a goroutine
// for it), and one on any other connection resets that connection's
// oldest waiting call instead: a probe sends its request with its headers
// on a connection of its own, so it waits for microseconds and is never
// the one reset.
type requestBound struct {
	max     int
	timeout time.Duration

	mu    sync.Mutex
	seq   uint64                  // numbers the calls in the order they came
	n     int                     // waiting calls
	conns map[*connCalls]struct{} // the connections with a waiting call
}

// connCalls is one connection's waiting calls, oldest first; guarded by
// the requestBound's mu. requestSeen.TagConn puts it in the connection's
// context, which grpc-go passes down to each call's.
type connCalls struct{ waiting list.List }

// oldest is c's call waiting longest; c.waiting must not be empty.
func (c *connCalls) oldest() *waitingCall { return c.waiting.Front().Value.(*waitingCall) }

type connKey struct{}

// waitingCall is a call whose headers have arrived but not its request.
type waitingCall struct {
	b      *requestBound
	conn   *connCalls
	cancel context.CancelFunc // ends the call: grpc-go's read of the request fails and it resets the stream
	seq    uint64             // its place in the order calls came

	// Set under b.mu when the call arrives.
	elem      *list.Element // nil once no longer waiting
	timer     *time.Timer
	stopAfter func() bool // context.AfterFunc's stop
}

type waitingKey struct{}

// errTooManyWaiting refuses a call (see requestBound).
var errTooManyWaiting = status.Error(codes.ResourceExhausted, "healthreg: too many calls waiting for their request")

// tap is the health port's grpc.InTapHandle: it runs when a call's
// headers have arrived, before grpc-go starts the call's goroutine, and
// the context it returns is the one grpc-go's read of the request waits
// on.
func (b *requestBound) tap(ctx context.Context, _ *tap.Info) (context.Context, error) {
	conn, ok := ctx.Value(connKey{}).(*connCalls)
	if !ok {
		conn = new(connCalls) // not reached: every connection is tagged
	}
	var oldest *waitingCall
	b.mu.Lock()
	if b.n >= b.max {
		// Of connections holding as many, the one with the call waiting
		// longest: a probe's call is never waiting long.
		var most *connCalls
		for c := range b.conns {
			if most == nil || c.waiting.Len() > most.waiting.Len() ||
				c.waiting.Len() == most.waiting.Len() && c.oldest().seq < most.oldest().seq {
				most = c
			}
		}
		if conn.waiting.Len() >= most.waiting.Len() {
			b.mu.Unlock()
			return nil, errTooManyWaiting
		}
		oldest = most.oldest()
		oldest.doneLocked()
	}
	ctx, cancel := context.WithCancel(ctx)
	b.seq++
	w := &waitingCall{b: b, conn: conn, cancel: cancel, seq: b.seq}
	w.elem = conn.waiting.PushBack(w)
	b.n++
	b.conns[conn] = struct{}{}
	w.timer = time.AfterFunc(b.timeout, w.expire)
	// The call can also end first (the client resets it, the connection
	// closes, an unknown method is refused).
	w.stopAfter = context.AfterFunc(ctx, w.done)
	b.mu.Unlock()
	if oldest != nil {
		oldest.expire()
	}
	return context.WithValue(ctx, waitingKey{}, w), nil
}

// done marks w as no longer waiting (its request arrived, or it ended).
func (w *waitingCall) done() {
	w.b.mu.Lock()
	w.doneLocked()
	w.b.mu.Unlock()
}

func (w *waitingCall) doneLocked() {
	if w.elem == nil {
		return
	}
	w.conn.waiting.Remove(w.elem)
	w.elem = nil
	w.b.n--
	if w.conn.waiting.Len() == 0 {
		delete(w.b.conns, w.conn)
	}
	w.timer.Stop()
	w.stopAfter()
}

// expire ends a call that waited too long.
func (w *waitingCall) expire() {
	w.done()
	w.cancel()
}

// requestSeen is the stats.Handler of the request bound: it gives each
// connection its connCalls, and tells the bound when a call's request
// has arrived (grpc-go reports each received message, InPayload, on the
// call's context, which carries the tap's waitingCall).
type requestSeen struct{}

func (requestSeen) TagConn(ctx context.Context, _ *stats.ConnTagInfo) context.Context {
	return context.WithValue(ctx, connKey{}, new(connCalls))
}

func (requestSeen) HandleRPC(ctx context.Context, s stats.RPCStats) {
	if _, ok := s.(*stats.InPayload); ok {
		if w, ok := ctx.Value(waitingKey{}).(*waitingCall); ok {
			w.done()
		}
	}
}

func (requestSeen) TagRPC(ctx context.Context, _ *stats.RPCTagInfo) context.Context { return ctx }
func (requestSeen) HandleConn(context.Context, stats.ConnStats)                     {}
