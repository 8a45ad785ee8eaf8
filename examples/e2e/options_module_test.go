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
// protobuf: its module graph holds none of the plugin's heavy test
// dependencies. The options module is the local copy (a replace
// directive), resolved with GOFLAGS=-mod=mod outside the workspace.
func TestOptionsModuleIsLean(t *testing.T) {
	t.Parallel()
	mod := t.TempDir()
	writeFile(t, filepath.Join(mod, "go.mod"), fmt.Sprintf(`module example.com/user

go 1.26.8

require github.com/protoc-gen-health/protoc-gen-health/proto v0.0.0-00010101000000-000000000000

replace github.com/protoc-gen-health/protoc-gen-health/proto => %s
`, filepath.Join(root, "proto")))
	writeFile(t, filepath.Join(mod, "main.go"), `package main

import (
	"fmt"

	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

func main() { fmt.Println(optionsv1.E_Service.TypeDescriptor().FullName()) }
`)
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
	modules := strings.Fields(r.out)
	if !strings.Contains(r.out, "google.golang.org/protobuf") {
		t.Errorf("the module graph lacks protobuf:\n%s", r.out)
	}
	for _, m := range modules {
		for _, heavy := range []string{"k8s.io/", "sigs.k8s.io/kustomize", "github.com/moby/buildkit", "github.com/protoc-gen-health/protoc-gen-health "} {
			if strings.HasPrefix(m+" ", heavy) {
				t.Errorf("the user's module graph holds %s:\n%s", m, r.out)
			}
		}
	}
}
