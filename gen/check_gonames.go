package gen

import (
	"fmt"

	"google.golang.org/protobuf/compiler/protogen"
)

// checkGoNames reports two services of one Go package whose generated
// identifiers would be the same: protogen's GoName turns "FooBar" and
// "foo_bar" both into FooBar, so both would declare FooBar_HealthName,
// FooBar_ServiceConfig and RegisterFooBarHealth, and the package would not
// compile. As with
// workload names, the plugin says so, naming both, rather than writing
// code that fails later. Services of files this run does not generate are
// not seen: another run writes their code.
func checkGoNames(files []*protogen.File, services []*service, errs *errorList) {
	type key struct{ pkg, name string }
	first := map[key]*service{}
	theirs := protocGenGoNames(files)
	for _, s := range services {
		if !s.generate || s.skip {
			continue
		}
		for _, name := range []string{goConstName(s), goServiceConfigName(s), goRegisterFunc(s)} {
			if d := theirs[goName{s.file.GoImportPath, name}]; d != nil {
				errs.add(&Error{
					File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()), Services: []string{s.fullName},
					Msg: fmt.Sprintf("generates the Go name %s, which protoc-gen-go also declares in package %s, for %s %s (in %s); rename one, or skip the service with (health.options.v1.service).skip",
						name, string(s.file.GoImportPath), d.kind, d.fullName, plainOrQuoted(d.file)),
				})
			}
		}
		k := key{string(s.file.GoImportPath), s.svc.GoName}
		prev := first[k]
		if prev == nil {
			first[k] = s
			continue
		}
		where := ""
		if prev.file != s.file {
			where = fmt.Sprintf(" (%s is in %s)", prev.fullName, plainOrQuoted(prev.file.Desc.Path()))
		}
		errs.add(&Error{
			File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()),
			Services: []string{prev.fullName, s.fullName},
			Msg: fmt.Sprintf("both generate the Go names %s, %s and %s in package %s%s; rename one, or skip one with (health.options.v1.service).skip",
				goConstName(s), goServiceConfigName(s), goRegisterFunc(s), k.pkg, where),
		})
	}
}

// The Go identifiers generated for a service: the _HealthName constant, the
// _ServiceConfig constant and the Register...Health function.
func goConstName(s *service) string         { return s.svc.GoName + "_HealthName" }
func goServiceConfigName(s *service) string { return s.svc.GoName + "_ServiceConfig" }
func goRegisterFunc(s *service) string      { return "Register" + s.svc.GoName + "Health" }

// goName is a package-level Go identifier.
type goName struct {
	pkg  protogen.GoImportPath
	name string
}

// declaration is what protoc-gen-go declares a Go name for.
type declaration struct{ kind, fullName, file string }

// protocGenGoNames returns the package-level names protoc-gen-go declares
// for the files of the request that may share a Go package with ours (every
// file protogen models, generated or imported): a type for each message and
// enum (Outer_Inner when nested), a constant for each enum value (Enum_VALUE,
// Outer_VALUE when nested), and a wrapper type for each field of a oneof
// (Message_Field). protogen computes each as protoc-gen-go does. Our names
// end in _HealthName, _ServiceConfig and Health, which the rest never do:
// protoc-gen-go's File_x_proto, Enum_name and Enum_value, and
// protoc-gen-go-grpc's names, which all end in Client, Server, _ServiceDesc
// or _FullMethodName. An extension's E_Outer_name would need a service
// named E_Outer, and is not read (slimRequest does not keep extensions).
func protocGenGoNames(files []*protogen.File) map[goName]*declaration {
	names := map[goName]*declaration{}
	for _, f := range files {
		add := func(id protogen.GoIdent, kind string, fullName string) {
			k := goName{f.GoImportPath, id.GoName}
			if names[k] == nil {
				names[k] = &declaration{kind, fullName, f.Desc.Path()}
			}
		}
		addEnum := func(e *protogen.Enum) {
			add(e.GoIdent, "enum", string(e.Desc.FullName()))
			for _, v := range e.Values {
				add(v.GoIdent, "enum value", string(v.Desc.FullName()))
			}
		}
		var addMessage func(m *protogen.Message)
		addMessage = func(m *protogen.Message) {
			if m.Desc.IsMapEntry() {
				return
			}
			add(m.GoIdent, "message", string(m.Desc.FullName()))
			for _, e := range m.Enums {
				addEnum(e)
			}
			for _, o := range m.Oneofs {
				if o.Desc.IsSynthetic() {
					continue
				}
				for _, field := range o.Fields {
					add(field.GoIdent, "the oneof wrapper of field", string(field.Desc.FullName()))
				}
			}
			for _, n := range m.Messages {
				addMessage(n)
			}
		}
		for _, e := range f.Enums {
			addEnum(e)
		}
		for _, m := range f.Messages {
			addMessage(m)
		}
	}
	return names
}
