package healthreg

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// hungAttack is a client that opens calls and never sends their requests:
// each connection opens Streams Check calls whose headers carry
// HeaderBytes of padding, answers the server's pings and settings, opens
// a new call for each one the server ends, and dials afresh when the
// server closes the connection. It runs in a process of its own (the
// test binary, see TestMain), so the server's memory and goroutines are
// this process's alone.
type hungAttack struct {
	Addr        string
	From        string // local IP to dial from
	Conns       int
	Streams     int
	HeaderBytes int
	Duration    time.Duration
	Redial      time.Duration // pause before dialling again
	Reopen      time.Duration // pause before opening a call in place of one the server ended
}

// hungResult is what the attacking process saw.
type hungResult struct {
	Dials  int64 // connections made
	Resets int64 // calls the server ended (trailers or RST_STREAM)
}

const hungAttackEnv = "HEALTHREG_HUNG_ATTACK"

// runHungAttackFromEnv is the attacking process's main: it runs the
// attack described in the environment and prints its hungResult.
func runHungAttackFromEnv() {
	var a hungAttack
	if err := json.Unmarshal([]byte(os.Getenv(hungAttackEnv)), &a); err != nil {
		panic(err)
	}
	res := a.run()
	json.NewEncoder(os.Stdout).Encode(res)
}

func (a hungAttack) run() hungResult {
	var dials, resets atomic.Int64
	deadline := time.Now().Add(a.Duration)
	var wg sync.WaitGroup
	for range a.Conns {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if a.conn(deadline, &resets) {
					dials.Add(1)
				}
				time.Sleep(a.Redial)
			}
		})
	}
	wg.Wait()
	return hungResult{Dials: dials.Load(), Resets: resets.Load()}
}

// conn runs one connection until the server closes it or deadline; it
// reports whether it connected.
func (a hungAttack) conn(deadline time.Time, resets *atomic.Int64) bool {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(a.From)}, Deadline: deadline}
	c, err := d.Dial("tcp", a.Addr)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(deadline)
	bw := bufio.NewWriter(c)
	fr := http2.NewFramer(bw, c)
	var hbuf bytes.Buffer
	enc := hpack.NewEncoder(&hbuf)
	pad := strings.Repeat("p", a.HeaderBytes)
	next := uint32(1)
	open := map[uint32]bool{}
	call := func() error {
		hbuf.Reset()
		for _, f := range [][2]string{
			{":method", "POST"}, {":scheme", "http"}, {":path", "/grpc.health.v1.Health/Check"},
			{":authority", a.Addr}, {"content-type", "application/grpc"}, {"te", "trailers"}, {"x-pad", pad},
		} {
			enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
		}
		open[next] = true
		err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: next, BlockFragment: hbuf.Bytes(), EndHeaders: true})
		next += 2
		return err
	}
	bw.WriteString(http2.ClientPreface)
	fr.WriteSettings()
	for range a.Streams {
		call()
	}
	if bw.Flush() != nil {
		return true
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return true
		}
		ended := uint32(0)
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				fr.WritePing(true, f.Data)
			}
		case *http2.GoAwayFrame:
			return true
		case *http2.RSTStreamFrame:
			ended = f.StreamID
		case *http2.HeadersFrame:
			if f.StreamEnded() {
				ended = f.StreamID
			}
		}
		if open[ended] {
			delete(open, ended)
			resets.Add(1)
			time.Sleep(a.Reopen)
			call()
		}
		if bw.Flush() != nil {
			return true
		}
	}
}

// startHungAttack runs a in a child process and returns a function that
// waits for it and returns what it saw. With HEALTHREG_ATTACK_CPUS set
// (a taskset CPU list) the child runs on those CPUs only, as an attacker
// on another machine would take none of the server's CPU.
func startHungAttack(t testing.TB, a hungAttack) func() hungResult {
	return startChild[hungResult](t, hungAttackEnv, a, os.Getenv("HEALTHREG_ATTACK_CPUS"))
}

// startChild runs this test binary with spec, as JSON, in env (TestMain
// then runs that child's part), on cpus if not "", and returns a function
// that waits for it and returns the JSON it printed.
func startChild[R any](t testing.TB, env string, spec any, cpus string) func() R {
	t.Helper()
	js, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if cpus != "" {
		cmd = exec.Command("taskset", "-c", cpus, os.Args[0], "-test.run=^$")
	}
	cmd.Env = append(os.Environ(), env+"="+string(js))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return func() R {
		t.Helper()
		if err := cmd.Wait(); err != nil {
			t.Fatalf("the %s process: %v\n%s", env, err, out.String())
		}
		var res R
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("the %s process's result: %v\n%s", env, err, out.String())
		}
		return res
	}
}

// prober sends a probe on a fresh connection every Every, with Timeout,
// for Duration. It runs in a process of its own, as the kubelet does: a
// server starved of CPU then delays its answers, not the probe's own
// client as well.
type prober struct {
	Addr                     string
	Every, Timeout, Duration time.Duration
}

// proberResult is how the probes fared.
type proberResult struct {
	Took     []time.Duration // each probe's time to its answer, or to its failure
	Failures int
	LastErr  string // the last failure's
}

const proberEnv = "HEALTHREG_PROBER"

// runProberFromEnv is the probing process's main.
func runProberFromEnv() {
	var p prober
	if err := json.Unmarshal([]byte(os.Getenv(proberEnv)), &p); err != nil {
		panic(err)
	}
	var res proberResult
	end := time.Now().Add(p.Duration)
	for next := time.Now().Add(p.Every); next.Before(end); next = next.Add(p.Every) {
		time.Sleep(time.Until(next))
		took, err := freshProbe(p.Addr, p.Timeout)
		res.Took = append(res.Took, took)
		if err != nil {
			res.Failures++
			res.LastErr = err.Error()
		}
	}
	json.NewEncoder(os.Stdout).Encode(res)
}

// hungReport is what the server went through during an attack.
type hungReport struct {
	baseRSS, peakRSS             int64 // bytes
	baseGoroutines, peakRoutines int
	peakConns, peakWaiting       int
	probes                       proberResult
}

// probeLatency returns the q-quantile (0 < q <= 1) of the probes' times.
func (r hungReport) probeLatency(q float64) time.Duration {
	if len(r.probes.Took) == 0 {
		return 0
	}
	d := slices.Sorted(slices.Values(r.probes.Took))
	return d[max(0, int(math.Ceil(q*float64(len(d))))-1)]
}

// probeSummary says how the probes fared, for the logs.
func (r hungReport) probeSummary() string {
	return fmt.Sprintf("%d probes, %d failed, p50 %v p90 %v p99 %v max %v",
		len(r.probes.Took), r.probes.Failures, r.probeLatency(0.5).Round(time.Millisecond), r.probeLatency(0.9).Round(time.Millisecond),
		r.probeLatency(0.99).Round(time.Millisecond), r.probeLatency(1).Round(time.Millisecond))
}

// underHungAttack runs a against r's health port at addr while sampling
// the process's RSS and goroutines and the bounds' counts, and, from a
// process of its own (see prober), sending a probe on a fresh connection
// every probeEvery, with probeTimeout.
func underHungAttack(t testing.TB, r *Registry, a hungAttack, probeEvery, probeTimeout time.Duration) (hungReport, hungResult) {
	t.Helper()
	runtime.GC()
	rep := hungReport{baseRSS: rss(t), baseGoroutines: runtime.NumGoroutine()}
	b := portBoundsOf(t, r)
	wait := startHungAttack(t, a)
	end := time.Now().Add(a.Duration)
	probes := startChild[proberResult](t, proberEnv, prober{Addr: a.Addr, Every: probeEvery, Timeout: probeTimeout, Duration: a.Duration}, "")
	sample := time.NewTicker(50 * time.Millisecond)
	defer sample.Stop()
	for time.Now().Before(end) {
		<-sample.C
		rep.peakRSS = max(rep.peakRSS, rss(t))
		rep.peakRoutines = max(rep.peakRoutines, runtime.NumGoroutine())
		b.conns.mu.Lock()
		rep.peakConns = max(rep.peakConns, b.conns.open)
		b.conns.mu.Unlock()
		b.waiting.mu.Lock()
		rep.peakWaiting = max(rep.peakWaiting, b.waiting.n)
		b.waiting.mu.Unlock()
	}
	rep.probes = probes()
	return rep, wait()
}

// portBoundsOf waits for r's health port to be made and returns its bounds.
func portBoundsOf(t testing.TB, r *Registry) *portBounds {
	t.Helper()
	var b *portBounds
	waitFor(t, "the health port", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		b = r.portBounds
		return b != nil
	})
	return b
}

// freshProbe is the kubelet's probe: a new connection, one Check with
// timeout. It reports how long the answer took, or why there
// was none.
func freshProbe(addr string, timeout time.Duration) (time.Duration, error) {
	began := time.Now()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecureCreds()))
	if err != nil {
		return time.Since(began), err
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: LivenessName})
	return time.Since(began), err
}

// rss is the process's resident set size, from /proc/self/status.
func rss(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skip("no /proc/self/status:", err)
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// attackerAddr is a loopback address other than the probes' 127.0.0.1,
// as an attacker's pod IP differs from the kubelet's node IP.
func attackerAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip("127.0.0.2 is not a loopback address here:", err)
	}
	l.Close()
	return "127.0.0.2"
}

// Calls that send their headers and never their request are reset after
// the request timeout; the health port's connections and waiting calls
// stay within their bounds however many connections the attacker opens,
// and so do its goroutines; a probe on a fresh connection is answered
// throughout.
func TestHungCalls(t *testing.T) {
	const (
		maxConns   = 32
		maxWaiting = 64
		// Not shorter: a probe's call waits for its request until grpc-go
		// reports it read, and under -race on a loaded machine that took
		// over 300ms (the probe was then reset, DeadlineExceeded, in 1 run
		// of 4). The default is 2s.
		timeout = time.Second
	)
	r := newTestRegistry(t, func(c *config) {
		c.healthMaxConns, c.healthMaxWaiting, c.healthRequestTimeout = maxConns, maxWaiting, timeout
	})
	addr := serveHealthPort(t, r)
	a := hungAttack{Addr: addr, From: attackerAddr(t), Conns: 64, Streams: 16, HeaderBytes: 4 << 10,
		Duration: 3 * time.Second, Redial: 20 * time.Millisecond, Reopen: 5 * time.Millisecond}
	rep, res := underHungAttack(t, r, a, 200*time.Millisecond, waitTimeout)
	t.Logf("peak %d connections, %d waiting calls, %d goroutines (%d before); attacker: %d dials, %d calls reset; %s",
		rep.peakConns, rep.peakWaiting, rep.peakRoutines, rep.baseGoroutines, res.Dials, res.Resets, rep.probeSummary())

	if rep.peakConns > maxConns || rep.peakWaiting > maxWaiting {
		t.Errorf("peak %d connections, %d waiting calls; bounds %d, %d", rep.peakConns, rep.peakWaiting, maxConns, maxWaiting)
	}
	// Per connection grpc-go runs a reader, a writer and a keepalive
	// goroutine; per waiting call one goroutine. Twice that allows for
	// connections and calls being torn down; unbounded, the attack would
	// hold 64 × (3 + 16).
	if limit := rep.baseGoroutines + 2*(3*maxConns+maxWaiting) + 32; rep.peakRoutines > limit {
		t.Errorf("%d goroutines at the peak, want at most %d", rep.peakRoutines, limit)
	}
	// How many depends on the machine's speed; TestHungCallReset times one.
	if res.Resets == 0 {
		t.Error("no call was reset or refused")
	}
	// Answered at all: how fast is make bench's to measure (the full-size
	// attack, with the kubelet's one-second timeout); a loaded machine
	// slows the probe without any attack.
	if rep.probes.Failures > 0 {
		t.Errorf("%s; the last failure: %v", rep.probeSummary(), rep.probes.LastErr)
	}
	// Once the attack ends everything it held is released.
	b := portBoundsOf(t, r)
	waitFor(t, "the bounds to empty", func() bool {
		b.conns.mu.Lock()
		defer b.conns.mu.Unlock()
		b.waiting.mu.Lock()
		defer b.waiting.mu.Unlock()
		return b.conns.open == 0 && b.waiting.n == 0
	})
}

// A call that waits for its request longer than the timeout is reset even
// when nothing else is going on, with the status grpc-go gives a
// cancelled call.
func TestHungCallReset(t *testing.T) {
	r := newTestRegistry(t, func(c *config) { c.healthRequestTimeout = 100 * time.Millisecond })
	addr := serveHealthPort(t, r)
	a := hungAttack{Addr: addr, From: "127.0.0.1", Conns: 1, Streams: 1, Duration: 500 * time.Millisecond, Redial: time.Hour}
	var resets atomic.Int64
	a.conn(time.Now().Add(a.Duration), &resets)
	if n := resets.Load(); n < 3 || n > 5 {
		t.Errorf("%d resets in %v of a call renewed on each, want about 5", n, a.Duration)
	}
	if st, code := probe(t, dial(t, addr), LivenessName); code != codes.OK || st != NOT_SERVING {
		t.Errorf("a probe after: %v, %v", st, code)
	}
}

// The full-size attack of issue 19: 1,000 connections × 16 calls with
// 15 KB of headers for 25 s against the default bounds. Run by make bench
// (HEALTHREG_ATTACK=1); HEALTHREG_ATTACK=unbounded lifts the bounds, for
// the figures without them.
func TestHungCallsFullSize(t *testing.T) {
	mode := os.Getenv("HEALTHREG_ATTACK")
	if mode == "" {
		t.Skip("set HEALTHREG_ATTACK=1 (or unbounded) to run the full-size attack")
	}
	opts, bounds := []Option{WithLogger(slog.New(slog.DiscardHandler))}, "the bounds"
	if mode == "unbounded" {
		bounds = "no bounds"
		opts = append(opts, func(c *config) {
			c.healthMaxConns, c.healthMaxWaiting, c.healthRequestTimeout = 1<<30, 1<<30, time.Hour
		})
	}
	r := New(opts...)
	addr := serveHealthPort(t, r)
	conns := 1000
	if v := os.Getenv("HEALTHREG_ATTACK_CONNS"); v != "" {
		conns, _ = strconv.Atoi(v)
	}
	a := hungAttack{Addr: addr, From: attackerAddr(t), Conns: conns, Streams: 16, HeaderBytes: 15 << 10,
		Duration: 25 * time.Second, Redial: 0}
	rep, res := underHungAttack(t, r, a, 250*time.Millisecond, time.Second)
	load, _ := os.ReadFile("/proc/loadavg")
	t.Logf("hung calls (%s), %d connections × %d calls, %d B headers, %v: RSS %.0f → peak %.0f MiB (+%.0f), goroutines %d → peak %d, peak %d connections and %d waiting calls; attacker: %d dials, %d calls reset; fresh probes (1s timeout): %s; load %s",
		bounds, a.Conns, a.Streams, a.HeaderBytes, a.Duration,
		float64(rep.baseRSS)/(1<<20), float64(rep.peakRSS)/(1<<20), float64(rep.peakRSS-rep.baseRSS)/(1<<20),
		rep.baseGoroutines, rep.peakRoutines, rep.peakConns, rep.peakWaiting, res.Dials, res.Resets,
		rep.probeSummary(), strings.Join(strings.Fields(string(load))[:3], " "))
	if mode == "unbounded" {
		return
	}
	// Issue 19's goals.
	if rep.peakRSS-rep.baseRSS > 100<<20 {
		t.Errorf("the attack grew RSS by %d MiB, want at most 100", (rep.peakRSS-rep.baseRSS)>>20)
	}
	if rep.probes.Failures > 0 {
		t.Errorf("%d of %d fresh probes had no answer within 1s (the last: %v)", rep.probes.Failures, len(rep.probes.Took), rep.probes.LastErr)
	}
}
