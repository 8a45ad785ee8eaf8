package e2e

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// Commands copied from the docs listen on fixed ports (-addr=127.0.0.1:50051),
// and the machine that runs the tests is shared: another process may hold
// those ports. So the tests rewrite every port in a command to a free one
// before running it, and hold the docs' ports themselves while they run,
// so that a command the rewriting misses fails every time rather than on
// the day the port is taken.
//
// Rewriting rather than a private network namespace (unshare -n, or
// CLONE_NEWNET): a namespace needs CAP_SYS_ADMIN, which CI's fresh machine
// may well lack (an unprivileged container), and the blocks would then need
// a second path anyway; it would also cut a block's go commands off the
// module proxy. Rewriting runs the same way everywhere.

// portLiteral matches a port in a command: after a host (127.0.0.1:50051,
// localhost:8086, [::1]:50051), after = (-addr=:50051) or after a space.
// Group 1 is the character before the colon, group 2 the port.
var portLiteral = regexp.MustCompile(`([\w.\]=\s-]):([0-9]{2,5})\b`)

// portRewriter maps the fixed ports of commands to free ones, the same
// free port for every mention of a fixed port.
type portRewriter struct {
	t     testing.TB
	ports map[string]int32 // fixed port → free port
}

func newPortRewriter(t testing.TB) *portRewriter {
	return &portRewriter{t: t, ports: map[string]int32{}}
}

// rewrite returns cmd with each port literal replaced by its free port.
func (r *portRewriter) rewrite(cmd string) string {
	return portLiteral.ReplaceAllStringFunc(cmd, func(m string) string {
		sub := portLiteral.FindStringSubmatch(m)
		free, ok := r.ports[sub[2]]
		if !ok {
			free = freePort(r.t)
			r.ports[sub[2]] = free
			r.t.Logf("port %s runs as %d", sub[2], free)
		}
		return sub[1] + ":" + strconv.Itoa(int(free))
	})
}

// heldPorts are the fixed ports the docs and examples use: the plugin's
// and healthreg's default application port and the ones after it, and the
// examples' health port.
var heldPorts = []int{50051, 50052, 50053, 50054, 50055, 50056, 50057, 50058, 50059, 50060, 8086}

// holdPorts listens on heldPorts on 127.0.0.1 and on 0.0.0.0 until the test
// ends, as another process on the machine might, so that whatever binds one
// of them during the test fails. The listeners set SO_REUSEPORT, so that
// both addresses can be held, and so can tests running in parallel in
// other processes; a server that does not set it cannot bind the port. A
// port that someone else holds already is held all the same.
func holdPorts(t testing.TB) {
	t.Helper()
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	held := 0
	for _, port := range heldPorts {
		for _, host := range []string{"127.0.0.1", "0.0.0.0"} {
			lis, err := lc.Listen(context.Background(), "tcp4", net.JoinHostPort(host, strconv.Itoa(port)))
			if err != nil {
				continue // held by another process: as good for the test
			}
			held++
			t.Cleanup(func() { lis.Close() })
		}
	}
	t.Logf("holding %d of %d listeners on ports %v", held, 2*len(heldPorts), heldPorts)
}

// TestHeldPortsRefuseServers: while holdPorts holds a port, a server that
// listens on it, as Go's and grpc-go's do, fails; otherwise holding would
// prove nothing.
func TestHeldPortsRefuseServers(t *testing.T) {
	holdPorts(t)
	for _, addr := range []string{"127.0.0.1:50051", ":50051", "0.0.0.0:8086"} {
		if lis, err := net.Listen("tcp", addr); err == nil {
			lis.Close()
			t.Errorf("net.Listen(%q) succeeded while the port is held", addr)
		}
	}
}

// TestPortRewriter: every port literal of a command becomes a free port,
// the same one for each mention; what is not a port stays.
func TestPortRewriter(t *testing.T) {
	r := newPortRewriter(t)
	in := "./greeter -addr=127.0.0.1:50051 -health-addr=:8086 & server=$!\n" +
		"grpc-health-probe -addr=127.0.0.1:50051 -service=liveness\n" +
		"docker build -t ghcr.io/example/greeter:v1 . && curl localhost:8086 [::1]:50051\n" +
		"protoc --health_opt=emit=k8s,port=50051,image=ghcr.io/x/y:v1"
	got := r.rewrite(in)
	app, health := r.ports["50051"], r.ports["8086"]
	if app == 0 || health == 0 || app == health {
		t.Fatalf("ports 50051 → %d, 8086 → %d; want two distinct free ports", app, health)
	}
	want := fmt.Sprintf("./greeter -addr=127.0.0.1:%[1]d -health-addr=:%[2]d & server=$!\n"+
		"grpc-health-probe -addr=127.0.0.1:%[1]d -service=liveness\n"+
		"docker build -t ghcr.io/example/greeter:v1 . && curl localhost:%[2]d [::1]:%[1]d\n"+
		"protoc --health_opt=emit=k8s,port=50051,image=ghcr.io/x/y:v1", app, health)
	if got != want {
		t.Errorf("rewrite:\n%s\nwant:\n%s", got, want)
	}
}
