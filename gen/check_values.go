package gen

import (
	"fmt"
	"path"
	"strings"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// checkLayer applies every rule about single values to one layer: a value
// that is wrong wherever it is written is reported once, at the place it is
// written, not once for every service that inherits it.
func checkLayer(l layer, errs *errorList) {
	if l.opts == nil {
		return
	}
	rangeRule := func(f field, lo, hi int64, msg string) {
		if v, ok := l.get(f); ok && (v.Int() < lo || v.Int() > hi) {
			errs.add(l.errorAt(f, v, msg))
		}
	}
	rangeRule(fPort, 1, 65535, "must be between 1 and 65535")
	rangeRule(fHealthPort, 1, 65535, "must be between 1 and 65535")
	rangeRule(fStartupSeconds, 1, 1<<31-1, "must be at least 1")
	for k := range numProbeKinds {
		tf := fTimings[k]
		rangeRule(tf[0], 0, 1<<31-1, "must be at least 0")
		rangeRule(tf[1], 1, 1<<31-1, "must be at least 1")
		rangeRule(tf[2], 1, 1<<31-1, "must be at least 1")
		if k == readiness {
			rangeRule(tf[3], 1, 1<<31-1, "must be at least 1")
		} else {
			rangeRule(tf[3], 1, 1, "must be 1 on a "+k.String()+" probe (Kubernetes rejects any other value)")
		}
		rangeRule(tf[4], 1, 1<<31-1, "must be at least 1")
	}
	if _, ok := l.get(fStartupSeconds); ok {
		if v, ok := l.get(fTimings[startup][4]); ok {
			errs.add(l.errorAt(fTimings[startup][4], v, "set startup_seconds or startup.failure_threshold, not both: startup_seconds sets the failure threshold"))
		}
	}
	if v, ok := l.get(fProbe); ok {
		if s := optionsv1.ProbeStyle(v.Enum()); s != optionsv1.ProbeStyle_PROBE_STYLE_GRPC && s != optionsv1.ProbeStyle_PROBE_STYLE_EXEC {
			errs.add(l.errorAt(fProbe, v, "must be PROBE_STYLE_GRPC or PROBE_STYLE_EXEC"))
		}
	}
	if v, ok := l.get(fProbeBin); ok {
		if s := v.String(); s == "" || strings.ContainsAny(s, " \t\n") {
			errs.add(l.errorAt(fProbeBin, v, "must be a path without spaces, such as "+defaultProbeBin))
		} else if !cleanAbsPath(s) {
			// The exec probe runs it without a shell and the scaffold's
			// Dockerfile COPYs to it: a relative path would be looked up on
			// $PATH, and '$', a backslash or a trailing '/' mean something to COPY.
			errs.add(l.errorAt(fProbeBin, v, "must be an absolute file path of letters, digits, '.', '_', '-' and '/', such as "+defaultProbeBin))
		} else if !contract.IsProbeProgram(s) {
			// verify-probes, and anything else that reads manifests, knows
			// an exec health probe by its program's name.
			errs.add(l.errorAt(fProbeBin, v, "must name the program grpc_health_probe or grpc-health-probe (a name starting with either), such as "+defaultProbeBin))
		}
	}
	if v, ok := l.get(fKind); ok {
		if workloadKind(v) == "" {
			errs.add(l.errorAt(fKind, v, "must be WORKLOAD_KIND_DEPLOYMENT, WORKLOAD_KIND_STATEFUL_SET or WORKLOAD_KIND_DAEMON_SET"))
		}
	}
	if v, ok := l.get(fNames); ok && namesMode(v) == "" {
		errs.add(l.errorAt(fNames, v, "must be HEALTH_NAMES_HEALTHREG, HEALTH_NAMES_SERVICES or HEALTH_NAMES_OVERALL"))
	}
	if v, ok := l.get(fContainer); ok {
		if msg := dns1123Label(v.String()); msg != "" {
			errs.add(l.errorAt(fContainer, v, msg))
		}
	}
	if v, ok := l.get(fWorkload); ok {
		if msg := dns1035Label(v.String()); msg != "" {
			errs.add(l.errorAt(fWorkload, v, msg))
		}
	}
}

// checkSkipped reports options on a skipped service: they would silently do
// nothing. The service's own skip field is the only one allowed.
func checkSkipped(s *service, errs *errorList) {
	if set := fieldsBesidesSkip(s.layers[layerService]); len(set) > 0 {
		errs.add(s.layers[layerService].errorAtOption(fmt.Sprintf("the service is skipped, so %s would do nothing: remove them or stop skipping it", strings.Join(set, ", "))))
	}
	if set := fieldsBesidesSkip(s.layers[layerServiceParam]); len(set) > 0 {
		for i := range set {
			set[i] = servicePrefix + s.fullName + "." + set[i]
		}
		what := "parameter " + set[0] + " would"
		if len(set) > 1 {
			what = "parameters " + strings.Join(set, ", ") + " would"
		}
		errs.add(&Error{Services: []string{s.fullName}, Msg: fmt.Sprintf("the service is skipped, so %s do nothing: remove them or stop skipping the service", what)})
	}
}

// checkSkippedFile reports a file option that sets more than skip on a file
// all of whose services end up skipped: its other fields would do nothing.
// (When a service un-skips itself, the file's fields apply to it.)
func checkSkippedFile(fl layer, services []*service, errs *errorList) {
	for _, s := range services {
		if !s.skip {
			return
		}
	}
	if set := fieldsBesidesSkip(fl); len(set) > 0 {
		errs.add(fl.errorAtOption(fmt.Sprintf("every service of the file is skipped, so %s would do nothing: remove them or stop skipping", strings.Join(set, ", "))))
	}
}

// fieldsBesidesSkip lists the fields a layer sets other than skip, in
// declaration order: Range's order is deliberately unstable across builds of
// protobuf-go, and messages must not change.
func fieldsBesidesSkip(l layer) []string {
	if l.opts == nil {
		return nil
	}
	var set []string
	m := l.opts.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); fd.Name() != "skip" && m.Has(fd) {
			set = append(set, string(fd.Name()))
		}
	}
	return set
}

// cleanAbsPath reports whether s is an absolute, clean path of a file made of
// characters that neither YAML, a Dockerfile nor a shell reads specially.
func cleanAbsPath(s string) bool {
	if !path.IsAbs(s) || path.Clean(s) != s || s == "/" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '/') {
			return false
		}
	}
	return true
}

// dns1035Label returns why s is not a DNS-1035 label (the rule for Service
// names), or "".
func dns1035Label(s string) string {
	if msg := dns1123Label(s); msg != "" {
		return msg
	}
	if s[0] < 'a' || s[0] > 'z' {
		return "must start with a lowercase letter (a DNS-1035 label)"
	}
	return ""
}

// dns1123Label returns why s is not a DNS-1123 label (the rule for container
// names), or "".
func dns1123Label(s string) string {
	if s == "" || len(s) > 63 {
		return "must be 1 to 63 characters (a DNS label)"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "must hold only lowercase letters, digits and '-' (a DNS label)"
		}
	}
	if s[0] == '-' || s[len(s)-1] == '-' {
		return "must start and end with a letter or digit (a DNS label)"
	}
	return ""
}
