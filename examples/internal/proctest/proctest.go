// Package proctest runs the example servers as processes for the tests that
// need a real process: it builds a server's binary, starts it, reads the
// addresses it logs, keeps its stderr, signals it, waits for its
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
	Addr       string // addr= of its "serving" line
	HealthAddr string // health_addr= of that line; "" without one

	cmd     *exec.Cmd
	stderr  LockedBuffer
	exited  chan struct{} // closed once the process has exited
	waitErr error         // cmd.Wait's result, set before exited closes
}

// Start starts bin with args and returns once it has logged healthreg's
// "serving" line (healthflags' Config.ListenAndServe logs it once the server
// serves, with the bound addresses); stdout is discarded. It fails the test
// if the process exits first or logs no address within StartTimeout. The
// process is killed, if still running, when the test ends, and its stderr
// is logged then if the test failed; name labels it in those messages.
func Start(t testing.TB, name, bin string, args ...string) *Server {
	t.Helper()
	return StartCmd(t, name, exec.Command(bin, args...))
}

// StartCmd is Start for a prepared command (its environment, its directory).
func StartCmd(t testing.TB, name string, cmd *exec.Cmd) *Server {
	t.Helper()
	s := &Server{cmd: cmd, exited: make(chan struct{})}
	stderr, err := s.cmd.StderrPipe()
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
		sc := bufio.NewScanner(stderr)
		found := false
		for sc.Scan() {
			line := sc.Text()
			s.stderr.Write([]byte(line + "\n"))
			if addr, health, ok := ServingLine(line); ok && !found {
				found = true
				addrs <- [2]string{addr, health}
			}
		}
		io.Copy(&s.stderr, stderr) // a line too long for the scanner
		s.waitErr = s.cmd.Wait()   // after stderr's EOF, as StderrPipe requires
		close(s.exited)
	}()
	select {
	case a := <-addrs:
		s.Addr, s.HealthAddr = a[0], a[1]
		return s
	case <-s.exited:
		t.Fatalf("server %s exited before serving: %v\n%s", name, s.waitErr, s.Stderr())
	case <-time.After(StartTimeout):
		t.Fatalf("server %s logged no address within %v\n%s", name, StartTimeout, s.Stderr())
	}
	return nil
}

// ServingLine reads the addresses from healthreg's "serving" log line, in
// the default logger's format ("... INFO serving addr=A health_addr=H") or
// slog's text format ("... msg=serving addr=A ..."); ok is false for any
// other line.
func ServingLine(line string) (addr, healthAddr string, ok bool) {
	if !strings.Contains(line, " INFO serving ") && !strings.Contains(line, " msg=serving ") {
		return "", "", false
	}
	for field := range strings.FieldsSeq(line) {
		if a, found := strings.CutPrefix(field, "addr="); found {
			addr = a
		}
		if a, found := strings.CutPrefix(field, "health_addr="); found {
			healthAddr = a
		}
	}
	return addr, healthAddr, addr != ""
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

// LockedBuffer is a bytes.Buffer that exec's goroutine writes while the
// test may read it.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
