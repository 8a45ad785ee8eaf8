package contract

import (
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

// hostileArgs are arguments in the kubelet's syntax that a shell, or the
// kubelet, would misread if written unescaped.
var hostileArgs = []string{
	`-rpc-header=authorization: Bearer $(TOKEN)`,
	`-rpc-header=x-quote: a"b\c` + "`id`" + `'d' ;e|f&g*h?[i]~j#k!`,
	`-rpc-header=x-dollar: $$(TOKEN) $$$$ $$TOKEN ${TOKEN} $x $`,
	`-rpc-header=x-two: $(TOKEN)-$(TENANT)`,
	`-rpc-header=x-bad-name: $(not-a-name) $(a$$b) $()`,
	`-rpc-header=x-unclosed: $(TOKEN) $$ $(A`,
	`-tls-ca-cert=/etc/with space/ca.pem`,
	``,
}

func TestProbeCommandWithoutVariablesIsArgv(t *testing.T) {
	argv := []string{"/bin/grpc_health_probe", "-addr=:1", "-rpc-header=x: $$(A) $(not-a-name)"}
	if got := ProbeCommand(argv); !reflect.DeepEqual(got, argv) {
		t.Errorf("ProbeCommand(%q) = %q, want it unchanged", argv, got)
	}
}

// TestProbeCommandRoundTrip: what the kubelet and a shell make of the
// command is argv expanded from the container's whole env, as the kubelet
// would expand argv if every entry had a value; and verify-probes' reader
// (ProbeArgv) reads the same argv back.
func TestProbeCommandRoundTrip(t *testing.T) {
	env := map[string]string{"TOKEN": "s3cr$t (x)", "TENANT": "t1"}
	argv := append([]string{"/bin/grpc_health_probe", "-addr=:50051", "-service=a.B"}, hostileArgs...)
	cmd := ProbeCommand(argv)
	if len(cmd) != 3 || cmd[0] != "sh" || cmd[1] != "-c" || !strings.HasPrefix(cmd[2], "exec /bin/grpc_health_probe -addr=:50051 -service=a.B ") {
		t.Fatalf("ProbeCommand = %q, want [sh -c \"exec /bin/grpc_health_probe -addr=:50051 -service=a.B ...\"]", cmd)
	}
	want := make([]string, len(argv))
	for i, a := range argv {
		want[i], _ = ExpandKubelet(a, env)
	}
	// The kubelet, with no entry of a value: the script comes through as
	// written for the shell.
	script, unresolved := ExpandKubelet(cmd[2], nil)
	if len(unresolved) > 0 {
		t.Errorf("the script has kubelet references %q", unresolved)
	}
	got, viaShell, ok := ProbeArgv(cmd, env) // the kubelet's expansion, then the shell's

	if !ok || !viaShell || !reflect.DeepEqual(got, want) {
		t.Errorf("ProbeArgv(ProbeCommand) = %q, %v, %v\nwant %q", got, viaShell, ok, want)
	}

	// A real shell: the program replaced by printf, which prints each
	// argument on its own line.
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh:", err)
	}
	printArgs := strings.Replace(script, "exec /bin/grpc_health_probe ", `exec printf '%s\n' /bin/grpc_health_probe `, 1)
	c := exec.Command(sh, "-c", printArgs)
	c.Env = []string{"PATH=/usr/bin:/bin", "TOKEN=" + env["TOKEN"], "TENANT=" + env["TENANT"]}
	out, err := c.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", printArgs, err)
	}
	if lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"); !reflect.DeepEqual(lines, want) {
		t.Errorf("sh passed\n%q\nwant\n%q", lines, want)
	}

	// Without the variable the shell fails, naming it.
	c = exec.Command(sh, "-c", printArgs)
	c.Env = []string{"PATH=/usr/bin:/bin", "TENANT=t1"}
	out, err = c.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "TOKEN: parameter") {
		t.Errorf("sh without TOKEN: %v, %q; want a failure naming TOKEN", err, out)
	}
}
