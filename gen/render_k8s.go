package gen

import (
	"bytes"

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

// manifest is one output file of a workload: its name under <workload>/ and
// its template.
type manifest struct{ name, tmpl string }

var (
	componentFiles = []manifest{
		{"kustomization.yaml", "component-kustomization.yaml.tmpl"},
		{"probes.yaml", "component-patch.yaml.tmpl"},
	}
	scaffoldFiles = []manifest{
		{"Dockerfile", "scaffold-Dockerfile.tmpl"},
		{"deployment.yaml", "scaffold-deployment.yaml.tmpl"},
		{"kustomization.yaml", "scaffold-kustomization.yaml.tmpl"},
		{"service.yaml", "scaffold-service.yaml.tmpl"},
	}
)

// renderK8s writes each workload's files under <workload>/, always with '/'.
func renderK8s(m *Model) ([]*pluginpb.CodeGeneratorResponse_File, error) {
	var out []*pluginpb.CodeGeneratorResponse_File
	var buf bytes.Buffer
	for _, w := range m.Workloads {
		var files []manifest
		if m.EmitK8s {
			files = componentFiles
			if w.Scaffold != nil {
				files = scaffoldFiles
			}
		}
		files = append(files[:len(files):len(files)], w.Consumers...)
		v := k8sView{Version: Version, ProbeVersion: ProbeVersion, Workload: w}
		for _, f := range files {
			buf.Reset()
			if err := templates.All.ExecuteTemplate(&buf, f.tmpl, v); err != nil {
				return nil, err
			}
			out = append(out, &pluginpb.CodeGeneratorResponse_File{
				Name:    proto.String(w.Name + "/" + f.name),
				Content: proto.String(buf.String()),
			})
		}
	}
	return out, nil
}
