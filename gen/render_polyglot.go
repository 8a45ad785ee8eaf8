package gen

import (
	"bytes"
	"path"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/templates"
)

// moduleView is what the Node.js and Python templates see of one file.
type moduleView struct {
	Version    string
	Source     string
	Base       string // the file's name without .proto: helloworld
	Deprecated bool
	Services   []*GoService
	Workload   *FileWorkload
}

// moduleFile is one file a module kind writes per .proto file, named from
// the .proto's path without ".proto" and a suffix, as grpc_tools and
// grpc-tools name theirs (helloworld/helloworld_pb2.py).
type moduleFile struct{ suffix, tmpl string }

// renderModules writes the Node.js and Python modules of every file, giving
// each to emit. Like the manifests they bypass protogen: paths= and
// module= are Go's.
func renderModules(m *Model, emit func(*pluginpb.CodeGeneratorResponse_File) error) error {
	kinds := m.Modules
	var buf bytes.Buffer
	for _, f := range m.Files {
		if len(kinds) == 0 {
			break
		}
		if f.Workload == nil {
			// No service of the file is in a workload: each is skipped
			// (service.<name>.skip=true or the skip option), so, as for
			// the manifests, there are no names to set and no module.
			// attachWorkloads has reported a file of several workloads.
			continue
		}
		prefix := strings.TrimSuffix(f.Source, ".proto")
		v := moduleView{Version: Version, Source: f.Source, Base: path.Base(prefix), Deprecated: f.Deprecated, Services: f.Services, Workload: f.Workload}
		for _, k := range kinds {
			buf.Reset()
			if err := templates.All.ExecuteTemplate(&buf, k.tmpl, v); err != nil {
				return err
			}
			err := emit(&pluginpb.CodeGeneratorResponse_File{
				Name:    proto.String(prefix + k.suffix),
				Content: proto.String(buf.String()),
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}
