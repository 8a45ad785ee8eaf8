package gen

import (
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// userBase is a user's own Deployment of workload name, with a sidecar
// before the container the component patches, env, volumes and mounts, and a
// Service: what an overlay that lists the generated Component builds on.
func userBase(name, container string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{
						{
							Name:         "log-shipper",
							Image:        "example.com/shipper:2",
							Env:          []corev1.EnvVar{{Name: "SHIP_TO", Value: "logs:514"}},
							VolumeMounts: []corev1.VolumeMount{{Name: "logs", MountPath: "/var/log/app", ReadOnly: true}},
						},
						{
							Name:  container,
							Image: "example.com/" + name + ":1",
							Env: []corev1.EnvVar{
								{Name: "LOG_DIR", Value: "/var/log/app"},
								{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
							},
							Ports: []corev1.ContainerPort{{Name: "grpc", ContainerPort: 50051, Protocol: corev1.ProtocolTCP}},
							VolumeMounts: []corev1.VolumeMount{
								{Name: "logs", MountPath: "/var/log/app"},
								{Name: "config", MountPath: "/etc/app"},
							},
						},
					},
					Volumes: []corev1.Volume{
						{Name: "logs", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
						{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name + "-config"}}}},
					},
				},
			},
		},
	}
}

// kustomizeBuild builds dir over files in an in-memory file system, and
// again with every generated Component's guard (its replacements) taken
// out: the guard must change no byte of a build that succeeds.
func kustomizeBuild(t *testing.T, files map[string]string, dir string) resmap.ResMap {
	t.Helper()
	m, err := kustomizeRun(files, dir)
	if err != nil {
		t.Fatalf("kustomize build %s over %v: %v", dir, slices.Sorted(maps.Keys(files)), err)
	}
	unguarded, err := kustomizeRun(withoutGuards(files), dir)
	if err != nil {
		t.Fatalf("kustomize build %s without the guards: %v", dir, err)
	}
	got, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	want, err := unguarded.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("kustomize build %s: the guard changed the output (-without +with):\n%s", dir, d)
	}
	return m
}

// kustomizeRun writes files into an in-memory file system and builds dir.
func kustomizeRun(files map[string]string, dir string) (resmap.ResMap, error) {
	fs := filesys.MakeFsInMemory()
	for name, content := range files {
		if err := fs.MkdirAll(path.Dir(name)); err != nil {
			return nil, err
		}
		if err := fs.WriteFile(name, []byte(content)); err != nil {
			return nil, err
		}
	}
	return krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
}

// withoutGuards returns files with the replacements block taken out of
// every generated Component's kustomization.
func withoutGuards(files map[string]string) map[string]string {
	out := maps.Clone(files)
	for name, content := range files {
		if path.Base(name) != "kustomization.yaml" || !strings.Contains(content, "\nkind: Component\n") {
			continue
		}
		var b strings.Builder
		in := false
		for line := range strings.SplitAfterSeq(content, "\n") {
			switch {
			case line == "replacements:\n":
				in = true
				continue
			case in && strings.HasPrefix(line, " "):
				continue
			}
			in = false
			b.WriteString(line)
		}
		out[name] = b.String()
	}
	return out
}

// componentOverlay is the kustomize tree of a user's manifest (base/,
// holding baseFile) and an overlay/ that lists it with workload's generated
// Component (component/): build it with kustomizeBuild(t, fs, "overlay").
func componentOverlay(generated map[string]string, workload, baseFile, base string) map[string]string {
	fs := map[string]string{
		"base/" + baseFile:        base,
		"base/kustomization.yaml": "resources:\n  - " + baseFile + "\n",
		"overlay/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" +
			"resources:\n  - ../base\ncomponents:\n  - ../component\n",
	}
	for f, content := range generated {
		if dir, file, _ := strings.Cut(f, "/"); dir == workload {
			fs["component/"+file] = content
		}
	}
	return fs
}

// builtObject finds the built resource of the kind and name and decodes it
// strictly into obj.
func builtObject(t *testing.T, m resmap.ResMap, kind, name string, obj any) {
	t.Helper()
	for _, r := range m.Resources() {
		if r.GetKind() != kind || r.GetName() != name {
			continue
		}
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.UnmarshalStrict(y, obj); err != nil {
			t.Fatalf("built %s %s: %v\n%s", kind, name, err, y)
		}
		return
	}
	t.Fatalf("kustomize output has no %s %s", kind, name)
}

func mustYAML(t *testing.T, v any) string {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestComponentBuilds lists every generated Component in an overlay over a
// user's Deployment and checks that the build keeps everything of the user's
// and adds the three probes to the named container only.
func TestComponentBuilds(t *testing.T) {
	for _, c := range k8sCases() {
		if strings.Contains(c.params, "scaffold=true") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			files, workloads := generateCase(t, c, "emit=k8s")
			for name, w := range workloads {
				want := c.workloads[name].withDefaults()
				base := userBase(name, want.container)
				m := kustomizeBuild(t, componentOverlay(files, name, "deployment.yaml", mustYAML(t, base)), "overlay")
				if m.Size() != 1 {
					t.Errorf("%s: build has %d resources, want 1", name, m.Size())
				}
				var got appsv1.Deployment
				builtObject(t, m, "Deployment", name, &got)

				// Adding the patch's probes to the user's container must give
				// exactly the built Deployment: nothing else changes.
				patched := base.DeepCopy()
				from := containerNamed(&w.patch.Spec.Template.Spec, want.container)
				into := containerNamed(&patched.Spec.Template.Spec, want.container)
				into.StartupProbe, into.LivenessProbe, into.ReadinessProbe = from.StartupProbe, from.LivenessProbe, from.ReadinessProbe
				// kustomize's strategic merge moves the patched container to
				// the front of the list (kubectl's default container changes);
				// compare the containers by name.
				byName := cmpopts.SortSlices(func(a, b corev1.Container) bool { return a.Name < b.Name })
				if d := cmp.Diff(patched, &got, byName); d != "" {
					t.Errorf("%s: built Deployment (-user's plus probes +built):\n%s", name, d)
				}
				sidecar := containerNamed(&got.Spec.Template.Spec, "log-shipper")
				if sidecar == nil || sidecar.StartupProbe != nil || sidecar.LivenessProbe != nil || sidecar.ReadinessProbe != nil {
					t.Errorf("%s: the sidecar got probes or went missing: %+v", name, sidecar)
				}
				checkProbes(t, name+" built", containerNamed(&got.Spec.Template.Spec, want.container), want)
			}
		})
	}
}

// TestComponentWrongContainer: a Component whose container the user's
// Deployment lacks must not silently probe another container; kustomize adds
// a container with no image, which the API server rejects, so the mistake
// is visible at apply time. This records that behaviour.
func TestComponentWrongContainer(t *testing.T) {
	c := k8sCases()[0]
	files, _ := generateCase(t, c, "emit=k8s")
	fs := componentOverlay(files, "helloworld-greeter", "deployment.yaml", mustYAML(t, userBase("helloworld-greeter", "app")))
	var got appsv1.Deployment
	builtObject(t, kustomizeBuild(t, fs, "overlay"), "Deployment", "helloworld-greeter", &got)
	spec := &got.Spec.Template.Spec
	if app := containerNamed(spec, "app"); app == nil || app.LivenessProbe != nil {
		t.Errorf("container app: %+v, want it unchanged", app)
	}
	if s := containerNamed(spec, "server"); s == nil || s.Image != "" {
		t.Errorf("container server: %+v, want a new container without an image", s)
	}
}

// TestScaffoldBuilds: the scaffold's kustomization builds, and gives exactly
// its Deployment and Service.
func TestScaffoldBuilds(t *testing.T) {
	for _, c := range k8sCases() {
		if !strings.Contains(c.params, "scaffold=true") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			files, workloads := generateCase(t, c, "emit=k8s")
			for name, w := range workloads {
				fs := map[string]string{}
				for f, content := range files {
					fs["/app/"+f] = content
				}
				m := kustomizeBuild(t, fs, "/app/"+name)
				if m.Size() != 2 {
					t.Errorf("%s: build has %d resources, want 2", name, m.Size())
				}
				var d appsv1.Deployment
				var s corev1.Service
				builtObject(t, m, "Deployment", name, &d)
				builtObject(t, m, "Service", name, &s)
				if diff := cmp.Diff(w.deployment, &d); diff != "" {
					t.Errorf("%s: built Deployment (-deployment.yaml +built):\n%s", name, diff)
				}
				if diff := cmp.Diff(w.service, &s); diff != "" {
					t.Errorf("%s: built Service (-service.yaml +built):\n%s", name, diff)
				}
			}
		})
	}
}
