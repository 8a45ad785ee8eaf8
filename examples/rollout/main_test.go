//go:build unix

package rollout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/protoc-gen-health/protoc-gen-health/examples/internal/proctest"
)

// serverBin is the helloworld example server, built once by TestMain.
var serverBin string

// The server's -stop-timeout, and the bound of the wait for a process to
// exit (proctest.StartTimeout bounds the wait for its address).
const (
	stopTimeout = 3 * time.Second
	exitSlack   = 10 * time.Second // beyond -drain and -stop-timeout, to exit
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rollout-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	serverBin = filepath.Join(dir, "helloworld-server")
	// The test runs in examples/rollout; go.work (if any) applies as usual.
	if err := proctest.Build("..", "./helloworld/server", serverBin); err != nil {
		fmt.Fprint(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		os.RemoveAll(dir)
		os.Exit(code)
	}))
}

// server is one helloworld server process.
type server struct {
	*proctest.Server
	name string // A, B, A' in the tests' messages
}

// startServer starts a helloworld server on a port the OS picks, with the
// given -drain, and returns once it has logged its address: it is then
// bound, and ready (readiness SERVING) as soon as it accepts. The process is
// killed, if still running, when the test ends; its log is shown if the test
// failed. A server that binds a port in avoid (a previous server's, reused
// by the OS) is discarded and started again, so that each address names one
// process.
func startServer(t testing.TB, name string, drain time.Duration, avoid ...string) *server {
	t.Helper()
	for range 3 {
		s := proctest.Start(t, name, serverBin, "-addr=127.0.0.1:0",
			"-drain="+drain.String(), "-stop-timeout="+stopTimeout.String())
		if !slices.Contains(avoid, s.Addr) {
			return &server{Server: s, name: name}
		}
		s.Kill()
	}
	t.Fatalf("%s: the OS gave a used port three times", name)
	return nil
}

// sigterm sends SIGTERM, as the kubelet does when it stops a pod, and
// returns the time just before sending.
func (s *server) sigterm(t testing.TB) time.Time {
	t.Helper()
	at := time.Now()
	if err := s.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", s.name, err)
	}
	return at
}

// waitExit waits for the process to exit after SIGTERM and fails the test
// unless it exited 0, which the servers do only when the graceful stop
// finished within -stop-timeout. It returns when the exit was seen.
func (s *server) waitExit(t testing.TB, drain time.Duration) time.Time {
	t.Helper()
	timeout := drain + stopTimeout + exitSlack
	err := s.Wait(timeout)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("server %s did not exit within %v of SIGTERM", s.name, timeout)
	}
	at := time.Now()
	if err != nil {
		t.Fatalf("server %s: %v (want exit 0: a graceful stop)\n%s", s.name, err, s.Stderr())
	}
	return at
}
