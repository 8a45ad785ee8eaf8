package gen

import (
	"bytes"

	"google.golang.org/protobuf/compiler/protogen"

	"github.com/protoc-gen-health/protoc-gen-health/templates"
)

// registerFileView is what register.go.tmpl sees of one file: the
// registration functions its Go package hosts, identifiers qualified through
// protogen.
type registerFileView struct {
	Version, Source, GoPackage string
	ServiceRegistrar, Registry string
	Funcs                      []registerFuncView
}

type registerFuncView struct {
	Workload, FuncName string
	Servers            []registerServerView
}

type registerServerView struct {
	FullName       string
	Server         string // helloworld.GreeterServer (protoc-gen-go-grpc)
	RegisterServer string // helloworld.RegisterGreeterServer
	RegisterHealth string // helloworld.RegisterGreeterHealth (ours)
}

// renderRegisters writes, beside the .health.go of each file that hosts a
// workload's registration function, its <name>.register.health.go. It runs
// on protogen's goroutine.
func renderRegisters(plugin *protogen.Plugin, m *Model) error {
	var hosts []*protogen.File
	byHost := map[*protogen.File][]*WorkloadRegister{}
	for _, r := range m.Registers {
		if byHost[r.host] == nil {
			hosts = append(hosts, r.host)
		}
		byHost[r.host] = append(byHost[r.host], r)
	}
	var buf bytes.Buffer
	for _, f := range hosts {
		g := plugin.NewGeneratedFile(f.GeneratedFilenamePrefix+".register.health.go", f.GoImportPath)
		v := registerFileView{
			Version:          Version,
			Source:           f.Desc.Path(),
			GoPackage:        string(f.GoPackageName),
			ServiceRegistrar: g.QualifiedGoIdent(grpcPackage.Ident("ServiceRegistrar")),
			Registry:         g.QualifiedGoIdent(runtimePackage.Ident("Registry")),
		}
		for _, r := range byHost[f] {
			fv := registerFuncView{Workload: r.Workload, FuncName: r.FuncName}
			for _, s := range r.Servers {
				pkg := protogen.GoImportPath(s.GoImportPath)
				fv.Servers = append(fv.Servers, registerServerView{
					FullName:       s.FullName,
					Server:         g.QualifiedGoIdent(pkg.Ident(s.GoName + "Server")),
					RegisterServer: g.QualifiedGoIdent(pkg.Ident("Register" + s.GoName + "Server")),
					RegisterHealth: g.QualifiedGoIdent(pkg.Ident(s.RegisterFunc)),
				})
			}
			v.Funcs = append(v.Funcs, fv)
		}
		buf.Reset()
		if err := templates.All.ExecuteTemplate(&buf, "register.go.tmpl", v); err != nil {
			return err
		}
		g.Write(buf.Bytes())
	}
	return nil
}
