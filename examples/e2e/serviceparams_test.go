package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/yaml"

	"github.com/protoc-gen-health/protoc-gen-health/internal/probepatch"
)

// TestServiceParamsThroughBufAndProtoc: per-service parameters reach the
// plugin whole through buf's opt: list and protoc's --health_opt, whose
// values both tools join with commas and protogen splits again.
func TestServiceParamsThroughBufAndProtoc(t *testing.T) {
	t.Parallel()
	ex := exampleNamed(t, "helloworld")
	opts := []string{
		"emit=k8s",
		"names=services",
		"service.helloworld.Greeter.workload=greeter",
		"service.helloworld.Greeter.port=7070",
		"service.helloworld.Greeter.kind=StatefulSet",
		"service.helloworld.Greeter.container=app",
	}
	template := filepath.Join(t.TempDir(), "buf.gen.yaml")
	bufOut := t.TempDir()
	gen := "version: v2\ninputs:\n  - directory: proto\nplugins:\n  - local: protoc-gen-health\n    out: " + bufOut +
		"\n    strategy: all\n    opt:\n      - " + strings.Join(opts, "\n      - ") + "\n"
	if err := os.WriteFile(template, []byte(gen), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, ex.dir(), tool(t, "buf"), "generate", "--template", template)

	protocOut := t.TempDir()
	mustRun(t, root, "protoc", "-I", filepath.Join("examples", "helloworld", "proto"), "-I", "proto",
		"--health_opt="+strings.Join(opts, ","), "--health_out="+protocOut, "helloworld/helloworld.proto")

	for tool, out := range map[string]string{"buf": bufOut, "protoc": protocOut} {
		data, err := os.ReadFile(filepath.Join(out, "greeter", "probes.yaml"))
		if err != nil {
			t.Errorf("%s: %v", tool, err)
			continue
		}
		if data, err = probepatch.StripReplace(data); err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		var s appsv1.StatefulSet
		if err := yaml.UnmarshalStrict(data, &s); err != nil || s.Kind != "StatefulSet" || s.Name != "greeter" {
			t.Fatalf("%s: greeter/probes.yaml is not StatefulSet greeter (%v):\n%s", tool, err, data)
		}
		c := s.Spec.Template.Spec.Containers[0]
		if c.Name != "app" || c.ReadinessProbe.GRPC == nil || c.ReadinessProbe.GRPC.Port != 7070 ||
			*c.ReadinessProbe.GRPC.Service != "helloworld.Greeter" || *c.LivenessProbe.GRPC.Service != "" {
			t.Errorf("%s: container %q, probes %+v %+v: want container app probed on 7070, readiness helloworld.Greeter, liveness \"\"",
				tool, c.Name, c.ReadinessProbe, c.LivenessProbe)
		}
	}
}
