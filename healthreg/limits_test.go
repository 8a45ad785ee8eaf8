package healthreg

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"weak"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// serveHealthPort runs r.ServeHealth on a loopback listener until the test
// ends (Shutdown at cleanup) and returns its address.
func serveHealthPort(t testing.TB, r *Registry) string {
	t.Helper()
	lis := listen(t)
	done := make(chan error, 1)
	go func() { done <- r.ServeHealth(lis) }()
	t.Cleanup(func() {
		r.Shutdown(context.Background(), nil)
		<-done
	})
	return lis.Addr().String()
}

// watchCode opens a Watch of name and returns the code of its first answer:
// OK for a status, else the stream's error. The stream stays open, until the
// test ends, when the answer is OK.
func watchCode(t testing.TB, c healthpb.HealthClient, name string) codes.Code {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stream, err := c.Watch(ctx, &healthpb.HealthCheckRequest{Service: name})
	if err == nil {
		_, err = stream.Recv()
	}
	if err != nil {
		cancel()
		return status.Code(err)
	}
	t.Cleanup(cancel)
	return codes.OK
}

// A name no Register can have made is refused before grpc-go's health
// server stores it, on the application server and on the health port.
func TestNameLengthBound(t *testing.T) {
	r := newTestRegistry(t)
	app := startApp(t, r)
	port := dial(t, serveHealthPort(t, r))
	longest := strings.Repeat("n", MaxNameLength)
	tooLong := longest + "n"
	for where, c := range map[string]healthpb.HealthClient{"application server": app.client, "health port": port} {
		if _, code := probe(t, c, longest); code != codes.NotFound {
			t.Errorf("%s: Check of a %d-byte name: %v, want NotFound", where, len(longest), code)
		}
		if _, code := probe(t, c, tooLong); code != codes.InvalidArgument {
			t.Errorf("%s: Check of a %d-byte name: %v, want InvalidArgument", where, len(tooLong), code)
		}
		if code := watchCode(t, c, longest); code != codes.OK {
			t.Errorf("%s: Watch of a %d-byte name: %v, want OK", where, len(longest), code)
		}
		if code := watchCode(t, c, tooLong); code != codes.InvalidArgument {
			t.Errorf("%s: Watch of a %d-byte name: %v, want InvalidArgument", where, len(tooLong), code)
		}
	}
	// The health port refuses a 4 MB request from its length prefix; the
	// application server (4 MiB limit) decodes it, and the name bound
	// refuses it.
	huge := strings.Repeat("n", 4<<20-16)
	if _, code := probe(t, port, huge); code != codes.ResourceExhausted {
		t.Errorf("health port: Check of a 4 MB name: %v, want ResourceExhausted", code)
	}
	if _, code := probe(t, app.client, huge); code != codes.InvalidArgument {
		t.Errorf("application server: Check of a 4 MB name: %v, want InvalidArgument", code)
	}

	// A name of exactly MaxNameLength bytes registers, and Check finds it.
	r.Register(longest)
	for where, c := range map[string]healthpb.HealthClient{"application server": app.client, "health port": port} {
		if _, code := probe(t, c, longest); code != codes.OK {
			t.Errorf("%s: Check of the registered %d-byte name: %v, want OK", where, len(longest), code)
		}
	}

	defer func() {
		if p := recover(); p == nil || !strings.Contains(p.(string), "longer than MaxNameLength") {
			t.Errorf("Register(a too long name): panic %v", p)
		}
	}()
	r.Register(tooLong)
}

// The Watch bound is a budget per side: a full health port refuses none of
// the application server's Watches, which have a budget of their own; a
// stream that ends frees its slot.
func TestWatchBound(t *testing.T) {
	r := newTestRegistry(t, WithMaxWatches(2))
	app := startApp(t, r)
	port := dial(t, serveHealthPort(t, r))
	if code := watchCode(t, app.client, LivenessName); code != codes.OK {
		t.Fatalf("Watch 1: %v", code)
	}
	if code := watchCode(t, port, LivenessName); code != codes.OK {
		t.Fatalf("Watch 2: %v", code)
	}
	w := watch(t, port, ReadinessName)
	w.waitLast(t, NOT_SERVING)
	if code := watchCode(t, port, LivenessName); code != codes.ResourceExhausted {
		t.Errorf("health port: a third Watch: %v, want ResourceExhausted", code)
	}
	// The application side has a budget of its own: the full health port
	// refuses none of its Watches, up to its own bound.
	if code := watchCode(t, app.client, LivenessName); code != codes.OK {
		t.Errorf("application server: Watch 2 beside a full health port: %v, want OK", code)
	}
	if code := watchCode(t, app.client, LivenessName); code != codes.ResourceExhausted {
		t.Errorf("application server: a third Watch: %v, want ResourceExhausted", code)
	}
	// Refused names and Checks are unaffected.
	if st, code := probe(t, port, LivenessName); code != codes.OK || st != NOT_SERVING {
		t.Errorf("Check with every Watch slot taken: %v, %v", st, code)
	}

	// Shutdown ends the streams; their slots are free again afterwards.
	if err := r.Shutdown(context.Background(), app.srv); err != nil {
		t.Fatal(err)
	}
	w.ended(t)
	waitFor(t, "every Watch slot to be released", func() bool {
		return appWatchesOpen(r) == 0 && r.portWatches.open.Load() == 0
	})
}

// rawCodec sends bytes marshalled once, so the attacker's own 4 MB requests
// do not count against the server's heap in the load test.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	if b, ok := v.(*[]byte); ok {
		return *b, nil
	}
	return proto.Marshal(v.(proto.Message))
}

func (rawCodec) Unmarshal(data []byte, v any) error { return proto.Unmarshal(data, v.(proto.Message)) }
func (rawCodec) Name() string                       { return "proto" }

var watchDesc = grpc.StreamDesc{StreamName: "Watch", ServerStreams: true}

// The health port under attack: 10,000 Watch attempts from 100 connections
// (each holding what it can), then 4 MB names on Check and Watch. The bounds
// must hold the heap the attack leaves behind (client side included, the
// two share this process) to under 64 MiB, and a probe must still get its
// answer. The same attack held 1.4 GiB with 300 streams before the bounds.
func TestHealthPortUnderAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	const (
		conns    = 100
		attempts = 10_000
		workers  = 32
		perConn  = healthMaxConcurrentStreams // the client would queue more
		hugeName = 4<<20 - 16                 // under grpc-go's default 4 MiB limit
		hugeOnes = 300
	)
	// The port's connection bound (healthMaxConns, 32) would hold the Watch
	// streams to 32 × 16, under the budget this tests, and the attack and
	// the probe come from the same host: room for both here;
	// TestHungCalls tests that bound.
	r := newTestRegistry(t, func(c *config) { c.healthMaxConns = conns + 1 })
	addr := serveHealthPort(t, r)
	base := heapInUse()
	began := time.Now()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends every held stream
	var ccs []*grpc.ClientConn
	for range conns {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecureCreds()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cc.Close() })
		ccs = append(ccs, cc)
	}
	// slots[i] holds one token per stream open on ccs[i].
	slots := make([]chan struct{}, conns)
	for i := range slots {
		slots[i] = make(chan struct{}, perConn)
	}
	take := func(start int) int {
		for i := start; ; i++ {
			select {
			case slots[i%conns] <- struct{}{}:
				return i % conns
			default:
			}
		}
	}

	var mu sync.Mutex
	count := map[codes.Code]int{}
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for n := range next {
				i := take(n)
				c := healthpb.NewHealthClient(ccs[i])
				stream, err := c.Watch(ctx, &healthpb.HealthCheckRequest{Service: "attack.Name"})
				if err == nil {
					_, err = stream.Recv()
				}
				code := status.Code(err)
				if code != codes.OK {
					<-slots[i] // refused: the stream is over
				}
				mu.Lock()
				count[code]++
				mu.Unlock()
			}
		})
	}
	for n := range attempts {
		next <- n
	}
	close(next)
	wg.Wait()
	if count[codes.OK] != defaultMaxWatches || count[codes.ResourceExhausted] != attempts-defaultMaxWatches {
		t.Errorf("Watch attempts: %v, want %d OK and the rest ResourceExhausted", count, defaultMaxWatches)
	}

	t.Logf("watches done after %v", time.Since(began))
	// 4 MB names, 16 at a time, on Check and Watch.
	req, err := proto.Marshal(&healthpb.HealthCheckRequest{Service: strings.Repeat("n", hugeName)})
	if err != nil {
		t.Fatal(err)
	}
	huge := map[codes.Code]int{}
	next = make(chan int)
	for w := range 16 {
		wg.Go(func() {
			cc := ccs[w]
			for n := range next {
				var err error
				if n%2 == 0 {
					err = cc.Invoke(ctx, "/grpc.health.v1.Health/Check", &req, &healthpb.HealthCheckResponse{}, grpc.ForceCodec(rawCodec{}))
				} else {
					var stream grpc.ClientStream
					stream, err = cc.NewStream(ctx, &watchDesc, "/grpc.health.v1.Health/Watch", grpc.ForceCodec(rawCodec{}))
					if err == nil {
						stream.SendMsg(&req) // may fail once the server refuses; RecvMsg says why
						stream.CloseSend()
						err = stream.RecvMsg(&healthpb.HealthCheckResponse{})
					}
				}
				mu.Lock()
				huge[status.Code(err)]++
				mu.Unlock()
			}
		})
	}
	for n := range hugeOnes {
		next <- n
	}
	close(next)
	wg.Wait()
	if huge[codes.ResourceExhausted] != hugeOnes {
		t.Errorf("4 MB names: %v, want all ResourceExhausted", huge)
	}

	t.Logf("4 MB done after %v", time.Since(began))
	// A probe on a fresh connection still gets its answer.
	if st, code := probe(t, dial(t, addr), LivenessName); code != codes.OK || st != NOT_SERVING {
		t.Errorf("a probe during the attack: %v, %v", st, code)
	}
	extra := heapInUse() - base
	t.Logf("%d Watch streams held, %d refused, %d 4 MB requests refused: heap +%.1f MiB",
		count[codes.OK], count[codes.ResourceExhausted], huge[codes.ResourceExhausted], float64(extra)/(1<<20))
	if extra > 64<<20 {
		t.Errorf("the attack holds %d MiB of heap, want < 64 MiB", extra>>20)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// A Watcher, for adapters, applies the same bounds and says which with
// errors an adapter can translate; each Watcher has a budget of its own,
// apart from the application server's.
func TestWatcherBounds(t *testing.T) {
	r := newTestRegistry(t, WithMaxWatches(1))
	shutdownAtEnd(t, r)
	app := startApp(t, r)
	watch, other := r.Watcher(), r.Watcher()
	send := func(servingStatus) error { return nil }
	if err := watch(context.Background(), strings.Repeat("n", MaxNameLength+1), send); !errors.Is(err, errNameTooLong) {
		t.Errorf("Watch of a too long name = %v, want errNameTooLong", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { first <- watch(ctx, LivenessName, send) }()
	waitFor(t, "the first Watch", func() bool { return appWatchesOpen(r) == 1 })
	if err := watch(context.Background(), LivenessName, send); !errors.Is(err, errTooManyWatches) {
		t.Errorf("a second Watch = %v, want errTooManyWatches", err)
	}
	// The other Watcher and the application server each have their own.
	second := make(chan error, 1)
	go func() { second <- other(ctx, LivenessName, send) }()
	if code := watchCode(t, app.client, LivenessName); code != codes.OK {
		t.Errorf("the application server's Watch beside a full Watcher: %v, want OK", code)
	}
	waitFor(t, "three Watches", func() bool { return appWatchesOpen(r) == 3 })
	cancel()
	for _, ch := range []chan error{first, second} {
		if err := <-ch; !errors.Is(err, context.Canceled) {
			t.Errorf("a Watch = %v", err)
		}
	}
}

// A Watcher's budget belongs to the Watcher: a handler that builds one per
// request leaves nothing behind in the registry once it is dropped.
func TestWatcherBudgetNotRetained(t *testing.T) {
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	b := r.newAppBudget()
	if err := b.acquire(1); err != nil {
		t.Fatal(err)
	}
	b.release()
	held := weak.Make(b)
	b = nil
	for i := 0; i < 5 && held.Value() != nil; i++ {
		runtime.GC()
	}
	if held.Value() != nil {
		t.Error("the registry still holds a dropped endpoint's Watch budget")
	}
	if n := appWatchesOpen(r); n != 0 {
		t.Errorf("open Watch streams after release: %d", n)
	}
}
