package e2e

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// TestHandWrittenMainAcceptsDeploymentArgs: the helloworld example's
// hand-written main, which takes its flags from healthflags.Define, runs with
// exactly the args of the Deployment the scaffold generates for it (on two
// free ports the kernel handed out, as port= and health_port=), listening
// where they say and answering its probes.
func TestHandWrittenMainAcceptsDeploymentArgs(t *testing.T) {
	t.Parallel()
	port, healthPort := freePort(t), freePort(t)
	files := generateHelloworld(t, fmt.Sprintf("emit=k8s,scaffold=true,port=%d,health_port=%d,drain_seconds=0,stop_seconds=2", port, healthPort))
	d := &appsv1.Deployment{}
	if err := yaml.UnmarshalStrict([]byte(files["helloworld-greeter/deployment.yaml"]), d); err != nil {
		t.Fatalf("deployment.yaml: %v", err)
	}
	c := d.Spec.Template.Spec.Containers[0]
	s := startServer(t, exampleNamed(t, "helloworld"), c.Args...)
	if portOf(t, s.Addr) != port || portOf(t, s.HealthAddr) != healthPort {
		t.Fatalf("serving on %s and %s with args %q, want ports %d and %d", s.Addr, s.HealthAddr, c.Args, port, healthPort)
	}
	ports := map[int32]int32{port: port, healthPort: healthPort}
	for _, p := range []*corev1.Probe{c.StartupProbe, c.LivenessProbe, c.ReadinessProbe} {
		eventually(t, startTimeout, "probe passes", func() (bool, string) {
			r := kubeletProbe(t, p, ports)
			return r.ok, r.String()
		})
	}
	s.sigterm()
	if code := s.wait(exitTimeout); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
}
