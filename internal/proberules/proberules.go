// Package proberules holds the rules a Kubernetes probe must follow, as the
// API server validates them, plus the rules of our gRPC health probes: native
// grpc: probes and exec probes that run grpc_health_probe.
//
// One implementation serves three callers: the generator's tests check every
// probe the generator writes in [Generated] mode; the examples' end-to-end
// tests and the drift checker (cmd/verify-probes) check probes people wrote
// or templated by hand in [HandWritten] mode.
package proberules

import "fmt"

// Mode says who wrote a probe, and so how strictly it is checked.
type Mode int

const (
	// Generated probes set every timing explicitly and validly:
	// periodSeconds, timeoutSeconds, successThreshold and failureThreshold
	// at least 1, initialDelaySeconds at least 0. Warnings become errors.
	Generated Mode = iota
	// HandWritten probes may leave a timing at 0: the API server replaces it
	// with its default before validating, so 0 is not a finding.
	HandWritten
)

// Severity says whether a finding makes a probe wrong or only risky.
type Severity int

const (
	// Error: the API server rejects the probe, or the probe can never tell
	// the truth (it always fails, or always passes).
	Error Severity = iota
	// Warning: the probe works, but is likely to misbehave under load or on
	// failure.
	Warning
)

func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// Finding is one problem with a probe.
type Finding struct {
	Severity Severity
	// Field is the probe's field at fault, as in the Kubernetes API:
	// "periodSeconds", "grpc.port", "exec.command". Empty for the probe as
	// a whole.
	Field   string
	Message string
}

func (f Finding) String() string {
	if f.Field == "" {
		return f.Severity.String() + ": " + f.Message
	}
	return f.Severity.String() + ": " + f.Field + ": " + f.Message
}
