package manifest

import (
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// NameSite is one health name that a consumer of health other than the
// kubelet asks: a gateway's health check policy or a docker compose
// healthcheck, as protoc-gen-health's emit=gke, envoygateway and compose
// write them (and as people write them by hand).
type NameSite struct {
	File      string
	Line      int    // of the name's key, or of the healthcheck's test
	Kind      string // HealthCheckPolicy, BackendTrafficPolicy, or "compose"
	Name      string // the object's name, or the compose service's
	Namespace string
	Field     string // where the name is: spec.default.config.grpcHealthCheck.grpcServiceName
	// Service is the name asked; "" when the field is absent (a health
	// check of the server's overall status).
	Service string
	// Argv is a compose healthcheck's command (its test without "CMD"),
	// whose -service the checker reads as the probe rules do; nil for the
	// policies.
	Argv []string
}

// consumerNames returns the health names one document asks.
func consumerNames(file string, n *yaml.Node) []NameSite {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	apiVersion, kind := scalar(value(n, "apiVersion")), scalar(value(n, "kind"))
	group, _, _ := strings.Cut(apiVersion, "/")
	site := NameSite{File: file, Kind: kind, Name: scalar(value(n, "metadata", "name")), Namespace: scalar(value(n, "metadata", "namespace"))}
	switch {
	case group == "networking.gke.io" && kind == "HealthCheckPolicy":
		// Only a GRPC check asks a name; its absence asks "".
		for _, at := range []string{"default", "override"} {
			if strings.ToUpper(scalar(value(n, "spec", at, "config", "type"))) != "GRPC" {
				continue
			}
			s := site
			s.Field = "spec." + at + ".config.grpcHealthCheck.grpcServiceName"
			s.Line, s.Service = nameAt(n, "spec", at, "config", "grpcHealthCheck", "grpcServiceName")
			return append([]NameSite(nil), s)
		}
	case group == "gateway.envoyproxy.io" && kind == "BackendTrafficPolicy":
		if scalar(value(n, "spec", "healthCheck", "active", "type")) != "GRPC" {
			return nil
		}
		site.Field = "spec.healthCheck.active.grpc.service"
		site.Line, site.Service = nameAt(n, "spec", "healthCheck", "active", "grpc", "service")
		return []NameSite{site}
	case kind == "" && apiVersion == "":
		return composeNames(file, n)
	}
	return nil
}

// composeNames returns the healthchecks of a compose file's services, in
// service name order: the exec form ["CMD", ...], and a shell command
// (["CMD-SHELL", "..."] or a string) as the probe rules read sh -c.
func composeNames(file string, n *yaml.Node) []NameSite {
	services := value(n, "services")
	if services == nil || services.Kind != yaml.MappingNode {
		return nil
	}
	var out []NameSite
	for i := 0; i+1 < len(services.Content); i += 2 {
		name := scalar(services.Content[i])
		testKey, test := path(services.Content[i+1], "healthcheck", "test")
		if test == nil {
			continue
		}
		s := NameSite{File: file, Line: testKey.Line, Kind: "compose", Name: name, Field: "healthcheck.test"}
		switch {
		case test.Kind == yaml.ScalarNode && test.Value != "" && test.Value != "NONE":
			s.Argv = []string{"/bin/sh", "-c", test.Value} // as compose runs a string: CMD-SHELL
		case test.Kind == yaml.SequenceNode && len(test.Content) >= 2 && scalar(test.Content[0]) == "CMD":
			for _, a := range test.Content[1:] {
				s.Argv = append(s.Argv, scalar(a))
			}
		case test.Kind == yaml.SequenceNode && len(test.Content) == 2 && scalar(test.Content[0]) == "CMD-SHELL":
			s.Argv = []string{"/bin/sh", "-c", scalar(test.Content[1])}
		default:
			continue
		}
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// value is path's value node.
func value(m *yaml.Node, keys ...string) *yaml.Node {
	_, v := path(m, keys...)
	return v
}

// nameAt returns the line and value of the name at keys; when it is absent,
// the line of the deepest key present and "".
func nameAt(n *yaml.Node, keys ...string) (int, string) {
	line := n.Line
	cur := n
	for _, k := range keys {
		kn, v := lookup(cur, k)
		if kn == nil {
			return line, ""
		}
		line, cur = kn.Line, v
	}
	return line, scalar(cur)
}
