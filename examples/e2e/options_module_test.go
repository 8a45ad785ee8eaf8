package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOptionsModuleIsLean: a user's module whose generated .pb.go imports
// our options (as protoc-gen-go's output does for a .proto that imports
// health/options/v1/options.proto) needs only the options module and
// protobuf, and one whose server imports healthreg only healthreg, grpc and
// protobuf: neither module graph holds the plugin's heavy dependencies
// (Kubernetes, kustomize, buildkit, Helm's engine, which verify-probes
// uses). The modules are the local copies (replace directives), resolved
// with GOFLAGS=-mod=mod outside the workspace.
func TestOptionsModuleIsLean(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		module, dir, importPath, use string
		needs                        []string
	}{
		{"github.com/protoc-gen-health/protoc-gen-health/proto", "proto", "optionsv1 \"github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1\"",
			"optionsv1.E_Service.TypeDescriptor().FullName()", []string{"google.golang.org/protobuf"}},
		{"github.com/protoc-gen-health/protoc-gen-health/healthreg", "healthreg", "\"github.com/protoc-gen-health/protoc-gen-health/healthreg\"",
			"healthreg.New() != nil", []string{"google.golang.org/protobuf", "google.golang.org/grpc"}},
	} {
		t.Run(tc.dir, func(t *testing.T) {
			t.Parallel()
			mod := t.TempDir()
			writeFile(t, filepath.Join(mod, "go.mod"), fmt.Sprintf(`module example.com/user

go 1.26.8

require %s v0.0.0-00010101000000-000000000000

replace %s => %s
`, tc.module, tc.module, filepath.Join(root, tc.dir)))
			writeFile(t, filepath.Join(mod, "main.go"), fmt.Sprintf(`package main

import (
	"fmt"

	%s
)

func main() { fmt.Println(%s) }
`, tc.importPath, tc.use))
			env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
			for _, argv := range [][]string{{"go", "mod", "tidy"}, {"go", "build", "./..."}} {
				if r := runCmd(goTimeout, mod, env, argv...); r.code != 0 {
					t.Fatalf("%s: exit %d\n%s", strings.Join(argv, " "), r.code, r.out)
				}
			}
			r := runCmd(goTimeout, mod, env, "go", "list", "-m", "all")
			if r.code != 0 {
				t.Fatalf("go list -m all: exit %d\n%s", r.code, r.out)
			}
			for _, need := range tc.needs {
				if !strings.Contains(r.out, need) {
					t.Errorf("the module graph lacks %s:\n%s", need, r.out)
				}
			}
			for _, m := range strings.Fields(r.out) {
				for _, heavy := range []string{"k8s.io/", "sigs.k8s.io/kustomize", "github.com/moby/buildkit", "helm.sh/", "github.com/Masterminds/sprig", "github.com/protoc-gen-health/protoc-gen-health "} {
					if strings.HasPrefix(m+" ", heavy) {
						t.Errorf("the user's module graph holds %s:\n%s", m, r.out)
					}
				}
			}
		})
	}
}
