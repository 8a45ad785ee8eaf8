package gen

import (
	"google.golang.org/protobuf/reflect/protoreflect"

	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// Defaults of every setting, chosen from the Kubernetes documentation and the
// runtime's behaviour. The README's parameters and default timings tables
// mirror this file.
const (
	defaultPort           = 50051
	defaultContainer      = "server"
	defaultProbeBin       = "/bin/grpc_health_probe"
	defaultStartupSeconds = 60 // a slow start is allowed this long before a restart
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

// The runtime's healthreg.DefaultDrainDelay and DefaultStopTimeout, in
// seconds, from which the scaffold computes terminationGracePeriodSeconds.
// The generator does not import the runtime (its module is kept lean for
// users), so a test in the examples module keeps the two equal.
const (
	DefaultDrainSeconds = 5
	DefaultStopSeconds  = 15
)

const (
	probeGRPC = "grpc"
	probeExec = "exec"
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

// timing is the non-handler part of a probe.
type timing struct {
	InitialDelay, Period, Timeout, Success, Failure int32
}

// defaultTimings: liveness is slow to act (three failures 10s apart) so a
// pause never restarts a healthy pod; readiness acts within ~15s; startup
// polls every 2s and its failure threshold comes from startup_seconds. A
// timeout of 2s, not Kubernetes' 1s, leaves room for a GC pause or, with
// exec probes, for grpc_health_probe to start.
var defaultTimings = [numProbeKinds]timing{
	liveness:  {InitialDelay: 0, Period: 10, Timeout: 2, Success: 1, Failure: 3},
	readiness: {InitialDelay: 0, Period: 5, Timeout: 2, Success: 1, Failure: 3},
	startup:   {InitialDelay: 0, Period: 2, Timeout: 2, Success: 1, Failure: 0}, // Failure from startup_seconds
}

// defaultValue is the built-in default of a shared field, as a protoreflect
// value comparable with what options hold; invalid for "unset" (health_port).
func defaultValue(f field) protoreflect.Value {
	switch f.name {
	case fPort.name:
		return protoreflect.ValueOfInt32(defaultPort)
	case fProbe.name:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(optionsv1.ProbeStyle_PROBE_STYLE_GRPC))
	case fProbeBin.name:
		return protoreflect.ValueOfString(defaultProbeBin)
	case fContainer.name:
		return protoreflect.ValueOfString(defaultContainer)
	case fKind.name:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(optionsv1.WorkloadKind_WORKLOAD_KIND_DEPLOYMENT))
	case fNames.name:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(optionsv1.HealthNames_HEALTH_NAMES_HEALTHREG))
	case fStartupSeconds.name:
		return protoreflect.ValueOfInt32(defaultStartupSeconds)
	}
	for k := range numProbeKinds {
		t := defaultTimings[k]
		for i, tf := range fTimings[k] {
			if tf.name == f.name {
				return protoreflect.ValueOfInt32([5]int32{t.InitialDelay, t.Period, t.Timeout, t.Success, t.Failure}[i])
			}
		}
	}
	return protoreflect.Value{}
}
