package gen

import (
	"bytes"

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
	Services             []goServiceView
	// For go_runtime=grpc: grpc-go's *health.Server and status type, and
	// the workloads whose functions the file declares.
	HealthServer, ServingStatus string
	Workloads                   []*FileWorkload
	// Imports is the import block (goImports), written by the template
	// after the package clause.
	Imports string
}

// goServiceView copies GoService's fields rather than embedding it:
// text/template finds a promoted field with a slow reflective search on
// every access, a direct field quickly.
type goServiceView struct {
	FullName              string
	Comment               []string
	Deprecated            bool
	CountsTowardReadiness bool
	ConstName             string
	RegisterFunc          string
	ServiceConfigName     string
	ServiceConfig         string
}

// renderGo writes one <name>.health.go for every file of the model, for
// healthreg or (go_runtime=grpc) for grpc-go's own health server. The files
// bypass protogen's response, which would parse and print each one
// (gofile.go): they are written formatted, under the names protogen would
// give them. With annotate_code, protogen writes them and their .meta files.
func renderGo(plugin *protogen.Plugin, m *Model) ([]*pluginpb.CodeGeneratorResponse_File, error) {
	if !m.EmitGo {
		return nil, nil
	}
	module, annotate := protogenParams(plugin.Request.GetParameter())
	var out []*pluginpb.CodeGeneratorResponse_File
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
		}
		for _, s := range f.Services {
			v.Services = append(v.Services, goServiceView{
				FullName:              s.FullName,
				Comment:               s.Comment,
				Deprecated:            s.Deprecated,
				CountsTowardReadiness: s.CountsTowardReadiness,
				ConstName:             s.ConstName,
				RegisterFunc:          s.RegisterFunc,
				ServiceConfigName:     s.ServiceConfigName,
				ServiceConfig:         s.ServiceConfig,
			})
			if !f.Plain && !s.CountsTowardReadiness && v.ExcludeFromReadiness == "" {
				v.ExcludeFromReadiness = ident("ExcludeFromReadiness")
			}
		}
		if !annotate {
			v.Imports = im.block() // protogen writes them otherwise
		}
		buf.Reset()
		if err := templates.All.ExecuteTemplate(&buf, tmpl, v); err != nil {
			return nil, err
		}
		if annotate {
			g.Write(buf.Bytes())
			continue
		}
		g.Skip()
		content, err := gofmtComments(filename, buf.Bytes())
		if err != nil {
			return nil, err
		}
		name, err := goFileName(filename, module)
		if err != nil {
			return nil, err
		}
		out = append(out, &pluginpb.CodeGeneratorResponse_File{
			Name:    proto.String(name),
			Content: proto.String(string(content)),
		})
	}
	return out, nil
}
