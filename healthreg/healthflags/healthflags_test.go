package healthflags

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/internal/defaults"
)

// ListenAndServe leaves no goroutine behind once it has returned.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// waitTimeout bounds every wait-for-condition; a passing test never waits
// for it.
const waitTimeout = 10 * time.Second

// TestDefineDefaults: without arguments the settings are healthreg's
// defaults (the ones New applies without options), so a main that calls
// Define behaves like one that does not.
func TestDefineDefaults(t *testing.T) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	cfg := Define(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: defaultAddr, DrainDelay: defaults.DrainDelay, StopTimeout: defaults.StopTimeout}
	if *cfg != want {
		t.Errorf("defaults = %+v, want %+v", *cfg, want)
	}
}

// TestDefineParse: the flags the scaffold's Deployment passes parse into the
// configuration, and a flag Define does not define is refused (the error a
// Deployment's args would cause in a main without Define).
func TestDefineParse(t *testing.T) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := Define(fs)
	args := []string{"-addr=:8080", "-health-addr=:8086", "-drain=7s", "-stop-timeout=21s"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: ":8080", HealthAddr: ":8086", DrainDelay: 7 * time.Second, StopTimeout: 21 * time.Second}
	if *cfg != want {
		t.Errorf("%v parsed into %+v, want %+v", args, *cfg, want)
	}
	if err := fs.Parse([]string{"-grace=1s"}); err == nil || !strings.Contains(err.Error(), "-grace") {
		t.Errorf("an unknown flag parsed: %v", err)
	}
	// A negative or malformed duration is refused by Parse, naming the
	// flag, instead of reaching Options, whose WithDrainDelay would panic.
	for _, arg := range []string{"-drain=-1s", "-stop-timeout=-5s", "-drain=5"} {
		if err := fs.Parse([]string{arg}); err == nil || !strings.Contains(err.Error(), strings.SplitN(arg, "=", 2)[0]) {
			t.Errorf("%s: Parse = %v, want an error naming the flag", arg, err)
		}
	}
	if *cfg != want {
		t.Errorf("after refused values the configuration is %+v, want %+v unchanged", *cfg, want)
	}
}

// TestListenAndServe: the configuration's addresses are served (the health
// port too), the "serving" line names the bound addresses once liveness is
// SERVING, and the end of ctx shuts everything down. That -drain reaches
// the registry through Options is shown end to end by examples/rollout,
// whose rolling restart loses RPCs with -drain=0 and none with a drain.
func TestListenAndServe(t *testing.T) {
	logs := captureDefaultLog(t)
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	cfg := Define(fs)
	if err := fs.Parse([]string{"-addr=127.0.0.1:0", "-health-addr=127.0.0.1:0", "-drain=0s", "-stop-timeout=3s"}); err != nil {
		t.Fatal(err)
	}
	r := healthreg.New(cfg.Options()...)
	srv := grpc.NewServer()
	r.RegisterHealthService(srv)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cfg.ListenAndServe(ctx, r, srv) }()

	var addr, healthAddr string
	waitFor(t, `the "serving" log line`, func() bool {
		addr, healthAddr = servingLine(logs.String())
		return addr != ""
	})
	if healthAddr == "" {
		t.Fatalf(`the "serving" line names no health_addr:\n%s`, logs.String())
	}
	if st := r.Status(healthreg.LivenessName); st != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("liveness %v when the serving line was logged, want SERVING", st)
	}
	for _, c := range []struct{ addr, name string }{{addr, healthreg.ReadinessName}, {healthAddr, healthreg.LivenessName}} {
		waitFor(t, c.name+" SERVING on "+c.addr, func() bool {
			return check(t, c.addr, c.name) == healthpb.HealthCheckResponse_SERVING
		})
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe = %v, want nil after ctx ended", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("ListenAndServe did not return after ctx ended")
	}
}

// TestListenAndServeBadAddr: an address that cannot be listened on is
// returned at once.
func TestListenAndServeBadAddr(t *testing.T) {
	r := healthreg.New(healthreg.WithDrainDelay(0), healthreg.WithLogger(slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { r.Shutdown(context.Background(), nil) })
	for _, cfg := range []Config{{Addr: "127.0.0.1:-1"}, {Addr: "127.0.0.1:0", HealthAddr: "127.0.0.1:-1"}} {
		if err := cfg.ListenAndServe(context.Background(), r, grpc.NewServer()); err == nil {
			t.Errorf("%+v: ListenAndServe = nil, want the listen error", cfg)
		}
	}
}

// captureDefaultLog sends slog.Default() (where ListenAndServe and a
// registry without WithLogger log) to a buffer until the test ends.
func captureDefaultLog(t *testing.T) *syncBuffer {
	b := new(syncBuffer)
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(b, nil)))
	t.Cleanup(func() {
		slog.SetDefault(old)
		if t.Failed() {
			t.Logf("log:\n%s", b.String())
		}
	})
	return b
}

// syncBuffer is a bytes.Buffer the server's goroutines can log to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// servingLine returns the addresses of the first "serving" line of slog
// text output.
func servingLine(logs string) (addr, healthAddr string) {
	for line := range strings.SplitSeq(logs, "\n") {
		if !strings.Contains(line, " msg=serving ") {
			continue
		}
		for field := range strings.FieldsSeq(line) {
			if a, ok := strings.CutPrefix(field, "addr="); ok {
				addr = a
			}
			if a, ok := strings.CutPrefix(field, "health_addr="); ok {
				healthAddr = a
			}
		}
		return addr, healthAddr
	}
	return "", ""
}

// check asks addr's health service about name, as a probe does;
// SERVICE_UNKNOWN on any error.
func check(t *testing.T, addr, name string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	resp, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: name})
	if err != nil {
		return healthpb.HealthCheckResponse_SERVICE_UNKNOWN
	}
	return resp.GetStatus()
}

// waitFor polls cond until it holds, failing the test after waitTimeout.
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
