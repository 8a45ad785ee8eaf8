package contract

// The health names healthreg's health server registers besides each
// service's fully-qualified name.
const (
	// LivenessName is SERVING while the server is serving; checks never
	// affect it. In the healthreg mode it is the only right name for a
	// liveness or startup probe.
	LivenessName = "liveness"
	// ReadinessName follows every service that counts toward readiness.
	ReadinessName = "readiness"
	// OverallName is the empty name: what a probe asks when it names no
	// service (the default of a grpc: probe and of grpc_health_probe). In
	// healthreg it follows ReadinessName.
	OverallName = ""
)

// HealthServiceName is the gRPC health-checking service itself. No mode
// makes it a health name: neither healthreg, nor grpc-go's health.Server,
// nor grpc-java's HealthStatusManager, nor Python's HealthServicer register a
// status under it, so a probe that names it gets NOT_FOUND (unless the
// server's code sets it by hand, which verify-probes accepts with --name).
const HealthServiceName = "grpc.health.v1.Health"

// IsFixedName reports whether name is one of the names healthreg registers
// whatever the services: LivenessName, ReadinessName or OverallName.
func IsFixedName(name string) bool {
	return name == LivenessName || name == ReadinessName || name == OverallName
}

// MaxNameLength is the longest health name, in bytes, a server answers:
// healthreg refuses to register a longer one (Register panics at start-up)
// and answers Check and Watch of one with INVALID_ARGUMENT. protoc accepts
// longer service names, so the generator refuses them and verify-probes
// reports a probe that asks one. healthreg, its own module, declares it
// again (healthreg.MaxNameLength), kept equal by examples/e2e.
const MaxNameLength = 1024
