package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/examples/internal/proctest"
	"github.com/protoc-gen-health/protoc-gen-health/gen"
	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
)

// The health code for servers without healthreg (go_runtime=grpc, emit=node,
// emit=python), run for real: for helloworld and the two-service shop, in
// every naming mode, each runtime's server sets its health only through the
// generated code.

// polyglotDrain is how long the servers keep serving after SIGTERM.
const polyglotDrain = 2 * time.Second

// nodeDir holds the Node.js server and its pinned packages (package.json,
// package-lock.json); npm ci installs them into its node_modules.
func nodeDir() string { return filepath.Join(root, "examples", "e2e", "testdata", "node") }

// polyglotCase is one workload in one naming mode, with what the generator
// wrote for it.
type polyglotCase struct {
	mode     contract.NamesMode
	ex       example
	files    []string // its .proto files
	workload string   // its Go name: Set<workload>Health
	dir      string   // the generated files, by their response names
	// probes by style ("grpc", "exec") and kind ("startup", ...).
	probes map[string]map[string]*corev1.Probe
}

func (c *polyglotCase) name() string { return string(c.mode) + "_" + c.ex.name }

// module is the case's first .proto file without ".proto": the path of its
// Node.js and Python modules without their suffix.
func (c *polyglotCase) module() string { return strings.TrimSuffix(c.files[0], ".proto") }

// probeNames are the names the Component's probes ask, startup, liveness,
// readiness, each once.
func (c *polyglotCase) probeNames(t *testing.T) []string {
	var names []string
	for _, kind := range []string{"startup", "liveness", "readiness"} {
		if n := targetOf(t, c.probes["grpc"][kind]).Service; !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// polyglotCases generates every case's Go (go_runtime=grpc), Node.js and
// Python health code and its probes, grpc and exec.
func polyglotCases(t *testing.T) []*polyglotCase {
	t.Helper()
	workloads := []struct {
		example, workload string
		files, services   []string
	}{
		{"helloworld", "HelloworldGreeter", []string{"helloworld/helloworld.proto"}, []string{"helloworld.Greeter"}},
		{"multi", "Shop", []string{"shop/v1/cart.proto", "shop/v1/catalog.proto"}, []string{"shop.v1.CartService", "shop.v1.CatalogService"}},
	}
	var cases []*polyglotCase
	out := t.TempDir()
	for _, mode := range contract.NamesModes {
		for _, w := range workloads {
			c := &polyglotCase{mode: mode, ex: exampleNamed(t, w.example), files: w.files, workload: w.workload, probes: map[string]map[string]*corev1.Probe{}}
			c.dir = filepath.Join(out, c.name())
			for _, style := range []string{"grpc", "exec"} {
				param := "emit=go,go_runtime=grpc,emit=node,emit=python,emit=k8s,paths=source_relative,port=50051,names=" + string(mode)
				for _, s := range w.services { // over the files' own probe option
					param += ",service." + s + ".probe=" + style
				}
				if mode == contract.NamesServices && len(w.services) > 1 {
					// A readiness probe asks one name: the server sets "shop"
					// for both (names=services alone is refused).
					param += ",readiness_service=shop"
				}
				files := generateFiles(t, c.ex, w.files, param)
				if style == "grpc" {
					for name, content := range files {
						writeFile(t, filepath.Join(c.dir, filepath.FromSlash(name)), content)
					}
				}
				c.probes[style] = componentProbes(t, files, param)
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// generateFiles runs the generator on files of ex with param and returns
// its files by name, without the split guards' insertions (which insert
// nothing).
func generateFiles(t *testing.T, ex example, files []string, param string) map[string]string {
	t.Helper()
	req, err := protoreq.Build([]string{filepath.Join(ex.dir(), "proto"), filepath.Join(root, "proto")}, files, param)
	if err != nil {
		t.Fatal(err)
	}
	resp := gen.Generate(req)
	if resp.Error != nil {
		t.Fatalf("generate %s: %s", param, resp.GetError())
	}
	out := map[string]string{}
	for _, f := range resp.GetFile() {
		if f.GetInsertionPoint() == "" {
			out[f.GetName()] = f.GetContent()
		}
	}
	return out
}

// polyglotRuntime starts a server of one runtime for a case; it logs
// "msg=serving addr=..." once its probe names are SERVING.
type polyglotRuntime struct {
	name string
	cmd  func(c *polyglotCase) *exec.Cmd
}

// TestPolyglot runs every case's generated code in its runtime's real
// server: grpc-go's health.Server (the user module requiring only grpc and
// protobuf), @grpc/grpc-js with grpc-health-check (the server in
// TypeScript, tsc --strict; the module also required from plain
// JavaScript), and grpcio with a HealthServicer built from grpc_tools'
// health stubs with grpcio-health-checking's set and
// enter_graceful_shutdown (that package is not installable here: Debian
// does not package it and the Python package index is not reachable).
// First the name lists: every runtime's module sets exactly the names the
// Component's probes ask. Then each server passes every generated probe
// (grpc: as the kubelet sends it, exec: the real grpc-health-probe), a
// probe one letter off fails, and after SIGTERM readiness answers
// NOT_SERVING (so the listener is still open) until the server exits 0.
func TestPolyglot(t *testing.T) {
	cases := polyglotCases(t)
	goBin := buildGoPlainServer(t, cases)
	tsOut := buildNodeServer(t, cases)
	stubs := pythonHealthStubs(t)

	t.Run("names", func(t *testing.T) {
		for _, c := range cases {
			want := c.probeNames(t)
			got := map[string][]string{
				"go": goNamesSet(t, goBin, c),
				"node (require from JavaScript)": jsonNames(t, runCmd(cmdTimeout, "", nil, "node", "-e",
					"console.log(JSON.stringify(require(process.argv[1]).WORKLOAD_HEALTH_NAMES))", filepath.Join(c.dir, c.module()+"_health.js"))),
				"python": jsonNames(t, runCmd(cmdTimeout, c.dir, nil, pythonBin, "-c",
					"import importlib, json, sys; print(json.dumps(list(importlib.import_module(sys.argv[1]).WORKLOAD_HEALTH_NAMES)))",
					strings.ReplaceAll(c.module(), "/", ".")+"_health")),
			}
			// The Go server lists a map: its names are compared sorted.
			got["go"] = slices.Sorted(slices.Values(got["go"]))
			for runtime, names := range got {
				want := want
				if runtime == "go" {
					want = slices.Sorted(slices.Values(want))
				}
				if !slices.Equal(names, want) {
					t.Errorf("%s: %s sets %q, the probes ask %q", c.name(), runtime, names, want)
				}
			}
		}
	})

	runtimes := []polyglotRuntime{
		{"grpc-go", func(c *polyglotCase) *exec.Cmd {
			return exec.Command(goBin, "serve", c.name(), polyglotDrain.String())
		}},
		{"node", func(c *polyglotCase) *exec.Cmd {
			return exec.Command("node", filepath.Join(tsOut, "server.js"), filepath.Join(c.dir, c.module()+"_health.js"), fmt.Sprint(polyglotDrain.Milliseconds()))
		}},
		{"python", func(c *polyglotCase) *exec.Cmd {
			return exec.Command(pythonBin, filepath.Join(plainServersDir(), "module_server.py"), stubs, c.dir,
				strings.ReplaceAll(c.module(), "/", ".")+"_health", fmt.Sprint(polyglotDrain.Seconds()))
		}},
	}
	for _, rt := range runtimes {
		for _, c := range cases {
			t.Run(rt.name+"/"+c.name(), func(t *testing.T) {
				t.Parallel()
				runPolyglotServer(t, c, rt)
			})
		}
	}
}

// runPolyglotServer starts the runtime's server for c and probes it.
func runPolyglotServer(t *testing.T, c *polyglotCase, rt polyglotRuntime) {
	s := proctest.StartCmd(t, rt.name, rt.cmd(c))
	port := portOf(t, s.Addr)
	ports := map[int32]int32{c.ex.appPort: port}
	if c.ex.healthPort != 0 {
		ports[c.ex.healthPort] = port
	}
	for _, style := range []string{"grpc", "exec"} {
		for kind, p := range c.probes[style] {
			where := style + " " + kind
			asked := targetOf(t, p).Service
			if r := kubeletProbe(t, p, ports); !r.ok {
				t.Errorf("%s (asks %q): %v", where, asked, r)
			}
			off := oneLetterOff(asked)
			if r := kubeletProbe(t, withService(t, p, off), ports); r.ok || !r.notFound() {
				t.Errorf("%s asking %q instead of %q: %v, want NOT_FOUND", where, off, asked, r)
			}
		}
	}
	if err := s.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	readiness := c.probes["grpc"]["readiness"]
	eventually(t, notReadyDeadline, "readiness to answer NOT_SERVING after SIGTERM", func() (bool, string) {
		r := kubeletProbe(t, readiness, ports)
		return r.notServing(), r.String()
	})
	// The drain: readiness stays NOT_SERVING (a status set after shutdown
	// is ignored) while the listener still answers.
	time.Sleep(polyglotDrain / 2)
	if r := kubeletProbe(t, readiness, ports); time.Since(sent) < polyglotDrain && !r.notServing() {
		t.Errorf("during the drain, readiness: %v, want NOT_SERVING", r)
	}
	if err := s.Wait(exitTimeout); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
}

// jsonNames reads a JSON list of names a command printed.
func jsonNames(t *testing.T, r cmdResult) []string {
	t.Helper()
	var names []string
	if r.code != 0 || json.Unmarshal([]byte(r.out), &names) != nil {
		t.Fatalf("exit %d: %s", r.code, r.out)
	}
	return names
}

// goNamesSet asks the Go server which names its Set<workload>Health sets:
// it sets them to SERVICE_UNKNOWN on a fresh health.Server and lists them.
func goNamesSet(t *testing.T, bin string, c *polyglotCase) []string {
	t.Helper()
	return jsonNames(t, runCmd(cmdTimeout, "", nil, bin, "names", c.name()))
}

// goPlainMain is the grpc-go server of every case: one binary, the case
// named on its command line. Everything about health goes through the
// generated Set<Workload>Health and Shutdown<Workload>Health.
const goPlainMain = `package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
%s)

type workload struct {
	set      func(*health.Server, healthpb.HealthCheckResponse_ServingStatus)
	shutdown func(*health.Server)
}

var workloads = map[string]workload{
%s}

func main() {
	w := workloads[os.Args[2]]
	hs := health.NewServer()
	if os.Args[1] == "names" {
		w.set(hs, healthpb.HealthCheckResponse_SERVICE_UNKNOWN)
		resp, err := hs.List(context.Background(), &healthpb.HealthListRequest{})
		if err != nil {
			panic(err)
		}
		var names []string
		for name, st := range resp.GetStatuses() {
			if st.GetStatus() == healthpb.HealthCheckResponse_SERVICE_UNKNOWN {
				names = append(names, name)
			}
		}
		slices.Sort(names) // List is a map: the test compares sorted lists
		json.NewEncoder(os.Stdout).Encode(names)
		return
	}
	drain, err := time.ParseDuration(os.Args[3])
	if err != nil {
		panic(err)
	}
	w.set(hs, healthpb.HealthCheckResponse_NOT_SERVING)
	s := grpc.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go s.Serve(lis)
	w.set(hs, healthpb.HealthCheckResponse_SERVING)
	fmt.Fprintf(os.Stderr, "level=INFO msg=serving addr=%%s\n", lis.Addr())
	<-term
	w.shutdown(hs)
	w.set(hs, healthpb.HealthCheckResponse_SERVING) // ignored after Shutdown
	time.Sleep(drain)
	s.GracefulStop()
}
`

// buildGoPlainServer writes every case's generated .health.go into a
// package of a fresh module with the server above, checks that the module
// requires only grpc and protobuf (go list -m all), and builds it.
func buildGoPlainServer(t *testing.T, cases []*polyglotCase) string {
	t.Helper()
	mod := t.TempDir()
	var imports, entries strings.Builder
	for _, c := range cases {
		pkg := filepath.Join(mod, c.name())
		for _, f := range c.files {
			health := strings.TrimSuffix(f, ".proto") + ".health.go"
			data, err := os.ReadFile(filepath.Join(c.dir, health))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(pkg, filepath.Base(health)), string(data))
		}
		fmt.Fprintf(&imports, "\t%s \"example.com/plain/%s\"\n", c.name(), c.name())
		fmt.Fprintf(&entries, "\t%q: {%s.Set%sHealth, %s.Shutdown%sHealth},\n", c.name(), c.name(), c.workload, c.name(), c.workload)
	}
	writeFile(t, filepath.Join(mod, "main.go"), fmt.Sprintf(goPlainMain, imports.String(), entries.String()))
	writeFile(t, filepath.Join(mod, "go.mod"), "module example.com/plain\n\ngo 1.26.8\n")
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if r := runCmd(goTimeout, mod, env, "go", "mod", "tidy"); r.code != 0 {
		t.Fatalf("go mod tidy: exit %d\n%s", r.code, r.out)
	}
	r := runCmd(goTimeout, mod, env, "go", "list", "-m", "-f", "{{if not .Main}}{{if not .Indirect}}{{.Path}}{{end}}{{end}}", "all")
	if r.code != 0 {
		t.Fatalf("go list -m all: exit %d\n%s", r.code, r.out)
	}
	if direct := strings.Fields(r.out); !slices.Equal(direct, []string{"google.golang.org/grpc"}) && !slices.Equal(direct, []string{"google.golang.org/grpc", "google.golang.org/protobuf"}) {
		t.Errorf("a module using the go_runtime=grpc code requires %q; want only grpc and protobuf", direct)
	}
	if all := runCmd(goTimeout, mod, env, "go", "list", "-m", "all"); strings.Contains(all.out, "protoc-gen-health") {
		t.Errorf("go list -m all names protoc-gen-health:\n%s", all.out)
	}
	bin := filepath.Join(mod, "server")
	if r := runCmd(goTimeout, mod, env, "go", "build", "-o", bin, "."); r.code != 0 {
		t.Fatalf("go build: exit %d\n%s", r.code, r.out)
	}
	return bin
}

// npmInstall runs npm ci in nodeDir once per package-lock.json: a stamp in
// node_modules holds the lock file's hash (node_modules is gitignored).
func npmInstall(t *testing.T) {
	t.Helper()
	lock, err := os.ReadFile(filepath.Join(nodeDir(), "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	stamp := filepath.Join(nodeDir(), "node_modules", ".protoc-gen-health-lock")
	if got, _ := os.ReadFile(stamp); string(got) == hex.EncodeToString(sum[:]) {
		return
	}
	if r := runCmd(5*time.Minute, nodeDir(), nil, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"); r.code != 0 {
		t.Fatalf("npm ci (Node.js and npm are installed by make node): exit %d\n%s", r.code, r.out)
	}
	if err := os.WriteFile(stamp, []byte(hex.EncodeToString(sum[:])), 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildNodeServer compiles the TypeScript server, and for every case a use
// of its generated module's declarations, with tsc --strict; it returns the
// directory of the compiled server.js.
func buildNodeServer(t *testing.T, cases []*polyglotCase) string {
	t.Helper()
	npmInstall(t)
	dir := t.TempDir()
	if err := os.Symlink(filepath.Join(nodeDir(), "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(nodeDir(), "server.ts"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "server.ts"), string(src))
	files := []string{"server.ts"}
	for i, c := range cases {
		mod := c.module() + "_health"
		for _, ext := range []string{".js", ".d.ts"} {
			data, err := os.ReadFile(filepath.Join(c.dir, mod+ext))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, c.name(), mod+ext), string(data))
			if i == 0 && ext == ".d.ts" { // the shape server.ts types every module with
				writeFile(t, filepath.Join(dir, "types_health.d.ts"), string(data))
			}
		}
		// A use of the module's declarations: the right calls compile, a
		// misspelt status does not.
		use := filepath.Join(c.name(), "use.ts")
		writeFile(t, filepath.Join(dir, use), fmt.Sprintf(`import { HealthImplementation } from 'grpc-health-check';
import { WORKLOAD_HEALTH_NAMES, WORKLOAD_NAME, setWorkloadStatus, shutdownWorkload } from './%s';

const health = new HealthImplementation();
setWorkloadStatus(health, 'SERVING');
// @ts-expect-error: not a ServingStatus
setWorkloadStatus(health, 'SERVNG');
shutdownWorkload(health);
const names: readonly string[] = WORKLOAD_HEALTH_NAMES;
const workload: string = WORKLOAD_NAME;
export { names, workload };
`, mod))
		files = append(files, use)
	}
	args := append([]string{filepath.Join(nodeDir(), "node_modules", ".bin", "tsc"), "--strict", "--module", "commonjs", "--target", "es2020",
		"--types", "node", "--outDir", "out"}, files...)
	if r := runCmd(5*time.Minute, dir, nil, args...); r.code != 0 {
		t.Fatalf("tsc --strict: exit %d\n%s", r.code, r.out)
	}
	return filepath.Join(dir, "out")
}
