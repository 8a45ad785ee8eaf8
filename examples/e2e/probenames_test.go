package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPerProbeNames: servers that picked their own names get probes that
// pass. An agent on grpc-go's plain health server sets "liveness" by hand
// (and keeps grpc-go's own ""); a Python servicer sets only its own
// service's name, never "". With startup_service=, liveness_service= and
// readiness_service= every generated probe, of both styles, passes against
// them as the kubelet runs it, and the same probe one letter off fails; and
// verify-probes with the matching --names-file reports nothing, where
// without it the probes are errors, and never advises "" (which the Python
// servicer answers NOT_FOUND: a restart loop).
func TestPerProbeNames(t *testing.T) {
	verify := tool(t, "verify-probes")
	ex := exampleNamed(t, "helloworld")
	set := filepath.Join(t.TempDir(), "set.binpb")
	mustRun(t, ex.dir(), tool(t, "buf"), "build", "-o", set)
	stubs := pythonHealthStubs(t)
	const custom = "manager.v1beta1.Suggestion"
	cases := []struct {
		name      string
		start     func(t *testing.T, names []string) string
		registers []string // the names the server sets SERVING
		params    string
		names     string // the --names-file
		mode      string // verify-probes' --names
	}{{
		name: "grpc-go liveness", start: startGoHealthServer, registers: []string{"liveness"},
		params: "names=overall,startup_service=liveness,liveness_service=liveness",
		names:  "startup_service=liveness\nliveness_service=liveness\n",
		mode:   "overall",
	}, {
		name: "python custom name", registers: []string{custom},
		start: func(t *testing.T, names []string) string {
			// A servicer of its own that answers only its name, never "".
			return startPythonHealthServer(t, stubs, names, "HEALTH_SERVER_OWN_NAMES_ONLY=1")
		},
		params: "names=services,startup_service=" + custom + ",liveness_service=" + custom + ",readiness_service=" + custom,
		names: "# The suggestion servicer sets only its own name.\n" +
			"workload.app.startup_service=" + custom + "\nworkload.app.liveness_service=" + custom + "\nworkload.app.readiness_service=" + custom + "\n",
		mode: "services",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := c.start(t, c.registers)
			ports := map[int32]int32{ex.appPort: portOf(t, addr)}
			for _, style := range []string{"grpc", "exec"} {
				param := "emit=k8s,workload=app,probe=" + style + "," + c.params
				for kind, p := range generatedProbes(t, ex, []string{"helloworld/helloworld.proto"}, param) {
					where := style + " " + kind
					asked := targetOf(t, p).Service
					if r := kubeletProbe(t, p, ports); !r.ok {
						t.Errorf("%s: asking %q failed against a server registering %q: %v", where, asked, c.registers, r)
					}
					off := oneLetterOff(asked)
					if r := kubeletProbe(t, withService(t, p, off), ports); r.ok || !r.notFound() {
						t.Errorf("%s: asking %q instead of %q: %v, want NOT_FOUND", where, off, asked, r)
					}
					if c.mode == "services" && asked != "" {
						// The servicer sets no "": asking it would restart-loop the pod.
						if r := kubeletProbe(t, withService(t, p, ""), ports); r.ok || !r.notFound() {
							t.Errorf(`%s: asking "": %v, want NOT_FOUND`, where, r)
						}
					}
				}
			}

			dir := t.TempDir()
			for name, content := range generateFiles(t, ex, []string{"helloworld/helloworld.proto"}, "emit=k8s,workload=app,"+c.params) {
				writeFile(t, filepath.Join(dir, filepath.FromSlash(name)), content)
			}
			namesFile := filepath.Join(t.TempDir(), "names.txt")
			if err := os.WriteFile(namesFile, []byte(c.names), 0o644); err != nil {
				t.Fatal(err)
			}
			args := []string{verify, "--strict", "--names=" + c.mode, "--descriptors", set}
			if r := runCmd(cmdTimeout, "", nil, append(args, "--names-file", namesFile, dir)...); r.code != verifyClean || r.out != "" {
				t.Errorf("verify-probes --names-file: exit %d, want %d and no output:\n%s", r.code, verifyClean, r.out)
			}
			if r := runCmd(cmdTimeout, "", nil, append(args, dir)...); r.code != verifyFindings {
				t.Errorf("verify-probes without the declaration: exit %d, want %d:\n%s", r.code, verifyFindings, r.out)
			}
			// Allowed by name only (--name, the older way), the liveness
			// probe's own name is never advised to become "".
			var named []string
			for _, n := range c.registers {
				named = append(named, "--name", n)
			}
			if r := runCmd(cmdTimeout, "", nil, append(append(args, named...), dir)...); strings.Contains(r.out, `probe ""`) {
				t.Errorf("verify-probes --name advises \"\":\n%s", r.out)
			}
		})
	}
}
