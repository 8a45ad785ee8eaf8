package healthreg

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"slices"
	"strings"
	"testing"
)

// exported is the package's exported surface, 37 identifiers: what
// generated code, the scaffold's main, the adapters (connecthealth,
// otelhealth) and users' own mains call. Each is a promise to keep: it must
// be listed here, with the package documentation and docs/runtime.md ("Why
// each exported identifier stays") saying who calls it. Counted as grpc-go's
// health package counts its 8: top-level names and the methods of exported
// types (interface methods included). The scaffold's flags live apart, in
// healthflags.
var exported = []string{
	// Generated code.
	"SupportPackageIsVersion1", "Registry", "Registry.Register",
	"Service", "ServiceOption", "ExcludeFromReadiness",
	// Every main.
	"New", "Option", "Registry.RegisterHealthService", "Registry.Serve",
	"Registry.ServeHealth", "Registry.Shutdown",
	// Mains that run their server themselves, and adapters.
	"Registry.SetLive", "Registry.SetReady", "Registry.Status",
	"Registry.Watcher", "Stopper", "Stopper.GracefulStop", "Stopper.Stop",
	"ErrShuttingDown",
	// The contract's names and bound.
	"LivenessName", "ReadinessName", "MaxNameLength",
	// A service's own health and its checks.
	"Service.SetServing", "WithCheck", "CheckSchedule", "WithChecks",
	"WithServiceChecks",
	// Shutdown's timing, limits and observing.
	"WithDrainDelay", "WithStopTimeout", "WithAppProbe", "WithMaxWatches",
	"WithLogger", "WithObserver", "Transition", "WithCheckObserver",
	"CheckResult",
}

func TestExportedSurface(t *testing.T) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range pkgs["healthreg"].Files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					got = append(got, d.Name.Name)
					continue
				}
				recv := d.Recv.List[0].Type
				if star, ok := recv.(*ast.StarExpr); ok {
					recv = star.X
				}
				if id, ok := recv.(*ast.Ident); ok && id.IsExported() {
					got = append(got, id.Name+"."+d.Name.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch spec := spec.(type) {
					case *ast.TypeSpec:
						if !spec.Name.IsExported() {
							continue
						}
						got = append(got, spec.Name.Name)
						if it, ok := spec.Type.(*ast.InterfaceType); ok {
							for _, m := range it.Methods.List {
								for _, n := range m.Names {
									got = append(got, spec.Name.Name+"."+n.Name)
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range spec.Names {
							if n.IsExported() {
								got = append(got, n.Name)
							}
						}
					}
				}
			}
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(exported))
	if !slices.Equal(got, want) {
		t.Errorf("exported identifiers changed:\n got %d: %v\nwant %d: %v", len(got), got, len(want), want)
	}
	t.Logf("%d exported identifiers", len(got))
}
