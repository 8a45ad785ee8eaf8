package gen

import (
	"fmt"
	"sort"

	"google.golang.org/protobuf/reflect/protoreflect"

	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// group is a workload being formed.
type group struct {
	name     string
	explicit bool // named by an option or workload=, not derived
	members  []*service
}

// groupWorkloads puts every generated, unskipped service into its workload
// and reports what would make a workload ambiguous: two derived names that
// collide, a derived name equal to an explicit one, and a workload that
// also has services in files this run does not generate (buf's default
// strategy: directory splits such a workload over several runs).
func groupWorkloads(services []*service, errs *errorList) []*group {
	byName := map[string]*group{}
	var groups []*group
	for _, s := range services {
		if !s.generate || s.skip {
			continue
		}
		name, explicit := s.workloadName()
		g := byName[name]
		switch {
		case g == nil:
			g = &group{name: name, explicit: explicit}
			byName[name] = g
			groups = append(groups, g)
		case !explicit && !g.explicit:
			errs.add(&Error{
				File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()),
				Services: []string{g.members[0].fullName, s.fullName},
				Msg: fmt.Sprintf("both get the default workload name %q; set (health.options.v1.service).workload on one of them, "+
					"or put both in one workload", name),
			})
			continue
		case explicit != g.explicit:
			named, derived := g.members[0], s
			if explicit {
				named, derived = s, g.members[0]
			}
			errs.add(&Error{
				File: derived.file.Desc.Path(), Line: lineOf(derived.file, derived.declPath()),
				Services: []string{derived.fullName, named.fullName},
				Msg: fmt.Sprintf("workload %q is named explicitly for %s and is also the default workload name of %s; "+
					"name the workload of %s too", name, named.fullName, derived.fullName, derived.fullName),
			})
			continue
		}
		g.members = append(g.members, s)
	}
	for _, s := range services {
		if s.generate || s.skip {
			continue
		}
		// Only the imported file's own options count: workload= applies to
		// the files of this run, and an imported file may be a dependency
		// that no run ever generates.
		ws := s.resolve(fWorkload, protoreflect.ValueOfString(""))
		if ws.layer == nil || ws.layer.file == nil {
			continue
		}
		name := ws.v.String()
		if g := byName[name]; g != nil {
			m := g.members[0]
			errs.add(&Error{
				File: m.file.Desc.Path(), Line: lineOf(m.file, m.declPath()),
				Services: []string{m.fullName},
				Msg: fmt.Sprintf("workload %q also serves %s from %s, which this run does not generate; "+
					"generate every file of a workload in one run (with buf: strategy: all for emit=k8s)", name, s.fullName, s.file.Desc.Path()),
			})
		}
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].name < groups[j].name })
	return groups
}

// workloadName returns the service's workload name and whether it was set
// explicitly.
func (s *service) workloadName() (string, bool) {
	ws := s.resolve(fWorkload, protoreflect.ValueOfString(""))
	if ws.layer != nil {
		return ws.v.String(), true
	}
	return defaultWorkloadName(s.fullName), false
}

// declPath is the source path of the service's declaration.
func (s *service) declPath() []int32 {
	return []int32{fileServiceField, int32(s.svc.Desc.Index())}
}

// sharedFields are the settings every service of a workload must agree on:
// they describe the one container and its probes.
var sharedFields = func() []field {
	fs := []field{fPort, fHealthPort, fProbe, fProbeBin, fContainer, fStartupSeconds}
	for k := range numProbeKinds {
		fs = append(fs, fTimings[k][:]...)
	}
	return fs
}()

// checkGroup reports the disagreements and impossible combinations of one
// workload.
func checkGroup(g *group, errs *errorList) {
	first := g.members[0]
	for _, f := range sharedFields {
		def := defaultValue(f)
		want := first.resolve(f, def)
		for _, s := range g.members[1:] {
			got := s.resolve(f, def)
			if sameValue(got.v, want.v) {
				continue
			}
			at, other, otherVal := got, first, want
			if got.layer == nil {
				at, other, otherVal = want, s, got
			}
			errs.add(at.layer.errorAt(f, at.v, fmt.Sprintf("workload %q: service %s has %s; every service of a workload must agree on %s",
				g.name, other.fullName, describe(f, otherVal), f.name)))
		}
	}
	counting := 0
	for _, s := range g.members {
		if s.resolve(fCounts, protoreflect.ValueOfBool(true)).v.Bool() {
			counting++
		}
	}
	if counting == 0 {
		c := first.resolve(fCounts, protoreflect.Value{})
		e := c.layer.errorAt(fCounts, c.v, fmt.Sprintf("workload %q has no service that counts toward readiness, so its readiness probe would pass with nothing ready", g.name))
		errs.add(e)
	}
	port := first.resolve(fPort, protoreflect.ValueOfInt32(defaultPort))
	if hp := first.resolve(fHealthPort, protoreflect.Value{}); hp.layer != nil && hp.v.Int() == port.v.Int() {
		errs.add(hp.layer.errorAt(fHealthPort, hp.v, fmt.Sprintf("must differ from port (%d): leave health_port unset to serve health on the application's port", port.v.Int())))
	}
}

func sameValue(a, b protoreflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return a.IsValid() == b.IsValid()
	}
	return a.Equal(b)
}

// describe prints a resolved value for a message.
func describe(f field, v setting) string {
	if !v.v.IsValid() {
		return "no " + f.name
	}
	if v.layer == nil {
		return "the default " + f.name + " " + formatValue(f, v.v)
	}
	return f.name + " " + formatValue(f, v.v)
}

// probeStyle converts the option's enum to the model's word.
func probeStyle(v protoreflect.Value) string {
	if v.IsValid() && optionsv1.ProbeStyle(v.Enum()) == optionsv1.ProbeStyle_PROBE_STYLE_EXEC {
		return probeExec
	}
	return probeGRPC
}

// sources lists the sorted, distinct .proto files of a group.
func (g *group) sources() []string {
	var out []string
	for _, s := range g.members {
		out = append(out, s.file.Desc.Path())
	}
	sort.Strings(out)
	return compactStrings(out)
}

func compactStrings(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
