package gen

import (
	"bytes"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/templates"
)

// Packages the scaffold's main.go uses besides the services' own.
const (
	contextPackage = protogen.GoImportPath("context")
	flagPackage    = protogen.GoImportPath("flag")
	logPackage     = protogen.GoImportPath("log")
	grpcPackage    = protogen.GoImportPath("google.golang.org/grpc")

	// flagsPackage is the runtime's command line: the flags the scaffolded
	// Deployment passes, and listening and serving on them.
	flagsPackage = runtimePackage + "/healthflags"
)

// mainView is what scaffold-main.go.tmpl sees: every identifier already
// qualified through protogen, which writes the imports.
type mainView struct {
	Version  string
	Workload string
	Sources  string // the .proto files, comma-separated
	Servers  []mainServerView
	// RegisterWorkload is emit=register's function of the workload.
	RegisterWorkload string

	Define, CommandLine, Parse, New, NewServer, Background, Fatal string
}

type mainServerView struct {
	FullName      string
	Unimplemented string // helloworld.UnimplementedGreeterServer
}

// renderMains writes each scaffolded workload's cmd/<workload>/main.go.
// protogen qualifies the identifiers and formats the file, but the file
// bypasses its response like the manifests: it belongs under out at
// cmd/<workload>/, whatever paths= or module= do to the Go files of the
// protos. It runs on protogen's goroutine: protogen is not safe for
// concurrent use.
func renderMains(plugin *protogen.Plugin, m *Model) ([]*pluginpb.CodeGeneratorResponse_File, error) {
	var out []*pluginpb.CodeGeneratorResponse_File
	var buf bytes.Buffer
	for _, w := range m.Workloads {
		s := w.Scaffold
		if s == nil {
			continue
		}
		g := plugin.NewGeneratedFile(s.MainFile, "main")
		g.Skip()
		q := func(pkg protogen.GoImportPath, name string) string { return g.QualifiedGoIdent(pkg.Ident(name)) }
		v := mainView{
			Version:     Version,
			Workload:    w.Name,
			Sources:     strings.Join(w.Sources, ", "),
			Define:      q(flagsPackage, "Define"),
			CommandLine: q(flagPackage, "CommandLine"),
			Parse:       q(flagPackage, "Parse"),
			New:         q(runtimePackage, "New"),
			NewServer:   q(grpcPackage, "NewServer"),
			Background:  q(contextPackage, "Background"),
			Fatal:       q(logPackage, "Fatal"),
		}
		for _, srv := range w.Register.Servers {
			pkg := protogen.GoImportPath(srv.GoImportPath)
			v.Servers = append(v.Servers, mainServerView{
				FullName:      srv.FullName,
				Unimplemented: q(pkg, "Unimplemented"+srv.GoName+"Server"),
			})
		}
		v.RegisterWorkload = q(w.Register.host.GoImportPath, w.Register.FuncName)
		buf.Reset()
		if err := templates.All.ExecuteTemplate(&buf, "scaffold-main.go.tmpl", v); err != nil {
			return nil, err
		}
		g.Write(buf.Bytes())
		content, err := g.Content()
		if err != nil {
			return nil, err
		}
		out = append(out, &pluginpb.CodeGeneratorResponse_File{
			Name:    proto.String(s.MainFile),
			Content: proto.String(string(content)),
		})
	}
	return out, nil
}
