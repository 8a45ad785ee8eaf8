package proberules

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// Target is what a gRPC health probe asks: which address, which service
// name, and how long it waits.
type Target struct {
	// Exec is true for an exec probe running grpc_health_probe, false for a
	// native grpc: probe.
	Exec bool
	// Command is the exec probe's command as written; nil for a grpc: probe.
	Command []string
	// Argv is grpc_health_probe's argv: Command, or the command a shell
	// wrapper runs (Shell), with variables expanded.
	Argv  []string
	Shell bool
	// Addr is grpc_health_probe's -addr, expanded; empty for a grpc: probe.
	Addr string
	// Port is the port probed: the grpc: probe's port, or the port of -addr
	// (0 when -addr has none, names a Unix socket, or cannot be read).
	Port int32
	// Service is the health name asked for; "" when none is given.
	Service string
	// ConnectTimeout and RPCTimeout are grpc_health_probe's timeouts (1s
	// each by default); zero for a grpc: probe, which the kubelet bounds by
	// timeoutSeconds alone.
	ConnectTimeout, RPCTimeout time.Duration
	// Headers are grpc_health_probe's -rpc-header values and Files its
	// certificate paths by flag name, expanded.
	Headers []string
	Files   map[string]string

	addr     contract.Addr
	addrErr  error
	problems []contract.ArgProblem
}

// Local reports whether the probe dials the container itself: a grpc:
// probe, or an -addr on a loopback, wildcard or empty host or a Unix socket.
func (t Target) Local() bool { return !t.Exec || t.addr.Local() }

// TargetOf returns the target of p when p is a gRPC health probe: a grpc:
// handler, or an exec handler that runs grpc_health_probe (see
// contract.ProbeArgv), with no environment to expand variables from.
// Arguments it cannot read are reported by [Check], not here.
func TargetOf(p *corev1.Probe) (Target, bool) { return TargetIn(p, nil) }

// TargetIn is TargetOf for a probe of a container with the given env, from
// which $(VAR) references in an exec probe's command are expanded.
func TargetIn(p *corev1.Probe, env []corev1.EnvVar) (Target, bool) {
	switch {
	case p == nil:
		return Target{}, false
	case p.GRPC != nil:
		t := Target{Port: p.GRPC.Port}
		if p.GRPC.Service != nil {
			t.Service = *p.GRPC.Service
		}
		return t, true
	case p.Exec != nil:
		argv, shell, ok := contract.ProbeArgv(p.Exec.Command, staticEnv(env))
		if !ok {
			return Target{}, false
		}
		args, problems := contract.ParseArgs(argv)
		t := Target{
			Exec: true, Command: p.Exec.Command, Argv: argv, Shell: shell,
			Addr: args.Addr, Service: args.Service,
			ConnectTimeout: args.ConnectTimeout, RPCTimeout: args.RPCTimeout,
			Headers: args.Headers, Files: args.Files,
			problems: problems,
		}
		if t.Addr != "" && len(contract.Unexpanded(t.Addr)) == 0 {
			t.addr, t.addrErr = contract.ParseAddr(t.Addr)
			if t.addrErr == nil {
				t.Port = t.addr.Port
			}
		}
		return t, true
	}
	return Target{}, false
}

// IsProbeCommand reports whether an exec probe's command runs
// grpc_health_probe, directly or through a shell.
func IsProbeCommand(argv []string) bool {
	_, _, ok := contract.ProbeArgv(argv, nil)
	return ok
}

// staticEnv is the env the kubelet expands a probe's command from: the
// entries with a value. Entries set by valueFrom are left out: the kubelet
// would expand them to "", the shell to a value known only at run time.
func staticEnv(env []corev1.EnvVar) map[string]string {
	if len(env) == 0 {
		return nil
	}
	m := make(map[string]string, len(env))
	for _, e := range env {
		if e.ValueFrom == nil {
			m[e.Name] = e.Value
		} else {
			delete(m, e.Name)
		}
	}
	return m
}
