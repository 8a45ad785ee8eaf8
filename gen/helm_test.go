package gen

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	chartlint "helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/helmchart"
	"github.com/protoc-gen-health/protoc-gen-health/internal/helmchart/helmtest"
)

// splitHelm separates the Helm files of a run (<workload>/helm/...,
// <workload>/chart/...) from the rest.
func splitHelm(files map[string]string) (helm, rest map[string]string) {
	helm, rest = map[string]string{}, map[string]string{}
	for name, content := range files {
		if parts := strings.SplitN(name, "/", 3); len(parts) == 3 && (parts[1] == helmLibraryDir || parts[1] == helmScaffoldDir) {
			helm[name] = content
		} else {
			rest[name] = content
		}
	}
	return helm, rest
}

// renderChart renders the chart at dir with Helm's engine and decodes each
// rendered document strictly: Deployments and Services, by kind.
func renderChart(t testing.TB, dir string, o helmchart.Options) (map[string]*appsv1.Deployment, map[string]*corev1.Service) {
	t.Helper()
	rendered, err := helmchart.RenderInProcess(context.Background(), dir, o)
	if err != nil {
		t.Fatalf("rendering %s: %v", dir, err)
	}
	deployments, services := map[string]*appsv1.Deployment{}, map[string]*corev1.Service{}
	for _, r := range rendered {
		for _, doc := range strings.Split(r.Content, "\n---\n") {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &tm); err != nil {
				t.Fatalf("%s: %v\n%s", r.Name, err, doc)
			}
			var obj any
			switch tm.Kind {
			case "Deployment":
				d := &appsv1.Deployment{}
				deployments[r.Name], obj = d, d
			case "Service":
				s := &corev1.Service{}
				services[r.Name], obj = s, s
			default:
				t.Fatalf("%s: unexpected kind %q", r.Name, tm.Kind)
			}
			if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
				t.Fatalf("%s does not decode strictly into %T: %v\n%s", r.Name, obj, err, doc)
			}
		}
	}
	return deployments, services
}

// renderUserChart renders a user's chart that includes workload w's
// generated library chart, and returns its container.
func renderUserChart(t testing.TB, generated map[string]string, w, container, values string, o helmchart.Options) *corev1.Container {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "app")
	if err := helmtest.Write(dir, helmtest.UserChart(w, container, values)); err != nil {
		t.Fatal(err)
	}
	if err := helmtest.Vendor(dir, w, generated); err != nil {
		t.Fatal(err)
	}
	deployments, _ := renderChart(t, dir, o)
	d := deployments["app/templates/deployment.yaml"]
	if d == nil || len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: the user chart renders no Deployment of one container: %v", w, deployments)
	}
	return &d.Spec.Template.Spec.Containers[0]
}

// helmCases are k8sCases, the naming modes and per-probe names: the
// library charts must ask what the Components ask in each.
func helmCases() []k8sCase {
	cases := k8sCases()
	for _, mode := range []contract.NamesMode{contract.NamesServices, contract.NamesOverall} {
		cases = append(cases, k8sCase{name: "names " + string(mode), params: "names=" + string(mode), files: []testProto{shopProto}})
	}
	cases = append(cases, k8sCase{name: "per-probe names", files: []testProto{shopProto},
		params: "names=overall,startup_service=liveness,liveness_service=liveness,service.shop.v1.Cart.readiness_service=shop.v1.Cart"})
	return cases
}

// TestHelmSameProbesAsComponent renders, for every case, a user's chart
// that includes each workload's library chart and compares its container's
// probes and ports with the Component's patch: the same names, ports,
// handlers and timings. Overridden timings change only those fields (and
// an exec probe's own timeouts with timeoutSeconds); a handler in the
// values is refused.
func TestHelmSameProbesAsComponent(t *testing.T) {
	for _, c := range helmCases() {
		t.Run(c.name, func(t *testing.T) {
			params := "emit=k8s,emit=helm"
			if c.params != "" {
				params += "," + c.params
			}
			helm, rest := splitHelm(runPlugin(t, requestFor(t, params, c.files...)))
			workloads := decodeManifests(t, rest)
			if len(workloads) == 0 {
				t.Fatal("no workloads")
			}
			for name, w := range workloads {
				want := w.podOf().Spec.Template.Spec.Containers[0]
				got := renderUserChart(t, helm, name, want.Name, "", helmchart.Options{})
				for _, p := range []struct {
					field     string
					got, want *corev1.Probe
				}{{"startupProbe", got.StartupProbe, want.StartupProbe}, {"livenessProbe", got.LivenessProbe, want.LivenessProbe}, {"readinessProbe", got.ReadinessProbe, want.ReadinessProbe}} {
					if d := cmp.Diff(p.want, p.got); d != "" {
						t.Errorf("%s %s: the chart's probe differs from the Component's (-component +chart):\n%s", name, p.field, d)
					}
				}
				ww := c.workloads[name].withDefaults()
				wantPorts := []corev1.ContainerPort{{Name: "grpc", ContainerPort: ww.port, Protocol: corev1.ProtocolTCP}}
				if ww.probePort != ww.port {
					wantPorts = append(wantPorts, corev1.ContainerPort{Name: "health", ContainerPort: ww.probePort, Protocol: corev1.ProtocolTCP})
				}
				if d := cmp.Diff(wantPorts, got.Ports); d != "" {
					t.Errorf("%s: the chart's ports (-want +got):\n%s", name, d)
				}
				if c.workloads != nil { // the naming-mode cases compare with the Component only
					checkProbes(t, name+" (chart)", got, ww)
				}

				// Timings from the values; the handlers stay.
				over := renderUserChart(t, helm, name, want.Name,
					"grpcHealth:\n  livenessProbe:\n    periodSeconds: 17\n", helmchart.Options{Set: []string{"grpcHealth.readinessProbe.timeoutSeconds=5", "grpcHealth.startupProbe.failureThreshold=90"}})
				wantLive, wantReady, wantStart := want.LivenessProbe.DeepCopy(), want.ReadinessProbe.DeepCopy(), want.StartupProbe.DeepCopy()
				wantLive.PeriodSeconds, wantReady.TimeoutSeconds, wantStart.FailureThreshold = 17, 5, 90
				if wantReady.Exec != nil {
					cmd := wantReady.Exec.Command
					for i, a := range cmd {
						// An argument, or a word of sh -c's script.
						cmd[i] = execTimeoutRE.ReplaceAllString(a, "${1}${2}2000ms") // 40% of 5s
					}
				}
				for _, p := range []struct {
					field     string
					got, want *corev1.Probe
				}{{"startupProbe", over.StartupProbe, wantStart}, {"livenessProbe", over.LivenessProbe, wantLive}, {"readinessProbe", over.ReadinessProbe, wantReady}} {
					if d := cmp.Diff(p.want, p.got); d != "" {
						t.Errorf("%s %s with overridden timings (-want +got):\n%s", name, p.field, d)
					}
				}
			}
		})
	}
}

// execTimeoutRE matches grpc_health_probe's timeouts, as arguments or as
// words of a script.
var execTimeoutRE = regexp.MustCompile(`(^|\s)(-(?:connect|rpc)-timeout=)[0-9]+m?s\b`)

// TestHelmValuesCannotAddAHandler: every way of giving a probe more than
// timings fails the rendering with a message naming the key.
func TestHelmValuesCannotAddAHandler(t *testing.T) {
	helm, _ := splitHelm(runPlugin(t, requestFor(t, "emit=helm", greeterProto)))
	dir := filepath.Join(t.TempDir(), "app")
	if err := helmtest.Write(dir, helmtest.UserChart("helloworld-greeter", "server", "")); err != nil {
		t.Fatal(err)
	}
	if err := helmtest.Vendor(dir, "helloworld-greeter", helm); err != nil {
		t.Fatal(err)
	}
	for set, want := range map[string]string{
		"grpcHealth.livenessProbe.exec.command={/bin/true}": "grpcHealth.livenessProbe.exec: only a probe's timings may be overridden",
		"grpcHealth.readinessProbe.grpc.port=1":             "grpcHealth.readinessProbe.grpc: only a probe's timings may be overridden",
		"grpcHealth.startupProbe.httpGet.path=/":            "grpcHealth.startupProbe.httpGet: only a probe's timings may be overridden",
		"grpcHealth.livenessProbe=null":                     "",
		"grpcHealth.livnessProbe.periodSeconds=3":           "grpcHealth.livnessProbe: not a probe of workload helloworld-greeter",
		"grpcHealth.livenessProbe.periodSeconds=abc":        "grpcHealth.livenessProbe.periodSeconds: must be a whole number",
		"grpcHealth.livenessProbe.periodSeconds=0":          "grpcHealth.livenessProbe.periodSeconds: must be a whole number from 1",
		"grpcHealth.livenessProbe.periodSeconds=1.5":        "grpcHealth.livenessProbe.periodSeconds: must be a whole number",
		"grpcHealth=3": "grpcHealth: must be a map of probes",
		// The API server refuses a liveness or startup probe's other than 1.
		"grpcHealth.livenessProbe.successThreshold=2":  "grpcHealth.livenessProbe.successThreshold: must be 1",
		"grpcHealth.startupProbe.successThreshold=3":   "grpcHealth.startupProbe.successThreshold: must be 1",
		"grpcHealth.livenessProbe.successThreshold=1":  "",
		"grpcHealth.readinessProbe.successThreshold=2": "",
	} {
		_, err := helmchart.RenderInProcess(context.Background(), dir, helmchart.Options{Set: []string{set}})
		switch {
		case want == "" && err != nil:
			t.Errorf("--set %s: %v", set, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("--set %s: error %v, want one with %q", set, err, want)
		}
	}
}

// TestHelmScaffold: scaffold=true with emit=helm writes a chart that passes
// Helm's own lint (as helm lint) with its library chart vendored, renders
// into a Deployment and Service that pass the scaffold's checks (the
// restricted Pod Security Standard, selectors, Dockerfile) with the probes
// of emit=k8s's scaffold, and leaves nothing of the library to edit.
func TestHelmScaffold(t *testing.T) {
	for _, params := range []string{"", ",probe=exec,health_port=8081,image=ghcr.io/acme/greeter:v1"} {
		t.Run(params, func(t *testing.T) {
			files := runPlugin(t, requestFor(t, "emit=helm,scaffold=true"+params, greeterProto))
			k8s := runPlugin(t, requestFor(t, "emit=k8s,scaffold=true"+params, greeterProto))
			dir := t.TempDir()
			if err := helmtest.Write(dir, files); err != nil {
				t.Fatal(err)
			}
			chart := filepath.Join(dir, "helloworld-greeter", helmScaffoldDir)
			if err := helmtest.Vendor(chart, "helloworld-greeter", files); err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{chart, filepath.Join(dir, "helloworld-greeter", helmLibraryDir)} {
				for _, m := range chartlint.RunAll(d, nil, "default").Messages {
					if m.Severity > support.InfoSev {
						t.Errorf("helm lint %s: %v", d, m)
					}
				}
			}
			deployments, services := renderChart(t, chart, helmchart.Options{})
			w := &workloadOut{
				name:       "helloworld-greeter",
				deployment: deployments["helloworld-greeter/templates/deployment.yaml"],
				service:    services["helloworld-greeter/templates/service.yaml"],
				dockerfile: files["helloworld-greeter/Dockerfile"],
				main:       files["cmd/helloworld-greeter/main.go"],
			}
			checkScaffold(t, w, scaffoldWantOf("emit=helm,scaffold=true"+params))
			// The chart's Deployment is emit=k8s's scaffold: the same pod.
			kw := decodeManifests(t, k8s)["helloworld-greeter"]
			if d := cmp.Diff(kw.deployment.Spec.Template, w.deployment.Spec.Template); d != "" {
				t.Errorf("the chart's pod differs from emit=k8s's scaffold (-k8s +helm):\n%s", d)
			}
			if d := cmp.Diff(kw.service.Spec, w.service.Spec); d != "" {
				t.Errorf("the chart's Service differs from emit=k8s's scaffold (-k8s +helm):\n%s", d)
			}
			if kw.dockerfile != w.dockerfile {
				t.Errorf("the Dockerfile differs from emit=k8s's scaffold")
			}
		})
	}
}

// TestHelmAloneProbeAuth: the library chart runs grpc_health_probe as the
// Component does, so emit=helm alone takes the probes' client
// authentication, writes the chart emit=k8s,emit=helm writes, and refuses
// it for grpc probes, which cannot send it.
func TestHelmAloneProbeAuth(t *testing.T) {
	const auth = "probe=exec,rpc_header=authorization: Bearer $(PROBE_TOKEN)"
	alone, _ := splitHelm(runPlugin(t, requestFor(t, "emit=helm,"+auth, greeterProto)))
	both, _ := splitHelm(runPlugin(t, requestFor(t, "emit=k8s,emit=helm,"+auth, greeterProto)))
	if diff := cmp.Diff(both, alone); diff != "" {
		t.Errorf("emit=helm alone (-with emit=k8s +alone):\n%s", diff)
	}
	if !strings.Contains(alone["helloworld-greeter/helm/templates/_health.tpl"], `-rpc-header=\"authorization: Bearer ${PROBE_TOKEN:?}\"`) {
		t.Errorf("the chart's probes send no header:\n%s", alone["helloworld-greeter/helm/templates/_health.tpl"])
	}
	checkError(t, "emit=helm,rpc_header=authorization: Bearer $(PROBE_TOKEN)", greeter,
		`parameter rpc_header=authorization: Bearer $(PROBE_TOKEN): workload "helloworld-greeter": the kubelet's grpc probes send no client certificates, metadata, SPIFFE or ALTS; use probe=exec (grpc_health_probe sends them), or serve health on healthreg's plaintext health_port, which needs none of it (recommended)`)
	checkError(t, "emit=go,rpc_header=authorization: Bearer $(PROBE_TOKEN)", greeter,
		`parameter rpc_header=authorization: Bearer $(PROBE_TOKEN): is used only by the outputs that run grpc_health_probe: emit=k8s or emit=helm with probe=exec, and emit=compose`)
}

// TestHelmValuesWithBraces: a value of the user's that holds "{{" (here a
// header) is text in the library chart, not an action of Helm's: the
// chart renders, with or without an overridden timeoutSeconds, and asks
// what the Component asks, in both the argv and the sh -c form.
func TestHelmValuesWithBraces(t *testing.T) {
	for _, header := range []string{`x-tenant: {{ fail "boom" }}`, `x-tenant: {{ fail "boom" }} $(PROBE_TOKEN)`} {
		t.Run(header, func(t *testing.T) {
			helm, rest := splitHelm(runPlugin(t, requestFor(t, "emit=k8s,emit=helm,probe=exec,rpc_header="+header, greeterProto)))
			for name, w := range decodeManifests(t, rest) {
				want := w.podOf().Spec.Template.Spec.Containers[0]
				for _, o := range []helmchart.Options{{}, {Set: []string{"grpcHealth.livenessProbe.timeoutSeconds=1"}}} {
					got := renderUserChart(t, helm, name, want.Name, "", o)
					if d := cmp.Diff(want.LivenessProbe.Exec, got.LivenessProbe.Exec); o.Set == nil && d != "" {
						t.Errorf("%s: the chart's liveness probe (-component +chart):\n%s", name, d)
					}
					if cmd := strings.Join(got.LivenessProbe.Exec.Command, " "); !strings.Contains(cmd, "{{ fail ") || !strings.Contains(cmd, "boom") {
						t.Errorf("%s with %v: the chart's liveness probe lost the header's text: %q", name, o.Set, cmd)
					}
				}
			}
		})
	}
}
