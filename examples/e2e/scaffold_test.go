package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
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
// alone: protoc with the plugins in bin/ writes the Go (with the workload's
// registration function, emit=register) and, in the scaffold's
// one-shot run, cmd/shop/main.go, the Deployment and the Dockerfile into a
// fresh module whose go.mod replaces healthreg with a clone, as the README's
// quickstart does before the runtime is published. The image is built as
// the README says, after go mod vendor, with the clone gone (it is outside
// the build context): dockerBuild copies the context as the Dockerfile's
// COPY lines say and runs its build stage's RUN lines there, with no module
// cache and no proxy; without vendor/ the same build fails on the replace
// path. The binary runs with exactly the Deployment's args and env; every
// probe of the Deployment passes as the kubelet runs it; SIGTERM fails
// readiness at once and the process exits 0 within
// terminationGracePeriodSeconds.
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
	mod, clone := t.TempDir(), filepath.Join(t.TempDir(), "healthreg")
	if err := os.CopyFS(clone, os.DirFS(filepath.Join(root, "healthreg"))); err != nil {
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
		"--health_out=gen", "--health_opt=paths=source_relative,emit=go,emit=register,workload=shop",
		"shop/v1/shop.proto")
	// The scaffold, once, into the module root.
	mustRun(t, mod, protoc, "-I", "proto", "--health_out=.",
		fmt.Sprintf("--health_opt=emit=k8s,scaffold=true,workload=shop,port=%d,health_port=%d,drain_seconds=1,stop_seconds=3", port, healthPort),
		"shop/v1/shop.proto")
	goEnv := append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if r := runCmd(goTimeout, mod, goEnv, "go", "mod", "tidy"); r.code != 0 {
		t.Fatalf("go mod tidy: exit %d\n%s", r.code, r.out)
	}

	// The README's way to build the image before the runtime is published.
	if r := runCmd(goTimeout, mod, append(os.Environ(), "GOWORK=off", "GOFLAGS="), "go", "mod", "vendor"); r.code != 0 {
		t.Fatalf("go mod vendor: exit %d\n%s", r.code, r.out)
	}
	if err := os.RemoveAll(clone); err != nil { // the image never sees it
		t.Fatal(err)
	}
	dockerfile := filepath.Join(mod, "shop/Dockerfile")
	image, r := dockerBuild(t, dockerfile, mod, "GOPROXY=off", "GOMODCACHE="+t.TempDir())
	if r.code != 0 {
		t.Fatalf("the Dockerfile's build stage with vendor/: exit %d\n%s", r.code, r.out)
	}
	if err := os.RemoveAll(filepath.Join(mod, "vendor")); err != nil {
		t.Fatal(err)
	}
	if _, r := dockerBuild(t, dockerfile, mod); r.code == 0 || !strings.Contains(r.out, clone+"/go.mod: no such file") {
		t.Errorf("the build stage without vendor/: exit %d, want a failure on the replace path %s:\n%s", r.code, clone, r.out)
	}

	d := readDeployment(t, filepath.Join(mod, "shop/deployment.yaml"))
	c := d.Spec.Template.Spec.Containers[0]
	if len(c.Command) != 0 {
		t.Fatalf("the container overrides the image's entrypoint: %q", c.Command)
	}
	cmd := exec.Command(filepath.Join(image, "out/server"), c.Args...)
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

// newScaffoldModule writes a fresh module example.com/shop with proto as
// proto/shop/v1/shop.proto, healthreg replaced by the local copy, and an
// empty gen/ for protoc.
func newScaffoldModule(t testing.TB, proto string) string {
	t.Helper()
	mod := t.TempDir()
	writeFile(t, filepath.Join(mod, "proto/shop/v1/shop.proto"), proto)
	writeFile(t, filepath.Join(mod, "go.mod"), fmt.Sprintf(`module example.com/shop

go 1.26.8

require github.com/protoc-gen-health/protoc-gen-health/healthreg v0.0.0-00010101000000-000000000000

replace github.com/protoc-gen-health/protoc-gen-health/healthreg => %s
`, filepath.Join(root, "healthreg")))

	if err := os.Mkdir(filepath.Join(mod, "gen"), 0o755); err != nil { // protoc writes only into directories that exist
		t.Fatal(err)
	}
	return mod
}

// dockerBuild emulates docker build of the build stage of dockerfile (the
// first, parsed with BuildKit's parser) with context as its build context:
// it copies the context into a directory standing for the image's root as
// the stage's COPY lines say, and runs its RUN lines there in their
// WORKDIR, with absolute paths under that root and env added to the
// environment (no GOFLAGS: the image sets none). It returns the root and
// the first failing RUN's result, or the last's.
func dockerBuild(t testing.TB, dockerfile, context string, env ...string) (string, cmdResult) {
	t.Helper()
	f, err := os.Open(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", dockerfile, err)
	}
	stages, _, err := instructions.Parse(res.AST, nil)
	if err != nil || len(stages) == 0 {
		t.Fatalf("%s: %d stages, %v", dockerfile, len(stages), err)
	}
	image, workdir := t.TempDir(), "/"
	env = append(os.Environ(), append([]string{"GOWORK=off", "GOFLAGS=", "GOTOOLCHAIN=local"}, env...)...)
	var r cmdResult
	for _, c := range stages[0].Commands {
		switch c := c.(type) {
		case *instructions.WorkdirCommand:
			workdir = path.Join(workdir, c.Path)
		case *instructions.CopyCommand:
			if c.From != "" {
				t.Fatalf("%s: COPY --from=%s in the build stage", dockerfile, c.From)
			}
			dest := path.Join(workdir, c.DestPath)
			for _, src := range c.SourcePaths {
				copyContext(t, filepath.Join(context, src), filepath.Join(image, dest), len(c.SourcePaths) > 1 || strings.HasSuffix(c.DestPath, "/"))
			}
		case *instructions.RunCommand:
			if !c.PrependShell {
				t.Fatalf("%s: RUN in exec form: %q", dockerfile, c.CmdLine)
			}
			dir := filepath.Join(image, workdir)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			line := strings.Join(c.CmdLine, " ")
			line = strings.ReplaceAll(line, " /out/", " "+image+"/out/")
			if r = runCmd(goTimeout, dir, env, "sh", "-c", line); r.code != 0 {
				r.out = line + "\n" + r.out
				return image, r
			}
		}
	}
	return image, r
}

// copyContext copies src of the build context to dest in the image as COPY
// does: a directory's contents into dest, a file to dest, or into it when
// dest is a directory.
func copyContext(t testing.TB, src, dest string, intoDir bool) {
	t.Helper()
	st, err := os.Stat(src)
	if err != nil {
		t.Fatalf("COPY %s: %v", src, err)
	}
	if st.IsDir() {
		if err := os.CopyFS(dest, os.DirFS(src)); err != nil {
			t.Fatalf("COPY %s: %v", src, err)
		}
		return
	}
	if intoDir {
		dest = filepath.Join(dest, filepath.Base(src))
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dest, string(b))
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
