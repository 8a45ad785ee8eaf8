package gen

import (
	"fmt"
	"strings"
)

// checkLayer applies every rule about single values to one layer: a value
// that is wrong wherever it is written is reported once, at the place it is
// written, not once for every service that inherits it. Each row's check
// (settings.go) runs on the value in whatever layer holds it.
func checkLayer(l layer, errs *errorList) {
	if l.opts == nil && l.values == nil {
		return
	}
	for _, r := range settings {
		v, ok := l.get(r)
		if !ok {
			continue
		}
		if l.name == serviceOptionName && r.info().scopes&inServiceOption == 0 {
			// A file-wide setting (go_runtime: one .health.go per file).
			errs.add(l.errorAt(r, "is a file option only: set it in "+fileOptionName))
			continue
		}
		msg := ""
		if l.opts != nil {
			raw, _ := l.raw(r.info().field)
			msg = r.optionCheck(raw)
		}
		if msg == "" {
			msg = r.check(v)
		}
		if msg != "" {
			errs.add(l.errorAt(r, msg))
		}
	}
	if _, ok := l.get(sStartupSeconds); ok {
		if _, ok := l.get(sTimings[startup][tFailure]); ok {
			errs.add(l.errorAt(sTimings[startup][tFailure], "set startup_seconds or startup.failure_threshold, not both: startup_seconds sets the failure threshold"))
		}
	}
}

// checkSkipped reports options on a skipped service: they would silently do
// nothing. The service's own skip field is the only one allowed.
func checkSkipped(s *service, errs *errorList) {
	if set := fieldsBesidesSkip(s.layers[layerService]); len(set) > 0 {
		errs.add(s.layers[layerService].errorAtOption(fmt.Sprintf("the service is skipped, so %s would do nothing: remove them or stop skipping it", strings.Join(set, ", "))))
	}
	checkSkippedParams(s, errs)
}

// checkSkippedParams reports the per-service parameters of a service that
// no workload holds, besides skip: they would do nothing.
func checkSkippedParams(s *service, errs *errorList) {
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
	var set []string
	if l.opts == nil {
		for _, r := range settings {
			if _, ok := l.values[r.info().name]; ok && r != row(sSkip) {
				set = append(set, r.info().name)
			}
		}
		return set
	}
	m := l.opts.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		if fd := fields.Get(i); fd.Name() != "skip" && m.Has(fd) {
			set = append(set, string(fd.Name()))
		}
	}
	return set
}
