package gen

import (
	"bytes"
	"io"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/templates"
)

// runtimePackage is the health runtime that generated code imports.
const runtimePackage = protogen.GoImportPath("github.com/protoc-gen-health/protoc-gen-health/healthreg")

// grpc-go's health server and its messages, which go_runtime=grpc targets.
const (
	grpcHealthPackage   = protogen.GoImportPath("google.golang.org/grpc/health")
	grpcHealthV1Package = protogen.GoImportPath("google.golang.org/grpc/health/grpc_health_v1")
)

// supportPackageVersion names the runtime constant that generated code
// asserts; bump both together when generated code needs a newer runtime.
const supportPackageVersion = "SupportPackageIsVersion1"

// goFileView is what health.go.tmpl sees of one file. Runtime identifiers are
// qualified through protogen before the template runs, so protogen picks a
// non-clashing name, and goImports writes the import block.
type goFileView struct {
	Version        string
	Source         string
	Deprecated     bool
	GoPackage      string
	SupportPackage string
	Registry       string
	Service        string
	ServiceOption  string
	// ExcludeFromReadiness is the runtime's option function; empty unless a
	// service of the file needs it, so unused imports never appear.
	ExcludeFromReadiness string
	// Services are the model's own (the view does not copy them: a file
	// may have 100,000).
	Services []*GoService
	// For go_runtime=grpc: grpc-go's *health.Server and status type, and
	// the workloads whose functions the file declares.
	HealthServer, ServingStatus string
	Workloads                   []*FileWorkload
	// Imports is the import block (goImports), written by the template
	// after the package clause.
	Imports string
}

// renderGo prepares one <name>.health.go for every file of the model, for
// healthreg or (go_runtime=grpc) for grpc-go's own health server. The files
// bypass protogen's response, which would parse and print each one
// (gofile.go): they are written formatted, under the names protogen would
// give them, when they go out (goFileOut.emit). With annotate_code,
// protogen writes them and their .meta files, and renderGo renders them
// now. Its errors are the input's: a module= the files are not under.
func renderGo(plugin *protogen.Plugin, m *Model) ([]*goFileOut, error) {
	if !m.EmitGo {
		return nil, nil
	}
	module, annotate := protogenParams(plugin.Request.GetParameter())
	var out []*goFileOut
	var buf bytes.Buffer
	for _, f := range m.Files {
		tmpl := "health.go.tmpl"
		if f.Plain {
			tmpl = "health-grpc.go.tmpl"
		}
		filename := f.proto.GeneratedFilenamePrefix + ".health.go"
		g := plugin.NewGeneratedFile(filename, f.proto.GoImportPath)
		im := newGoImports(g, f.proto.GoImportPath)
		ident := func(name string) string { return im.ident(runtimePackage.Ident(name)) }
		v := goFileView{
			Version:    Version,
			Source:     f.Source,
			Deprecated: f.Deprecated,
			GoPackage:  string(f.proto.GoPackageName),
		}
		if f.Plain {
			v.Workloads = f.GoWorkloads
			if len(v.Workloads) > 0 {
				v.HealthServer = im.ident(grpcHealthPackage.Ident("Server"))
				v.ServingStatus = im.ident(grpcHealthV1Package.Ident("HealthCheckResponse_ServingStatus"))
			}
		} else {
			v.SupportPackage = ident(supportPackageVersion)
			v.Registry = ident("Registry")
			v.Service = ident("Service")
			v.ServiceOption = ident("ServiceOption")
			for _, s := range f.Services {
				if !s.CountsTowardReadiness {
					v.ExcludeFromReadiness = ident("ExcludeFromReadiness")
					break
				}
			}
		}
		if annotate {
			v.Services = f.Services
			buf.Reset()
			if err := templates.All.ExecuteTemplate(&buf, tmpl, v); err != nil {
				return nil, err
			}
			g.Write(buf.Bytes()) // protogen writes the imports
			continue
		}
		g.Skip()
		v.Imports = im.block()
		name, err := goFileName(filename, module)
		if err != nil {
			return nil, err
		}
		v.Services = f.Services
		out = append(out, &goFileOut{name: name, filename: filename, tmpl: tmpl, view: v})
	}
	return out, nil
}

// goFileOut is a .health.go to render: its name in the response, the
// template and what it sees.
type goFileOut struct {
	name, filename, tmpl string
	view                 goFileView
}

// largeGoFile is the size beyond which a .health.go is not held but
// rendered twice: once to learn its size, which the response gives before
// its content, then as it is written. Rendering is a small part of the
// plugin's time on such a file, and holding it would make the plugin's
// peak memory grow with the largest file (issue 19: 112 MB for 100,000
// services in one file). A variable for the tests.
var largeGoFile = 4 << 20

// emit renders the file and gives it to out; buf is scratch space.
func (f *goFileOut) emit(out sink, buf *bytes.Buffer) error {
	v := &f.view
	buf.Reset()
	held := &heldWriter{buf: buf, max: largeGoFile}
	c := &commentFormatter{w: held}
	if err := templates.All.ExecuteTemplate(c, f.tmpl, v); err != nil {
		return err
	}
	c.Close() // heldWriter does not fail
	if !c.Plain() {
		// A proto comment brought a control character: the file is
		// parsed and printed whole (gofmtComments), however large.
		buf.Reset()
		if err := templates.All.ExecuteTemplate(buf, f.tmpl, v); err != nil {
			return err
		}
		content, err := gofmtComments(f.filename, buf.Bytes())
		if err != nil {
			return err
		}
		return out.file(&pluginpb.CodeGeneratorResponse_File{Name: proto.String(f.name), Content: proto.String(string(content))})
	}
	if held.n <= held.max {
		return out.file(&pluginpb.CodeGeneratorResponse_File{Name: proto.String(f.name), Content: proto.String(buf.String())})
	}
	return out.large(f.name, held.n, func(w io.Writer) error {
		c := &commentFormatter{w: w}
		if err := templates.All.ExecuteTemplate(c, f.tmpl, v); err != nil {
			return err
		}
		return c.Close()
	})
}

// heldWriter holds what is written to it in buf up to max bytes, and then
// only counts it.
type heldWriter struct {
	buf *bytes.Buffer
	max int
	n   int
}

func (h *heldWriter) Write(p []byte) (int, error) {
	h.n += len(p)
	if h.n <= h.max {
		h.buf.Write(p)
	} else if h.buf.Len() > 0 {
		h.buf.Reset()
	}
	return len(p), nil
}
