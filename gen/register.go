package gen

import (
	"fmt"

	"google.golang.org/protobuf/compiler/protogen"
)

// WorkloadRegister is a workload's registration function (emit=register):
// one function that takes a single value implementing every service of the
// workload and registers each with the gRPC server (protoc-gen-go-grpc's
// Register<Name>Server) and its health with the registry (our
// Register<Name>Health). A service added to the workload later changes the
// function's parameter type, so a main that does not implement it fails to
// compile, where a main registering services one by one would leave the new
// one unregistered and its probe NOT_FOUND.
//
// It is declared in the Go package of the workload's first service, beside
// that file's .health.go, which the scaffold's main already imports: a
// package of its own would need an import path the plugin cannot know.
type WorkloadRegister struct {
	Workload string
	FuncName string         // RegisterShopWorkload
	host     *protogen.File // the file whose <name>.register.health.go declares it
	Servers  []RegisterServer
}

// registerFuncName is the registration function of a workload:
// shop becomes RegisterShopWorkload. No name protoc-gen-go-grpc declares
// ends in Workload, and ours end in Health or _HealthName/_ServiceConfig;
// protoc-gen-go's messages and enums may, which checkRegisters reports.
func registerFuncName(workload string) string {
	return "Register" + goWorkloadName(workload) + "Workload"
}

// workloadRegisters builds, in the order of groups, each workload's registration function and reports
// what would not compile: two services with a method of one name (one
// value has one method of a name), a service for grpc-go's own health server (it has
// no Register<Name>Health), a workload whose services' Go packages import
// the host package (an import cycle), and a function name that protoc-gen-go
// or another workload also declares in the host package.
//
// A scaffold run without emit=register finds only the host: the Go run,
// which the scaffold's main.go needs with emit=register, reports the rest.
func workloadRegisters(plugin *protogen.Plugin, groups []*group, emit bool, errs *errorList) []*WorkloadRegister {
	theirs := protocGenGoNames(plugin.Files)
	declared := map[goName]string{} // -> workload
	var out []*WorkloadRegister
	for _, g := range groups {
		host := hostFile(plugin, g)
		r := &WorkloadRegister{Workload: g.name, FuncName: registerFuncName(g.name), host: host, Servers: registerServers(g.members)}
		methods := map[string]*service{} // a method's Go name -> the first service declaring it
		for _, s := range g.members {
			if !emit {
				break
			}
			for _, m := range s.svc.Methods {
				prev := methods[m.GoName]
				if prev == nil {
					methods[m.GoName] = s
					continue
				}
				errs.add(&Error{
					File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()), Services: []string{prev.fullName, s.fullName},
					Option: "parameter " + sEmit.name + "=" + EmitRegister,
					Msg: fmt.Sprintf("both have the method %s, and workload %s's registration function takes one value implementing every service of the workload, whose one %s method cannot serve both; put them in separate workloads (workload= or the workload option), or rename one's method",
						m.GoName, quoteValue(g.name), m.GoName),
				})
			}
			if valueOf(s, sGoRuntime) == goRuntimeGRPC {
				errs.add(&Error{
					File: s.file.Desc.Path(), Line: lineOf(s.file, s.declPath()), Services: []string{s.fullName},
					Option: "parameter " + sEmit.name + "=" + EmitRegister,
					Msg:    fmt.Sprintf("workload %s's registration function registers health with healthreg, and the service's Go targets grpc-go's health server (go_runtime=grpc); register it by hand, or use go_runtime=healthreg", quoteValue(g.name)),
				})
			}
		}
		if host == nil {
			errs.add(&Error{
				File: g.members[0].file.Desc.Path(), Services: g.names(),
				Option: "parameter " + sEmit.name + "=" + EmitRegister,
				Msg: fmt.Sprintf("workload %s's services are in Go packages that import each other, so no package can declare its registration function without an import cycle; put them in one Go package, or in separate workloads",
					quoteValue(g.name)),
			})
			out = append(out, nil)
			continue
		}
		k := goName{host.GoImportPath, r.FuncName}
		if d := theirs[k]; d != nil && emit {
			errs.add(&Error{
				File: host.Desc.Path(), Services: []string{g.members[0].fullName},
				Option: "parameter " + sEmit.name + "=" + EmitRegister,
				Msg: fmt.Sprintf("workload %s's registration function %s is a name protoc-gen-go also declares in package %s, for %s %s (in %s); rename the workload or the %s",
					quoteValue(g.name), r.FuncName, string(host.GoImportPath), d.kind, d.fullName, plainOrQuoted(d.file), d.kind),
			})
		}
		if other, dup := declared[k]; dup && emit {
			errs.add(&Error{
				File: host.Desc.Path(), Services: []string{g.members[0].fullName},
				Option: "parameter " + sEmit.name + "=" + EmitRegister,
				Msg: fmt.Sprintf("workloads %s and %s both generate the Go function %s in package %s; rename one",
					quoteValue(other), quoteValue(g.name), r.FuncName, string(host.GoImportPath)),
			})
		}
		declared[k] = g.name
		out = append(out, r) // the run fails on errs whatever is returned

	}
	return out
}

// hostFile is the file whose Go package declares a workload's registration
// function: the first service's, unless the Go package of another service
// imports it (the function would import that package back); then the first
// whose package no other service's package imports; nil if there is none.
func hostFile(plugin *protogen.Plugin, g *group) *protogen.File {
	var pkgs []protogen.GoImportPath // in order of their first service
	files := map[protogen.GoImportPath][]*protogen.File{}
	first := map[protogen.GoImportPath]*protogen.File{}
	for _, s := range g.members {
		pkg := s.file.GoImportPath
		if first[pkg] == nil {
			pkgs = append(pkgs, pkg)
			first[pkg] = s.file
		}
		if fs := files[pkg]; len(fs) == 0 || fs[len(fs)-1] != s.file {
			files[pkg] = append(fs, s.file)
		}
	}
	for _, h := range pkgs {
		cycle := false
		for _, p := range pkgs {
			for _, f := range files[p] {
				if p != h && importsPackage(plugin, f, h) {
					cycle = true
				}
			}
		}
		if !cycle {
			return first[h]
		}
	}
	return nil
}

// importsPackage reports whether f imports, directly or through its
// imports, a file whose Go package is pkg: protoc-gen-go's code of f then
// imports pkg.
func importsPackage(plugin *protogen.Plugin, f *protogen.File, pkg protogen.GoImportPath) bool {
	seen := map[string]bool{}
	var walk func(f *protogen.File) bool
	walk = func(f *protogen.File) bool {
		imports := f.Desc.Imports()
		for i := range imports.Len() {
			path := imports.Get(i).Path()
			dep := plugin.FilesByPath[path]
			if dep == nil || seen[path] {
				continue
			}
			seen[path] = true
			if dep.GoImportPath == pkg || walk(dep) {
				return true
			}
		}
		return false
	}
	return walk(f)
}

// names are the full names of the group's services, in request order.
func (g *group) names() []string {
	names := make([]string, len(g.members))
	for i, s := range g.members {
		names[i] = s.fullName
	}
	return names
}
