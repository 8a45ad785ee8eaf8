package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/helmchart"
	"github.com/protoc-gen-health/protoc-gen-health/internal/helmchart/helmtest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/probepatch"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// helmParams are the examples' own manifest parameters (buf.gen.yaml),
// with emit=helm beside emit=k8s.
var helmParams = map[string]string{
	"helloworld": "emit=k8s,emit=helm,port=50051",
	"multi":      "emit=k8s,emit=helm,port=50051,container=shop",
}

// TestHelmChartProbes: each example's library chart (emit=helm), included
// in a user's chart, and helloworld's scaffolded chart render with Helm's
// engine into probes equal to the Component's, free of probe-rule
// findings, that pass against the example's server as the kubelet runs
// them; a readiness probe one letter off gets NOT_FOUND.
func TestHelmChartProbes(t *testing.T) {
	t.Parallel()
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			files := generateExample(t, ex, helmParams[ex.name])
			var charts []helmDeployment
			for name := range files {
				workload, ok := strings.CutSuffix(name, "/probes.yaml")
				if !ok {
					continue
				}
				component := componentContainer(t, name, files[name])
				dir := filepath.Join(t.TempDir(), "app")
				if err := helmtest.Write(dir, helmtest.UserChart(workload, component.Name, "")); err != nil {
					t.Fatal(err)
				}
				if err := helmtest.Vendor(dir, workload, files); err != nil {
					t.Fatal(err)
				}
				charts = append(charts, helmDeployment{dir: dir, template: "app/templates/deployment.yaml", component: component})
			}
			if ex.name == "helloworld" {
				scaffold := generateExample(t, ex, "emit=helm,scaffold=true,port=50051")
				dir := t.TempDir()
				if err := helmtest.Write(dir, scaffold); err != nil {
					t.Fatal(err)
				}
				chart := filepath.Join(dir, "helloworld-greeter", "chart")
				if err := helmtest.Vendor(chart, "helloworld-greeter", scaffold); err != nil {
					t.Fatal(err)
				}
				charts = append(charts, helmDeployment{dir: chart, template: "helloworld-greeter/templates/deployment.yaml", component: charts[0].component})
			}
			if len(charts) == 0 {
				t.Fatal("no workloads")
			}

			_, ports := serveForProbes(t, ex)
			for _, ch := range charts {
				c := ch.render(t)
				probes := map[contract.Kind]*corev1.Probe{contract.Startup: c.StartupProbe, contract.Liveness: c.LivenessProbe, contract.Readiness: c.ReadinessProbe}
				want := map[contract.Kind]*corev1.Probe{contract.Startup: ch.component.StartupProbe, contract.Liveness: ch.component.LivenessProbe, contract.Readiness: ch.component.ReadinessProbe}
				for kind, p := range probes {
					if d := cmp.Diff(want[kind], p); d != "" {
						t.Errorf("%s %s: differs from the Component's (-component +chart):\n%s", ch.template, kind.Field(), d)
					}
					for _, f := range proberules.Check(kind, p, proberules.Generated) {
						t.Errorf("%s %s: %s", ch.template, kind.Field(), f)
					}
				}
				eventually(t, startTimeout, ch.template+": readiness probe passes", func() (bool, string) {
					r := kubeletProbe(t, c.ReadinessProbe, ports)
					return r.ok, r.String()
				})
				for kind, p := range probes {
					if r := kubeletProbe(t, p, ports); !r.ok {
						t.Errorf("%s: %s failed: %v", ch.template, kind.Field(), r)
					}
				}
				wrong := oneLetterOff(targetOf(t, c.ReadinessProbe).Service)
				if r := kubeletProbe(t, withService(t, c.ReadinessProbe, wrong), ports); !r.notFound() {
					t.Errorf("%s: readiness probe for %q: %v; want NOT_FOUND", ch.template, wrong, r)
				}
			}
		})
	}
}

// helmDeployment is a chart whose template renders a Deployment of one
// container, and the container of the Component it must agree with.
type helmDeployment struct {
	dir, template string
	component     *corev1.Container
}

// render renders the chart with Helm's engine and decodes its Deployment
// strictly.
func (h helmDeployment) render(t *testing.T) *corev1.Container {
	t.Helper()
	rendered, err := helmchart.RenderInProcess(context.Background(), h.dir, helmchart.Options{})
	if err != nil {
		t.Fatalf("rendering %s: %v", h.dir, err)
	}
	for _, r := range rendered {
		if r.Name != h.template {
			continue
		}
		var d appsv1.Deployment
		if err := yaml.UnmarshalStrict([]byte(r.Content), &d); err != nil {
			t.Fatalf("%s: %v\n%s", r.Name, err, r.Content)
		}
		if cs := d.Spec.Template.Spec.Containers; len(cs) == 1 {
			return &cs[0]
		}
	}
	t.Fatalf("%s: no %s with a Deployment of one container", h.dir, h.template)
	return nil
}

// componentContainer decodes a generated probes.yaml strictly and returns
// its one container.
func componentContainer(t *testing.T, name, content string) *corev1.Container {
	t.Helper()
	data, err := probepatch.StripReplace([]byte(content))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var d appsv1.Deployment
	if err := yaml.UnmarshalStrict(data, &d); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: not one container", name)
	}
	return &d.Spec.Template.Spec.Containers[0]
}

// generateExample runs the generator on every .proto of ex with param and
// returns the files by name.
func generateExample(t *testing.T, ex example, param string) map[string]string {
	t.Helper()
	files := generateFiles(t, ex, filesUnder(t, filepath.Join(ex.dir(), "proto"), ".proto"), param)
	if len(files) == 0 {
		t.Fatalf("generate %s: no files", param)
	}
	return files
}
