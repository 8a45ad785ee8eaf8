// Package proctest runs the example servers as processes for the tests that
// need a real process: it builds a server's binary, starts it, reads the
// addresses serve.Main prints, keeps its stderr, signals it, waits for its
// exit and kills it at the test's end. Only tests import it.
package proctest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// StartTimeout bounds the wait for a started server to print its address.
const StartTimeout = 15 * time.Second

// Build runs `go build -o bin pkg` in dir, for a TestMain or a test's first
// use of a server. The error carries the build's output.
func Build(dir, pkg, bin string) error {
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// Server is a server process started by Start.
type Server struct {
	Addr       string // from its "grpc listening on ADDR" line
	HealthAddr string // from a "health listening on ADDR" line before it; "" without one

	cmd     *exec.Cmd
	stderr  lockedBuffer
	exited  chan struct{} // closed once the process has exited
	waitErr error         // cmd.Wait's result, set before exited closes
}

// Start starts bin with args and returns once it has printed "grpc
// listening on ADDR", which serve.Main prints once it serves (after "health
// listening on ADDR" with -health-addr); the rest of stdout is discarded. It
// fails the test if the process exits first or prints no address within
// StartTimeout. The process is killed, if still running, when the test
// ends, and its stderr is logged then if the test failed; name labels it in
// those messages.
func Start(t testing.TB, name, bin string, args ...string) *Server {
	t.Helper()
	s := &Server{cmd: exec.Command(bin, args...), exited: make(chan struct{})}
	s.cmd.Stderr = &s.stderr
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			t.Logf("server %s (%s) log:\n%s", name, s.Addr, s.Stderr())
		}
	})

	addrs := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var health string
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "health listening on "); ok {
				health = strings.TrimSpace(a)
			}
			if a, ok := strings.CutPrefix(sc.Text(), "grpc listening on "); ok {
				addrs <- [2]string{strings.TrimSpace(a), health}
				break
			}
		}
		io.Copy(io.Discard, stdout)
		s.waitErr = s.cmd.Wait() // after stdout's EOF, as StdoutPipe requires
		close(s.exited)
	}()
	select {
	case a := <-addrs:
		s.Addr, s.HealthAddr = a[0], a[1]
		return s
	case <-s.exited:
		t.Fatalf("server %s exited before listening: %v\n%s", name, s.waitErr, s.Stderr())
	case <-time.After(StartTimeout):
		t.Fatalf("server %s printed no address within %v\n%s", name, StartTimeout, s.Stderr())
	}
	return nil
}

// Stderr returns what the process has written to stderr so far.
func (s *Server) Stderr() string { return s.stderr.String() }

// Signal sends sig to the process.
func (s *Server) Signal(sig os.Signal) error { return s.cmd.Process.Signal(sig) }

// Wait waits up to timeout for the process to exit and returns exec.Cmd's
// Wait result: nil after exit 0, an *exec.ExitError after any other exit.
// If the process is still running at timeout, it returns an error that
// matches os.ErrDeadlineExceeded.
func (s *Server) Wait(timeout time.Duration) error {
	select {
	case <-s.exited:
		return s.waitErr
	case <-time.After(timeout):
		return fmt.Errorf("process %d still running after %v: %w", s.cmd.Process.Pid, timeout, os.ErrDeadlineExceeded)
	}
}

// Kill kills the process unless it has exited, and waits for its exit.
func (s *Server) Kill() {
	select {
	case <-s.exited:
	default:
		s.cmd.Process.Kill()
		<-s.exited
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
