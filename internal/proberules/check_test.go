package proberules

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

func ptr[T any](v T) *T { return &v }

// timed sets the timings a generated probe sets explicitly.
func timed(p *corev1.Probe) *corev1.Probe {
	p.PeriodSeconds, p.TimeoutSeconds, p.SuccessThreshold, p.FailureThreshold = 10, 3, 1, 3
	return p
}

func grpcProbe(port int32, service string) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: port, Service: &service}}}
}

func execProbe(argv ...string) *corev1.Probe {
	return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: argv}}}
}

func with(p *corev1.Probe, f func(*corev1.Probe)) *corev1.Probe { f(p); return p }

func errorAt(field, msg string) Finding { return Finding{Severity: Error, Field: field, Message: msg} }
func warningAt(field, msg string) Finding {
	return Finding{Severity: Warning, Field: field, Message: msg}
}

func TestCheck(t *testing.T) {
	const (
		fits              = "-connect-timeout=1s"
		livenessOverall   = `liveness probe checks "" (no service), which follows every service in this runtime: a failing dependency would restart the pod; probe "liveness"`
		livenessReadiness = `liveness probe checks "readiness", which follows every service: a failing dependency would restart the pod; probe "liveness"`
	)
	tests := []struct {
		name string
		kind contract.Kind
		mode Mode
		p    *corev1.Probe
		want []Finding
	}{
		{name: "nil probe", kind: contract.Liveness, p: nil},
		{name: "generated grpc", kind: contract.Readiness, p: timed(grpcProbe(50051, "helloworld.Greeter"))},
		{name: "generated exec", kind: contract.Liveness, p: timed(execProbe("/bin/grpc_health_probe", "-addr=:50051", "-service=liveness", "-connect-timeout=1s", "-rpc-timeout=1s"))},
		{name: "hand-written defaults", kind: contract.Liveness, mode: HandWritten, p: grpcProbe(50051, "liveness")},
		{name: "hand-written startup defaults", kind: contract.Startup, mode: HandWritten, p: grpcProbe(50051, "")},
		{
			name: "generated zero timings", kind: contract.Readiness, p: grpcProbe(50051, ""),
			want: []Finding{
				errorAt("timeoutSeconds", "must be set explicitly, at least 1"),
				errorAt("periodSeconds", "must be set explicitly, at least 1"),
				errorAt("failureThreshold", "must be set explicitly, at least 1"),
				errorAt("successThreshold", "must be set explicitly, at least 1"),
			},
		},
		{
			name: "generated liveness success 0", kind: contract.Liveness, p: with(timed(grpcProbe(50051, "liveness")), func(p *corev1.Probe) { p.SuccessThreshold = 0 }),
			want: []Finding{errorAt("successThreshold", "must be 1 for liveness probes, not 0")},
		},
		{
			name: "negative numbers", kind: contract.Readiness, mode: HandWritten,
			p: with(grpcProbe(50051, ""), func(p *corev1.Probe) {
				p.InitialDelaySeconds, p.TimeoutSeconds, p.PeriodSeconds, p.SuccessThreshold, p.FailureThreshold = -1, -2, -3, -4, -5
			}),
			want: []Finding{
				errorAt("initialDelaySeconds", "must be greater than or equal to 0, not -1"),
				errorAt("timeoutSeconds", "must be greater than or equal to 0, not -2"),
				errorAt("periodSeconds", "must be greater than or equal to 0, not -3"),
				errorAt("failureThreshold", "must be greater than or equal to 0, not -5"),
				errorAt("successThreshold", "must be greater than or equal to 0, not -4"),
			},
		},
		{
			name: "negative initial delay generated", kind: contract.Startup, p: with(timed(grpcProbe(50051, "")), func(p *corev1.Probe) { p.InitialDelaySeconds = -1 }),
			want: []Finding{errorAt("initialDelaySeconds", "must be greater than or equal to 0, not -1")},
		},
		{
			name: "liveness success 2", kind: contract.Liveness, mode: HandWritten, p: with(grpcProbe(50051, "liveness"), func(p *corev1.Probe) { p.SuccessThreshold = 2 }),
			want: []Finding{errorAt("successThreshold", "must be 1 for liveness probes, not 2")},
		},
		{
			name: "startup success 3", kind: contract.Startup, mode: HandWritten, p: with(grpcProbe(50051, ""), func(p *corev1.Probe) { p.SuccessThreshold = 3 }),
			want: []Finding{errorAt("successThreshold", "must be 1 for startup probes, not 3")},
		},
		{
			name: "liveness success -1", kind: contract.Liveness, mode: HandWritten, p: with(grpcProbe(50051, "liveness"), func(p *corev1.Probe) { p.SuccessThreshold = -1 }),
			want: []Finding{errorAt("successThreshold", "must be greater than or equal to 0, not -1")},
		},
		{name: "readiness success 3", kind: contract.Readiness, mode: HandWritten, p: with(grpcProbe(50051, ""), func(p *corev1.Probe) { p.SuccessThreshold = 3 })},
		{
			name: "readiness grace period", kind: contract.Readiness, mode: HandWritten, p: with(grpcProbe(50051, ""), func(p *corev1.Probe) { p.TerminationGracePeriodSeconds = ptr(int64(30)) }),
			want: []Finding{errorAt("terminationGracePeriodSeconds", "must not be set for readiness probes")},
		},
		{name: "liveness grace period", kind: contract.Liveness, mode: HandWritten, p: with(grpcProbe(50051, "liveness"), func(p *corev1.Probe) { p.TerminationGracePeriodSeconds = ptr(int64(30)) })},
		{
			name: "startup grace period 0", kind: contract.Startup, p: with(timed(grpcProbe(50051, "")), func(p *corev1.Probe) { p.TerminationGracePeriodSeconds = ptr(int64(0)) }),
			want: []Finding{errorAt("terminationGracePeriodSeconds", "must be greater than 0, not 0")},
		},
		{
			name: "no handler", kind: contract.Readiness, mode: HandWritten, p: &corev1.Probe{},
			want: []Finding{errorAt("", "must specify a handler: exec, httpGet, tcpSocket or grpc")},
		},
		{
			name: "two handlers", kind: contract.Readiness, mode: HandWritten,
			p:    with(grpcProbe(50051, ""), func(p *corev1.Probe) { p.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(50051)} }),
			want: []Finding{errorAt("", "may not specify more than 1 handler type, found tcpSocket, grpc")},
		},
		{
			name: "grpc port 0", kind: contract.Readiness, mode: HandWritten, p: grpcProbe(0, ""),
			want: []Finding{errorAt("grpc.port", "must be between 1 and 65535, inclusive, not 0")},
		},
		{
			name: "grpc port 65536", kind: contract.Readiness, mode: HandWritten, p: grpcProbe(65536, ""),
			want: []Finding{errorAt("grpc.port", "must be between 1 and 65535, inclusive, not 65536")},
		},
		{name: "grpc without service", kind: contract.Readiness, mode: HandWritten, p: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 1}}}},
		{
			name: "exec without command", kind: contract.Readiness, mode: HandWritten, p: execProbe(),
			want: []Finding{errorAt("exec.command", "must not be empty")},
		},
		{name: "exec other command", kind: contract.Readiness, mode: HandWritten, p: execProbe("cat", "/tmp/healthy")},
		{
			name: "http and tcp ports", kind: contract.Readiness, mode: HandWritten,
			p: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("Http"), Scheme: "FTP"}}},
			want: []Finding{
				errorAt("httpGet.port", `"Http" is neither a port number nor a port name (at most 15 lowercase letters, digits and '-', with a letter, no '-' at either end or twice in a row)`),
				errorAt("httpGet.scheme", `must be HTTP or HTTPS, not "FTP"`),
			},
		},
		{name: "http named port", kind: contract.Readiness, mode: HandWritten, p: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("http-metrics")}}}},
		{
			name: "tcp port 0", kind: contract.Readiness, mode: HandWritten, p: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(0)}}},
			want: []Finding{errorAt("tcpSocket.port", "must be between 1 and 65535, inclusive, not 0")},
		},
		{
			name: "liveness names a service, hand-written", kind: contract.Liveness, mode: HandWritten, p: grpcProbe(50051, "helloworld.Greeter"),
			want: []Finding{warningAt("", `liveness probe checks "helloworld.Greeter": a failing dependency would restart the pod; probe "liveness"`)},
		},
		{
			name: "liveness names readiness, generated", kind: contract.Liveness, p: timed(grpcProbe(50051, "readiness")),
			want: []Finding{errorAt("", livenessReadiness)},
		},
		{
			name: "liveness names readiness, hand-written", kind: contract.Liveness, mode: HandWritten, p: grpcProbe(50051, "readiness"),
			want: []Finding{warningAt("", livenessReadiness)},
		},
		{
			name: "liveness without service, hand-written", kind: contract.Liveness, mode: HandWritten,
			p:    &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 50051}}},
			want: []Finding{warningAt("", livenessOverall)},
		},
		{
			name: "liveness names \"\", generated", kind: contract.Liveness, p: timed(grpcProbe(50051, "")),
			want: []Finding{errorAt("", livenessOverall)},
		},
		{
			name: "liveness exec without -service, hand-written", kind: contract.Liveness, mode: HandWritten,
			p:    with(execProbe("grpc_health_probe", "-addr=:50051"), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
			want: []Finding{warningAt("", livenessOverall)},
		},
		{
			name: "liveness exec names a service, generated", kind: contract.Liveness,
			p:    timed(execProbe("grpc_health_probe", "-addr=:50051", "-service=helloworld.Greeter", "-connect-timeout=1s", "-rpc-timeout=1s")),
			want: []Finding{errorAt("", `liveness probe checks "helloworld.Greeter": a failing dependency would restart the pod; probe "liveness"`)},
		},
		{name: "liveness names liveness, generated", kind: contract.Liveness, p: timed(grpcProbe(50051, "liveness"))},
		{name: "readiness without service", kind: contract.Readiness, mode: HandWritten, p: grpcProbe(50051, "")},
		{name: "startup without service", kind: contract.Startup, p: timed(grpcProbe(50051, ""))},
		{name: "liveness http", kind: contract.Liveness, mode: HandWritten, p: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(8080)}}}},
		{name: "readiness names a service", kind: contract.Readiness, mode: HandWritten, p: grpcProbe(50051, "helloworld.Greeter")},
		{
			name: "exec defaults do not fit the default timeout, hand-written", kind: contract.Readiness, mode: HandWritten,
			p:    execProbe("/bin/grpc_health_probe", "-addr=:50051"),
			want: []Finding{warningAt("timeoutSeconds", "grpc_health_probe's -connect-timeout 1s + -rpc-timeout 1s = 2s do not fit inside timeoutSeconds: the kubelet's timeout also covers starting the process, so they must total less than timeoutSeconds 1 or the kubelet may kill the probe and count a failure; raise timeoutSeconds to 3 or lower the timeouts")},
		},
		{
			name: "exec timeouts do not fit, generated", kind: contract.Readiness,
			p:    with(timed(execProbe("grpc-health-probe", "--addr", "localhost:50051", "-connect-timeout", "2s", "-rpc-timeout=1500ms")), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
			want: []Finding{errorAt("timeoutSeconds", "grpc_health_probe's -connect-timeout 2s + -rpc-timeout 1.5s = 3.5s do not fit inside timeoutSeconds: the kubelet's timeout also covers starting the process, so they must total less than timeoutSeconds 3 or the kubelet may kill the probe and count a failure; raise timeoutSeconds to 4 or lower the timeouts")},
		},
		{
			name: "exec timeouts equal timeoutSeconds, hand-written", kind: contract.Readiness, mode: HandWritten,
			p:    with(execProbe("grpc_health_probe", "-addr=:50051", fits, "-rpc-timeout=1s"), func(p *corev1.Probe) { p.TimeoutSeconds = 2 }),
			want: []Finding{warningAt("timeoutSeconds", "grpc_health_probe's -connect-timeout 1s + -rpc-timeout 1s = 2s do not fit inside timeoutSeconds: the kubelet's timeout also covers starting the process, so they must total less than timeoutSeconds 2 or the kubelet may kill the probe and count a failure; raise timeoutSeconds to 3 or lower the timeouts")},
		},
		{
			name: "exec timeouts equal timeoutSeconds, generated", kind: contract.Readiness,
			p:    timed(execProbe("grpc_health_probe", "-addr=:50051", "-connect-timeout=1500ms", "-rpc-timeout=1500ms")),
			want: []Finding{errorAt("timeoutSeconds", "grpc_health_probe's -connect-timeout 1.5s + -rpc-timeout 1.5s = 3s do not fit inside timeoutSeconds: the kubelet's timeout also covers starting the process, so they must total less than timeoutSeconds 3 or the kubelet may kill the probe and count a failure; raise timeoutSeconds to 4 or lower the timeouts")},
		},
		{
			name: "exec timeouts fit", kind: contract.Readiness, mode: HandWritten,
			p: with(execProbe("grpc_health_probe", "-addr=:50051", fits, "-rpc-timeout=1s"), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
		},
		{
			name: "exec timeouts fit the default timeout", kind: contract.Readiness, mode: HandWritten,
			p: execProbe("grpc_health_probe", "-addr=:50051", "-connect-timeout=400ms", "-rpc-timeout=400ms"),
		},
		{
			name: "exec timeouts just below timeoutSeconds, generated", kind: contract.Readiness,
			p: timed(execProbe("grpc_health_probe", "-addr=:50051", "-connect-timeout=1500ms", "-rpc-timeout=1499ms")),
		},
		{
			name: "exec without addr", kind: contract.Readiness, mode: HandWritten,
			p:    with(execProbe("grpc_health_probe", "-service=x"), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
			want: []Finding{errorAt("exec.command", "grpc_health_probe needs -addr, such as -addr=:50051")},
		},
		{
			name: "exec bad addr and durations", kind: contract.Readiness, mode: HandWritten,
			p: with(execProbe("grpc_health_probe", "-addr=localhost", "-connect-timeout=5", "-rpc-timeout=0s"), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
			want: []Finding{
				errorAt("exec.command", `grpc_health_probe rejects its arguments: invalid value "5" for -connect-timeout: a duration such as 1s or 500ms`),
				errorAt("exec.command", `-addr "localhost": must be host:port, such as :50051`),
				errorAt("exec.command", "-connect-timeout must be greater than zero, not 0s"),
				errorAt("exec.command", "-rpc-timeout must be greater than zero, not 0s"),
			},
		},
		{
			name: "exec named port", kind: contract.Readiness, mode: HandWritten,
			p:    with(execProbe("grpc_health_probe", "-addr=:grpc"), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
			want: []Finding{errorAt("exec.command", `-addr ":grpc": port must be a number between 1 and 65535`)},
		},
		{
			name: "exec version and help", kind: contract.Readiness, mode: HandWritten,
			p: with(execProbe("grpc_health_probe", "-version", "-h", "-addr=:1"), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
			want: []Finding{
				errorAt("exec.command", "grpc_health_probe rejects its arguments: -version prints the version and exits 0 without probing"),
				errorAt("exec.command", "grpc_health_probe rejects its arguments: -h prints usage and exits without probing"),
			},
		},
		{
			name: "exec missing value", kind: contract.Readiness, mode: HandWritten,
			p:    with(execProbe("grpc_health_probe", "-addr=:1", "-service"), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
			want: []Finding{errorAt("exec.command", "grpc_health_probe rejects its arguments: flag needs an argument: -service")},
		},
		{
			name: "exec unknown flag, hand-written", kind: contract.Readiness, mode: HandWritten,
			p:    with(execProbe("grpc_health_probe", "-addr=:1", "-new-flag", "-service=x"), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
			want: []Finding{warningAt("exec.command", "flag -new-flag is unknown to grpc_health_probe v0.4")},
		},
		{
			name: "exec bad bool", kind: contract.Readiness, mode: HandWritten,
			p:    with(execProbe("grpc_health_probe", "-addr=:1", "-tls=maybe"), func(p *corev1.Probe) { p.TimeoutSeconds = 3 }),
			want: []Finding{errorAt("exec.command", `grpc_health_probe rejects its arguments: invalid boolean value "maybe" for -tls`)},
		},
		{
			name: "unknown kind", kind: "ready", p: grpcProbe(1, ""),
			want: []Finding{errorAt("", `unknown probe kind "ready"`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.kind, tt.p, tt.mode)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check(%s) mismatch (-want +got):\n%s", tt.kind, diff)
			}
		})
	}
}

func TestTargetOf(t *testing.T) {
	tests := []struct {
		name   string
		p      *corev1.Probe
		want   Target
		wantOK bool
	}{
		{name: "nil", p: nil},
		{name: "http", p: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{}}}},
		{name: "other exec", p: execProbe("/bin/sh", "-c", "cat /tmp/healthy")},
		{
			name: "shell wrapper", p: execProbe("/bin/sh", "-c", "exec grpc_health_probe -addr=:1 -service=a.B"),
			want:   Target{Exec: true, Shell: true, Command: []string{"/bin/sh", "-c", "exec grpc_health_probe -addr=:1 -service=a.B"}, Argv: []string{"grpc_health_probe", "-addr=:1", "-service=a.B"}, Addr: ":1", Port: 1, Service: "a.B", ConnectTimeout: time.Second, RPCTimeout: time.Second},
			wantOK: true,
		},
		{name: "empty exec", p: execProbe()},
		{name: "grpc", p: grpcProbe(50051, "a.B"), want: Target{Port: 50051, Service: "a.B"}, wantOK: true},
		{name: "grpc without service", p: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9}}}, want: Target{Port: 9}, wantOK: true},
		{
			name: "exec defaults", p: execProbe("/bin/grpc_health_probe", "-addr=:50051"),
			want:   Target{Exec: true, Command: []string{"/bin/grpc_health_probe", "-addr=:50051"}, Argv: []string{"/bin/grpc_health_probe", "-addr=:50051"}, Addr: ":50051", Port: 50051, ConnectTimeout: time.Second, RPCTimeout: time.Second},
			wantOK: true,
		},
		{
			name: "exec every form", p: execProbe("grpc-health-probe", "--addr", "127.0.0.1:8080", "-tls", "-service", "a.v1.B", "--connect-timeout=250ms", "-rpc-timeout", "2s", "-tls-server-name=x"),
			want: Target{Exec: true, Command: []string{"grpc-health-probe", "--addr", "127.0.0.1:8080", "-tls", "-service", "a.v1.B", "--connect-timeout=250ms", "-rpc-timeout", "2s", "-tls-server-name=x"},
				Argv: []string{"grpc-health-probe", "--addr", "127.0.0.1:8080", "-tls", "-service", "a.v1.B", "--connect-timeout=250ms", "-rpc-timeout", "2s", "-tls-server-name=x"},
				Addr: "127.0.0.1:8080", Port: 8080, Service: "a.v1.B", ConnectTimeout: 250 * time.Millisecond, RPCTimeout: 2 * time.Second},
			wantOK: true,
		},
		{
			name: "exec stops at the first non-flag", p: execProbe("grpc_health_probe", "-addr=:1", "-tls", "false", "-service=x"),
			want:   Target{Exec: true, Command: []string{"grpc_health_probe", "-addr=:1", "-tls", "false", "-service=x"}, Argv: []string{"grpc_health_probe", "-addr=:1", "-tls", "false", "-service=x"}, Addr: ":1", Port: 1, ConnectTimeout: time.Second, RPCTimeout: time.Second},
			wantOK: true,
		},
		{
			name: "exec stops at --", p: execProbe("grpc_health_probe", "-addr=[::1]:2", "--", "-service=x"),
			want:   Target{Exec: true, Command: []string{"grpc_health_probe", "-addr=[::1]:2", "--", "-service=x"}, Argv: []string{"grpc_health_probe", "-addr=[::1]:2", "--", "-service=x"}, Addr: "[::1]:2", Port: 2, ConnectTimeout: time.Second, RPCTimeout: time.Second},
			wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TargetOf(tt.p)
			if ok != tt.wantOK {
				t.Fatalf("TargetOf() ok = %v, want %v", ok, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreUnexported(Target{})); diff != "" {
				t.Errorf("TargetOf() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	if got, want := contract.Liveness.Field(), "livenessProbe"; got != want {
		t.Errorf("contract.Liveness.Field() = %q, want %q", got, want)
	}
	if got, want := errorAt("grpc.port", "bad").String(), "error: grpc.port: bad"; got != want {
		t.Errorf("Finding.String() = %q, want %q", got, want)
	}
	if got, want := warningAt("", "risky").String(), "warning: risky"; got != want {
		t.Errorf("Finding.String() = %q, want %q", got, want)
	}
	if got, want := Severity(7).String(), "Severity(7)"; got != want {
		t.Errorf("Severity(7).String() = %q, want %q", got, want)
	}
}
