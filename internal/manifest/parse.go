package manifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	k8sjson "sigs.k8s.io/json"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// Site is one probe of one container of one workload.
type Site struct {
	File      string
	Line      int // of the probe's key
	Kind      string
	Name      string
	Namespace string
	Container *corev1.Container
	// InitNotSidecar is set for an init container that is not a sidecar
	// (restartPolicy Always): the API server allows it no probes.
	InitNotSidecar bool
	// Imaged lists the names of the pod's containers (init containers
	// included) that have an image; a rendered workload's container
	// without one is a patch that matched no container.
	Imaged []string
	// HostNetwork is the pod's hostNetwork: its containers' ports are the
	// node's, so a pod often declares none (each declared one reserves the
	// host port for scheduling).
	HostNetwork bool
	ProbeKind   contract.Kind
	Probe       *corev1.Probe // nil when DecodeErr is set
	// DecodeErr is set for a probe of the wrong shape, such as a grpc probe
	// with a named port: the document's other probes are still checked.
	DecodeErr *ProbeError
}

// ProbeError is why a probe cannot be decoded, at the line of the field at
// fault.
type ProbeError struct {
	Line    int
	Field   string // within the probe, as in proberules.Finding; "" for the probe as a whole
	Message string
	// PortName is the name a grpc probe gives as its port.
	PortName string
}

// probeKey names one probe of a pod spec: the container list, the index in
// it and the probe's kind.
type probeKey struct {
	list  string // containers or initContainers
	index int
	kind  contract.Kind
}

type groupKind struct{ group, kind string }

// podSpecPaths says where each built-in workload kind keeps its pod spec.
// Matching the API group keeps custom resources that reuse a name out; any
// other object whose spec.template.spec has containers (an Argo Rollout, a
// Knative Service, an OpenShift DeploymentConfig) is read as a pod template
// too.
var podSpecPaths = map[groupKind][]string{
	{"apps", "Deployment"}:        {"spec", "template", "spec"},
	{"apps", "StatefulSet"}:       {"spec", "template", "spec"},
	{"apps", "DaemonSet"}:         {"spec", "template", "spec"},
	{"apps", "ReplicaSet"}:        {"spec", "template", "spec"},
	{"batch", "Job"}:              {"spec", "template", "spec"},
	{"batch", "CronJob"}:          {"spec", "jobTemplate", "spec", "template", "spec"},
	{"", "Pod"}:                   {"spec"},
	{"", "ReplicationController"}: {"spec", "template", "spec"},
	{"", "PodTemplate"}:           {"template", "spec"},
	{"extensions", "Deployment"}:  {"spec", "template", "spec"},
	{"extensions", "DaemonSet"}:   {"spec", "template", "spec"},
	{"extensions", "ReplicaSet"}:  {"spec", "template", "spec"},
}

// templatePath is where custom resources keep a pod template.
var templatePath = []string{"spec", "template", "spec"}

// Parse reads every YAML document of one source and returns its probes.
// Documents that are not workloads are skipped. On error it returns the
// probes of the documents before the broken one. Its work is bounded by the
// size of data, whatever the aliases and merge keys in it (see
// expansionBudget and checkDensity).
func Parse(name string, data []byte) (sites []Site, err error) {
	sites, _, err = ParseAll(name, data)
	return sites, err
}

// ParseAll is Parse that also returns the health names that the file's
// other consumers of health ask (consumers.go): gateway policies and compose
// healthchecks.
func ParseAll(name string, data []byte) (sites []Site, names []NameSite, err error) {
	p, err := ParseFile(name, data)
	return p.Sites, p.Names, err
}

// Parsed is what one source holds.
type Parsed struct {
	Sites []Site
	Names []NameSite
	// Workloads are every object with a pod template, with probes or
	// without.
	Workloads []Workload
}

// Workload is one object with a pod template, where its name is.
type Workload struct {
	File                  string
	Line                  int // of metadata.name, else of the object
	Kind, Name, Namespace string
}

// ParseFile is ParseAll that also returns the workloads, with probes or
// without: verify-probes --expect reports a generated workload whose probes
// are missing in one namespace.
func ParseFile(name string, data []byte) (p Parsed, err error) {
	defer func() {
		if r := recover(); r != nil { // the YAML parser must not take the tool down
			p, err = Parsed{}, fmt.Errorf("%s: cannot parse YAML: %v", name, r)
		}
		if err != nil {
			err = helmHint(err, data)
		}
	}()
	if err := checkDensity(data); err != nil {
		return Parsed{}, fmt.Errorf("%s:%v", name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	budget := newExpansionBudget()
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return p, nil
		} else if err != nil {
			return p, yamlError(name, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		if err := budget.add(&doc); err != nil {
			line := doc.Line
			if le, ok := errors.AsType[*lineError](err); ok {
				line = le.line
			}
			return p, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		r := &reader{file: name}
		if err := r.object(doc.Content[0], "", ""); err != nil {
			return p, err
		}
		p.Sites = append(p.Sites, r.sites...)
		p.Workloads = append(p.Workloads, r.workloads...)
		p.Names = append(p.Names, consumerNames(name, doc.Content[0])...)
	}
}

// helmHint adds to a parse error on input that holds Go template actions
// the likely cause: a chart's template, not its rendered output.
func helmHint(err error, data []byte) error {
	i := bytes.Index(data, []byte("{{"))
	if i < 0 {
		return err
	}
	line := 1 + bytes.Count(data[:i], []byte("\n"))
	return fmt.Errorf("%w (line %d has {{: an unrendered Helm template? give the chart with --chart DIR, or verify the output of helm template)", err, line)
}

var yamlLine = regexp.MustCompile(`^yaml: line ([0-9]+): `)

// yamlError turns "yaml: line 3: msg" into "file:3: msg".
func yamlError(file string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", file, m[1], msg[len(m[0]):])
	}
	return fmt.Errorf("%s: %s", file, strings.TrimPrefix(msg, "yaml: "))
}

type reader struct {
	file      string
	sites     []Site
	workloads []Workload
}

// maxListDepth bounds lists within lists.
const maxListDepth = 8

// object reads one Kubernetes object, or the items of a list. A list's items
// default to the list's apiVersion and to its kind without "List".
func (r *reader) object(n *yaml.Node, apiVersion, kind string) error {
	return r.objectDepth(n, apiVersion, kind, 0)
}

func (r *reader) objectDepth(n *yaml.Node, apiVersion, kind string, depth int) error {
	if n = resolve(n); n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	if _, v := lookup(n, "apiVersion"); v != nil {
		apiVersion = scalar(v)
	}
	if _, v := lookup(n, "kind"); v != nil {
		kind = scalar(v)
	}
	if _, items := lookup(n, "items"); strings.HasSuffix(kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
		if depth >= maxListDepth {
			return fmt.Errorf("%s:%d: lists nested more than %d deep", r.file, n.Line, maxListDepth)
		}
		for _, item := range items.Content {
			if err := r.objectDepth(item, apiVersion, strings.TrimSuffix(kind, "List"), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	group, _, found := strings.Cut(apiVersion, "/")
	if !found {
		group = ""
	}
	keys := podSpecPaths[groupKind{group, kind}]
	if keys == nil {
		_, spec := path(n, templatePath...)
		if _, cs := lookup(spec, "containers"); cs == nil || cs.Kind != yaml.SequenceNode {
			return nil
		}
		keys = templatePath
	}
	specKey, specNode := path(n, keys...)
	if specNode == nil {
		return nil
	}
	_, meta := lookup(n, "metadata")
	_, nameNode := lookup(meta, "name")
	if nameNode == nil {
		_, nameNode = lookup(meta, "generateName")
	}
	_, nsNode := lookup(meta, "namespace")
	w := workload{kind: kind, name: scalar(nameNode), namespace: scalar(nsNode)}
	if w.name == "" {
		w.name = "<unnamed>"
	}
	line := n.Line
	if nameNode != nil {
		line = nameNode.Line
	}
	r.workloads = append(r.workloads, Workload{File: r.file, Line: line, Kind: w.kind, Name: w.name, Namespace: w.namespace})

	var spec corev1.PodSpec
	var broken map[probeKey]*ProbeError
	v, err := podSpecValue(specNode)
	if err == nil {
		broken = takeBrokenProbes(v, specNode)
		var data []byte
		if data, err = json.Marshal(v); err == nil {
			// Case-sensitive and lenient about unknown fields, as the API
			// server is without strict field validation: charts may carry
			// fields newer than our k8s.io/api.
			err = k8sjson.UnmarshalCaseSensitivePreserveInts(data, &spec)
		}
	}
	if err != nil {
		return fmt.Errorf("%s:%d: %s/%s: %s", r.file, specKey.Line, w.kind, w.name, decodeError(strings.Join(keys, "."), err))
	}
	for _, cs := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
		for _, c := range cs {
			if c.Image != "" {
				w.imaged = append(w.imaged, c.Name)
			}
		}
	}
	if _, n := lookup(specNode, "hostNetwork"); resolve(n) != nil {
		// podSpecValue keeps only the containers; a value that is no
		// boolean, which the API server refuses, counts as false.
		_ = resolve(n).Decode(&w.hostNetwork)
	}
	r.containers(w, specNode, "containers", spec.Containers, false, broken)
	r.containers(w, specNode, "initContainers", spec.InitContainers, true, broken)
	return nil
}

// takeBrokenProbes decodes each probe of the pod spec v (the JSON value of
// specNode) on its own, and removes from v those that cannot be decoded, so
// that a type error confined to one probe (a grpc probe's named port) is that
// probe's finding and the rest of the document is still checked. Any other
// type error still makes the document unreadable.
func takeBrokenProbes(v any, specNode *yaml.Node) map[probeKey]*ProbeError {
	spec, _ := v.(map[string]any)
	var broken map[probeKey]*ProbeError
	for _, list := range []string{"containers", "initContainers"} {
		items, _ := spec[list].([]any)
		_, seq := lookup(specNode, list)
		for i, item := range items {
			c, _ := item.(map[string]any)
			var itemNode *yaml.Node
			if seq != nil && seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
				itemNode = seq.Content[i]
			}
			for _, kind := range contract.Kinds {
				pv, ok := c[kind.Field()]
				if !ok || pv == nil {
					continue
				}
				data, err := json.Marshal(pv)
				if err == nil {
					err = k8sjson.UnmarshalCaseSensitivePreserveInts(data, new(corev1.Probe))
				}
				if err == nil {
					continue
				}
				keyNode, probeNode := lookup(itemNode, kind.Field())
				if broken == nil {
					broken = map[probeKey]*ProbeError{}
				}
				broken[probeKey{list, i, kind}] = probeDecodeError(err, keyNode, probeNode, itemNode)
				delete(c, kind.Field())
			}
		}
	}
	return broken
}

// probeTypeError matches a type error of encoding/json (sigs.k8s.io/json's
// fork, whose error type is internal): the JSON value, the Go path of the
// field (from the struct's type name, naming embedded structs) and the type
// wanted. A probe that is not an object has no struct field.
var probeTypeError = regexp.MustCompile(`^json: cannot unmarshal (.+) into Go (?:struct field (\S+)|value) of type (\S+)$`)

// probeDecodeError words err, the error decoding one probe, at the line of
// the field at fault: keyNode and probeNode are the probe's key and value,
// item the container's node.
func probeDecodeError(err error, keyNode, probeNode, item *yaml.Node) *ProbeError {
	e := &ProbeError{Message: err.Error()}
	if keyNode != nil {
		e.Line = keyNode.Line
	} else if item != nil {
		e.Line = item.Line
	}
	m := probeTypeError.FindStringSubmatch(err.Error())
	if m == nil {
		return e
	}
	value, goPath, want := m[1], m[2], m[3]
	if goPath == "" {
		e.Message = "want a mapping, not " + value
		return e
	}
	fields := jsonFields(goPath)
	e.Field = strings.Join(fields, ".")
	e.Message = fmt.Sprintf("want %s, not %s", want, value)
	// The line of the deepest key found; a list in the path (httpHeaders)
	// does not say which item.
	var valueNode *yaml.Node
	n := probeNode
	for _, f := range fields {
		k, v := lookup(n, f)
		if k == nil {
			valueNode = nil
			break
		}
		e.Line, n, valueNode = k.Line, v, v
	}
	if e.Field == "grpc.port" && value == "string" {
		if valueNode == nil {
			e.Message = "grpc probes need a numeric port; named ports are not allowed"
		} else if _, err := strconv.ParseInt(valueNode.Value, 10, 32); err == nil {
			e.Message = fmt.Sprintf("grpc probes need a numeric port, not the string %q: remove the quotes", valueNode.Value)
		} else {
			e.Message = "grpc probes need a numeric port; named ports are not allowed"
			e.PortName = valueNode.Value
		}
	}
	return e
}

var typeError = regexp.MustCompile(`^json: cannot unmarshal (\w+) into Go struct field (\S+) of type (\S+)$`)

// decodeError words a type error as the path of the field in the YAML:
// "spec.containers.readinessProbe.grpc.port: want int32, not string".
func decodeError(prefix string, err error) string {
	m := typeError.FindStringSubmatch(err.Error())
	if m == nil {
		return prefix + ": " + err.Error()
	}
	parts := append([]string{prefix}, jsonFields(m[2])...)
	return fmt.Sprintf("%s: want %s, not %s", strings.Join(parts, "."), m[3], m[1])
}

// jsonFields returns the JSON field names in a type error's Go path, which
// starts with the struct's type and names embedded structs (ProbeHandler):
// JSON field names start with a lower-case letter.
func jsonFields(goPath string) []string {
	var fields []string
	for _, p := range strings.Split(goPath, ".")[1:] {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			fields = append(fields, p)
		}
	}
	return fields
}

type workload struct {
	kind, name, namespace string
	imaged                []string // containers with an image
	hostNetwork           bool
}

func (r *reader) containers(w workload, spec *yaml.Node, field string, cs []corev1.Container, init bool, broken map[probeKey]*ProbeError) {
	_, seq := lookup(spec, field)
	for i := range cs {
		c := &cs[i]
		var item *yaml.Node
		if seq != nil && seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
			item = resolve(seq.Content[i])
		}
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		for _, kind := range contract.Kinds {
			probe := probeOf(c, kind)
			decodeErr := broken[probeKey{field, i, kind}]
			if probe == nil && decodeErr == nil {
				continue
			}
			line := 0
			if k, _ := lookup(item, kind.Field()); k != nil {
				line = k.Line
			} else if item != nil {
				line = item.Line
			}
			r.sites = append(r.sites, Site{
				File: r.file, Line: line,
				Kind: w.kind, Name: w.name, Namespace: w.namespace,
				Container:      c,
				InitNotSidecar: init && !sidecar,
				Imaged:         w.imaged,
				HostNetwork:    w.hostNetwork,
				ProbeKind:      kind,
				Probe:          probe,
				DecodeErr:      decodeErr,
			})
		}
	}
}

// probeOf returns the container's probe of kind k, nil when it has none.
func probeOf(c *corev1.Container, k contract.Kind) *corev1.Probe {
	switch k {
	case contract.Liveness:
		return c.LivenessProbe
	case contract.Readiness:
		return c.ReadinessProbe
	case contract.Startup:
		return c.StartupProbe
	}
	return nil
}
