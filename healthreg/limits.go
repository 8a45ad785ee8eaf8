package healthreg

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// The bounds that keep a hostile client of the health service from growing
// the process without limit. The health port is plaintext and
// unauthenticated by design (the kubelet cannot present credentials), so
// anyone who can reach it can call it; every request it accepts must cost a
// bounded amount of memory.
const (
	// MaxNameLength is the longest health-check name, in bytes, that Check
	// and Watch look up. A longer name can never be registered (Register
	// panics), so Check and Watch answer INVALID_ARGUMENT for it at once,
	// without storing it: grpc-go's Watch would otherwise keep every watched
	// name as a map key for the stream's life. Real names (a gRPC service's
	// full name) are far shorter.
	MaxNameLength = 1024

	// defaultMaxWatches is how many Watch streams may be open at once on
	// each endpoint the registry serves: each server given to
	// RegisterHealthService, each Watcher (an adapter's handler, such as
	// connecthealth's) and the health port have a budget of their own, so
	// that clients who exhaust one (the health port, which anyone may
	// reach, or a connect handler) never refuse the Watch of an
	// application client's client-side health checking on another (which
	// would mark the backend unhealthy). WithMaxWatches changes it. One more
	// is refused with RESOURCE_EXHAUSTED. Each open Watch holds a goroutine
	// and a few kilobytes; grpc-go's client-side health checking opens one
	// per client connection, so the bound must exceed the number of client
	// connections that use it.
	defaultMaxWatches = 1000
)

// The health port's server options (ServeHealth). Kubelet probes and grpc_health_probe
// open one connection per probe and send one small request.
const (
	// healthMaxRecvMsgSize bounds one request: a name of MaxNameLength bytes
	// plus framing fits with room to spare. grpc-go refuses a longer message
	// from its 5-byte prefix, before reading (or allocating) its body.
	healthMaxRecvMsgSize = 4 << 10

	// healthMaxConcurrentStreams bounds the calls open on one connection;
	// the client queues any more until one ends.
	healthMaxConcurrentStreams = 16

	// healthMaxHeaderListSize bounds the request headers (grpc-go's default
	// is 16 MiB); a probe sends a few hundred bytes.
	healthMaxHeaderListSize = 16 << 10

	// healthWindowSize fixes the flow-control windows at HTTP/2's minimum,
	// which also turns off grpc-go's dynamic (BDP) window that can grow to
	// 16 MiB per connection: a client can buffer at most this much in the
	// server per stream and per connection.
	healthWindowSize = 64 << 10

	// healthBufferSize is the per-connection read and write buffer size
	// (grpc-go's default is 32 KiB each): an idle connection is cheap.
	healthBufferSize = 8 << 10

	// healthConnectionTimeout bounds the wait for a new connection's HTTP/2
	// preface (grpc-go's default is 120s).
	healthConnectionTimeout = 10 * time.Second

	// healthRequestTimeout is how long a call may wait for its request
	// after its headers; then it is reset. A probe sends both at once.
	healthRequestTimeout = 2 * time.Second

	// healthMaxConns bounds the health port's open connections (all its
	// listeners together); one more closes the oldest connection of the
	// remote host holding the most (see portBounds). A probe holds one for
	// milliseconds. Not more: what a flood can keep busy on the port is its
	// connections' goroutines, and a probe's call waits behind them for
	// the CPU; under issue 19's attack a fresh probe's p99 was 9-25ms with
	// 32, 47-125ms with 64 and 209-394ms with 128 (make bench).
	healthMaxConns = 32

	// healthMaxWaiting bounds the calls, on all connections together,
	// whose headers have arrived but not their request; one more resets
	// the one waiting longest. Each holds a goroutine and its headers (up
	// to healthMaxHeaderListSize).
	healthMaxWaiting = 32
)

// healthServerOptions returns the health port's server options.
func healthServerOptions(bounds *portBounds) []grpc.ServerOption {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(healthMaxRecvMsgSize),
		grpc.MaxConcurrentStreams(healthMaxConcurrentStreams),
		grpc.MaxHeaderListSize(healthMaxHeaderListSize),
		grpc.InitialWindowSize(healthWindowSize),
		grpc.InitialConnWindowSize(healthWindowSize),
		grpc.ReadBufferSize(healthBufferSize),
		grpc.WriteBufferSize(healthBufferSize),
		grpc.SharedWriteBuffer(true),
		grpc.ConnectionTimeout(healthConnectionTimeout),
		// Clients may ping at most every 10s, even without a call open;
		// one that pings more often is sent GOAWAY (too_many_pings).
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             10 * time.Second,
			PermitWithoutStream: true,
		}),
		// A connection idle for a minute is closed (probes dial afresh each
		// time anyway), and one that neither sends nor acknowledges a ping
		// for 30s+10s (a client that stopped reading) is dropped.
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: time.Minute,
			Time:              30 * time.Second,
			Timeout:           10 * time.Second,
		}),
	}
	return append(opts, bounds.serverOptions()...)
}

// WithMaxWatches sets how many Watch streams may be open at once on each
// endpoint the registry serves, each separately (default
// 1000); more are refused with RESOURCE_EXHAUSTED.
func WithMaxWatches(n int) Option {
	if n < 1 {
		panic(fmt.Sprintf("healthreg: WithMaxWatches(%d): must be at least 1", n))
	}
	return func(c *config) { c.maxWatches = n }
}

// The errors of the bounds: Check and Watch answer them with the gRPC code
// of limitError, and Watcher's function returns them for adapters to
// translate.
var (
	// errNameTooLong: the name is longer than MaxNameLength (INVALID_ARGUMENT).
	errNameTooLong = errors.New("healthreg: service name too long")

	// errTooManyWatches: the endpoint's Watch streams are all taken
	// (WithMaxWatches; RESOURCE_EXHAUSTED).
	errTooManyWatches = errors.New("healthreg: too many Watch streams")
)

// limitError is a bound's error: its gRPC status is what grpc-go answers
// (GRPCStatus), and errors.Is matches its sentinel.
type limitError struct {
	code codes.Code
	msg  string
	is   error
}

func (e *limitError) Error() string              { return e.msg }
func (e *limitError) Unwrap() error              { return e.is }
func (e *limitError) GRPCStatus() *status.Status { return status.New(e.code, e.msg) }

// checkNameLength refuses a name no Register can have made, before anything
// stores it. The message gives the length, not the name: echoing a
// megabyte back is what the bound is there to avoid.
func checkNameLength(name string) error {
	if len(name) > MaxNameLength {
		return &limitError{codes.InvalidArgument,
			fmt.Sprintf("healthreg: service name of %d bytes; names are at most %d bytes", len(name), MaxNameLength),
			errNameTooLong}
	}
	return nil
}

// watchBudget counts the open Watch streams of one endpoint (see
// defaultMaxWatches).
type watchBudget struct {
	open atomic.Int64
	side *atomic.Int64 // the open streams of all its side's endpoints, or nil
}

// acquire takes one of the endpoint's max Watch slots, or says why not. The
// caller calls release when the stream ends.
func (b *watchBudget) acquire(max int) error {
	if b.open.Add(1) > int64(max) {
		b.open.Add(-1)
		return &limitError{codes.ResourceExhausted,
			fmt.Sprintf("healthreg: %d Watch streams are open, the most this server allows", max),
			errTooManyWatches}
	}
	if b.side != nil {
		b.side.Add(1)
	}
	return nil
}

func (b *watchBudget) release() {
	b.open.Add(-1)
	if b.side != nil {
		b.side.Add(-1)
	}
}
