package proberules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// TestProbeForms: every form of a gRPC health probe seen in real manifests,
// with the exact findings or their absence.
func TestProbeForms(t *testing.T) {
	fit := func(p *corev1.Probe) *corev1.Probe { p.TimeoutSeconds = 3; return p }
	env := []corev1.EnvVar{
		{Name: "PORT", Value: "8080"},
		{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
		{Name: "pod-ip", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}}, // '-' is valid in an env name
	}
	tests := []struct {
		name  string
		kind  contract.Kind
		p     *corev1.Probe
		names contract.NamesMode
		want  []Finding
		port  int32 // the target's port
	}{
		{name: "unix socket", kind: contract.Readiness, p: fit(execProbe("grpc_health_probe", "-addr=unix:///var/run/app.sock"))},
		{name: "unix socket without path", kind: contract.Readiness, p: fit(execProbe("grpc_health_probe", "-addr=unix://")),
			want: []Finding{errorAt("exec.command", `-addr "unix://": names no socket: write unix:///path/to/socket`)}},
		{name: "dns target", kind: contract.Readiness, p: fit(execProbe("grpc_health_probe", "-addr=dns:///localhost:50051")), port: 50051},
		{name: "env port", kind: contract.Readiness, p: fit(execProbe("grpc_health_probe", "-addr=:$(PORT)")), port: 8080},
		{name: "env port undefined", kind: contract.Readiness, p: fit(execProbe("grpc_health_probe", "-addr=:$(GRPC_PORT)")),
			want: []Finding{warningAt("exec.command", `-addr ":$(GRPC_PORT)" uses $(GRPC_PORT), which the container's env does not set to a value: the address cannot be checked`)}},
		// The kubelet expands a valueFrom entry's $(VAR) to "".
		{name: "env from valueFrom", kind: contract.Readiness, p: fit(execProbe("grpc_health_probe", "-addr=$(POD_IP):1")),
			want: []Finding{errorAt("exec.command", `$(POD_IP) is set by valueFrom (fieldRef status.podIP), but the kubelet expands $(VAR) in a probe's command only from env entries with a value, so the probe runs with it empty; read it in a shell when the probe runs, sh -c 'exec grpc_health_probe ... "${POD_IP:?}"' (the form protoc-gen-health generates)`)}},
		// The kubelet's $(...) names whatever it holds, '-' included.
		{name: "env from valueFrom, name with a dash", kind: contract.Readiness, p: fit(execProbe("grpc_health_probe", "-addr=$(pod-ip):1")),
			want: []Finding{errorAt("exec.command", `$(pod-ip) is set by valueFrom (fieldRef status.podIP), but the kubelet expands $(VAR) in a probe's command only from env entries with a value, so the probe runs with it empty; read it in a shell when the probe runs, sh -c 'exec grpc_health_probe ... "${NAME:?}"' (the form protoc-gen-health generates), under a name a shell can read (letters, digits and _)`)}},
		// A shell reads it when the probe runs.
		{name: "env from valueFrom in sh", kind: contract.Readiness, p: fit(execProbe("sh", "-c", `exec grpc_health_probe "-addr=${POD_IP:?}:1"`)),
			want: []Finding{warningAt("exec.command", `-addr "${POD_IP:?}:1" uses ${POD_IP:?}, which the container's env does not set to a value: the address cannot be checked`)}},
		{name: "kubelet reference in sh, not in env", kind: contract.Readiness, p: fit(execProbe("sh", "-c", `exec grpc_health_probe -addr=:1 -service=x.Y "-rpc-header=x-tenant: $(TENANT)"`)), port: 1,
			want: []Finding{errorAt("exec.command", `$(TENANT) is not in the container's env, so the kubelet leaves it in the script and the shell runs it as a command substitution (the command "TENANT"); write ${TENANT} for the variable`)}},
		{name: "sh -c", kind: contract.Liveness, p: fit(execProbe("/bin/sh", "-c", "grpc_health_probe -addr=:$PORT -service=liveness")), port: 8080},
		{name: "bash -c with a wrong flag", kind: contract.Readiness, p: fit(execProbe("bash", "-c", "/bin/grpc_health_probe -addr=:1 -rpc-timeout=1")),
			want: []Finding{errorAt("exec.command", `grpc_health_probe rejects its arguments: invalid value "1" for -rpc-timeout: a duration such as 1s or 500ms`), errorAt("exec.command", "-rpc-timeout must be greater than zero, not 0s")}, port: 1},
		{name: "renamed binary", kind: contract.Readiness, p: fit(execProbe("/bin/grpc_health_probe-linux-amd64", "-addr=:1")), port: 1},
		{name: "renamed binary timeouts", kind: contract.Readiness, p: execProbe("/bin/grpc-health-probe.exe", "-addr=:1"), port: 1,
			want: []Finding{warningAt("timeoutSeconds", "grpc_health_probe's -connect-timeout 1s + -rpc-timeout 1s = 2s do not fit inside timeoutSeconds: the kubelet's timeout also covers starting the process, so they must total less than timeoutSeconds 1 or the kubelet may kill the probe and count a failure; raise timeoutSeconds to 3 or lower the timeouts")}},
		{name: "service from an undefined variable", kind: contract.Readiness, p: fit(execProbe("grpc_health_probe", "-addr=:1", "-service=$(SVC)")), port: 1,
			want: []Finding{warningAt("exec.command", `-service "$(SVC)" uses $(SVC), which the container's env does not set to a value: the health name cannot be checked`)}},
		{name: "plain grpc health, overall liveness", kind: contract.Liveness, names: contract.NamesServices, p: grpcProbe(1, ""), port: 1},
		{name: "overall mode, overall liveness", kind: contract.Liveness, names: contract.NamesOverall, p: grpcProbe(1, ""), port: 1},
		{name: "services mode, liveness asks a service", kind: contract.Liveness, names: contract.NamesServices, p: grpcProbe(1, "a.B"), port: 1,
			want: []Finding{warningAt("", `liveness probe checks "a.B": a failing dependency would restart the pod; probe ""`)}},
		{name: "healthreg, overall liveness", kind: contract.Liveness, p: grpcProbe(1, ""), port: 1,
			want: []Finding{warningAt("", `liveness probe checks "" (no service), which follows every service in this runtime: a failing dependency would restart the pod; probe "liveness"`)}},
		// A name the server is declared to register is never advised to be
		// "", which such a server may not set at all; healthreg's own
		// "liveness" is still advised.
		{name: "services mode, liveness asks a declared name", kind: contract.Liveness, names: contract.NamesServices, p: grpcProbe(1, "x.Declared"), port: 1},
		{name: "healthreg, liveness asks a declared name", kind: contract.Liveness, p: grpcProbe(1, "x.Declared"), port: 1,
			want: []Finding{warningAt("", `liveness probe checks "x.Declared": a failing dependency would restart the pod; probe "liveness"`)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			declared := func(name string) bool { return name == "x.Declared" }
			got := CheckWith(tt.kind, tt.p, Options{Mode: HandWritten, Names: tt.names, Env: env, Declared: declared})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			target, ok := TargetIn(tt.p, env)
			if !ok {
				t.Fatal("not a gRPC health probe")
			}
			if target.Port != tt.port {
				t.Errorf("port %d, want %d", target.Port, tt.port)
			}
		})
	}
}
