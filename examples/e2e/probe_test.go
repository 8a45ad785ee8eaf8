package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/protoc-gen-health/protoc-gen-health/examples/helloworld/gen/helloworld"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
)

// TestHelloworldWithGRPCHealthProbe runs the helloworld server and probes
// every health name with the real grpc_health_probe, ready and draining.
func TestHelloworldWithGRPCHealthProbe(t *testing.T) {
	t.Parallel()
	srv := startServer(t, exampleNamed(t, "helloworld"), "-addr=127.0.0.1:0", fmt.Sprintf("-drain=%v", drain))
	addr := "-addr=" + srv.Addr
	// probe runs grpc_health_probe for name; nil asks for no -service.
	probe := func(name *string) cmdResult {
		t.Helper()
		if name == nil {
			return grpcHealthProbe(t, addr)
		}
		return grpcHealthProbe(t, addr, "-service="+*name)
	}
	expect := func(phase string, name *string, want int) {
		t.Helper()
		if r := probe(name); r.code != want {
			t.Errorf("%s: grpc_health_probe -service=%s: exit %d, want %d\n%s", phase, show(name), r.code, want, r.out)
		}
	}
	greeter, liveness, readiness, unknown := helloworld.Greeter_HealthName, healthreg.LivenessName, healthreg.ReadinessName, unknownName

	eventually(t, startTimeout, "readiness SERVING", func() (bool, string) {
		r := probe(&readiness)
		return r.code == probeOK, r.out
	})
	for _, name := range []*string{&greeter, &liveness, &readiness, nil} {
		expect("ready", name, probeOK)
	}
	expect("ready", &unknown, probeRPCFailure)

	app := dial(t, srv.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
	defer cancel()
	if err := sayHello(ctx, app); err != nil {
		t.Errorf("ready: SayHello: %v", err)
	}

	sent := srv.sigterm()
	eventually(t, notReadyDeadline, "readiness NOT_SERVING after SIGTERM", func() (bool, string) {
		r := probe(&readiness)
		return r.code == probeNotServing, r.out
	})
	// The drain is short, and a loaded machine runs a process slowly: the
	// draining checks run at once.
	var wg sync.WaitGroup
	for _, name := range []*string{&readiness, nil, &greeter} {
		wg.Go(func() { expect("draining", name, probeNotServing) })
	}
	wg.Go(func() { expect("draining", &liveness, probeOK) })
	wg.Go(func() {
		if err := sayHello(ctx, app); err != nil {
			t.Errorf("draining: SayHello: %v", err)
		}
	})
	wg.Wait()
	if elapsed := time.Since(sent); elapsed >= drain {
		t.Fatalf("the draining checks took %v, longer than the drain %v: they may have seen the stop", elapsed, drain)
	}

	if code := srv.wait(exitTimeout); code != 0 {
		t.Errorf("the server exited %d after SIGTERM, want 0", code)
	}
	if elapsed := time.Since(sent); elapsed < drain {
		t.Errorf("the server exited %v after SIGTERM, before its drain of %v", elapsed, drain)
	}
}

func show(name *string) string {
	if name == nil {
		return "(none)"
	}
	return fmt.Sprintf("%q", *name)
}
