package gen

import (
	"fmt"
	"maps"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// cartProto is one service, the workload of the real-manifest tests.
var cartProto = testProto{"shop/v1/cart.proto", "syntax = \"proto3\";\npackage shop.v1;\nservice Cart {}\n"}

// realWorkload is a user's manifest as real projects write it: a namespace
// or none, a sidecar with probes of its own listed first, and in some cases
// probes of every other handler type on the container the Component patches.
func realWorkload(kind, namespace, probes string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: %s\nmetadata:\n  name: cart\n", kind)
	if namespace != "" {
		fmt.Fprintf(&b, "  namespace: %s\n", namespace)
	}
	b.WriteString("  labels:\n    app: cart\nspec:\n")
	if kind == "StatefulSet" {
		b.WriteString("  serviceName: cart\n  replicas: 3\n")
	}
	b.WriteString(`  selector:
    matchLabels:
      app: cart
  template:
    metadata:
      labels:
        app: cart
    spec:
      containers:
        - name: proxy
          image: example.com/proxy:1
          readinessProbe:
            httpGet:
              path: /ready
              port: 15021
        - name: server
          image: example.com/cart:1
          ports:
            - name: grpc
              containerPort: 50051
`)
	b.WriteString(probes)
	return b.String()
}

// oldProbes are probes of every non-gRPC handler type, with timings the
// generated probes do not set the same, on the patched container.
const oldProbes = `          startupProbe:
            tcpSocket:
              port: 50051
            failureThreshold: 99
          livenessProbe:
            exec:
              command: ["/bin/true"]
            periodSeconds: 42
            terminationGracePeriodSeconds: 7
          readinessProbe:
            httpGet:
              path: /healthz
              port: 8080
            successThreshold: 2
`

// grpcProbes are native gRPC probes the user had already, which an exec
// probe must replace.
const grpcProbes = `          livenessProbe:
            grpc:
              port: 50051
          readinessProbe:
            grpc:
              port: 50051
              service: old
`

// TestComponentOverRealWorkloads lists the generated Component over the
// workloads real projects deploy and builds with kustomize: every result
// holds the one workload, in its namespace, whose container carries exactly
// the generated probes (one handler each, passing the API server's rules)
// and whose sidecar is untouched.
func TestComponentOverRealWorkloads(t *testing.T) {
	tests := []struct {
		name, params, kind, namespace, probes string
	}{
		{"namespaced Deployment", "", "Deployment", "shop", ""},
		{"Deployment without namespace, kind=Deployment", ",kind=Deployment", "Deployment", "", ""},
		{"StatefulSet", ",kind=StatefulSet", "StatefulSet", "p2p", ""},
		{"DaemonSet", ",kind=DaemonSet", "DaemonSet", "kube-system", ""},
		{"DaemonSet without namespace", ",kind=DaemonSet", "DaemonSet", "", ""},
		{"Deployment with exec, httpGet and tcpSocket probes", "", "Deployment", "shop", oldProbes},
		{"StatefulSet with exec, httpGet and tcpSocket probes", ",kind=StatefulSet", "StatefulSet", "", oldProbes},
		{"exec probes over grpc probes", ",probe=exec", "Deployment", "shop", grpcProbes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := runPlugin(t, requestFor(t, "emit=k8s,workload=cart"+tc.params, cartProto))
			patch := decodeManifests(t, files)["cart"].patch
			want := containerNamed(&patch.Spec.Template.Spec, "server")

			got := buildOver(t, files, realWorkload(tc.kind, tc.namespace, tc.probes), tc.kind, "cart")
			if got.Namespace != tc.namespace {
				t.Errorf("namespace %q, want %q", got.Namespace, tc.namespace)
			}
			spec := &got.Spec.Template.Spec
			if len(spec.Containers) != 2 {
				t.Fatalf("%d containers, want the user's 2", len(spec.Containers))
			}
			server := containerNamed(spec, "server")
			if server == nil || server.Image != "example.com/cart:1" {
				t.Fatalf("container server lost its image or went missing: %+v", server)
			}
			for _, kp := range probesOf(server) {
				for _, f := range proberules.Check(kp.kind, kp.probe, proberules.Generated) {
					t.Errorf("%s: %s", kp.kind.Field(), f)
				}
			}
			gotProbes := []*corev1.Probe{server.StartupProbe, server.LivenessProbe, server.ReadinessProbe}
			wantProbes := []*corev1.Probe{want.StartupProbe, want.LivenessProbe, want.ReadinessProbe}
			if d := cmp.Diff(wantProbes, gotProbes); d != "" {
				t.Errorf("built probes (-generated +built): anything of the user's old probes is left over:\n%s", d)
			}
			proxy := containerNamed(spec, "proxy")
			if proxy == nil || proxy.ReadinessProbe == nil || proxy.ReadinessProbe.HTTPGet == nil ||
				proxy.LivenessProbe != nil || proxy.StartupProbe != nil {
				t.Errorf("the sidecar's probes changed: %+v", proxy)
			}
		})
	}
}

// TestComponentMergeWouldBreak is the control of the test above: the same
// patch without its $patch: replace directives merges into the user's
// probes, and the API server's rules catch the second handler. Were
// kustomize to start replacing probes by itself, the directives would no
// longer be needed and this test says so.
func TestComponentMergeWouldBreak(t *testing.T) {
	files := runPlugin(t, requestFor(t, "emit=k8s,workload=cart", cartProto))
	files["cart/probes.yaml"] = strings.ReplaceAll(files["cart/probes.yaml"], "            $patch: replace\n", "")
	got := buildOver(t, files, realWorkload("Deployment", "shop", oldProbes), "Deployment", "cart")
	server := containerNamed(&got.Spec.Template.Spec, "server")
	var found []string
	for _, kp := range probesOf(server) {
		for _, f := range proberules.Check(kp.kind, kp.probe, proberules.Generated) {
			if strings.Contains(f.Message, "more than 1 handler") {
				found = append(found, string(kp.kind))
			}
		}
	}
	if len(found) != 3 {
		t.Errorf("a merged patch gave two handlers on %v, want on all three probes", found)
	}
}

// buildOver builds an overlay that lists the generated Component of
// workload over base, and returns the built workload's metadata and pod
// template in a Deployment, decoded strictly from its own kind.
func buildOver(t *testing.T, generated map[string]string, base, kind, workload string) *appsv1.Deployment {
	t.Helper()
	m := kustomizeBuild(t, componentOverlay(generated, workload, "workload.yaml", base), "overlay")
	if m.Size() != 1 {
		t.Fatalf("build has %d resources, want 1", m.Size())
	}
	obj, asDeployment := workloadObject(kind)
	if obj == nil {
		t.Fatalf("kind %q is not a workload kind", kind)
	}
	builtObject(t, m, kind, workload, obj)
	return asDeployment()
}

// TestHipstershopDropsOn: the nine-service demo's output, generated with
// per-service parameters only (testdata/hipstershop), drops onto the
// project's existing manifests, nine Deployments in one namespace each with
// its own name, port and probes of its own, listed as nine components of one
// overlay: every Deployment ends up with exactly the generated probes on its
// own port.
func TestHipstershopDropsOn(t *testing.T) {
	m := kustomizeBuild(t, hipstershopOverlay(t, hipstershopParams(t)), "/app/overlay")
	if m.Size() != len(hipstershopPorts) {
		t.Fatalf("build has %d resources, want %d", m.Size(), len(hipstershopPorts))
	}
	for name, port := range hipstershopPorts {
		var d appsv1.Deployment
		builtObject(t, m, "Deployment", name, &d)
		server := containerNamed(&d.Spec.Template.Spec, "server")
		for _, kp := range probesOf(server) {
			// The demo's servers register "" only: names=overall.
			opts := proberules.Options{Mode: proberules.Generated, Names: contract.NamesOverall}
			for _, f := range proberules.CheckWith(kp.kind, kp.probe, opts) {
				t.Errorf("%s %s: %s", name, kp.kind.Field(), f)
			}
			if n := handlers(kp.probe); n != 1 {
				t.Errorf("%s %s: %d handlers, want 1", name, kp.kind.Field(), n)
			}
			if kp.probe == nil || kp.probe.GRPC == nil || kp.probe.GRPC.Port != port || kp.probe.GRPC.Service == nil || *kp.probe.GRPC.Service != "" {
				t.Errorf("%s %s: %+v, want a grpc probe of \"\" on port %d", name, kp.kind.Field(), kp.probe, port)
			}
		}
	}
}

// hipstershopPorts are the nine Deployments of the demo and their ports.
var hipstershopPorts = map[string]int32{
	"adservice": 9555, "cartservice": 7070, "checkoutservice": 5050, "currencyservice": 7000, "emailservice": 8080,
	"paymentservice": 50051, "productcatalogservice": 3550, "recommendationservice": 8080, "shippingservice": 50051,
}

// hipstershopParams are the parameters that name the demo's Deployments
// (testdata/hipstershop/params.txt).
func hipstershopParams(t *testing.T) string {
	t.Helper()
	param, err := os.ReadFile("testdata/hipstershop/params.txt")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(param))
}

// hipstershopOverlay generates the demo's output with params and returns
// the kustomize tree of the project's nine Deployments in one namespace,
// each with its own name, port and probes of its own (base/), and an
// overlay (/app/overlay) that lists every generated Component.
func hipstershopOverlay(t *testing.T, params string) map[string]string {
	t.Helper()
	files := runPlugin(t, buildRequest(t, "testdata/hipstershop", params))
	fs := map[string]string{}
	baseK := "resources:\n"
	for _, name := range slices.Sorted(maps.Keys(hipstershopPorts)) {
		port := hipstershopPorts[name]
		// The demo's own manifests probe with grpc_health_probe or grpc:.
		old := fmt.Sprintf("          readinessProbe:\n            periodSeconds: 5\n            exec:\n              command: [\"/bin/grpc_health_probe\", \"-addr=:%d\"]\n"+
			"          livenessProbe:\n            grpc:\n              port: %d\n", port, port)
		base := strings.ReplaceAll(realWorkload("Deployment", "shop", old), "cart", name)
		base = strings.ReplaceAll(base, "containerPort: 50051", fmt.Sprintf("containerPort: %d", port))
		fs["/app/base/"+name+".yaml"] = base
		baseK += "  - " + name + ".yaml\n"
	}
	fs["/app/base/kustomization.yaml"] = baseK
	components := map[string]bool{}
	for f, content := range files {
		fs["/app/"+f] = content
		components[path.Dir(f)] = true
	}
	overlay := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../base\ncomponents:\n"
	for _, c := range slices.Sorted(maps.Keys(components)) {
		overlay += "  - ../" + c + "\n"
	}
	fs["/app/overlay/kustomization.yaml"] = overlay
	return fs
}

// handlers counts the probe's handlers: the API server allows exactly one.
func handlers(p *corev1.Probe) int {
	if p == nil {
		return 0
	}
	n := 0
	for _, set := range []bool{p.Exec != nil, p.HTTPGet != nil, p.TCPSocket != nil, p.GRPC != nil} {
		if set {
			n++
		}
	}
	return n
}
