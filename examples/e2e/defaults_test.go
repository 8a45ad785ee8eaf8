package e2e

import (
	"testing"
	"time"

	"github.com/protoc-gen-health/protoc-gen-health/gen"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// TestScaffoldDefaultsMatchRuntime keeps the generator's copies of the
// runtime's drain and stop defaults (the generator does not import the
// runtime) equal to the runtime's.
func TestScaffoldDefaultsMatchRuntime(t *testing.T) {
	if got, want := time.Duration(gen.DefaultDrainSeconds)*time.Second, healthreg.DefaultDrainDelay; got != want {
		t.Errorf("gen.DefaultDrainSeconds = %d, want healthreg.DefaultDrainDelay %v", gen.DefaultDrainSeconds, want)
	}
	if got, want := time.Duration(gen.DefaultStopSeconds)*time.Second, healthreg.DefaultStopTimeout; got != want {
		t.Errorf("gen.DefaultStopSeconds = %d, want healthreg.DefaultStopTimeout %v", gen.DefaultStopSeconds, want)
	}
}

// TestFixedNamesAgree keeps the three copies of the runtime's fixed health
// names equal: the runtime's (what the server registers), the generator's
// (what manifests probe) and the probe rules' (what verify-probes accepts).
func TestFixedNamesAgree(t *testing.T) {
	for _, c := range []struct{ what, gen, runtime, rules string }{
		{"liveness", gen.LivenessName, healthreg.LivenessName, proberules.LivenessName},
		{"readiness", gen.ReadinessName, healthreg.ReadinessName, proberules.ReadinessName},
	} {
		if c.gen != c.runtime || c.rules != c.runtime {
			t.Errorf("%s: generator %q, runtime %q, probe rules %q", c.what, c.gen, c.runtime, c.rules)
		}
	}
	if proberules.OverallName != healthreg.OverallName {
		t.Errorf("overall name: probe rules %q, runtime %q", proberules.OverallName, healthreg.OverallName)
	}
}
