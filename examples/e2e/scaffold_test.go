package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"google.golang.org/protobuf/types/known/emptypb"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/protoc-gen-health/protoc-gen-health/examples/internal/proctest"
)

// scaffoldProto is a fresh two-service API, as a new user would write it.
const scaffoldProto = `syntax = "proto3";

package shop.v1;

option go_package = "example.com/shop/gen/shop/v1;shopv1";

service CartService {
  rpc AddItem(AddItemRequest) returns (AddItemResponse);
}

service CatalogService {
  rpc GetItem(GetItemRequest) returns (GetItemResponse);
}

message AddItemRequest {}
message AddItemResponse {}
message GetItemRequest {}
message GetItemResponse {}
`

// goTimeout bounds go mod tidy and go build in a fresh module: generous, since
// a first -trimpath build compiles grpc from source on a loaded machine.
const goTimeout = 15 * time.Minute

// TestScaffold goes from a .proto to a running server with the scaffold
// alone: protoc with the plugins in bin/ writes the Go and, in the scaffold's
// one-shot run, cmd/shop/main.go, the Deployment and the Dockerfile into a
// fresh module (healthreg replaced by the local copy). The Dockerfile's
// `RUN go build` line builds the main, and its build stage's RUN lines build
// it again from vendor/ with neither the replace's directory, a module
// cache, nor the network, as `go mod vendor` before `docker build` does
// until healthreg is published; the binary runs with exactly the
// Deployment's args and env; every probe of the Deployment passes as the
// kubelet runs it; SIGTERM fails readiness at once and the process exits 0
// within terminationGracePeriodSeconds.
//
// The Deployment's args name fixed ports, so the test takes two free
// loopback ports from the kernel and passes them as port= and health_port=
// (the server then listens on every interface at those ports, as in a pod).
func TestScaffold(t *testing.T) {
	t.Parallel()
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Fatalf("protoc is not on PATH: run `make protoc` (%v)", err)
	}
	mod := t.TempDir()
	// The replace's target is a link the test removes before building from
	// vendor/, as the Docker build context holds no clone of healthreg.
	clone := filepath.Join(t.TempDir(), "healthreg")
	if err := os.Symlink(filepath.Join(root, "healthreg"), clone); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(mod, "proto/shop/v1/shop.proto"), scaffoldProto)
	writeFile(t, filepath.Join(mod, "go.mod"), fmt.Sprintf(`module example.com/shop

go 1.26.8

require github.com/protoc-gen-health/protoc-gen-health/healthreg v0.0.0-00010101000000-000000000000

replace github.com/protoc-gen-health/protoc-gen-health/healthreg => %s
`, clone))

	if err := os.Mkdir(filepath.Join(mod, "gen"), 0o755); err != nil { // protoc writes only into directories that exist
		t.Fatal(err)
	}
	port, healthPort := freePort(t), freePort(t)
	mustRun(t, mod, protoc, "-I", "proto",
		"--go_out=gen", "--go_opt=paths=source_relative",
		"--go-grpc_out=gen", "--go-grpc_opt=paths=source_relative",
		"--health_out=gen", "--health_opt=paths=source_relative",
		"shop/v1/shop.proto")
	// The scaffold, once, into the module root.
	mustRun(t, mod, protoc, "-I", "proto", "--health_out=.",
		fmt.Sprintf("--health_opt=emit=k8s,scaffold=true,workload=shop,port=%d,health_port=%d,drain_seconds=1,stop_seconds=3", port, healthPort),
		"shop/v1/shop.proto")
	goEnv := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if r := runCmd(goTimeout, mod, goEnv, "go", "mod", "tidy"); r.code != 0 {
		t.Fatalf("go mod tidy: exit %d\n%s", r.code, r.out)
	}

	// The Dockerfile's go build, run in the module as the build stage runs
	// it from the context's root (WORKDIR /src, COPY . .), with /out moved
	// into the test's directory.
	out := t.TempDir()
	build := dockerfileGoBuild(t, filepath.Join(mod, "shop/Dockerfile"))
	if !strings.Contains(build, " ./cmd/shop") {
		t.Errorf("the Dockerfile builds %q, want ./cmd/shop", build)
	}
	build = strings.ReplaceAll(build, "/out/", out+"/")
	if r := runCmd(goTimeout, mod, goEnv, "sh", "-c", build); r.code != 0 {
		t.Fatalf("%s: exit %d\n%s", build, r.code, r.out)
	}

	dockerfileBuildsFromVendor(t, mod, filepath.Join(mod, "shop/Dockerfile"), clone)

	d := readDeployment(t, filepath.Join(mod, "shop/deployment.yaml"))
	c := d.Spec.Template.Spec.Containers[0]
	if len(c.Command) != 0 {
		t.Fatalf("the container overrides the image's entrypoint: %q", c.Command)
	}
	cmd := exec.Command(filepath.Join(out, "server"), c.Args...)
	cmd.Env = []string{} // exactly the container's env, nothing of the test's
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			t.Fatalf("env %s comes from a source the test cannot provide", e.Name)
		}
		cmd.Env = append(cmd.Env, e.Name+"="+e.Value)
	}
	s := &server{Server: proctest.StartCmd(t, "scaffold", cmd), t: t}
	if got := portOf(t, s.Addr); got != port {
		t.Errorf("serving on %s, want port %d from -addr", s.Addr, port)
	}
	if got := portOf(t, s.HealthAddr); got != healthPort {
		t.Errorf("health on %s, want port %d from -health-addr", s.HealthAddr, healthPort)
	}

	ports := map[int32]int32{port: port, healthPort: healthPort}
	probes := map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
	for kind, p := range probes {
		if p == nil {
			t.Fatalf("the Deployment has no %s probe", kind)
		}
		if targetOf(t, p).Port != healthPort {
			t.Errorf("%s probe asks port %d, want the health port %d", kind, targetOf(t, p).Port, healthPort)
		}
		eventually(t, startTimeout, kind+" probe passes", func() (bool, string) {
			r := kubeletProbe(t, p, ports)
			return r.ok, r.String()
		})
	}
	// Both services are served: each answers Unimplemented, not Unknown
	// service (a service that was not registered).
	for _, method := range []string{"/shop.v1.CartService/AddItem", "/shop.v1.CatalogService/GetItem"} {
		err := dial(t, s.Addr).Invoke(t.Context(), method, &emptypb.Empty{}, &emptypb.Empty{})
		if err == nil || !strings.Contains(err.Error(), "Unimplemented") || strings.Contains(err.Error(), "unknown service") {
			t.Errorf("%s: %v, want the embedded Unimplemented server's answer", method, err)
		}
	}

	sent := s.sigterm()
	eventually(t, notReadyDeadline, "readiness fails after SIGTERM", func() (bool, string) {
		r := kubeletProbe(t, c.ReadinessProbe, ports)
		return !r.ok, r.String()
	})
	if r := kubeletProbe(t, c.LivenessProbe, ports); !r.ok {
		t.Errorf("liveness failed during the drain: %s", r)
	}
	grace := time.Duration(*d.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second
	if code := s.wait(grace); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0 (a graceful stop)", code)
	}
	t.Logf("exited %v after SIGTERM; terminationGracePeriodSeconds %v", time.Since(sent).Round(time.Millisecond), grace)
}

// dockerfileBuildsFromVendor runs `go mod vendor` in mod, removes clone
// (the directory go.mod's replace names, which a Docker build context does
// not hold), and runs the RUN lines of the Dockerfile's build stage in mod as
// the stage runs them after COPY . ., with GOPROXY=off and an empty module
// cache, so that only vendor/ can supply the modules. GOFLAGS is empty, as
// in the image: the go command must pick vendor/ itself (GOFLAGS=-mod=vendor
// would also hide a `go mod download` that fails in the image). The grpc-health-probe install of exec probes needs the
// network and is left out.
func dockerfileBuildsFromVendor(t *testing.T, mod, dockerfile, clone string) {
	t.Helper()
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if r := runCmd(goTimeout, mod, env, "go", "mod", "vendor"); r.code != 0 {
		t.Fatalf("go mod vendor: exit %d\n%s", r.code, r.out)
	}
	if err := os.Remove(clone); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	env = append(os.Environ(), "GOWORK=off", "GOFLAGS=", "GOPROXY=off", "GOMODCACHE="+t.TempDir())
	for _, run := range dockerfileBuildRuns(t, dockerfile) {
		if strings.Contains(run, "go install") {
			continue
		}
		run = strings.ReplaceAll(run, "/out/", out+"/")
		if r := runCmd(goTimeout, mod, env, "sh", "-c", run); r.code != 0 {
			t.Fatalf("from vendor/: %s: exit %d\n%s", run, r.code, r.out)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "server")); err != nil {
		t.Fatalf("the build stage built no server from vendor/: %v", err)
	}
}

// dockerfileGoBuild returns the shell command of the build stage's RUN that
// runs go build.
func dockerfileGoBuild(t testing.TB, path string) string {
	t.Helper()
	var builds []string
	for _, run := range dockerfileBuildRuns(t, path) {
		if strings.Contains(run, "go build") {
			builds = append(builds, run)
		}
	}
	if len(builds) != 1 {
		t.Fatalf("%s: %d RUN lines with go build, want 1: %q", path, len(builds), builds)
	}
	return builds[0]
}

// dockerfileBuildRuns parses a Dockerfile with BuildKit's parser and returns
// the shell commands of its first (build) stage's RUN lines, in order.
func dockerfileBuildRuns(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(stages) == 0 {
		t.Fatalf("%s: no stage", path)
	}
	var runs []string
	for _, c := range stages[0].Commands {
		if run, ok := c.(*instructions.RunCommand); ok && run.PrependShell {
			runs = append(runs, strings.Join(run.CmdLine, " "))
		}
	}
	return runs
}

// readDeployment decodes a deployment.yaml strictly.
func readDeployment(t testing.TB, path string) *appsv1.Deployment {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := &appsv1.Deployment{}
	if err := yaml.UnmarshalStrict(b, d); err != nil {
		t.Fatalf("%s does not decode strictly into a Deployment: %v", path, err)
	}
	if n := len(d.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%s: %d containers, want 1", path, n)
	}
	return d
}

// freePort returns a loopback port the kernel just handed out and released.
func freePort(t testing.TB) int32 {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer lis.Close()
	return int32(lis.Addr().(*net.TCPAddr).Port)
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
