package contract

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestExpandKubelet(t *testing.T) {
	env := map[string]string{"PORT": "8080", "EMPTY": ""}
	tests := []struct {
		in, want   string
		unresolved []string
	}{
		{"-addr=:$(PORT)", "-addr=:8080", nil},
		{"-addr=:$(EMPTY)", "-addr=:", nil},
		{"-addr=:$(NOPE)", "-addr=:$(NOPE)", []string{"NOPE"}},
		{"$$(PORT)", "$(PORT)", nil},
		{"$PORT ${PORT}", "$PORT ${PORT}", nil},
		{"$(PORT", "$(PORT", nil},
		{"$(PORT $$", "$(PORT $", nil},
		{"a$", "a$", nil},
		{"plain", "plain", nil},
	}
	for _, tt := range tests {
		got, unresolved := ExpandKubelet(tt.in, env)
		if got != tt.want || !reflect.DeepEqual(unresolved, tt.unresolved) {
			t.Errorf("ExpandKubelet(%q) = %q, %q; want %q, %q", tt.in, got, unresolved, tt.want, tt.unresolved)
		}
	}
}

func TestUnexpanded(t *testing.T) {
	for in, want := range map[string][]string{
		":50051":           nil,
		":$(PORT)":         {"$(PORT)"},
		"$HOST:${PORT}":    {"$HOST", "${PORT}"},
		"x$":               {"$"},
		"$(A":              {"$(A"},
		"a.$(SVC).v1.Name": {"$(SVC)"},
	} {
		if got := Unexpanded(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Unexpanded(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProbeArgv(t *testing.T) {
	env := map[string]string{"PORT": "9000", "SVC": "a.B"}
	tests := []struct {
		name     string
		command  []string
		want     []string
		viaShell bool
	}{
		{name: "direct", command: []string{"/bin/grpc_health_probe", "-addr=:1"}, want: []string{"/bin/grpc_health_probe", "-addr=:1"}},
		{name: "renamed", command: []string{"/usr/local/bin/grpc_health_probe-linux-amd64", "-addr=:1"}, want: []string{"/usr/local/bin/grpc_health_probe-linux-amd64", "-addr=:1"}},
		{name: "kubelet expansion", command: []string{"grpc-health-probe", "-addr=:$(PORT)", "-service=$(SVC)"}, want: []string{"grpc-health-probe", "-addr=:9000", "-service=a.B"}},
		{name: "undefined stays", command: []string{"grpc-health-probe", "-addr=:$(NOPE)"}, want: []string{"grpc-health-probe", "-addr=:$(NOPE)"}},
		{name: "sh -c", command: []string{"/bin/sh", "-c", "grpc_health_probe -addr=:1"}, want: []string{"grpc_health_probe", "-addr=:1"}, viaShell: true},
		{name: "bash -ec exec", command: []string{"bash", "-ec", "exec /bin/grpc_health_probe -addr=:$PORT -service=\"${SVC}\""}, want: []string{"/bin/grpc_health_probe", "-addr=:9000", "-service=a.B"}, viaShell: true},
		{name: "sh -o pipefail -c", command: []string{"sh", "-o", "pipefail", "-c", "grpc_health_probe -addr=:1 || exit 1"}, want: []string{"grpc_health_probe", "-addr=:1"}, viaShell: true},
		{name: "after another command", command: []string{"sh", "-c", "test -f /tmp/ready && grpc_health_probe -addr=localhost:1 2>/dev/null"}, want: []string{"grpc_health_probe", "-addr=localhost:1", "2"}, viaShell: true},
		{name: "assignments and timeout", command: []string{"sh", "-c", "P=7; GRPC_GO_LOG=x timeout 3 grpc_health_probe '-addr=:'$P"}, want: []string{"grpc_health_probe", "-addr=:7"}, viaShell: true},
		{name: "required value", command: []string{"sh", "-c", `exec grpc_health_probe -addr=:1 "-service=${SVC:?unset}" "${NOPE:?unset}"`}, want: []string{"grpc_health_probe", "-addr=:1", "-service=a.B", "${NOPE:?unset}"}, viaShell: true},
		{name: "default value", command: []string{"sh", "-c", "grpc_health_probe -addr=:${NOPE:-50051}"}, want: []string{"grpc_health_probe", "-addr=:50051"}, viaShell: true},
		{name: "shell var undefined", command: []string{"sh", "-c", "grpc_health_probe -addr=:$NOPE"}, want: []string{"grpc_health_probe", "-addr=:$NOPE"}, viaShell: true},
		{name: "kubelet then shell", command: []string{"sh", "-c", "grpc_health_probe -addr=:$(PORT)"}, want: []string{"grpc_health_probe", "-addr=:9000"}, viaShell: true},
		{name: "comment and line continuation", command: []string{"sh", "-c", "# probe\ngrpc_health_probe \\\n -addr=:1 # done"}, want: []string{"grpc_health_probe", "-addr=:1"}, viaShell: true},
		{name: "not a probe", command: []string{"sh", "-c", "cat /tmp/healthy"}},
		{name: "script file", command: []string{"sh", "/probe.sh"}},
		{name: "other program", command: []string{"/bin/probe", "-addr=:1"}},
		{name: "empty", command: nil},
		{name: "sh without script", command: []string{"sh", "-c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, viaShell, ok := ProbeArgv(tt.command, env)
			if ok != (tt.want != nil) || !reflect.DeepEqual(got, tt.want) || viaShell != tt.viaShell {
				t.Errorf("ProbeArgv(%q) = %q, %v, %v; want %q, %v", tt.command, got, viaShell, ok, tt.want, tt.viaShell)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		argv     []string
		want     Args
		problems []ArgProblem
	}{
		{[]string{"p"}, Args{ConnectTimeout: time.Second, RPCTimeout: time.Second}, nil},
		{[]string{"p", "--addr", "h:1", "-service=s", "-connect-timeout=250ms", "-rpc-timeout", "2s", "-tls=false"}, Args{Addr: "h:1", Service: "s", ConnectTimeout: 250 * time.Millisecond, RPCTimeout: 2 * time.Second}, nil},
		{[]string{"p", "-addr=:1", "x", "-service=s"}, Args{Addr: ":1", ConnectTimeout: time.Second, RPCTimeout: time.Second}, nil},
		{[]string{"p", "---x"}, Args{ConnectTimeout: time.Second, RPCTimeout: time.Second}, []ArgProblem{{Message: "bad flag syntax: ---x"}}},
		{[]string{"p", "-new"}, Args{ConnectTimeout: time.Second, RPCTimeout: time.Second}, []ArgProblem{{UnknownFlag: true, Message: "flag -new is unknown to grpc_health_probe v0.4"}}},
		{[]string{"p", "-rpc-timeout=x"}, Args{ConnectTimeout: time.Second}, []ArgProblem{{Message: `invalid value "x" for -rpc-timeout: a duration such as 1s or 500ms`}}},
		{[]string{"p", "-rpc-header=a: 1", "-rpc-header", "b: 2", "-tls-client-cert=/c", "--tls-client-key", "/k"},
			Args{ConnectTimeout: time.Second, RPCTimeout: time.Second, Headers: []string{"a: 1", "b: 2"}, Files: map[string]string{"tls-client-cert": "/c", "tls-client-key": "/k"}}, nil},
	}
	for _, tt := range tests {
		got, problems := ParseArgs(tt.argv)
		if !reflect.DeepEqual(got, tt.want) || !reflect.DeepEqual(problems, tt.problems) {
			t.Errorf("ParseArgs(%q) = %+v, %+v; want %+v, %+v", tt.argv, got, problems, tt.want, tt.problems)
		}
	}
}

func TestParseAddr(t *testing.T) {
	tests := []struct {
		in   string
		want Addr
		err  string
	}{
		{":50051", Addr{Port: 50051}, ""},
		{"localhost:1", Addr{Host: "localhost", Port: 1}, ""},
		{"[::1]:2", Addr{Host: "::1", Port: 2}, ""},
		{"unix:///var/run/app.sock", Addr{Scheme: "unix", Host: "/var/run/app.sock"}, ""},
		{"unix:app.sock", Addr{Scheme: "unix", Host: "app.sock"}, ""},
		{"unix-abstract:app", Addr{Scheme: "unix-abstract", Host: "app"}, ""},
		{"unix://", Addr{}, "names no socket: write unix:///path/to/socket"},
		{"dns:///greeter.default.svc:50051", Addr{Scheme: "dns", Host: "greeter.default.svc", Port: 50051}, ""},
		{"dns://8.8.8.8/greeter:50051", Addr{Scheme: "dns", Host: "greeter", Port: 50051}, ""},
		{"dns:///greeter", Addr{Scheme: "dns", Host: "greeter", Port: 443}, ""},
		{"dns:greeter:7", Addr{Scheme: "dns", Host: "greeter", Port: 7}, ""},
		{"dns://x", Addr{}, "must be dns:///host:port (the authority is followed by /)"},
		{"dns:///", Addr{}, "names no host: write dns:///host:port"},
		{"dns:///h:0", Addr{Scheme: "dns", Host: "h"}, "port must be a number between 1 and 65535"},
		{"passthrough:///h:3", Addr{Scheme: "passthrough", Host: "h", Port: 3}, ""},
		{"localhost", Addr{}, "must be host:port, such as :50051"},
		{":grpc", Addr{}, "port must be a number between 1 and 65535"},
		{":70000", Addr{}, "port must be a number between 1 and 65535"},
	}
	for _, tt := range tests {
		got, err := ParseAddr(tt.in)
		if got != tt.want || fmt.Sprint(err) != fmt.Sprint(errOrNil(tt.err)) {
			t.Errorf("ParseAddr(%q) = %+v, %v; want %+v, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
	if a := (Addr{Scheme: "unix", Host: "/s"}); !a.Unix() || !a.Local() {
		t.Errorf("%+v: want Unix and Local", a)
	}
	if a := (Addr{Scheme: "dns", Host: "greeter", Port: 1}); a.Local() {
		t.Errorf("%+v: want not Local", a)
	}
}

func errOrNil(s string) error {
	if s == "" {
		return nil
	}
	return errors.New(s)
}

func TestTimeouts(t *testing.T) {
	if got := ExecTimeout(2); got != 800*time.Millisecond {
		t.Errorf("ExecTimeout(2) = %v", got)
	}
	for _, tt := range []struct {
		connect, rpc time.Duration
		timeout      int32
		ok           bool
		min          int64
	}{
		{time.Second, time.Second, 0, false, 3},
		{time.Second, time.Second, 2, false, 3},
		{time.Second, time.Second, 3, true, 0},
		{800 * time.Millisecond, 800 * time.Millisecond, 2, true, 0},
		{1500 * time.Millisecond, 1499 * time.Millisecond, 3, true, 0},
		{1500 * time.Millisecond, 1500 * time.Millisecond, 3, false, 4},
	} {
		ok, min := TimeoutsFit(tt.connect, tt.rpc, tt.timeout)
		if ok != tt.ok || min != tt.min {
			t.Errorf("TimeoutsFit(%v, %v, %d) = %v, %d; want %v, %d", tt.connect, tt.rpc, tt.timeout, ok, min, tt.ok, tt.min)
		}
		// The generator's split always fits.
		if tt.timeout > 0 {
			if ok, _ := TimeoutsFit(ExecTimeout(tt.timeout), ExecTimeout(tt.timeout), tt.timeout); !ok {
				t.Errorf("ExecTimeout(%d) does not fit", tt.timeout)
			}
		}
	}
}

func TestSkipped(t *testing.T) {
	yes, no := true, false
	for _, tt := range []struct {
		file, service *bool
		want          bool
	}{
		{nil, nil, false}, {&yes, nil, true}, {&yes, &no, false}, {&no, &yes, true}, {nil, &yes, true},
	} {
		if got := Skipped(tt.file, tt.service); got != tt.want {
			t.Errorf("Skipped(%v, %v) = %v", tt.file, tt.service, got)
		}
	}
}
