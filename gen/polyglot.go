package gen

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Health code for servers that do not run healthreg: the Go of
// go_runtime=grpc (grpc-go's *health.Server) and the modules of emit=node
// (grpc-health-check's HealthImplementation) and emit=python
// (grpcio-health-checking's HealthServicer). Each sets exactly the names the
// workload's probes ask, read from the model's probes (Workload.Startup,
// .Liveness, .Readiness), never computed again.

// Health runtimes of the generated Go, named by go_runtime=.
const (
	goRuntimeHealthreg = "healthreg" // our runtime: Register<Service>Health (the default)
	goRuntimeGRPC      = "grpc"      // grpc-go's own *health.Server: nothing of ours imported
)

// FileWorkload is a workload as the health code of one file names it.
type FileWorkload struct {
	Name string // the workload's name (Workload.Name)
	// HealthNames are the names its startup, liveness and readiness probes
	// ask, in that order, each once: what the server must set.
	HealthNames []string
	// The Go identifiers of go_runtime=grpc: the function that sets every
	// name to a status and the one that marks them NOT_SERVING at shutdown.
	GoSetFunc, GoShutdownFunc string
}

// HealthNames returns the names w's probes ask (startup, liveness,
// readiness), each once, in that order.
func (w *Workload) HealthNames() []string {
	var names []string
	for _, p := range []Probe{w.Startup, w.Liveness, w.Readiness} {
		if !slices.Contains(names, p.Service) {
			names = append(names, p.Service)
		}
	}
	return names
}

// checkModuleParams reports the parameters a run's kinds would ignore.
func checkModuleParams(p *Params, errs *errorList) {
	rt, given := paramSet(p, sGoRuntime)
	if given && !p.EmitGo() {
		errs.add(&Error{Option: paramOption(sGoRuntime.name, rt), Msg: "is only used with emit=go (it chooses the health server the Go code targets)"})
	}
	if given && rt == goRuntimeGRPC && paramOf(p, sScaffold) {
		errs.add(&Error{Option: paramOption(sGoRuntime.name, rt), Msg: "cannot be used with scaffold=true, whose main.go runs healthreg"})
	}
}

// attachWorkloads gives every file of the model the workloads of its
// services: for emit=node and emit=python the one workload that serves them
// all (a module exports one setWorkloadStatus), and for go_runtime=grpc the
// workload functions each Go file declares, in the first file of its Go
// package that holds a service of the workload, named from the workload.
func attachWorkloads(m *Model, p *Params, errs *errorList) {
	byService := map[string]*Workload{}
	for _, w := range m.Workloads {
		for _, s := range w.Services {
			byService[s] = w
		}
	}
	modules := len(m.Modules) > 0
	type goKey struct{ pkg, workload string }
	declared := map[goKey]bool{}
	goNames := map[goKey]string{} // Go package and function name -> workload
	for _, f := range m.Files {
		var ws []*Workload
		for _, s := range f.Services {
			if w := byService[s.FullName]; w != nil && !slices.Contains(ws, w) {
				ws = append(ws, w)
			}
		}
		if modules && len(ws) > 1 {
			errs.add(&Error{
				File: f.Source, Services: serviceNames(f),
				Option: "parameter " + sEmit.name,
				Msg: fmt.Sprintf("the file's services are in %d workloads (%s), and a Node.js or Python module sets the names of one; "+
					"put them in one workload (workload= or the workload option), or move them to separate files", len(ws), workloadNames(ws)),
			})
		}
		if len(ws) == 1 {
			f.Workload = fileWorkload(ws[0])
		}
		if !f.Plain {
			continue
		}
		pkg := string(f.proto.GoImportPath)
		for _, w := range ws {
			k := goKey{pkg, w.Name}
			if declared[k] {
				continue
			}
			declared[k] = true
			fw := fileWorkload(w)
			if other, ok := goNames[goKey{pkg, fw.GoSetFunc}]; ok {
				errs.add(&Error{
					File: f.Source, Services: w.Services,
					Msg: fmt.Sprintf("workloads %s and %s both generate the Go functions %s and %s in package %s; rename one",
						quoteValue(other), quoteValue(w.Name), fw.GoSetFunc, fw.GoShutdownFunc, pkg),
				})
			}
			goNames[goKey{pkg, fw.GoSetFunc}] = w.Name
			f.GoWorkloads = append(f.GoWorkloads, fw)
		}
	}
}

// anyGoPlain reports whether a generated service's Go targets grpc-go's
// health server (go_runtime=grpc, as a parameter or a file option).
func anyGoPlain(services []*service) bool {
	for _, s := range services {
		if s.generate && !s.skip && valueOf(s, sGoRuntime) == goRuntimeGRPC {
			return true
		}
	}
	return false
}

func fileWorkload(w *Workload) *FileWorkload {
	camel := goWorkloadName(w.Name)
	return &FileWorkload{
		Name:           w.Name,
		HealthNames:    w.HealthNames(),
		GoSetFunc:      "Set" + camel + "Health",
		GoShutdownFunc: "Shutdown" + camel + "Health",
	}
}

// goWorkloadName turns a workload's DNS label into a Go name:
// helloworld-greeter becomes HelloworldGreeter.
func goWorkloadName(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// constantName is a service's constant in the Node.js and Python modules:
// its proto name in upper snake case, with _HEALTH_NAME (CartService:
// CART_SERVICE_HEALTH_NAME).
func constantName(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if i > 0 && unicode.IsUpper(c) && r[i-1] != '_' &&
			(unicode.IsLower(r[i-1]) || unicode.IsDigit(r[i-1]) || i+1 < len(r) && unicode.IsLower(r[i+1])) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(c))
	}
	return b.String() + "_HEALTH_NAME"
}

// checkConstantNames reports two services of one file whose Node.js and
// Python constants would be the same (FooBar and Foo_Bar).
func checkConstantNames(m *Model, errs *errorList) {
	for _, f := range m.Files {
		first := map[string]string{}
		for _, s := range f.Services {
			if prev, ok := first[s.ConstantName]; ok {
				errs.add(&Error{
					File: f.Source, Services: []string{prev, s.FullName},
					Msg: fmt.Sprintf("both generate the constant %s in the file's Node.js and Python modules; rename one, or skip one with (health.options.v1.service).skip", s.ConstantName),
				})
				continue
			}
			first[s.ConstantName] = s.FullName
		}
	}
}

func serviceNames(f *GoFile) []string {
	var names []string
	for _, s := range f.Services {
		names = append(names, s.FullName)
	}
	return names
}

func workloadNames(ws []*Workload) string {
	names := make([]string, len(ws))
	for i, w := range ws {
		names[i] = quoteValue(w.Name)
	}
	return strings.Join(names, ", ")
}
