package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/protoc-gen-health/protoc-gen-health/examples/internal/proctest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/probepatch"
)

// pythonBin is Debian's Python, which has Debian's python3-grpcio and
// python3-grpc-tools (make test and .ci/run install them); the PATH's
// python3 may be another one without them.
const pythonBin = "/usr/bin/python3"

// readmeNames is what docs/polyglot.md's "Servers without healthreg" tells
// a server to register in each naming mode, for a workload of services.
// It is written out here, not computed with internal/contract, so that the
// test holds the generator's probes to the docs' word.
func readmeNames(mode contract.NamesMode, services []string) []string {
	switch mode {
	case contract.NamesHealthreg:
		return append([]string{"liveness", "readiness"}, services...)
	case contract.NamesServices:
		return append([]string{""}, services...)
	case contract.NamesOverall:
		return []string{""}
	}
	panic("unknown naming mode " + mode)
}

// plainServer starts a health server that is not healthreg, registering
// names as SERVING, and returns its address.
type plainServer struct {
	name  string
	start func(t *testing.T, names []string) string
}

// TestPlainServersPassGeneratedProbes: for every naming mode and probe
// style, each probe the generator writes passes against a server that does
// not run healthreg (grpc-go's own health server as the tutorials write it,
// and Python's HealthServicer) registering exactly the names docs/polyglot.md
// lists for the mode, run as the kubelet runs it; and the same probe asking
// a name one letter off fails with NOT_FOUND, so the pass is the name's doing.
func TestPlainServersPassGeneratedProbes(t *testing.T) {
	stubs := pythonHealthStubs(t)
	servers := []plainServer{{"grpc-go", startGoHealthServer}, {"python", func(t *testing.T, names []string) string {
		return startPythonHealthServer(t, stubs, names)
	}}}
	workloads := []struct {
		example  string
		files    []string
		services []string
	}{
		{"helloworld", []string{"helloworld/helloworld.proto"}, []string{"helloworld.Greeter"}},
		{"multi", []string{"shop/v1/cart.proto", "shop/v1/catalog.proto"}, []string{"shop.v1.CartService", "shop.v1.CatalogService"}},
	}
	for _, mode := range contract.NamesModes {
		for _, w := range workloads {
			if mode == contract.NamesServices && len(w.services) > 1 {
				continue // refused: a readiness probe asks one name (gen's TestErrorNamesServicesSeveralServices)
			}
			ex := exampleNamed(t, w.example)
			names := readmeNames(mode, w.services)
			for _, srv := range servers {
				t.Run(string(mode)+"/"+w.example+"/"+srv.name, func(t *testing.T) {
					addr := srv.start(t, names)
					checkWatch(t, addr, names)
					port := portOf(t, addr)
					ports := map[int32]int32{ex.appPort: port}
					if ex.healthPort != 0 {
						ports[ex.healthPort] = port
					}
					for _, style := range []string{"grpc", "exec"} {
						param := "emit=k8s,workload=app,names=" + string(mode) + ",probe=" + style
						for kind, p := range generatedProbes(t, ex, w.files, param) {
							where := style + " " + kind
							asked := targetOf(t, p).Service
							if !containsName(names, asked) {
								t.Errorf("%s: asks %q, which docs/polyglot.md does not tell a %s server to register (%q)", where, asked, mode, names)
							}
							if r := kubeletProbe(t, p, ports); !r.ok {
								t.Errorf("%s: failed against a server registering %q: %v", where, names, r)
							}
							off := oneLetterOff(asked)
							if r := kubeletProbe(t, withService(t, p, off), ports); r.ok || !r.notFound() {
								t.Errorf("%s: asking %q instead of %q: %v, want NOT_FOUND", where, off, asked, r)
							}
						}
					}
				})
			}
		}
	}
}

// checkWatch holds the server to the health protocol's Watch: the first
// message is the name's status, SERVING for a registered name and
// SERVICE_UNKNOWN (not an error) for any other.
func checkWatch(t *testing.T, addr string, names []string) {
	t.Helper()
	cc := dial(t, addr)
	for name, want := range map[string]healthpb.HealthCheckResponse_ServingStatus{
		names[len(names)-1]:               healthpb.HealthCheckResponse_SERVING,
		oneLetterOff(names[len(names)-1]): healthpb.HealthCheckResponse_SERVICE_UNKNOWN,
	} {
		ctx, cancel := context.WithTimeout(context.Background(), rpcTimeout)
		stream, err := healthpb.NewHealthClient(cc).Watch(ctx, &healthpb.HealthCheckRequest{Service: name})
		var got *healthpb.HealthCheckResponse
		if err == nil {
			got, err = stream.Recv()
		}
		cancel()
		if err != nil || got.GetStatus() != want {
			t.Errorf("Watch(%q): %v, %v; want %v", name, got.GetStatus(), err, want)
		}
	}
}

func containsName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// generatedProbes runs the generator on files of ex with param and returns
// the one workload's probes by kind (multi's files name their workload).
func generatedProbes(t *testing.T, ex example, files []string, param string) map[string]*corev1.Probe {
	t.Helper()
	return componentProbes(t, generateFiles(t, ex, files, param), param)
}

// componentProbes returns the probes of the one workload's probes.yaml
// among files, which param generated.
func componentProbes(t *testing.T, files map[string]string, param string) map[string]*corev1.Probe {
	t.Helper()
	var d appsv1.Deployment
	for name, content := range files {
		if !strings.HasSuffix(name, "/probes.yaml") {
			continue
		}
		data, err := probepatch.StripReplace([]byte(content))
		if err == nil {
			err = yaml.UnmarshalStrict(data, &d)
		}
		if err != nil {
			t.Fatalf("%s: %s: %v", param, name, err)
		}
	}
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: not one probes.yaml with one container", param)
	}
	c := d.Spec.Template.Spec.Containers[0]
	return map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe}
}

// startGoHealthServer serves grpc-go's own health server the way the
// tutorials and the Kubernetes gRPC-probe guides write it.
func startGoHealthServer(t *testing.T, names []string) string {
	lis := listen(t)
	s := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(s, hs)
	for _, name := range names {
		hs.SetServingStatus(name, healthpb.HealthCheckResponse_SERVING)
	}
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// plainServersDir holds the Python server and grpc's health.proto.
func plainServersDir() string {
	return filepath.Join(root, "examples", "e2e", "testdata", "plainservers")
}

// pythonHealthStubs generates the Python health stubs from grpc's
// health.proto with grpc_tools into a temporary directory. Without Debian's
// python3-grpcio and python3-grpc-tools the test fails: make test installs
// them.
func pythonHealthStubs(t *testing.T) string {
	t.Helper()
	src := plainServersDir()
	stubs := t.TempDir()
	proto, err := os.ReadFile(filepath.Join(src, "health.proto"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stubs, "health.proto"), proto, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCmd(cmdTimeout, stubs, nil, pythonBin, "-m", "grpc_tools.protoc", "-I.", "--python_out=.", "--grpc_python_out=.", "health.proto"); r.code != 0 {
		t.Fatalf("generating the Python health stubs (install Debian's python3-grpcio and python3-grpc-tools; make test does): exit %d\n%s", r.code, r.out)
	}
	return stubs
}

// startPythonHealthServer runs testdata/plainservers's Python server over
// the stubs in stubs.
func startPythonHealthServer(t *testing.T, stubs string, names []string, env ...string) string {
	t.Helper()
	src := plainServersDir()
	cmd := exec.Command(pythonBin, append([]string{filepath.Join(src, "health_server.py"), stubs}, names...)...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr proctest.LockedBuffer // exec's goroutine writes it while a failure reads it
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", pythonBin, err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		stdin.Close() // the server stops when its input ends
		select {
		case <-exited:
		case <-time.After(exitTimeout):
			cmd.Process.Kill()
			<-exited
			t.Errorf("the Python server did not exit when its input closed")
		}
	})
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		line <- strings.TrimSpace(s.Text())
		for s.Scan() { // drain, so the server never blocks on a full pipe
		}
		exited <- cmd.Wait()
	}()
	select {
	case port := <-line:
		if _, err := strconv.Atoi(port); err != nil {
			t.Fatalf("the Python server printed %q, not its port; stderr:\n%s", port, stderr.String())
		}
		return "127.0.0.1:" + port
	case <-time.After(startTimeout):
		t.Fatalf("the Python server printed no port within %v; stderr:\n%s", startTimeout, stderr.String())
	}
	return ""
}
