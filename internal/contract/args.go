package contract

import (
	"fmt"
	"strings"
	"time"
)

// Args is what grpc_health_probe's arguments ask: which address, which
// health name, and how long it waits.
type Args struct {
	Addr    string // -addr as written (after variable expansion); "" when not given
	Service string // -service; "" when not given
	// ConnectTimeout and RPCTimeout are -connect-timeout and -rpc-timeout,
	// 1s each by default.
	ConnectTimeout, RPCTimeout time.Duration
	// Headers are the -rpc-header values; Files the paths of -tls-ca-cert,
	// -tls-client-cert and -tls-client-key, by flag name.
	Headers []string
	Files   map[string]string
}

// ArgProblem is something wrong with grpc_health_probe's arguments.
type ArgProblem struct {
	// UnknownFlag is set for a flag grpc_health_probe v0.4 does not know:
	// maybe a newer release's, so a warning rather than an error.
	UnknownFlag bool
	Message     string
}

// The flags of grpc_health_probe v0.4, by whether they take a value.
var (
	probeBoolFlags  = map[string]bool{"alts": true, "gzip": true, "spiffe": true, "tls": true, "tls-no-verify": true, "v": true, "version": true}
	probeValueFlags = map[string]bool{"addr": true, "service": true, "connect-timeout": true, "rpc-timeout": true, "rpc-header": true,
		"tls-ca-cert": true, "tls-client-cert": true, "tls-client-key": true, "tls-server-name": true, "user-agent": true}
)

// ParseArgs reads grpc_health_probe's argv (argv[0] the program) as its
// flag.Parse does: -flag=v, -flag v, --flag, up to the first argument that
// is not a flag or "--".
func ParseArgs(argv []string) (Args, []ArgProblem) {
	a := Args{ConnectTimeout: ProbeDefaultConnectTimeout, RPCTimeout: ProbeDefaultRPCTimeout}
	var problems []ArgProblem
	bad := func(format string, args ...any) {
		problems = append(problems, ArgProblem{Message: fmt.Sprintf(format, args...)})
	}
	var args []string
	if len(argv) > 0 {
		args = argv[1:]
	}
	for len(args) > 0 {
		arg := args[0]
		if len(arg) < 2 || arg[0] != '-' {
			break // the first argument that is not a flag ends the flags
		}
		args = args[1:]
		name := arg[1:]
		if name[0] == '-' {
			name = name[1:]
			if name == "" {
				break // "--"
			}
		}
		if name == "" || name[0] == '-' || name[0] == '=' {
			bad("bad flag syntax: %s", arg)
			break
		}
		name, value, hasValue := strings.Cut(name, "=")
		switch {
		case name == "h" || name == "help":
			bad("-%s prints usage and exits without probing", name)
		case probeBoolFlags[name]:
			on := true
			if hasValue {
				b, ok := parseBool(value)
				if !ok {
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
				a.Addr = value
			case "service":
				a.Service = value
			case "rpc-header":
				a.Headers = append(a.Headers, value)
			case "tls-ca-cert", "tls-client-cert", "tls-client-key":
				if a.Files == nil {
					a.Files = map[string]string{}
				}
				a.Files[name] = value
			case "connect-timeout", "rpc-timeout":
				d, err := time.ParseDuration(value)
				if err != nil {
					bad("invalid value %q for -%s: a duration such as 1s or 500ms", value, name)
				}
				if name == "connect-timeout" {
					a.ConnectTimeout = d
				} else {
					a.RPCTimeout = d
				}
			}
		default:
			// A newer grpc_health_probe may have it; flag.Parse cannot tell
			// us whether it takes a value, so it is read as a boolean.
			problems = append(problems, ArgProblem{UnknownFlag: true, Message: fmt.Sprintf("flag -%s is unknown to grpc_health_probe v0.4", name)})
		}
	}
	return a, problems
}

// parseBool is strconv.ParseBool, which the flag package uses.
func parseBool(s string) (bool, bool) {
	switch s {
	case "1", "t", "T", "TRUE", "true", "True":
		return true, true
	case "0", "f", "F", "FALSE", "false", "False":
		return false, true
	}
	return false, false
}
