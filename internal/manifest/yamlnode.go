package manifest

import (
	"fmt"
	"math"

	"go.yaml.in/yaml/v3"
)

// The YAML is read as a node tree, to know the line of every key, and
// converted from there to JSON values for the Kubernetes types, so both views
// come from a single parse.

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isMerge reports whether k is the merge key "<<".
func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Tag == "!!merge" && k.Value == "<<"
}

// lookup returns the key and value nodes of key in mapping m, following
// aliases and merge keys; nil when m is not a mapping or has no such key.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	return lookupDepth(m, key, 0)
}

func lookupDepth(m *yaml.Node, key string, depth int) (k, v *yaml.Node) {
	m = resolve(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > 100 {
		return nil, nil
	}
	var merged []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn := resolve(m.Content[i])
		if isMerge(kn) {
			merged = append(merged, mergeSources(m.Content[i+1])...)
			continue
		}
		if kn.Kind == yaml.ScalarNode && kn.Value == key {
			return kn, resolve(m.Content[i+1])
		}
	}
	for _, src := range merged {
		if k, v := lookupDepth(src, key, depth+1); k != nil {
			return k, v
		}
	}
	return nil, nil
}

// mergeSources returns the mappings a merge key's value names: one mapping
// or a sequence of them.
func mergeSources(v *yaml.Node) []*yaml.Node {
	v = resolve(v)
	if v.Kind == yaml.SequenceNode {
		var out []*yaml.Node
		for _, item := range v.Content {
			out = append(out, resolve(item))
		}
		return out
	}
	return []*yaml.Node{v}
}

// path returns the key and value nodes at a path of mapping keys.
func path(m *yaml.Node, keys ...string) (k, v *yaml.Node) {
	v = m
	for _, key := range keys {
		if k, v = lookup(v, key); v == nil {
			return nil, nil
		}
	}
	return k, v
}

// scalar returns the value of a scalar node, "" for anything else.
func scalar(n *yaml.Node) string {
	if n = resolve(n); n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

// maxValues bounds the values a document may expand to through aliases
// ("billion laughs").
const maxValues = 1_000_000

// containerFields are the fields of a container the checks read; the rest
// (args, env values from elsewhere, resources) is never converted, so a
// large or odd value there costs nothing.
var containerFields = []string{"name", "image", "ports", "env", "envFrom", "restartPolicy", "livenessProbe", "readinessProbe", "startupProbe"}

// podSpecValue is jsonValue of a pod spec, keeping only its containers and
// init containers and, of each, containerFields.
// Keys are strings; a key given twice in a mapping is an error, as it is
// for kubectl.
func podSpecValue(spec *yaml.Node) (any, error) {
	budget := maxValues
	spec = resolve(spec)
	if spec.Kind != yaml.MappingNode {
		return convert(spec, &budget, 0)
	}
	out := map[string]any{}
	for _, list := range []string{"containers", "initContainers"} {
		_, seq := lookup(spec, list)
		if seq == nil {
			continue
		}
		if seq.Kind != yaml.SequenceNode {
			v, err := convert(seq, &budget, 1)
			if err != nil {
				return nil, err
			}
			out[list] = v
			continue
		}
		items := make([]any, 0, len(seq.Content))
		for _, item := range seq.Content {
			v, err := containerValue(item, &budget)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		out[list] = items
	}
	return out, nil
}

func containerValue(item *yaml.Node, budget *int) (any, error) {
	item = resolve(item)
	if item.Kind != yaml.MappingNode {
		return convert(item, budget, 2)
	}
	// A key given twice is an error, as it is for kubectl.
	lines := map[string]int{}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k := resolve(item.Content[i])
		if k.Kind != yaml.ScalarNode || isMerge(k) {
			continue
		}
		if prev, dup := lines[k.Value]; dup {
			return nil, fmt.Errorf("line %d: mapping key %q already defined at line %d", k.Line, k.Value, prev)
		}
		lines[k.Value] = k.Line
	}
	out := map[string]any{}
	for _, f := range containerFields {
		_, v := lookup(item, f)
		if v == nil {
			continue
		}
		cv, err := convert(v, budget, 3)
		if err != nil {
			return nil, err
		}
		out[f] = cv
	}
	return out, nil
}

func convert(n *yaml.Node, budget *int, depth int) (any, error) {
	n = resolve(n)
	if *budget--; *budget < 0 {
		return nil, fmt.Errorf("line %d: document expands to more than %d values", n.Line, maxValues)
	}
	if depth > 1000 {
		return nil, fmt.Errorf("line %d: nested too deeply", n.Line)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convert(n.Content[0], budget, depth+1)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := convert(item, budget, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		lines := map[string]int{}
		var merged []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolve(n.Content[i])
			if isMerge(k) {
				merged = append(merged, mergeSources(n.Content[i+1])...)
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a mapping key must be a scalar", k.Line)
			}
			if prev, dup := lines[k.Value]; dup {
				return nil, fmt.Errorf("line %d: mapping key %q already defined at line %d", k.Line, k.Value, prev)
			}
			lines[k.Value] = k.Line
			v, err := convert(n.Content[i+1], budget, depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		for _, src := range merged {
			v, err := convert(src, budget, depth+1)
			if err != nil {
				return nil, err
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("line %d: a merge key needs a mapping or a sequence of mappings", src.Line)
			}
			for key, val := range m {
				if _, set := out[key]; !set {
					out[key] = val
				}
			}
		}
		return out, nil
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, nil
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return nil, fmt.Errorf("line %d: %v", n.Line, err)
			}
			if f, ok := v.(float64); ok && (math.IsInf(f, 0) || math.IsNaN(f)) {
				return nil, fmt.Errorf("line %d: %s is not a number JSON can hold", n.Line, n.Value)
			}
			return v, nil
		}
		return n.Value, nil // strings, timestamps, binary and custom tags stay text
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node", n.Line)
}
