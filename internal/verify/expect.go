package verify

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// workloadKey names a workload in any namespace: the plugin's patches have
// none and apply in every namespace.
type workloadKey struct{ kind, name string }

// Expect checks that the built manifests (built: kustomize build or helm
// template output) hold every workload of the plugin's output (expected:
// its Component patches and scaffold Deployments) with exactly its probes:
// in every namespace where the built manifests hold the workload, each
// generated probe is there, on the generated container, equal to the
// generated one. A workload the build lacks is reported at the expected
// probe's file and line, a probe that differs at the built probe's.
func Expect(expected, built []manifest.Site, workloads []manifest.Workload) []Finding {
	// place is where a finding about a built workload goes: a probe's line,
	// or the workload's name when it has no probe.
	type place struct {
		file  string
		line  int
		probe string // "" at a workload's name
	}
	type instance struct {
		sites   map[string]map[contract.Kind]manifest.Site // container → probe kind
		first   place                                      // the workload's first probe, or its name
		firstOf map[string]place                           // each container's first probe
	}
	instances := map[workloadKey]map[string]*instance{}
	instanceOf := func(k workloadKey, namespace string, first place) *instance {
		if instances[k] == nil {
			instances[k] = map[string]*instance{}
		}
		in := instances[k][namespace]
		if in == nil {
			in = &instance{sites: map[string]map[contract.Kind]manifest.Site{}, first: first, firstOf: map[string]place{}}
			instances[k][namespace] = in
		}
		return in
	}
	for _, s := range built {
		at := place{s.File, s.Line, s.ProbeKind.Field()}
		in := instanceOf(workloadKey{s.Kind, s.Name}, s.Namespace, at)
		if in.sites[s.Container.Name] == nil {
			in.sites[s.Container.Name] = map[contract.Kind]manifest.Site{}
			in.firstOf[s.Container.Name] = at
		}
		if _, dup := in.sites[s.Container.Name][s.ProbeKind]; !dup {
			in.sites[s.Container.Name][s.ProbeKind] = s
		}
	}
	// A copy of a generated workload without any probe (its namespace's
	// build lacks the Component) is an instance too.
	expectedKeys := map[workloadKey]bool{}
	for _, e := range expected {
		expectedKeys[workloadKey{e.Kind, e.Name}] = true
	}
	for _, w := range workloads {
		if k := (workloadKey{w.Kind, w.Name}); expectedKeys[k] {
			instanceOf(k, w.Namespace, place{w.File, w.Line, ""})
		}
	}

	// The expected probes by workload and container, in file order.
	expected = slices.Clone(expected)
	slices.SortStableFunc(expected, func(a, b manifest.Site) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
	type containerKey struct {
		workloadKey
		container string
	}
	var order []containerKey
	byContainer := map[containerKey][]manifest.Site{}
	for _, e := range expected {
		k := containerKey{workloadKey{e.Kind, e.Name}, e.Container.Name}
		if e.Probe == nil {
			continue // a generated file is never broken; nothing to compare
		}
		if byContainer[k] == nil {
			order = append(order, k)
		}
		byContainer[k] = append(byContainer[k], e)
	}

	var out []Finding
	for _, k := range order {
		probes := byContainer[k]
		e := probes[0]
		if len(instances[k.workloadKey]) == 0 {
			adder(&out, Finding{File: e.File, Line: e.Line, Kind: e.Kind, Name: e.Name, Container: e.Container.Name, Probe: e.ProbeKind.Field()})(proberules.Error, "",
				"the built manifests have no %s %q: list the workload's generated Component under components: of the overlay (helm: its probes in the chart); "+
					"if your manifests name the workload otherwise, generate with workload=, service.<Name>.workload= or kind= naming it", e.Kind, e.Name)
			continue
		}
		for _, ns := range slices.Sorted(maps.Keys(instances[k.workloadKey])) {
			in := instances[k.workloadKey][ns]
			var found []Finding
			matched := false
			at, ok := in.firstOf[k.container]
			if !ok {
				at = in.first
			}
			if at.probe == "" {
				at.probe = e.ProbeKind.Field()
			}
			for _, e := range probes {
				b, ok := in.sites[k.container][e.ProbeKind]
				if !ok {
					adder(&found, Finding{File: at.file, Line: at.line, Kind: e.Kind, Name: e.Name, Namespace: ns, Container: k.container, Probe: e.ProbeKind.Field()})(proberules.Error, "",
						"container %q has no %s, generated at %s:%d", k.container, e.ProbeKind.Field(), Plain(e.File), e.Line)
					continue
				}
				if b.Probe == nil {
					matched = true // undecodable: Check reports it
					continue
				}
				n := len(found)
				compareProbe(e, b, adder(&found, Finding{File: b.File, Line: b.Line, Kind: b.Kind, Name: b.Name, Namespace: ns, Container: k.container, Probe: b.ProbeKind.Field()}))
				matched = matched || len(found) == n
			}
			if !matched && len(found) > 0 {
				// Not one generated probe is there: the patch never applied.
				// One finding says so, where each difference would only
				// restate it.
				adder(&out, Finding{File: at.file, Line: at.line, Kind: e.Kind, Name: e.Name, Namespace: ns, Container: k.container, Probe: at.probe})(proberules.Error, "", "container %q has none of the probes generated in %s: its Component's patch was not applied; list it under components: of the overlay, or generate with container= naming the container",
					k.container, Plain(e.File))
				continue
			}
			out = append(out, found...)
		}
	}
	return out
}

// compareProbe reports how the built probe differs from the generated one:
// another handler (a probe the patch did not replace), another health
// name, then each other field.
func compareProbe(e, b manifest.Site, add addFunc) {
	origin := fmt.Sprintf("%s:%d", Plain(e.File), e.Line)
	if eh, bh := handler(e.Probe), handler(b.Probe); eh != bh {
		add(proberules.Error, "", "is %s probe, the generated one (%s) %s probe: the generated patch did not replace it; is the Component listed under components: of the overlay?", bh, origin, eh)
		return
	}
	skip := map[string]bool{}
	et, eok := proberules.TargetIn(e.Probe, nil)
	bt, bok := proberules.TargetIn(b.Probe, b.Container.Env)
	if eok && bok && et.Service != bt.Service {
		add(proberules.Error, "", "asks health name %q, the generated probe (%s) %q: it was changed after generation; generate again, or change the name at its source (the service, or the probe's name parameter)", bt.Service, origin, et.Service)
		skip["grpc.service"], skip["exec.command"] = true, true
	}
	ef, bf := flatten(e.Probe), flatten(b.Probe)
	delete(ef, "grpc.service") // nil and "" are the same name
	delete(bf, "grpc.service")
	for _, field := range slices.Sorted(maps.Keys(joinKeys(ef, bf))) {
		if skip[field] || ef[field] == bf[field] {
			continue
		}
		add(proberules.Error, field, "is %s, the generated probe's (%s) %s: it was changed after generation", orNone(bf[field]), origin, orNone(ef[field]))
	}
}

// handler names the probe's handler, with its article: "a grpc", "an
// exec", "an httpGet" or "a tcpSocket".
func handler(p *corev1.Probe) string {
	switch {
	case p.GRPC != nil:
		return "a grpc"
	case p.Exec != nil:
		return "an exec"
	case p.HTTPGet != nil:
		return "an httpGet"
	case p.TCPSocket != nil:
		return "a tcpSocket"
	}
	return "a handler-less"
}

// flatten maps each leaf field of p's JSON form ("grpc.port",
// "periodSeconds"; a list is one leaf) to its JSON value.
func flatten(p *corev1.Probe) map[string]string {
	out := map[string]string{}
	data, _ := json.Marshal(p) // a Probe always marshals
	var v map[string]any
	_ = json.Unmarshal(data, &v)
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok {
			for k, x := range m {
				walk(strings.TrimPrefix(prefix+"."+k, "."), x)
			}
			return
		}
		b, _ := json.Marshal(v)
		out[prefix] = string(b)
	}
	walk("", v)
	return out
}

func joinKeys(a, b map[string]string) map[string]bool {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}

func orNone(v string) string {
	if v == "" {
		return "unset"
	}
	return v
}
