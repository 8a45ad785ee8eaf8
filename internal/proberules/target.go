package proberules

import (
	"fmt"
	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Target is what a gRPC health probe asks: which address, which service
// name, and how long it waits.
type Target struct {
	// Exec is true for an exec probe running grpc_health_probe, false for a
	// native grpc: probe.
	Exec bool
	// Command is the exec probe's argv; nil for a grpc: probe.
	Command []string
	// Addr is grpc_health_probe's -addr as written; empty for a grpc: probe.
	Addr string
	// Port is the port probed: the grpc: probe's port, or the port of -addr
	// (0 when -addr has none or it is not a number).
	Port int32
	// Service is the health name asked for; "" when none is given.
	Service string
	// ConnectTimeout and RPCTimeout are grpc_health_probe's timeouts (1s
	// each by default); zero for a grpc: probe, which the kubelet bounds by
	// timeoutSeconds alone.
	ConnectTimeout, RPCTimeout time.Duration
}

// TargetOf returns the target of p when p is a gRPC health probe: a grpc:
// handler, or an exec handler whose argv[0] has the base name
// grpc_health_probe or grpc-health-probe. Flags are read as grpc_health_probe
// reads them (Go's flag package): -flag=v, -flag v, --flag, up to the first
// argument that is not a flag. Arguments it cannot read are reported by
// [Check], not here.
func TargetOf(p *corev1.Probe) (Target, bool) {
	t, ok, _ := parseTarget(p)
	return t, ok
}

// IsProbeCommand reports whether argv runs grpc_health_probe.
func IsProbeCommand(argv []string) bool {
	if len(argv) == 0 {
		return false
	}
	return contract.IsProbeProgram(argv[0])
}

// argProblem is something wrong with grpc_health_probe's arguments.
type argProblem struct {
	unknownFlag bool // a flag this version of the rules does not know: maybe a newer grpc_health_probe
	msg         string
}

// The flags of grpc_health_probe v0.4, by whether they take a value.
var (
	probeBoolFlags  = map[string]bool{"alts": true, "gzip": true, "spiffe": true, "tls": true, "tls-no-verify": true, "v": true, "version": true}
	probeValueFlags = map[string]bool{"addr": true, "service": true, "connect-timeout": true, "rpc-timeout": true, "rpc-header": true,
		"tls-ca-cert": true, "tls-client-cert": true, "tls-client-key": true, "tls-server-name": true, "user-agent": true}
)

func parseTarget(p *corev1.Probe) (Target, bool, []argProblem) {
	switch {
	case p == nil:
		return Target{}, false, nil
	case p.GRPC != nil:
		t := Target{Port: p.GRPC.Port}
		if p.GRPC.Service != nil {
			t.Service = *p.GRPC.Service
		}
		return t, true, nil
	case p.Exec != nil && IsProbeCommand(p.Exec.Command):
		t, problems := parseProbeArgs(p.Exec.Command)
		return t, true, problems
	}
	return Target{}, false, nil
}

// parseProbeArgs reads argv as grpc_health_probe's flag.Parse would.
func parseProbeArgs(argv []string) (Target, []argProblem) {
	t := Target{
		Exec:           true,
		Command:        argv,
		ConnectTimeout: contract.ProbeDefaultConnectTimeout,
		RPCTimeout:     contract.ProbeDefaultRPCTimeout,
	}
	var problems []argProblem
	bad := func(format string, args ...any) {
		problems = append(problems, argProblem{msg: fmt.Sprintf(format, args...)})
	}
	args := argv[1:]
	for len(args) > 0 {
		a := args[0]
		if len(a) < 2 || a[0] != '-' {
			break // the first argument that is not a flag ends the flags
		}
		args = args[1:]
		name := a[1:]
		if name[0] == '-' {
			name = name[1:]
			if name == "" {
				break // "--"
			}
		}
		if name == "" || name[0] == '-' || name[0] == '=' {
			bad("bad flag syntax: %s", a)
			break
		}
		name, value, hasValue := strings.Cut(name, "=")
		switch {
		case name == "h" || name == "help":
			bad("-%s prints usage and exits without probing", name)
		case probeBoolFlags[name]:
			on := true
			if hasValue {
				b, err := strconv.ParseBool(value)
				if err != nil {
					bad("invalid boolean value %q for -%s", value, name)
					continue
				}
				on = b
			}
			if name == "version" && on {
				bad("-version prints the version and exits 0 without probing")
			}
		case probeValueFlags[name]:
			if !hasValue {
				if len(args) == 0 {
					bad("flag needs an argument: -%s", name)
					break
				}
				value, args = args[0], args[1:]
			}
			switch name {
			case "addr":
				t.Addr = value
			case "service":
				t.Service = value
			case "connect-timeout", "rpc-timeout":
				d, err := time.ParseDuration(value)
				if err != nil {
					bad("invalid value %q for -%s: a duration such as 1s or 500ms", value, name)
				}
				if name == "connect-timeout" {
					t.ConnectTimeout = d
				} else {
					t.RPCTimeout = d
				}
			}
		default:
			// A newer grpc_health_probe may have it; read it as a boolean,
			// as flag.Parse cannot tell us otherwise.
			problems = append(problems, argProblem{unknownFlag: true, msg: fmt.Sprintf("flag -%s is unknown to grpc_health_probe v0.4", name)})
		}
	}
	if t.Addr != "" {
		if _, port, err := net.SplitHostPort(t.Addr); err == nil {
			if n, err := strconv.ParseInt(port, 10, 32); err == nil {
				t.Port = int32(n)
			}
		}
	}
	return t, problems
}
