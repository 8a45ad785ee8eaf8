package gen

import (
	"fmt"
	"go/ast"
	"go/format"
	goparser "go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// grpcHealthProbeModule is what the scaffold's build stage installs.
const grpcHealthProbeModule = "github.com/grpc-ecosystem/grpc-health-probe@v0.4.62"

// scaffoldWant is what a scaffold must agree with besides its probes.
type scaffoldWant struct {
	drain, stop int64 // the server's drain and stop seconds
}

// checkScaffold checks a scaffold workload as a whole: the pod passes the
// restricted Pod Security Standard, the grace period covers drain and stop,
// the Service reaches the pods' grpc port, and the Dockerfile parses and
// agrees with the manifests.
func checkScaffold(t testing.TB, w *workloadOut, want scaffoldWant) {
	t.Helper()
	d, svc := w.deployment, w.service
	if d == nil || svc == nil || w.dockerfile == "" {
		t.Errorf("%s: scaffold lacks its Deployment, Service or Dockerfile", w.name)
		return
	}
	pod := &d.Spec.Template

	evaluator, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range evaluator.EvaluatePod(psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()}, &pod.ObjectMeta, &pod.Spec) {
		if !r.Allowed {
			t.Errorf("%s: pod is not restricted: %s: %s", w.name, r.ForbiddenReason, r.ForbiddenDetail)
		}
	}

	if g := pod.Spec.TerminationGracePeriodSeconds; g == nil || *g <= want.drain+want.stop {
		t.Errorf("%s: terminationGracePeriodSeconds %v does not cover drain %ds + stop %ds", w.name, g, want.drain, want.stop)
	}

	podLabels := labels.Set(pod.Labels)
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("%s: Service selector %v does not select the pod labels %v", w.name, svc.Spec.Selector, pod.Labels)
	}
	if sel := d.Spec.Selector; sel == nil || !labels.SelectorFromSet(sel.MatchLabels).Matches(podLabels) || len(sel.MatchExpressions) > 0 {
		t.Errorf("%s: Deployment selector %v does not select its pod labels %v", w.name, sel, pod.Labels)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", w.name, len(pod.Spec.Containers))
	}
	c := &pod.Spec.Containers[0]
	grpcPort := int32(0)
	for _, p := range c.Ports {
		if p.Name == "grpc" {
			grpcPort = p.ContainerPort
		}
	}
	if len(svc.Spec.Ports) != 1 {
		t.Errorf("%s: Service has %d ports, want 1", w.name, len(svc.Spec.Ports))
	}
	for _, p := range svc.Spec.Ports {
		if p.TargetPort != intstr.FromString("grpc") || grpcPort == 0 || p.Port != grpcPort || p.Name != "grpc" {
			t.Errorf("%s: Service port %+v does not target the container's grpc port %d", w.name, p, grpcPort)
		}
	}
	if c.Image == "" {
		t.Errorf("%s: container has no image", w.name)
	}

	checkDockerfile(t, w.name, w.dockerfile, &pod.Spec, c)
	checkScaffoldMain(t, w)
}

// scaffoldMainWorkload reports whether name is a scaffold's
// cmd/<workload>/main.go, and its workload.
func scaffoldMainWorkload(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "cmd/")
	if !ok {
		return "", false
	}
	workload, ok := strings.CutSuffix(rest, "/main.go")
	return workload, ok && !strings.Contains(workload, "/")
}

// checkScaffoldMain checks a scaffold's main.go: it is gofmt'd Go of
// package main, in the directory the Dockerfile builds, with no "DO NOT
// EDIT" header (the user owns it), and registers every service of the
// workload on both the gRPC server and the registry. Examples' scaffold
// test builds and runs it.
func checkScaffoldMain(t testing.TB, w *workloadOut) {
	t.Helper()
	if w.main == "" {
		t.Errorf("%s: scaffold lacks cmd/%s/main.go", w.name, w.name)
		return
	}
	if formatted, err := format.Source([]byte(w.main)); err != nil || string(formatted) != w.main {
		t.Errorf("cmd/%s/main.go is not gofmt'd Go (%v):\n%s", w.name, err, w.main)
	}
	f, err := goparser.ParseFile(token.NewFileSet(), "main.go", w.main, goparser.ParseComments)
	if err != nil {
		t.Errorf("cmd/%s/main.go: %v", w.name, err)
		return
	}
	if f.Name.Name != "main" || ast.IsGenerated(f) {
		t.Errorf("cmd/%s/main.go: package %s, generated %v; want package main that the user owns", w.name, f.Name.Name, ast.IsGenerated(f))
	}
	if want := "RUN CGO_ENABLED=0 go build -trimpath -o /out/server ./cmd/" + w.name + "\n"; !strings.Contains(w.dockerfile, want) {
		t.Errorf("%s/Dockerfile does not build ./cmd/%s:\n%s", w.name, w.name, w.dockerfile)
	}
	// One type embeds every service's Unimplemented server, and main passes
	// it to the workload's registration function, once.
	embedded := map[string]bool{}
	names := map[string]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		names[sel.Sel.Name]++
		if svc, ok := strings.CutPrefix(sel.Sel.Name, "Unimplemented"); ok {
			embedded[strings.TrimSuffix(svc, "Server")] = true
		}
		return true
	})
	for _, fn := range []string{"Define", "Parse", "New", "NewServer", "RegisterHealthService", "ListenAndServe"} {
		if names[fn] != 1 {
			t.Errorf("cmd/%s/main.go uses %s %d times, want once:\n%s", w.name, fn, names[fn], w.main)
		}
	}
	if register := registerFuncName(w.name); len(embedded) == 0 || names[register] != 1 {
		t.Errorf("cmd/%s/main.go embeds %v and calls %s %d times, want the services' Unimplemented servers and one call:\n%s", w.name, embedded, register, names[register], w.main)
	}
}

// checkDockerfile parses a scaffold's Dockerfile with BuildKit's own parser
// and checks that it agrees with the pod it runs in.
func checkDockerfile(t testing.TB, name, dockerfile string, pod *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	res, err := parser.Parse(strings.NewReader(dockerfile))
	if err != nil {
		t.Errorf("%s/Dockerfile: %v\n%s", name, err, dockerfile)
		return
	}
	for _, w := range res.Warnings {
		t.Errorf("%s/Dockerfile: parser warning: %s", name, w.Short)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, desc, url, msg string, _ []parser.Range) {
		t.Errorf("%s/Dockerfile: lint %s: %s", name, rule, msg)
	}})
	stages, metaArgs, err := instructions.Parse(res.AST, lint)
	if err != nil {
		t.Errorf("%s/Dockerfile: %v\n%s", name, err, dockerfile)
		return
	}
	if len(stages) != 2 || len(metaArgs) != 0 || stages[0].Name != "build" {
		t.Errorf("%s/Dockerfile: want a build stage and a final stage, got %d stages:\n%s", name, len(stages), dockerfile)
		return
	}
	build, final := stages[0], stages[1]

	// What the final stage copies from the build stage, by destination, and
	// its USER, EXPOSE and ENTRYPOINT.
	copied := map[string]string{}
	var users []string
	exposed := map[string]bool{}
	var entrypoint []string
	for _, cmd := range final.Commands {
		switch cmd := cmd.(type) {
		case *instructions.CopyCommand:
			if cmd.From != "build" || len(cmd.SourcePaths) != 1 {
				t.Errorf("%s/Dockerfile: unexpected %s", name, cmd)
				continue
			}
			copied[cmd.DestPath] = cmd.SourcePaths[0]
		case *instructions.UserCommand:
			users = append(users, cmd.User)
		case *instructions.ExposeCommand:
			for _, p := range cmd.Ports {
				exposed[p] = true
			}
		case *instructions.EntrypointCommand:
			if cmd.PrependShell {
				t.Errorf("%s/Dockerfile: ENTRYPOINT in shell form", name)
			}
			entrypoint = cmd.CmdLine
		}
	}

	// USER is numeric and is the pod's user and group.
	ctx := pod.SecurityContext
	if len(users) != 1 || ctx == nil || ctx.RunAsUser == nil || ctx.RunAsGroup == nil ||
		users[0] != fmt.Sprintf("%d:%d", *ctx.RunAsUser, *ctx.RunAsGroup) {
		t.Errorf("%s/Dockerfile: USER %v, pod security context %+v", name, users, ctx)
	}
	if cs := c.SecurityContext; cs != nil && (cs.RunAsUser != nil || cs.RunAsGroup != nil) {
		t.Errorf("%s: the container overrides the pod's user", name)
	}
	// Every container port is exposed.
	for _, p := range c.Ports {
		if !exposed[strconv.Itoa(int(p.ContainerPort))] && !exposed[fmt.Sprintf("%d/tcp", p.ContainerPort)] {
			t.Errorf("%s/Dockerfile: EXPOSE %v lacks container port %d", name, exposed, p.ContainerPort)
		}
	}
	if len(entrypoint) != 1 || copied[entrypoint[0]] == "" || len(c.Command) > 0 {
		t.Errorf("%s/Dockerfile: ENTRYPOINT %v is not the server the build stage built (copied: %v)", name, entrypoint, copied)
	}

	// For exec probes the final stage puts grpc_health_probe where the probes
	// run it, from where the build stage's go install wrote it.
	var probeBins []string
	for _, kp := range probesOf(c) {
		if kp.probe != nil && kp.probe.Exec != nil {
			probeBins = append(probeBins, kp.probe.Exec.Command[0])
		}
	}
	var runs []string
	for _, cmd := range build.Commands {
		if r, ok := cmd.(*instructions.RunCommand); ok {
			runs = append(runs, strings.Join(r.CmdLine, " "))
		}
	}
	var install string
	for _, r := range runs {
		if strings.Contains(r, "grpc-health-probe") {
			install = r
		}
	}
	if len(probeBins) == 0 {
		if install != "" || len(copied) != 1 {
			t.Errorf("%s/Dockerfile: grpc probes but the image installs grpc_health_probe: %v", name, copied)
		}
		return
	}
	for _, bin := range probeBins {
		src, ok := copied[bin]
		if !ok {
			t.Errorf("%s/Dockerfile: probes run %q, which the final stage does not COPY to (it copies to %v)", name, bin, copied)
			continue
		}
		fields := strings.Fields(install)
		if !hasString(fields, "install") || !hasString(fields, grpcHealthProbeModule) || !hasString(fields, "GOBIN="+path.Dir(src)) ||
			path.Base(src) != "grpc-health-probe" || !hasString(fields, "CGO_ENABLED=0") {
			t.Errorf("%s/Dockerfile: the build stage does not go install %s into %s: %q", name, grpcHealthProbeModule, src, runs)
		}
	}
}

func TestScaffold(t *testing.T) {
	tests := []struct {
		name   string
		params string
		want   scaffoldWant
	}{
		{"defaults", "", scaffoldWant{drain: 5, stop: 15}},
		{"exec", "probe=exec", scaffoldWant{drain: 5, stop: 15}},
		{"exec elsewhere", "probe=exec,probe_bin=/usr/local/bin/grpc_health_probe,health_port=8081,container=api", scaffoldWant{drain: 5, stop: 15}},
		{"drain and stop", "drain_seconds=0,stop_seconds=1,image=example.com/x@sha256:0123", scaffoldWant{drain: 0, stop: 1}},
		{"long drain", "drain_seconds=2147483647,stop_seconds=2147483647,port=1", scaffoldWant{drain: 1<<31 - 1, stop: 1<<31 - 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			params := "emit=k8s,scaffold=true"
			if tt.params != "" {
				params += "," + tt.params
			}
			files := runPlugin(t, requestFor(t, params, greeterProto, shopProto))
			workloads := decodeManifests(t, files)
			if len(workloads) != 3 {
				t.Fatalf("%d workloads, want 3", len(workloads))
			}
			for _, w := range workloads {
				checkScaffold(t, w, tt.want)
			}
		})
	}
}

// scaffoldWantOf reads drain_seconds= and stop_seconds= from a parameter.
func scaffoldWantOf(params string) scaffoldWant {
	w := scaffoldWant{drain: 5, stop: 15}
	for _, kv := range strings.Split(params, ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case err != nil:
		case k == sDrainSeconds.name:
			w.drain = n
		case k == sStopSeconds.name:
			w.stop = n
		}
	}
	return w
}

// TestScaffoldCases checks the scaffolds of the manifest matrix.
func TestScaffoldCases(t *testing.T) {
	for _, c := range k8sCases() {
		if !strings.Contains(c.params, "scaffold=true") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			_, workloads := generateCase(t, c, "emit=k8s")
			for _, w := range workloads {
				checkScaffold(t, w, scaffoldWantOf(c.params))
			}
		})
	}
}

// errorRecorder is a testing.TB that records Errorf instead of failing.
type errorRecorder struct {
	testing.TB
	errs []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCheckDockerfileCatches: the Dockerfile checks are not vacuous; each
// disagreement with the manifests is reported.
func TestCheckDockerfileCatches(t *testing.T) {
	files := runPlugin(t, requestFor(t, "emit=k8s,scaffold=true,probe=exec,health_port=8081", greeterProto))
	w := decodeManifests(t, files)["helloworld-greeter"]
	pod := &w.deployment.Spec.Template.Spec
	for _, tt := range []struct{ old, new, want string }{
		{"USER 65532:65532", "USER 1000:1000", "USER"},
		{"USER 65532:65532", "USER nonroot", "USER"},
		{"EXPOSE 8081\n", "", "lacks container port 8081"},
		{"/bin/grpc_health_probe\n", "/usr/bin/grpc_health_probe\n", "does not COPY to"},
		{"@v0.4.62", "@latest", "does not go install"},
		{"GOBIN=/out", "GOBIN=/bin", "does not go install"},
		{`ENTRYPOINT ["/server"]`, "ENTRYPOINT /server", "shell form"},
	} {
		if !strings.Contains(w.dockerfile, tt.old) {
			t.Fatalf("Dockerfile lacks %q:\n%s", tt.old, w.dockerfile)
		}
		r := &errorRecorder{TB: t}
		checkDockerfile(r, w.name, strings.Replace(w.dockerfile, tt.old, tt.new, 1), pod, &pod.Containers[0])
		if !strings.Contains(strings.Join(r.errs, "\n"), tt.want) {
			t.Errorf("replacing %q with %q: errors %q, want one about %q", tt.old, tt.new, r.errs, tt.want)
		}
	}
	r := &errorRecorder{TB: t}
	checkDockerfile(r, w.name, w.dockerfile, pod, &pod.Containers[0])
	if len(r.errs) > 0 {
		t.Errorf("the generated Dockerfile: %q", r.errs)
	}
}

// TestGeneratedMarker checks every golden output (TestGolden holds them to
// the plugin's): the files scaffold=true writes once for the user to edit
// carry no generated marker, which Go's tooling and linters read as "skip,
// regenerated", and name where they came from; every other file, which
// each run rewrites, carries one.
func TestGeneratedMarker(t *testing.T) {
	owned, regenerated := 0, 0
	for _, tc := range goldenCases {
		dir := filepath.Join("testdata", tc.name)
		param, err := os.ReadFile(filepath.Join(dir, "params.txt"))
		if err != nil {
			t.Fatal(err)
		}
		scaffold := strings.Contains(string(param), "scaffold=true")
		for name, content := range readGolden(t, filepath.Join(dir, "want")) {
			marked := generatedMarker.MatchString(content)
			switch {
			case name == errorFile:
			case !userOwned(scaffold, name):
				regenerated++
				if !marked {
					t.Errorf("%s: %s is regenerated every run but carries no generated marker:\n%s", tc.name, name, content)
				}
			case marked:
				t.Errorf("%s: %s is the user's to edit but marked generated:\n%s", tc.name, name, content)
			case !strings.Contains(content, "scaffold=true") || !strings.Contains(content, "to edit"):
				t.Errorf("%s: %s does not say it was scaffolded for the user to edit:\n%s", tc.name, name, content)
			default:
				owned++
			}
		}
	}
	// 4 scaffold cases of 5 files each, and helm_scaffold's main, Dockerfile and
	// chart's 4 files; the rest are the other cases' files.
	if owned != 26 || regenerated < 100 {
		t.Errorf("%d files the user owns, %d regenerated: want 26 and at least 100 (golden cases lost?)", owned, regenerated)
	}
}
