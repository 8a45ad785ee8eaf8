package e2e

import (
	"context"
	"flag"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/protoc-gen-health/protoc-gen-health/gen"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg/healthflags"
	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// TestScaffoldDefaultsMatchRuntime keeps the generator's copies of the
// runtime's drain and stop defaults (the generator does not import the
// runtime) equal to the runtime's, as the runtime shows them: the defaults
// of healthflags' -drain and -stop-timeout, which are New's own.
func TestScaffoldDefaultsMatchRuntime(t *testing.T) {
	cfg := healthflags.Define(flag.NewFlagSet("server", flag.ContinueOnError))
	if got, want := time.Duration(gen.DefaultDrainSeconds)*time.Second, cfg.DrainDelay; got != want {
		t.Errorf("gen.DefaultDrainSeconds = %d, want the runtime's default drain %v", gen.DefaultDrainSeconds, want)
	}
	if got, want := time.Duration(gen.DefaultStopSeconds)*time.Second, cfg.StopTimeout; got != want {
		t.Errorf("gen.DefaultStopSeconds = %d, want the runtime's default stop timeout %v", gen.DefaultStopSeconds, want)
	}
}

// TestFixedNamesAgree keeps the runtime's fixed health names and name limit
// (what the server registers; healthreg is its own module and cannot import the
// contract) equal to the contract's (what the generator's manifests probe and
// verify-probes accepts): its constants, and the names a new registry
// answers for ("" has no runtime constant).
func TestFixedNamesAgree(t *testing.T) {
	for _, c := range []struct{ what, contract, runtime string }{
		{"liveness", contract.LivenessName, healthreg.LivenessName},
		{"readiness", contract.ReadinessName, healthreg.ReadinessName},
	} {
		if c.contract != c.runtime {
			t.Errorf("%s: contract %q, runtime %q", c.what, c.contract, c.runtime)
		}
	}
	r := healthreg.New(healthreg.WithDrainDelay(0))
	defer r.Shutdown(context.Background(), nil)
	for _, name := range []string{contract.LivenessName, contract.ReadinessName, contract.OverallName} {
		if st := r.Status(name); st != healthpb.HealthCheckResponse_NOT_SERVING {
			t.Errorf("%q: a new registry answers %v, want NOT_SERVING (a name it serves)", name, st)
		}
	}
	if contract.MaxNameLength != healthreg.MaxNameLength {
		t.Errorf("MaxNameLength: contract %d (what the generator and verify-probes refuse beyond), runtime %d", contract.MaxNameLength, healthreg.MaxNameLength)
	}
	for _, name := range []string{contract.LivenessName, contract.ReadinessName, contract.OverallName, "a.B"} {
		if got, want := refusedByRegister(name), contract.IsFixedName(name); got != want {
			t.Errorf("%q: healthreg's Register refuses it: %v, contract.IsFixedName %v", name, got, want)
		}
	}
}

// refusedByRegister reports whether healthreg's Register panics on name,
// as it does on a reserved one.
func refusedByRegister(name string) (refused bool) {
	r := healthreg.New(healthreg.WithDrainDelay(0))
	defer r.Shutdown(context.Background(), nil)
	defer func() { refused = recover() != nil }()
	r.Register(name)
	return false
}
