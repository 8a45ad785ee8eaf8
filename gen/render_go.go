package gen

import (
	"bytes"

	"google.golang.org/protobuf/compiler/protogen"

	"github.com/protoc-gen-health/protoc-gen-health/templates"
)

// runtimePackage is the health runtime that generated code imports.
const runtimePackage = protogen.GoImportPath("github.com/protoc-gen-health/protoc-gen-health/healthreg")

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

// renderGo writes one <name>.health.go for every file of the model.
func renderGo(plugin *protogen.Plugin, m *Model) error {
	var buf bytes.Buffer
	for _, f := range m.Files {
		g := plugin.NewGeneratedFile(f.proto.GeneratedFilenamePrefix+".health.go", f.proto.GoImportPath)
		ident := func(name string) string { return g.QualifiedGoIdent(runtimePackage.Ident(name)) }
		v := goFileView{
			Version:        Version,
			Source:         f.Source,
			Deprecated:     f.Deprecated,
			GoPackage:      string(f.proto.GoPackageName),
			SupportPackage: ident(supportPackageVersion),
			Registry:       ident("Registry"),
			Service:        ident("Service"),
			ServiceOption:  ident("ServiceOption"),
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
			if !s.CountsTowardReadiness && v.ExcludeFromReadiness == "" {
				v.ExcludeFromReadiness = ident("ExcludeFromReadiness")
			}
		}
		buf.Reset()
		if err := templates.All.ExecuteTemplate(&buf, "health.go.tmpl", v); err != nil {
			return err
		}
		g.Write(buf.Bytes())
	}
	return nil
}
