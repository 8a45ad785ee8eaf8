package e2e

import (
	"testing"
	"time"

	"github.com/protoc-gen-health/protoc-gen-health/gen"
	"github.com/protoc-gen-health/protoc-gen-health/healthreg"
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
