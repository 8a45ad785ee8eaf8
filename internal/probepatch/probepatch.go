// Package probepatch reads the generated Component's strategic-merge patch
// (probes.yaml) the way tests need it: each probe carries the directive
// "$patch: replace", which kustomize consumes and which no k8s.io/api type
// has, so a strict decode must first check and remove it.
package probepatch

import (
	"encoding/json"
	"fmt"

	"sigs.k8s.io/yaml"
)

// probeFields are the container fields that hold probes.
var probeFields = []string{"startupProbe", "livenessProbe", "readinessProbe"}

// StripReplace returns doc (one YAML document of a workload) as JSON without
// the "$patch: replace" of its containers' probes. It fails when a probe
// lacks the directive (the patch would merge into the container's own probe
// and leave two handlers) or when a directive appears anywhere else.
func StripReplace(doc []byte) ([]byte, error) {
	var obj map[string]any
	if err := yaml.Unmarshal(doc, &obj); err != nil {
		return nil, err
	}
	containers, _ := dig(obj, "spec", "template", "spec")["containers"].([]any)
	if len(containers) == 0 {
		return nil, fmt.Errorf("no spec.template.spec.containers")
	}
	for i, c := range containers {
		cm, _ := c.(map[string]any)
		for _, f := range probeFields {
			p, ok := cm[f].(map[string]any)
			if !ok {
				continue
			}
			if p["$patch"] != "replace" {
				return nil, fmt.Errorf("containers[%d].%s: want $patch: replace, got %v", i, f, p["$patch"])
			}
			delete(p, "$patch")
		}
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	if stray := findDirective(obj, ""); stray != "" {
		return nil, fmt.Errorf("a $patch directive at %s, where none belongs", stray)
	}
	return out, nil
}

// dig walks nested maps by key; a missing key gives an empty map.
func dig(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

// findDirective returns the path of a "$patch" key left in v, or "".
func findDirective(v any, at string) string {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k == "$patch" {
				return at + ".$patch"
			}
			if p := findDirective(e, at+"."+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range v {
			if p := findDirective(e, fmt.Sprintf("%s[%d]", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}
