package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// verify-probes' exit codes.
const (
	verifyClean    = 0
	verifyFindings = 1
)

// TestVerifyProbes runs the drift checker on each example's generated
// manifests against the example's own descriptors: clean as generated, and
// one finding, at the readiness probe's line, once that probe's service name
// is one letter off.
func TestVerifyProbes(t *testing.T) {
	t.Parallel()
	verify := tool(t, "verify-probes")
	buf := tool(t, "buf")
	for _, ex := range examples {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			set := filepath.Join(t.TempDir(), "set.binpb")
			mustRun(t, ex.dir(), buf, "build", "-o", set)

			deploy := filepath.Join(ex.dir(), "deploy")
			if r := runCmd(cmdTimeout, "", nil, verify, "--descriptors", set, deploy); r.code != verifyClean {
				t.Errorf("verify-probes %s: exit %d, want %d\n%s", deploy, r.code, verifyClean, r.out)
			}

			for _, d := range loadProbes(t, ex) {
				data, err := os.ReadFile(d.path)
				if err != nil {
					t.Fatal(err)
				}
				// The name is the end of a quoted YAML string: the service
				// of a grpc: probe, or grpc_health_probe's -service=NAME.
				name := targetOf(t, d.readiness).Service
				wrong := oneLetterOff(name)
				text := string(data)
				if n := strings.Count(text, name+`"`); n != 1 {
					t.Fatalf("%s: %d quoted strings end in %q, want 1", d.path, n, name)
				}
				text = strings.Replace(text, name+`"`, wrong+`"`, 1)
				line := lineOf(t, text, "readinessProbe:")
				changed := filepath.Join(t.TempDir(), "probes.yaml")
				if err := os.WriteFile(changed, []byte(text), 0o644); err != nil {
					t.Fatal(err)
				}

				r := runCmd(cmdTimeout, "", nil, verify, "--descriptors", set, changed)
				if r.code != verifyFindings {
					t.Errorf("verify-probes with readiness service %q: exit %d, want %d\n%s", wrong, r.code, verifyFindings, r.out)
				}
				if at := fmt.Sprintf("%s:%d:", changed, line); !strings.Contains(r.out, at) || !strings.Contains(r.out, fmt.Sprintf("%q", wrong)) {
					t.Errorf("verify-probes with readiness service %q: output lacks %s or %q:\n%s", wrong, at, wrong, r.out)
				}
			}
		})
	}
}
