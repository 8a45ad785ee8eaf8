package healthreg

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// TestFlagsDefaults: without arguments the settings are the runtime's
// defaults, so a main that calls Flags behaves like one that does not.
func TestFlagsDefaults(t *testing.T) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	cfg := Flags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	want := ServerConfig{Addr: defaultAddr, DrainDelay: DefaultDrainDelay, StopTimeout: DefaultStopTimeout}
	if *cfg != want {
		t.Errorf("defaults = %+v, want %+v", *cfg, want)
	}
}

// TestFlagsParse: the flags the scaffold's Deployment passes parse into the
// configuration, and a flag Flags does not define is refused (the error a
// Deployment's args would cause in a main without Flags).
func TestFlagsParse(t *testing.T) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := Flags(fs)
	args := []string{"-addr=:8080", "-health-addr=:8086", "-drain=7s", "-stop-timeout=21s"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	want := ServerConfig{Addr: ":8080", HealthAddr: ":8086", DrainDelay: 7 * time.Second, StopTimeout: 21 * time.Second}
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
// port too), the drain and stop timeout reach the registry, the "serving"
// line names the bound addresses once liveness is SERVING, and the end of
// ctx shuts everything down.
func TestListenAndServe(t *testing.T) {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	cfg := Flags(fs)
	if err := fs.Parse([]string{"-addr=127.0.0.1:0", "-health-addr=127.0.0.1:0", "-drain=0s", "-stop-timeout=3s"}); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	r := New(append(cfg.Options(), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))...)
	if r.cfg.drainDelay != 0 || r.cfg.stopTimeout != 3*time.Second {
		t.Errorf("registry drain %v, stop timeout %v; want the flags' 0s, 3s", r.cfg.drainDelay, r.cfg.stopTimeout)
	}
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
	if st := r.Status(LivenessName); st != SERVING {
		t.Errorf("liveness %v when the serving line was logged, want SERVING", st)
	}
	wantStatuses(t, r, dial(t, addr), map[string]servingStatus{ReadinessName: SERVING})
	wantStatuses(t, r, dial(t, healthAddr), map[string]servingStatus{LivenessName: SERVING})

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
	r := newTestRegistry(t)
	shutdownAtEnd(t, r)
	for _, cfg := range []ServerConfig{{Addr: "127.0.0.1:-1"}, {Addr: "127.0.0.1:0", HealthAddr: "127.0.0.1:-1"}} {
		if err := cfg.ListenAndServe(context.Background(), r, grpc.NewServer()); err == nil {
			t.Errorf("%+v: ListenAndServe = nil, want the listen error", cfg)
		}
	}
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
