package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyProbesServer runs verify-probes --server against the three
// kinds of running server: healthreg's (the helloworld example), grpc-go's
// plain health server (both answer List) and the Python server (no List:
// a Check per name). Registering every name the manifests ask, it exits 0
// and prints each name's status; with one name missing, it exits 1 and
// names it at its probe's line.
func TestVerifyProbesServer(t *testing.T) {
	t.Parallel()
	verify := tool(t, "verify-probes")
	ex := exampleNamed(t, "helloworld")
	set := filepath.Join(t.TempDir(), "set.binpb")
	mustRun(t, ex.dir(), tool(t, "buf"), "build", "-o", set)
	stubs := pythonHealthStubs(t)

	// Plain servers register "" and each service: names=services probes
	// ask "" (startup, liveness) and helloworld.Greeter (readiness).
	plain := writeGeneratedProbes(t, "emit=k8s,workload=app,names=services")
	plainReadiness := lineOf(t, readFile(t, plain), "readinessProbe:")
	const greeter = "helloworld.Greeter"

	// healthreg registers every name of the descriptors; the missing name
	// is a readiness probe asking another, which --name lets past the
	// descriptors' check.
	healthreg := filepath.Join(ex.dir(), "deploy", "helloworld-greeter", "probes.yaml")
	const other = "helloworld.Unregistered"
	edited := filepath.Join(t.TempDir(), "probes.yaml")
	text := strings.Replace(readFile(t, healthreg), `service: "`+greeter+`"`, `service: "`+other+`"`, 1)
	if err := os.WriteFile(edited, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		start    func(t *testing.T) string
		manifest string
		extra    []string
		method   string
		missing  string // "" when every name is registered
		line     int
	}{
		{"healthreg", func(t *testing.T) string { return startServer(t, ex, "-addr=127.0.0.1:0").Addr }, healthreg, nil, "List", "", 0},
		{"healthreg, one name missing", func(t *testing.T) string { return startServer(t, ex, "-addr=127.0.0.1:0").Addr },
			edited, []string{"--name", other}, "List", other, lineOf(t, text, "readinessProbe:")},
		{"grpc-go", func(t *testing.T) string { return startGoHealthServer(t, []string{"", greeter}) }, plain, []string{"--names=services"}, "List", "", 0},
		{"grpc-go, one name missing", func(t *testing.T) string { return startGoHealthServer(t, []string{""}) },
			plain, []string{"--names=services"}, "List", greeter, plainReadiness},
		{"python", func(t *testing.T) string { return startPythonHealthServer(t, stubs, []string{"", greeter}) }, plain, []string{"--names=services"}, "Check", "", 0},
		{"python, one name missing", func(t *testing.T) string { return startPythonHealthServer(t, stubs, []string{""}) },
			plain, []string{"--names=services"}, "Check", greeter, plainReadiness},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.start(t)
			args := append([]string{verify, "--descriptors", set, "--server", addr}, tc.extra...)
			r := runCmd(cmdTimeout, "", nil, append(args, tc.manifest)...)
			if want := fmt.Sprintf("server %s (%s): ", addr, tc.method); !strings.Contains(r.out, want) {
				t.Errorf("output lacks %q:\n%s", want, r.out)
			}
			if tc.missing == "" {
				if r.code != verifyClean {
					t.Errorf("exit %d, want %d\n%s", r.code, verifyClean, r.out)
				}
				if !strings.Contains(r.out, fmt.Sprintf("%q: SERVING", greeter)) {
					t.Errorf("output lacks the readiness name's status:\n%s", r.out)
				}
				return
			}
			if r.code != verifyFindings {
				t.Errorf("exit %d, want %d\n%s", r.code, verifyFindings, r.out)
			}
			want := fmt.Sprintf("%s:%d: error: ", tc.manifest, tc.line)
			if !strings.Contains(r.out, want) || !strings.Contains(r.out, fmt.Sprintf("does not register health name %q", tc.missing)) ||
				!strings.Contains(r.out, fmt.Sprintf("%q: not registered", tc.missing)) {
				t.Errorf("output does not name %q at %s:\n%s", tc.missing, want, r.out)
			}
		})
	}
}

// writeGeneratedProbes generates helloworld's probes with param and
// writes the Component's patch to a file, whose path it returns.
func writeGeneratedProbes(t *testing.T, param string) string {
	t.Helper()
	for name, content := range generateHelloworld(t, param) {
		if strings.HasSuffix(name, "/probes.yaml") {
			path := filepath.Join(t.TempDir(), "probes.yaml")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			return path
		}
	}
	t.Fatalf("generate %s: no probes.yaml", param)
	return ""
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
