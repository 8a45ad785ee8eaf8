package contract

import (
	"fmt"
	"slices"
	"strings"
)

// NamesMode says which health names a server registers, and so which name
// each probe asks for. It is the generator's names= parameter and option and
// verify-probes' --names flag.
type NamesMode string

const (
	// NamesHealthreg is healthreg's contract (the default): startup and
	// liveness probes ask LivenessName, readiness probes ReadinessName (or
	// the service's own name for a workload of one service).
	NamesHealthreg NamesMode = "healthreg"
	// NamesServices is a plain health server (grpc-go's health.Server,
	// grpc-java's HealthStatusManager, Python's HealthServicer) that sets
	// OverallName and every service's full name: startup and liveness ask
	// OverallName, readiness the workload's service. A probe names one
	// service, so a workload of several services has no readiness name in
	// this mode: the generator refuses it unless readiness_service=
	// declares one (ProbeServiceNames answers the first service).
	NamesServices NamesMode = "services"
	// NamesOverall is a plain health server that sets OverallName only:
	// every probe asks OverallName.
	NamesOverall NamesMode = "overall"
)

// NamesModes lists the modes, the default first.
var NamesModes = [...]NamesMode{NamesHealthreg, NamesServices, NamesOverall}

// ParseNamesMode returns the mode named s: exactly one of the modes' names.
// Callers that have a default apply it before calling: "" is an error.
func ParseNamesMode(s string) (NamesMode, error) {
	if m := NamesMode(s); slices.Contains(NamesModes[:], m) {
		return m, nil
	}
	names := make([]string, len(NamesModes))
	for i, m := range NamesModes {
		names[i] = string(m)
	}
	return "", fmt.Errorf("%q is not a naming mode: want %s", s, strings.Join(names, ", "))
}

// ProbeNames is the health name each probe kind asks for.
type ProbeNames struct {
	Startup, Liveness, Readiness string
}

// For returns the name a probe of kind k asks for; "" for an unknown kind.
func (n ProbeNames) For(k Kind) string {
	switch k {
	case Startup:
		return n.Startup
	case Liveness:
		return n.Liveness
	case Readiness:
		return n.Readiness
	}
	return ""
}

// DeclaredNames are the health names a workload's probes were declared to
// ask (the generator's startup_service=, liveness_service= and
// readiness_service=; verify-probes' --names-file): a server that picked its
// own names, such as grpc-go's plain health server with a "liveness" set by
// hand, or a servicer that sets only its own service's name. nil: the
// naming mode's name.
type DeclaredNames struct {
	Startup, Liveness, Readiness *string
}

// For returns the name declared for a probe of kind k, nil if none.
func (d DeclaredNames) For(k Kind) *string {
	switch k {
	case Startup:
		return d.Startup
	case Liveness:
		return d.Liveness
	case Readiness:
		return d.Readiness
	}
	return nil
}

// Set declares name for a probe of kind k; false for an unknown kind.
func (d *DeclaredNames) Set(k Kind, name string) bool {
	switch k {
	case Startup:
		d.Startup = &name
	case Liveness:
		d.Liveness = &name
	case Readiness:
		d.Readiness = &name
	default:
		return false
	}
	return true
}

// Over returns d with the names d leaves undeclared taken from base.
func (d DeclaredNames) Over(base DeclaredNames) DeclaredNames {
	for _, k := range Kinds {
		if d.For(k) == nil && base.For(k) != nil {
			d.Set(k, *base.For(k))
		}
	}
	return d
}

// With returns n with every name d declares in place of the mode's.
func (n ProbeNames) With(d DeclaredNames) ProbeNames {
	if d.Startup != nil {
		n.Startup = *d.Startup
	}
	if d.Liveness != nil {
		n.Liveness = *d.Liveness
	}
	if d.Readiness != nil {
		n.Readiness = *d.Readiness
	}
	return n
}

// ProbeServiceNames returns the name each probe of a workload asks for in
// mode, given the full names of the workload's services in descriptor order.
// In NamesHealthreg mode the readiness probe of a workload of exactly one
// service asks that service's own name, which healthreg registers too and
// which says what the workload serves; with several services (or none) it
// asks ReadinessName, which follows them all. In NamesServices mode a
// workload without services has nothing to name, so its readiness probe
// asks OverallName. An unknown mode is treated as NamesHealthreg
// (ParseNamesMode is where modes are checked).
func ProbeServiceNames(mode NamesMode, serviceFullNames []string) ProbeNames {
	switch mode {
	case NamesServices:
		n := ProbeNames{Startup: OverallName, Liveness: OverallName, Readiness: OverallName}
		if len(serviceFullNames) > 0 {
			n.Readiness = serviceFullNames[0]
		}
		return n
	case NamesOverall:
		return ProbeNames{Startup: OverallName, Liveness: OverallName, Readiness: OverallName}
	}
	n := ProbeNames{Startup: LivenessName, Liveness: LivenessName, Readiness: ReadinessName}
	if len(serviceFullNames) == 1 {
		n.Readiness = serviceFullNames[0]
	}
	return n
}

// Registers reports whether a server in mode answers name (rather than
// NOT_FOUND), given whether name is one of its services (not skipped). It
// never accepts HealthServiceName.
func (mode NamesMode) Registers(name string, isService bool) bool {
	if name == HealthServiceName {
		return false
	}
	switch mode {
	case NamesServices:
		return name == OverallName || isService
	case NamesOverall:
		return name == OverallName
	}
	return IsFixedName(name) || isService
}
