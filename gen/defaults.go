package gen

import "github.com/protoc-gen-health/protoc-gen-health/internal/contract"

// Constants of the scaffold and the probes that are not settings (the
// settings' defaults are in their rows, settings.go).
const (
	// terminationGracePeriodSeconds = drain + stop + this margin, so the
	// kubelet's SIGKILL never lands inside a graceful stop. healthreg's
	// Shutdown takes at most drain + stop, whatever its clients do (the stop
	// timeout bounds the application server's and the health port's stops
	// together); the margin covers signal delivery, process exit, and a
	// check run that ignores its context (waited for up to its timeout,
	// 5s by default, from the start of the drain).
	terminationMarginSeconds = 5
	// Numeric user of the scaffold's image and pod: distroless's "nonroot".
	scaffoldUser = 65532
)

// probeKind indexes the three probes.
type probeKind int

const (
	liveness probeKind = iota
	readiness
	startup
	numProbeKinds
)

func (k probeKind) String() string {
	return [...]string{"liveness", "readiness", "startup"}[k]
}

// kind is k as the contract names it.
func (k probeKind) kind() contract.Kind { return contract.Kind(k.String()) }
