package e2e

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/protoc-gen-health/protoc-gen-health/examples/helloworld/gen/helloworld"
	"github.com/protoc-gen-health/protoc-gen-health/examples/internal/proctest"
	shopv1 "github.com/protoc-gen-health/protoc-gen-health/examples/multi/gen/shop/v1"
	"github.com/protoc-gen-health/protoc-gen-health/internal/probepatch"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// Set by TestMain.
var (
	root     string // the repository's root, absolute
	buildDir string // where the example servers are built, removed after the tests
	ownBin   string // buildDir/bin: this checkout's binaries (ownPackages), built by TestMain
)

// The timings every test shares.
const (
	drain            = 3 * time.Second        // the helloworld server's -drain when probed with grpc_health_probe
	manifestDrain    = 10 * time.Second       // the servers' -drain when probed from their manifests
	pollInterval     = 20 * time.Millisecond  // between two attempts of a poll
	startTimeout     = 15 * time.Second       // for a server to become ready; proctest.StartTimeout, the same, to print its addresses
	notReadyDeadline = time.Second            // after SIGTERM, for readiness to fail
	rpcTimeout       = 5 * time.Second        // for one application or health RPC, or grpc_health_probe
	cmdTimeout       = 60 * time.Second       // for protoc, buf and verify-probes
	exitTimeout      = drain + 15*time.Second // for a server to exit after SIGTERM
)

const (
	kubeProbeUA  = "kube-probe/1.34"     // the kubelet's user agent for grpc: probes
	probeBinName = "grpc-health-probe"   // the pinned grpc_health_probe in bin/
	unknownName  = "helloworld.Greeterz" // a health name no example registers
)

// grpc_health_probe's exit codes.
const (
	probeOK         = 0
	probeRPCFailure = 3 // the Check failed: NOT_FOUND for a name the server does not know
	probeNotServing = 4
)

// example is one example under examples/, as the end-to-end tests use it.
type example struct {
	name string // its directory under examples/, and the binary's name
	// The ports its manifests name: the application port (buf.gen.yaml's
	// port=), and the separate health port (the proto files' health_port),
	// 0 when the server serves health on the application port only.
	appPort, healthPort int32
	rpc                 func(context.Context, *grpc.ClientConn) error // one application RPC
}

var examples = []example{
	{name: "helloworld", appPort: 50051, rpc: sayHello},
	{name: "multi", appPort: 50051, healthPort: 8086, rpc: func(ctx context.Context, cc *grpc.ClientConn) error {
		_, err := shopv1.NewCatalogServiceClient(cc).GetItem(ctx, &shopv1.GetItemRequest{Sku: "e2e"})
		return err
	}},
}

// exampleNamed returns the example in examples/name.
func exampleNamed(t testing.TB, name string) example {
	t.Helper()
	i := slices.IndexFunc(examples, func(ex example) bool { return ex.name == name })
	if i < 0 {
		t.Fatalf("no example %q", name)
	}
	return examples[i]
}

// sayHello calls helloworld's SayHello and checks the answer.
func sayHello(ctx context.Context, cc *grpc.ClientConn) error {
	resp, err := helloworld.NewGreeterClient(cc).SayHello(ctx, &helloworld.HelloRequest{Name: "e2e"})
	if err == nil && resp.GetMessage() != "Hello e2e" {
		err = fmt.Errorf("SayHello answered %q, want %q", resp.GetMessage(), "Hello e2e")
	}
	return err
}

// dir is the example's directory.
func (ex example) dir() string { return filepath.Join(root, "examples", ex.name) }

// ownPackages are the repository's own commands the tests run, which
// TestMain builds into ownBin from the sources under test.
var ownPackages = []string{"./cmd/protoc-gen-health", "./cmd/verify-probes"}

// tool returns the path of a binary: one of ownPackages from ownBin, else a
// pinned tool that `make tools` builds into bin/; it fails the test when
// that is missing.
func tool(t testing.TB, name string) string {
	t.Helper()
	for _, pkg := range ownPackages {
		if filepath.Base(pkg) == name {
			return filepath.Join(ownBin, name)
		}
	}
	p := filepath.Join(root, "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run `make tools` in %s first (%v)", p, root, err)
	}
	return p
}

// toolEnv is the environment of a subprocess that runs protoc plugins:
// ownBin, then bin/, first on PATH, so protoc and buf run this checkout's
// plugin and the pinned ones.
func toolEnv(t testing.TB) []string {
	t.Helper()
	tool(t, "buf") // fail early and clearly if bin/ is not built
	path := strings.Join([]string{ownBin, filepath.Join(root, "bin"), os.Getenv("PATH")}, string(os.PathListSeparator))
	return append(os.Environ(), "PATH="+path)
}

// cmdResult is what a finished command did.
type cmdResult struct {
	code int // exit code; -1 when it was killed at its timeout
	out  string
}

// runCmd runs argv in dir with env (nil: the test's) and returns its exit
// code and combined output. A command that cannot start returns code -1 and
// the error as output, so that callers on other goroutines can report it.
func runCmd(timeout time.Duration, dir string, env []string, argv ...string) cmdResult {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return cmdResult{code: 0, out: string(out)}
	case ctx.Err() != nil:
		return cmdResult{code: -1, out: string(out)}
	case errors.As(err, &exit):
		return cmdResult{code: exit.ExitCode(), out: string(out)}
	}
	return cmdResult{code: -1, out: fmt.Sprintf("%s: %v", strings.Join(argv, " "), err)}
}

// mustRun runs argv in dir with bin/ first on PATH and fails the test unless
// it exits 0.
func mustRun(t testing.TB, dir string, argv ...string) {
	t.Helper()
	if r := runCmd(cmdTimeout, dir, toolEnv(t), argv...); r.code != 0 {
		t.Fatalf("(cd %s && %s): exit %d\n%s", dir, strings.Join(argv, " "), r.code, r.out)
	}
}

// grpcHealthProbe runs the pinned grpc_health_probe with args.
func grpcHealthProbe(t testing.TB, args ...string) cmdResult {
	t.Helper()
	return runCmd(rpcTimeout, "", nil, append([]string{tool(t, probeBinName)}, args...)...)
}

// eventually polls cond until it returns true, and fails the test with cond's
// last report when timeout passes first.
func eventually(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, timeout, last)
		}
		time.Sleep(pollInterval)
	}
}

// The example servers, each built once, on first use, into buildDir.
var serverBuilds = map[string]func() (string, error){}

func init() {
	for _, ex := range examples {
		serverBuilds[ex.name] = sync.OnceValues(func() (string, error) {
			bin := filepath.Join(buildDir, ex.name)
			return bin, proctest.Build(filepath.Join(root, "examples"), "./"+ex.name+"/server", bin)
		})
	}
}

// server is an example server running as a process.
type server struct {
	*proctest.Server
	t testing.TB
}

// startServer builds (once) and starts the example's server with args, and
// reads the addresses it logs. The process is killed at the test's end.
func startServer(t testing.TB, ex example, args ...string) *server {
	t.Helper()
	bin, err := serverBuilds[ex.name]()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{Server: proctest.Start(t, ex.name, bin, args...), t: t}
	if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "-health-addr=") }) && s.HealthAddr == "" {
		t.Fatalf("%s server logged no health address", ex.name)
	}
	return s
}

// sigterm sends SIGTERM, as the kubelet does, and returns when it was sent.
func (s *server) sigterm() time.Time {
	s.t.Helper()
	if err := s.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	return time.Now()
}

// wait waits for the process to exit and returns its exit code.
func (s *server) wait(timeout time.Duration) int {
	s.t.Helper()
	err := s.Wait(timeout)
	var exit *exec.ExitError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		s.t.Fatalf("server did not exit within %v", timeout)
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		s.t.Fatal(err)
	}
	return 0
}

// dial returns a client of addr, closed at the test's end.
func dial(t testing.TB, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

// portOf returns the port of host:port.
func portOf(t testing.TB, addr string) int32 {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
}

// deploymentProbes is one generated probes.yaml: its Deployment's only
// container's probes.
type deploymentProbes struct {
	path                         string
	startup, liveness, readiness *corev1.Probe
}

// loadProbes decodes every deploy/*/probes.yaml of ex strictly into a
// Deployment and returns its container's three probes.
func loadProbes(t testing.TB, ex example) []deploymentProbes {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(ex.dir(), "deploy", "*", "probes.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("%s: no deploy/*/probes.yaml (%v)", ex.name, err)
	}
	var all []deploymentProbes
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if data, err = probepatch.StripReplace(data); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		var d appsv1.Deployment
		if err := yaml.UnmarshalStrict(data, &d); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		cs := d.Spec.Template.Spec.Containers
		if len(cs) != 1 {
			t.Fatalf("%s: %d containers, want 1", p, len(cs))
		}
		c := cs[0]
		if c.StartupProbe == nil || c.LivenessProbe == nil || c.ReadinessProbe == nil {
			t.Fatalf("%s: container %q lacks a startup, liveness or readiness probe", p, c.Name)
		}
		all = append(all, deploymentProbes{path: p, startup: c.StartupProbe, liveness: c.LivenessProbe, readiness: c.ReadinessProbe})
	}
	return all
}

// targetOf is proberules.TargetOf for a probe that must be a gRPC health probe.
func targetOf(t testing.TB, p *corev1.Probe) proberules.Target {
	t.Helper()
	tg, ok := proberules.TargetOf(p)
	if !ok {
		t.Fatalf("not a gRPC health probe: %+v", p.ProbeHandler)
	}
	return tg
}

// probeResult is the outcome of one probe, run as the kubelet runs it.
type probeResult struct {
	exec     bool                                       // an exec probe, not a grpc: one
	ok       bool                                       // the kubelet counts a success
	exitCode int                                        // exec: grpc_health_probe's exit code, -1 when killed at timeoutSeconds
	code     codes.Code                                 // grpc: the Check's status code
	status   healthpb.HealthCheckResponse_ServingStatus // grpc: the Check's answer
	detail   string                                     // the probe's output, or the Check's error
}

// notServing reports whether the server answered NOT_SERVING.
func (r probeResult) notServing() bool {
	if r.exec {
		return r.exitCode == probeNotServing
	}
	return r.code == codes.OK && r.status == healthpb.HealthCheckResponse_NOT_SERVING
}

// notFound reports whether the server does not know the name asked for.
func (r probeResult) notFound() bool {
	if r.exec {
		return r.exitCode == probeRPCFailure
	}
	return r.code == codes.NotFound
}

func (r probeResult) String() string {
	if r.exec {
		return fmt.Sprintf("exec: ok=%v exit=%d: %s", r.ok, r.exitCode, strings.TrimSpace(r.detail))
	}
	return fmt.Sprintf("grpc: ok=%v code=%v status=%v: %s", r.ok, r.code, r.status, r.detail)
}

// probePasses waits, up to startTimeout, for p to pass as the kubelet runs
// it (a server just started may not answer yet); what says what is waited for.
func probePasses(t testing.TB, what string, p *corev1.Probe, ports map[int32]int32) {
	t.Helper()
	eventually(t, startTimeout, what, func() (bool, string) {
		res := kubeletProbe(t, p, ports)
		return res.ok, res.String()
	})
}

// kubeletProbe runs p once as the kubelet would, against the test server:
// ports maps each port the manifest names to the port the server bound on
// 127.0.0.1. An exec probe runs its exact argv with the pinned
// grpc_health_probe as argv[0] and only -addr's port changed, killed after
// timeoutSeconds, and succeeds on exit 0. A grpc: probe makes one
// grpc.health.v1 Check with the probe's service, over insecure credentials
// and the kubelet's user agent, timeoutSeconds bounding dial and Check, and
// succeeds only on SERVING.
func kubeletProbe(t testing.TB, p *corev1.Probe, ports map[int32]int32) probeResult {
	t.Helper()
	tg := targetOf(t, p)
	port, ok := ports[tg.Port]
	if !ok {
		t.Fatalf("the probe's port %d is none of the example's ports %v", tg.Port, ports)
	}
	timeout := time.Duration(p.TimeoutSeconds) * time.Second
	if !tg.Exec {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		cc, err := grpc.NewClient(net.JoinHostPort("127.0.0.1", strconv.Itoa(int(port))),
			grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithUserAgent(kubeProbeUA))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: tg.Service})
		st := resp.GetStatus()
		return probeResult{ok: err == nil && st == healthpb.HealthCheckResponse_SERVING, code: status.Code(err), status: st, detail: fmt.Sprint(err)}
	}

	host, _, err := net.SplitHostPort(tg.Addr)
	if err != nil {
		t.Fatalf("-addr %q: %v", tg.Addr, err)
	}
	argv := slices.Clone(tg.Command)
	argv[0] = tool(t, probeBinName)
	argv = replaceFlagValue(t, argv, "addr", tg.Addr, net.JoinHostPort(host, strconv.Itoa(int(port))))
	// Nothing but the port changed.
	want := tg
	want.Command, want.Argv, want.Addr, want.Port = argv, argv, net.JoinHostPort(host, strconv.Itoa(int(port))), port
	if diff := cmp.Diff(want, targetOf(t, execProbe(argv)), cmpopts.IgnoreUnexported(proberules.Target{})); diff != "" {
		t.Fatalf("mapping the port changed more than the probe's port (-want +got):\n%s", diff)
	}
	r := runCmd(timeout, "", nil, argv...)
	return probeResult{exec: true, ok: r.code == probeOK, exitCode: r.code, detail: r.out}
}

func execProbe(argv []string) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: argv}}}
}

// replaceFlagValue returns argv with grpc_health_probe's flag name changed
// from value old to new, in whichever form it is written (-name=old,
// --name=old, -name old); the caller checks the result with TargetOf.
func replaceFlagValue(t testing.TB, argv []string, name, old, new string) []string {
	t.Helper()
	argv = slices.Clone(argv)
	for i := 1; i < len(argv); i++ {
		for _, dash := range []string{"-", "--"} {
			switch {
			case argv[i] == dash+name+"="+old:
				argv[i] = dash + name + "=" + new
				return argv
			case argv[i] == dash+name && i+1 < len(argv) && argv[i+1] == old:
				argv[i+1] = new
				return argv
			}
		}
	}
	t.Fatalf("no -%s %s in %q", name, old, argv)
	return nil
}

// withService returns a copy of the gRPC health probe p that asks for service.
func withService(t testing.TB, p *corev1.Probe, service string) *corev1.Probe {
	t.Helper()
	tg := targetOf(t, p)
	p = p.DeepCopy()
	if tg.Exec {
		p.Exec.Command = replaceFlagValue(t, p.Exec.Command, "service", tg.Service, service)
	} else {
		p.GRPC.Service = &service
	}
	if got := targetOf(t, p).Service; got != service {
		t.Fatalf("changed the probe's service to %q, want %q", got, service)
	}
	return p
}

// oneLetterOff returns name with its last letter changed.
func oneLetterOff(name string) string {
	if name == "" {
		return "x"
	}
	last := "x"
	if strings.HasSuffix(name, last) {
		last = "y"
	}
	return name[:len(name)-1] + last
}

// healthGo returns the contents of every .health.go under dir, by path
// relative to dir.
func healthGo(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, rel := range filesUnder(t, dir, ".health.go") {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		files[rel] = string(data)
	}
	return files
}

// filesUnder lists the files under dir whose names end in suffix, relative
// to dir, with forward slashes.
func filesUnder(t *testing.T, dir, suffix string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, suffix) {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// lineOf returns the 1-based line of the only line of text containing s.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	line := 0
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			if line != 0 {
				t.Fatalf("%q on lines %d and %d", s, line, i+1)
			}
			line = i + 1
		}
	}
	if line == 0 {
		t.Fatalf("no line contains %q", s)
	}
	return line
}

// listen returns a loopback listener on a port the OS chooses.
func listen(t *testing.T) net.Listener {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lis.Close() })
	return lis
}
