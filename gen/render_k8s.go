package gen

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"path"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/templates"
)

// ProbeVersion is the grpc_health_probe release the scaffold's Dockerfile
// installs: the one the tests run.
const ProbeVersion = "v0.4.62"

// k8sView is what the YAML and Dockerfile templates see.
type k8sView struct {
	Version      string
	ProbeVersion string
	Workload     *Workload
}

// dockerfileTemplate writes a scaffold's Dockerfile.
const dockerfileTemplate = "scaffold-Dockerfile.tmpl"

// manifest is one output file of a workload: its name under <workload>/ and
// its template: in templates.All, or "helm/<name>" in templates.Helm.
type manifest struct{ name, tmpl string }

var (
	componentFiles = []manifest{
		{"kustomization.yaml", "component-kustomization.yaml.tmpl"},
		{"probes.yaml", "component-patch.yaml.tmpl"},
	}
	scaffoldFiles = []manifest{
		{"Dockerfile", dockerfileTemplate},
		{"deployment.yaml", "scaffold-deployment.yaml.tmpl"},
		{"kustomization.yaml", "scaffold-kustomization.yaml.tmpl"},
		{"service.yaml", "scaffold-service.yaml.tmpl"},
	}
)

// renderK8s writes each workload's files under <workload>/, always with
// '/', and gives them to emit a workload at a time.
func renderK8s(m *Model, emit func([]*pluginpb.CodeGeneratorResponse_File) error) error {
	var buf bytes.Buffer
	for _, w := range m.Workloads {
		v := k8sView{Version: Version, ProbeVersion: ProbeVersion, Workload: w}
		var hv *helmView
		var out []*pluginpb.CodeGeneratorResponse_File
		for _, f := range w.Files {
			buf.Reset()
			t, tmpl, view := templates.All, f.tmpl, any(v)
			if name, ok := strings.CutPrefix(f.tmpl, helmTemplates); ok {
				if hv == nil {
					hv = newHelmView(v)
				}
				t, tmpl, view = templates.Helm, name, hv
			}
			if err := t.ExecuteTemplate(&buf, tmpl, view); err != nil {
				return err
			}
			out = append(out, &pluginpb.CodeGeneratorResponse_File{
				Name:    proto.String(w.Name + "/" + f.name),
				Content: proto.String(buf.String()),
			})
		}
		if w.Explicit && len(out) > 0 {
			out = append(out, splitGuard(w.Name, out))
		}
		if err := emit(out); err != nil {
			return err
		}
	}
	return nil
}

// splitGuard makes buf fail, with a message that says why, when a workload
// is written by more than one run of the plugin. buf's default strategy,
// directory, runs the plugin once per directory, each run seeing only that
// directory's files (and their imports); a workload named by an option or
// workload= may have services in several directories, and each run would
// write the workload's files from its own services alone. buf keeps one
// copy of each file name and drops the others with a warning, silently
// losing services, and no run can see the others' files to report it.
//
// So the workload's kustomization (or first file) ends with an insertion point named after a
// hash of everything the run writes for the workload, and the response
// inserts nothing at that point. One run: the point is found, the file is
// unchanged. Several runs that write different files: buf keeps one run's
// copy of that file, the other run's insertion finds no point of its name, and buf
// fails with "could not find insertion point" and the name, which tells
// what to do. Runs that write identical files share the name, and buf
// rightly keeps one copy. protoc runs the plugin once per command, so it
// always finds the point. (buf rewrites a file it inserts into without its
// final newline.)
func splitGuard(workload string, files []*pluginpb.CodeGeneratorResponse_File) *pluginpb.CodeGeneratorResponse_File {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%q %q\n", f.GetName(), f.GetContent())
	}
	point := fmt.Sprintf("protoc-gen-health %x: another run of the plugin writes workload %s too; "+
		"generate every file of a workload in one run (with buf: strategy: all)", h.Sum(nil)[:4], workload)
	target := files[0] // the kustomization when there is one: a comment reads naturally there
	for _, f := range files {
		if path.Base(f.GetName()) == "kustomization.yaml" {
			target = f
		}
	}
	target.Content = proto.String(target.GetContent() + "# @@protoc_insertion_point(" + point + ")\n")
	return &pluginpb.CodeGeneratorResponse_File{
		Name:           target.Name,
		InsertionPoint: proto.String(point),
		Content:        proto.String(""),
	}
}
