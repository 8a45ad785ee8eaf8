package gen

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	manifests "github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/verify"
)

// TestComponentGuard: a Component whose workload is not among the
// overlay's resources fails kustomize build with kustomize's own error
// naming the workload, where the patch alone is skipped silently (the
// control build without the guard succeeds and leaves the old probes).
func TestComponentGuard(t *testing.T) {
	tests := []struct {
		name, params, base, want string
	}{
		{"misspelt workload", "emit=k8s,workload=carts", realWorkload("Deployment", "shop", oldProbes),
			"nothing selected by Deployment.[noVer].[noGrp]/carts.[noNs]"},
		{"misspelt per-service workload", "emit=k8s,service.shop.v1.Cart.workload=kart", realWorkload("Deployment", "", oldProbes),
			"nothing selected by Deployment.[noVer].[noGrp]/kart.[noNs]"},
		{"default name", "emit=k8s", realWorkload("Deployment", "shop", oldProbes),
			"nothing selected by Deployment.[noVer].[noGrp]/shop-v1-cart.[noNs]"},
		{"kind not given for a StatefulSet", "emit=k8s,workload=cart", realWorkload("StatefulSet", "shop", oldProbes),
			"nothing selected by Deployment.[noVer].[noGrp]/cart.[noNs]"},
		{"wrong kind", "emit=k8s,workload=cart,kind=DaemonSet", realWorkload("Deployment", "shop", oldProbes),
			"nothing selected by DaemonSet.[noVer].[noGrp]/cart.[noNs]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := runPlugin(t, requestFor(t, tc.params, cartProto))
			workload := ""
			for f := range files {
				workload, _, _ = strings.Cut(f, "/")
			}
			fs := componentOverlay(files, workload, "workload.yaml", tc.base)
			_, err := kustomizeRun(fs, "overlay")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("kustomize build: %v, want an error with %q", err, tc.want)
			}
			// The parameter that fixes it is named where the user looks
			// next: the Component's kustomization.
			k := files[workload+"/kustomization.yaml"]
			for _, fix := range []string{tc.want, "workload=<name>", "service.shop.v1.Cart.workload=<name>", "kind=Deployment|StatefulSet|DaemonSet"} {
				if !strings.Contains(k, fix) {
					t.Errorf("kustomization.yaml does not say %q:\n%s", fix, k)
				}
			}
			// Without the guard, the same build passes and the old probes stay.
			m, err := kustomizeRun(withoutGuards(fs), "overlay")
			if err != nil {
				t.Fatalf("kustomize build without the guard: %v", err)
			}
			if y, _ := m.AsYaml(); !strings.Contains(string(y), "/healthz") {
				t.Errorf("without the guard the build changed the workload's probes:\n%s", y)
			}
		})
	}
}

// TestComponentGuardTwoNamespaces: with the workload in two namespaces of
// one build, the patch alone patches both, while the guard's source
// matches twice and fails the build, naming the workload. Listing the
// Component in each namespace's own kustomization patches each one, and the
// guard passes.
func TestComponentGuardTwoNamespaces(t *testing.T) {
	files := runPlugin(t, requestFor(t, "emit=k8s,workload=cart", cartProto))
	fs := componentOverlay(files, "cart", "shop.yaml", realWorkload("Deployment", "shop", oldProbes))
	fs["base/staging.yaml"] = realWorkload("Deployment", "staging", oldProbes)
	fs["base/kustomization.yaml"] = "resources:\n  - shop.yaml\n  - staging.yaml\n"

	_, err := kustomizeRun(fs, "overlay")
	const want = "multiple matches for selector Deployment.[noVer].[noGrp]/cart.[noNs]"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("kustomize build over two namespaces: %v, want an error with %q", err, want)
	}
	if !strings.Contains(files["cart/kustomization.yaml"], want) {
		t.Errorf("kustomization.yaml does not explain %q", want)
	}
	m, err := kustomizeRun(withoutGuards(fs), "overlay")
	if err != nil {
		t.Fatal(err)
	}
	if y, _ := m.AsYaml(); strings.Contains(string(y), "/healthz") {
		t.Errorf("without the guard, the patch left a namespace's old probes:\n%s", y)
	}

	// One kustomization per namespace, each listing the Component.
	for _, ns := range []string{"shop", "staging"} {
		fs[ns+"/"+ns+".yaml"] = fs["base/"+ns+".yaml"]
		fs[ns+"/kustomization.yaml"] = "resources:\n  - " + ns + ".yaml\ncomponents:\n  - ../component\n"
	}
	fs["overlay/kustomization.yaml"] = "resources:\n  - ../shop\n  - ../staging\n"
	m = kustomizeBuild(t, fs, "overlay")
	want1 := containerNamed(&decodeManifests(t, files)["cart"].patch.Spec.Template.Spec, "server")
	var namespaces []string
	for _, r := range m.Resources() {
		namespaces = append(namespaces, r.GetNamespace())
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		var d appsv1.Deployment
		if err := yaml.UnmarshalStrict(y, &d); err != nil {
			t.Fatal(err)
		}
		got := containerNamed(&d.Spec.Template.Spec, "server")
		if d := cmp.Diff([]*corev1.Probe{want1.StartupProbe, want1.LivenessProbe, want1.ReadinessProbe},
			[]*corev1.Probe{got.StartupProbe, got.LivenessProbe, got.ReadinessProbe}); d != "" {
			t.Errorf("%s: probes (-generated +built):\n%s", r.GetNamespace(), d)
		}
	}
	if d := cmp.Diff([]string{"shop", "staging"}, namespaces); d != "" {
		t.Errorf("built namespaces (-want +got):\n%s", d)
	}
}

// TestHipstershopGuard: the nine-Deployment demo with default names, or
// with one misspelt workload parameter, fails kustomize build naming the
// workload that is not there.
func TestHipstershopGuard(t *testing.T) {
	params := hipstershopParams(t)
	tests := []struct{ name, params, want string }{
		{"one misspelt", strings.Replace(params, "workload=cartservice", "workload=cartsevice", 1),
			"nothing selected by Deployment.[noVer].[noGrp]/cartsevice.[noNs]"},
		{"default names", regexp.MustCompile(`,service\.[A-Za-z.]+\.workload=[a-z]+`).ReplaceAllString(params, ""),
			"nothing selected by Deployment.[noVer].[noGrp]/hipstershop-ad-service.[noNs]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.params == params {
				t.Fatal("the parameters did not change")
			}
			_, err := kustomizeRun(hipstershopOverlay(t, tc.params), "/app/overlay")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("kustomize build: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// TestHipstershopExpect: verify-probes --expect's comparison over the
// demo's real kustomize builds: the full overlay is exactly what was
// generated; without cartservice's Component, that container is reported,
// and nothing else.
func TestHipstershopExpect(t *testing.T) {
	files := runPlugin(t, buildRequest(t, "testdata/hipstershop", hipstershopParams(t)))
	var expected []manifests.Site
	for _, name := range slices.Sorted(maps.Keys(files)) {
		sites, err := manifests.Parse(name, []byte(files[name]))
		if err != nil {
			t.Fatal(err)
		}
		expected = append(expected, sites...)
	}
	if len(expected) != 27 {
		t.Fatalf("%d generated probes, want 27", len(expected))
	}
	fs := hipstershopOverlay(t, hipstershopParams(t))
	for _, tc := range []struct {
		name    string
		overlay string
		want    []string
	}{
		{"every Component", fs["/app/overlay/kustomization.yaml"], nil},
		{"cartservice's Component not listed", strings.Replace(fs["/app/overlay/kustomization.yaml"], "  - ../cartservice\n", "", 1),
			[]string{`Deployment/cartservice server: container "server" has none of the probes generated in cartservice/probes.yaml: ` +
				"its Component's patch was not applied; list it under components: of the overlay, or generate with container= naming the container"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs["/app/overlay/kustomization.yaml"] = tc.overlay
			y, err := kustomizeBuild(t, fs, "/app/overlay").AsYaml()
			if err != nil {
				t.Fatal(err)
			}
			built, err := manifests.ParseFile("built.yaml", y)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range verify.Expect(expected, built.Sites, built.Workloads) {
				got = append(got, f.Kind+"/"+f.Name+" "+f.Container+": "+f.Message)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("findings (-want +got):\n%s", d)
			}
		})
	}
}
