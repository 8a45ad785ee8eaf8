package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"strings"

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
// qualified through protogen before the template runs, so protogen writes the
// import block and picks a non-clashing name.
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

// goChunk is how many services of a file protogen formats (with the
// file's header and imports): protogen parses and prints a file whole, which
// held 15 times the file's size (1.8 GB for 100,000 services). The rest of
// the file's services are formatted goChunk at a time (formatServices) and
// appended to protogen's output (appendTails), byte for byte what formatting
// the whole file gives: gofmt formats each declaration on its own.
var goChunk = 512

// tails maps a generated file's name to what appendTails adds to it: each
// chunk as format.Source returned it, so that no buffer grows by doubling.
type tails map[string][][]byte

// renderGo writes one <name>.health.go for every file of the model, for
// healthreg or (go_runtime=grpc) for grpc-go's own health server; it
// returns the formatted services that protogen does not hold (see goChunk).
func renderGo(plugin *protogen.Plugin, m *Model) (tails, error) {
	if !m.EmitGo {
		return nil, nil
	}
	rest := tails{}
	var buf bytes.Buffer
	for _, f := range m.Files {
		tmpl := "health.go.tmpl"
		if f.Plain {
			tmpl = "health-grpc.go.tmpl"
		}
		name := f.proto.GeneratedFilenamePrefix + ".health.go"
		g := plugin.NewGeneratedFile(name, f.proto.GoImportPath)
		ident := func(name string) string { return g.QualifiedGoIdent(runtimePackage.Ident(name)) }
		v := goFileView{
			Version:    Version,
			Source:     f.Source,
			Deprecated: f.Deprecated,
			GoPackage:  string(f.proto.GoPackageName),
		}
		if f.Plain {
			v.Workloads = f.GoWorkloads
			if len(v.Workloads) > 0 {
				v.HealthServer = g.QualifiedGoIdent(grpcHealthPackage.Ident("Server"))
				v.ServingStatus = g.QualifiedGoIdent(grpcHealthV1Package.Ident("HealthCheckResponse_ServingStatus"))
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
		if !f.Plain && len(v.Services) > goChunk {
			tail, err := formatServices(v, v.Services[goChunk:])
			if err != nil {
				return nil, err
			}
			rest[name] = tail
			v.Services = v.Services[:goChunk]
		}
		buf.Reset()
		if err := templates.All.ExecuteTemplate(&buf, tmpl, v); err != nil {
			return nil, err
		}
		g.Write(buf.Bytes())
	}
	return rest, nil
}

// formatServices renders services, goChunk at a time, as the file v would
// declare them, and formats each chunk as gofmt does.
func formatServices(v goFileView, services []goServiceView) ([][]byte, error) {
	var out [][]byte
	var src bytes.Buffer
	clause := "package " + v.GoPackage + "\n"
	for len(services) > 0 {
		n := min(goChunk, len(services))
		v.Services = services[:n]
		services = services[n:]
		src.Reset()
		src.WriteString(clause)
		if err := templates.All.ExecuteTemplate(&src, "health-services", v); err != nil {
			return nil, err
		}
		formatted, err := format.Source(src.Bytes())
		if err != nil {
			return nil, fmt.Errorf("formatting the generated services: %v", err)
		}
		out = append(out, bytes.TrimPrefix(formatted, []byte(clause)))
	}
	return out, nil
}

// appendTails adds to each file of resp what renderGo formatted apart, in
// one allocation of the file's final size.
func appendTails(resp *pluginpb.CodeGeneratorResponse, rest tails) {
	for _, f := range resp.File {
		chunks := rest[f.GetName()]
		if chunks == nil || f.GetInsertionPoint() != "" {
			continue
		}
		size := len(f.GetContent())
		for _, c := range chunks {
			size += len(c)
		}
		var b strings.Builder
		b.Grow(size)
		b.WriteString(f.GetContent())
		for i, c := range chunks {
			b.Write(c)
			chunks[i] = nil // let it be collected
		}
		f.Content = proto.String(b.String())
	}
}
