package gen

import (
	"fmt"
)

// checkGoNames reports two services of one Go package whose generated
// identifiers would be the same: protogen's GoName turns "FooBar" and
// "foo_bar" both into FooBar, so both would declare FooBar_HealthName,
// FooBar_ServiceConfig and RegisterFooBarHealth, and the package would not
// compile. As with
// workload names, the plugin says so, naming both, rather than writing
// code that fails later. Services of files this run does not generate are
// not seen: another run writes their code.
func checkGoNames(services []*service, errs *errorList) {
	type key struct{ pkg, name string }
	first := map[key]*service{}
	for _, s := range services {
		if !s.generate || s.skip {
			continue
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
