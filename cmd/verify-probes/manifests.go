package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
	corev1 "k8s.io/api/core/v1"
	k8sjson "sigs.k8s.io/json"

	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// stdinName is how findings in standard input name their file.
const stdinName = "<stdin>"

// source is one input to read: a file, or standard input.
type source struct {
	name string // as given on the command line, or stdinName
	path string // to open; "" for standard input
}

// expand turns the command line's paths into sources: "-" is standard input,
// a directory is every *.yaml and *.yml file under it (in lexical order), and
// anything else is a file, whatever its extension.
func expand(paths []string) ([]source, error) {
	var out []source
	for _, p := range paths {
		if p == "-" {
			out = append(out, source{name: stdinName})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !info.IsDir() {
			out = append(out, source{name: p, path: p})
			continue
		}
		n := len(out)
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml":
				if !d.IsDir() {
					out = append(out, source{name: path, path: path})
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == n {
			return nil, fmt.Errorf("%s: no *.yaml or *.yml files in the directory", p)
		}
	}
	return out, nil
}

// site is one probe of one container of one workload.
type site struct {
	file      string
	line      int // of the probe's key
	kind      string
	name      string
	namespace string
	container *corev1.Container
	// initNotSidecar is set for an init container that is not a sidecar
	// (restartPolicy Always): the API server allows it no probes.
	initNotSidecar bool
	probeKind      proberules.Kind
	probe          *corev1.Probe
}

type groupKind struct{ group, kind string }

// podSpecPaths says where each workload kind keeps its pod spec. Matching
// the API group keeps custom resources that reuse a name (a Volcano Job) out.
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

// parse reads every YAML document of one source and returns its probes.
// Documents that are not workloads are skipped. On error it returns the
// probes of the documents before the broken one.
func parse(name string, data []byte) (sites []site, err error) {
	defer func() {
		if r := recover(); r != nil { // the YAML parser must not take the tool down
			sites, err = nil, fmt.Errorf("%s: cannot parse YAML: %v", name, r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for {
		var doc yaml.Node
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			return sites, nil
		} else if err != nil {
			return sites, yamlError(name, err)
		}
		if len(doc.Content) == 0 {
			continue
		}
		r := &reader{file: name}
		if err := r.object(doc.Content[0], "", ""); err != nil {
			return sites, err
		}
		sites = append(sites, r.sites...)
	}
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
	file  string
	sites []site
}

// object reads one Kubernetes object, or the items of a list. A list's items
// default to the list's apiVersion and to its kind without "List".
func (r *reader) object(n *yaml.Node, apiVersion, kind string) error {
	if n = resolve(n); n.Kind != yaml.MappingNode {
		return nil
	}
	if _, v := lookup(n, "apiVersion"); v != nil {
		apiVersion = scalar(v)
	}
	if _, v := lookup(n, "kind"); v != nil {
		kind = scalar(v)
	}
	if _, items := lookup(n, "items"); strings.HasSuffix(kind, "List") && items != nil && items.Kind == yaml.SequenceNode {
		for _, item := range items.Content {
			if err := r.object(item, apiVersion, strings.TrimSuffix(kind, "List")); err != nil {
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
		return nil
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

	var spec corev1.PodSpec
	v, err := jsonValue(specNode)
	if err == nil {
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
	r.containers(w, specNode, "containers", spec.Containers, false)
	r.containers(w, specNode, "initContainers", spec.InitContainers, true)
	return nil
}

var typeError = regexp.MustCompile(`^json: cannot unmarshal (\w+) into Go struct field (\S+) of type (\S+)$`)

// decodeError words a type error as the path of the field in the YAML:
// "spec.containers.readinessProbe.grpc.port: want int32, not string".
func decodeError(prefix string, err error) string {
	m := typeError.FindStringSubmatch(err.Error())
	if m == nil {
		return prefix + ": " + err.Error()
	}
	// The Go path starts with the struct's type and names embedded structs
	// (ProbeHandler): JSON field names start with a lower-case letter.
	parts := []string{prefix}
	for _, p := range strings.Split(m[2], ".")[1:] {
		if p != "" && !unicode.IsUpper(rune(p[0])) {
			parts = append(parts, p)
		}
	}
	return fmt.Sprintf("%s: want %s, not %s", strings.Join(parts, "."), m[3], m[1])
}

type workload struct{ kind, name, namespace string }

func (r *reader) containers(w workload, spec *yaml.Node, field string, cs []corev1.Container, init bool) {
	_, seq := lookup(spec, field)
	for i := range cs {
		c := &cs[i]
		var item *yaml.Node
		if seq != nil && seq.Kind == yaml.SequenceNode && i < len(seq.Content) {
			item = resolve(seq.Content[i])
		}
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		for _, pk := range []struct {
			kind  proberules.Kind
			probe *corev1.Probe
		}{{proberules.Liveness, c.LivenessProbe}, {proberules.Readiness, c.ReadinessProbe}, {proberules.Startup, c.StartupProbe}} {
			if pk.probe == nil {
				continue
			}
			line := 0
			if k, _ := lookup(item, pk.kind.Field()); k != nil {
				line = k.Line
			} else if item != nil {
				line = item.Line
			}
			r.sites = append(r.sites, site{
				file: r.file, line: line,
				kind: w.kind, name: w.name, namespace: w.namespace,
				container:      c,
				initNotSidecar: init && !sidecar,
				probeKind:      pk.kind,
				probe:          pk.probe,
			})
		}
	}
}
