package verify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
)

// generatedPatch is a Component's patch as the plugin writes it.
const generatedPatch = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
spec:
  template:
    spec:
      containers:
        - name: server
          livenessProbe:
            $patch: replace
            exec:
              command: ["/bin/grpc_health_probe", "-addr=:50051", "-service=liveness"]
            periodSeconds: 10
          readinessProbe:
            $patch: replace
            grpc:
              port: 50051
              service: ""
            periodSeconds: 2
`

// builtCart is the built Deployment cart in namespace ns, with the given
// probes on its container server.
func builtCart(ns, probes string) string {
	return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\n  namespace: " + ns + "\nspec:\n  template:\n    spec:\n      containers:\n" +
		"        - name: server\n          image: example.com/cart:1\n" + probes
}

const (
	generatedProbes = `          livenessProbe:
            exec:
              command: ["/bin/grpc_health_probe", "-addr=:50051", "-service=liveness"]
            periodSeconds: 10
          readinessProbe:
            grpc:
              port: 50051
            periodSeconds: 2
`
	oldProbes = `          readinessProbe:
            httpGet:
              path: /ready
              port: 8080
`
)

func parse(t *testing.T, name, data string) manifest.Parsed {
	t.Helper()
	p, err := manifest.ParseFile(name, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestExpect: each namespace's instance of a generated workload is checked
// on its own; a grpc probe without service equals one of ""; a changed
// exec name is one finding, not also a command difference.
func TestExpect(t *testing.T) {
	tests := []struct {
		name, built string
		want        []string
	}{
		{"both namespaces patched", builtCart("a", generatedProbes) + "---\n" + builtCart("b", generatedProbes), nil},
		{"one namespace not patched", builtCart("a", generatedProbes) + "---\n" + builtCart("b", oldProbes),
			[]string{`built.yaml:32 b server readinessProbe: container "server" has none of the probes generated in generated.yaml: its Component's patch was not applied; list it under components: of the overlay, or generate with container= naming the container`}},
		{"one namespace without probes", builtCart("a", generatedProbes) + "---\n" + builtCart("b", ""),
			[]string{`built.yaml:24 b server livenessProbe: container "server" has none of the probes generated in generated.yaml: its Component's patch was not applied; list it under components: of the overlay, or generate with container= naming the container`}},
		{"exec name changed", builtCart("a", strings.Replace(generatedProbes, "-service=liveness", "-service=", 1)),
			[]string{`built.yaml:12 a server livenessProbe: asks health name "", the generated probe (generated.yaml:10) "liveness": it was changed after generation; generate again, or change the name at its source (the service, or the probe's name parameter)`}},
		{"a field changed", builtCart("a", strings.Replace(generatedProbes, "periodSeconds: 2", "periodSeconds: 3", 1)),
			[]string{`built.yaml:16 a server readinessProbe.periodSeconds: is 3, the generated probe's (generated.yaml:15) 2: it was changed after generation`}},
		{"a probe missing", builtCart("a", generatedProbes[strings.Index(generatedProbes, "          readinessProbe"):]),
			[]string{`built.yaml:12 a server livenessProbe: container "server" has no livenessProbe, generated at generated.yaml:10`}},
		{"workload missing", strings.Replace(builtCart("a", generatedProbes), "name: cart", "name: carts", 1),
			[]string{`generated.yaml:10  server livenessProbe: the built manifests have no Deployment "cart": list the workload's generated Component under components: of the overlay (helm: its probes in the chart); if your manifests name the workload otherwise, generate with workload=, service.<Name>.workload= or kind= naming it`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			built := parse(t, "built.yaml", tc.built)
			fs := Expect(parse(t, "generated.yaml", generatedPatch).Sites, built.Sites, built.Workloads)
			Sort(fs)
			var got []string
			for _, f := range fs {
				got = append(got, strings.Join([]string{fmt.Sprintf("%s:%d", f.File, f.Line), f.Namespace, f.Container, f.Where() + ": " + f.Message}, " "))
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}
