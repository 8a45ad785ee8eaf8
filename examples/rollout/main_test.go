//go:build unix

package rollout

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// serverBin is the helloworld example server, built once by TestMain.
var serverBin string

// The server's -stop-timeout, and the bounds of the waits for a process.
const (
	stopTimeout  = 3 * time.Second
	startTimeout = 15 * time.Second // to print its address
	exitSlack    = 10 * time.Second // beyond -drain and -stop-timeout, to exit
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "rollout-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	serverBin = filepath.Join(dir, "helloworld-server")
	// The test runs in examples/rollout; go.work (if any) applies as usual.
	cmd := exec.Command("go", "build", "-o", serverBin, "./helloworld/server")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build ./helloworld/server: %v\n%s", err, out)
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
	name    string // A, B, A' in the tests' messages
	addr    string // the 127.0.0.1:port it serves on
	cmd     *exec.Cmd
	out     *lineWriter   // its stdout, which gives the address
	stderr  *lockedBuffer // its log
	exited  chan struct{} // closed once the process has exited
	waitErr error         // cmd.Wait's result, set before exited closes
}

// startServer starts a helloworld server on a port the OS picks, with the
// given -drain, and returns once it has printed its address: it is then
// bound, and ready (readiness SERVING) as soon as it accepts. The process is
// killed, if still running, when the test ends; its log is shown if the test
// failed. A server that binds a port in avoid (a previous server's, reused
// by the OS) is discarded and started again, so that each address names one
// process.
func startServer(t testing.TB, name string, drain time.Duration, avoid ...string) *server {
	t.Helper()
	for range 3 {
		s := startOnce(t, name, drain)
		if !slices.Contains(avoid, s.addr) {
			return s
		}
		s.kill()
	}
	t.Fatalf("%s: the OS gave a used port three times", name)
	return nil
}

func startOnce(t testing.TB, name string, drain time.Duration) *server {
	t.Helper()
	s := &server{
		name: name,
		cmd: exec.Command(serverBin, "-addr=127.0.0.1:0",
			"-drain="+drain.String(), "-stop-timeout="+stopTimeout.String()),
		out:    &lineWriter{prefix: "grpc listening on ", found: make(chan string, 1)},
		stderr: &lockedBuffer{},
		exited: make(chan struct{}),
	}
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.stderr
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = s.cmd.Wait() // also waits for exec's copying goroutines
		close(s.exited)
	}()
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("server %s (%s) log:\n%s", s.name, s.addr, s.stderr)
		}
	})
	select {
	case s.addr = <-s.out.found:
		return s
	case <-s.exited:
		t.Fatalf("server %s exited before listening: %v\n%s", name, s.waitErr, s.stderr)
	case <-time.After(startTimeout):
		t.Fatalf("server %s printed no address within %v\n%s", name, startTimeout, s.stderr)
	}
	return nil
}

// kill kills the process unless it has exited, and waits for it.
func (s *server) kill() {
	select {
	case <-s.exited:
	default:
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// sigterm sends SIGTERM, as the kubelet does when it stops a pod, and
// returns the time just before sending.
func (s *server) sigterm(t testing.TB) time.Time {
	t.Helper()
	at := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM %s: %v", s.name, err)
	}
	return at
}

// waitExit waits for the process to exit after SIGTERM and fails the test
// unless it exited 0, which serve.Main does only when the graceful stop
// finished within -stop-timeout. It returns when the exit was seen.
func (s *server) waitExit(t testing.TB, drain time.Duration) time.Time {
	t.Helper()
	timeout := drain + stopTimeout + exitSlack
	select {
	case <-s.exited:
	case <-time.After(timeout):
		t.Fatalf("server %s did not exit within %v of SIGTERM", s.name, timeout)
	}
	at := time.Now()
	if s.waitErr != nil {
		t.Fatalf("server %s: %v (want exit 0: a graceful stop)\n%s", s.name, s.waitErr, s.stderr)
	}
	return at
}

// lineWriter scans what it is given for the first line starting with
// prefix and sends the rest of that line on found; it keeps nothing else.
// Only exec's copying goroutine writes to it.
type lineWriter struct {
	prefix string
	found  chan string // buffered, receives one address
	buf    []byte
	done   bool
}

func (w *lineWriter) Write(p []byte) (int, error) {
	if w.done {
		return len(p), nil
	}
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if rest, ok := strings.CutPrefix(line, w.prefix); ok {
			w.found <- strings.TrimSpace(rest)
			w.done, w.buf = true, nil
			return len(p), nil
		}
	}
}

// lockedBuffer is a bytes.Buffer that exec's goroutine writes while the
// test may read it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
