package healthreg

// SupportPackageIsVersion1 lets generated code assert at compile time that it
// was generated for this version of the package: generated files contain
// `const _ = healthreg.SupportPackageIsVersion1`. A future incompatible runtime
// drops this constant and adds SupportPackageIsVersion2, so code generated for
// the wrong runtime fails to build with an error that names the version,
// rather than with a confusing missing-identifier error.
const SupportPackageIsVersion1 = true

// The reserved health-check names. Manifests (Kubernetes gRPC probes set
// `grpc.service` to one of these) and the drift checker depend on the exact
// strings, so they are part of the package's contract. The third, "", has
// no exported constant: it is the protocol's own default name, which every
// health client already writes as "".
const (
	// LivenessName is SERVING while the application's gRPC server is serving
	// (and, with WithAppProbe, answering). Checks never affect it: a failing
	// dependency must not make Kubernetes restart a process that is itself
	// fine. Every other name requires it.
	LivenessName = "liveness"

	// ReadinessName is SERVING while the process should receive traffic:
	// liveness is SERVING, the registry is ready, not shutting down, and
	// every registered service that counts toward readiness is SERVING.
	ReadinessName = "readiness"

	// overallName is the empty name that gRPC health clients ask about when
	// they name no service (the Kubernetes probe default, grpc_health_probe's
	// default). It follows ReadinessName exactly.
	overallName = ""
)

// isReservedName reports whether name is one of LivenessName, ReadinessName
// and "", which Register refuses.
func isReservedName(name string) bool {
	switch name {
	case LivenessName, ReadinessName, overallName:
		return true
	}
	return false
}
