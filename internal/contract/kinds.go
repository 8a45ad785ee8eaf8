package contract

// Kind is the kind of a probe: the container field that holds it, without
// the "Probe" suffix.
type Kind string

// The probe kinds.
const (
	Liveness  Kind = "liveness"
	Readiness Kind = "readiness"
	Startup   Kind = "startup"
)

// Kinds lists the probe kinds in the order a container's probes are read
// and reported.
var Kinds = [...]Kind{Liveness, Readiness, Startup}

// Field is the container's field that holds a probe of kind k, such as
// "livenessProbe".
func (k Kind) Field() string { return string(k) + "Probe" }

// Valid reports whether k is one of the three kinds.
func (k Kind) Valid() bool { return k == Liveness || k == Readiness || k == Startup }

// NameSetting is the setting that declares the health name a probe of kind
// k asks, overriding its naming mode's: "liveness_service" and so on. It is
// the generator's parameter and option field, and the key of verify-probes'
// --names-file.
func (k Kind) NameSetting() string { return string(k) + "_service" }
