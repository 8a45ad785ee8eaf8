package helmchart

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/metrics"
	"strings"
	"time"
)

// Bounds of rendering. Helm's templates are a language: a chart can loop
// for ever or build a huge list (until 1000000000), and Go cannot stop a
// goroutine, so rendering runs in a child process (this executable again,
// told by childEnv) that a watchdog in the child ends past MaxMemory of
// heap, and the parent kills after Timeout.
const MaxMemory = 512 << 20

// Timeout bounds one rendering (a variable for tests of the bound).
var Timeout = 30 * time.Second

// childEnv, set to "1", makes RunChild render the request on standard
// input instead of returning.
const childEnv = "PROTOC_GEN_HEALTH_HELM_RENDER"

// exitMemory is the child's exit code when its watchdog stops it.
const exitMemory = 3

type request struct {
	Dir string
	Options
}

type response struct {
	Templates []Template
	Err       string
}

// RunChild renders the request on standard input and exits, when this
// process is Render's child; otherwise it returns at once. Call it first
// thing in main (and in TestMain of tests that run Render).
func RunChild() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	go watchMemory()
	var req request
	var resp response
	if err := json.NewDecoder(io.LimitReader(os.Stdin, MaxBytes)).Decode(&req); err != nil {
		resp.Err = fmt.Sprintf("reading the render request: %v", err)
	} else if ts, err := RenderInProcess(context.Background(), req.Dir, req.Options); err != nil {
		resp.Err = err.Error()
	} else {
		resp.Templates = ts
	}
	if err := json.NewEncoder(os.Stdout).Encode(resp); err != nil {
		os.Exit(2)
	}
	os.Exit(0)
}

// watchMemory ends the child when its heap passes MaxMemory.
func watchMemory() {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	for range time.Tick(5 * time.Millisecond) {
		metrics.Read(sample)
		if sample[0].Value.Uint64() > MaxMemory {
			fmt.Fprintf(os.Stderr, "over %d MiB of memory", MaxMemory>>20)
			os.Exit(exitMemory)
		}
	}
}

// Render renders the chart at dir as helm template does (RenderInProcess),
// in a child process bounded by Timeout and MaxMemory. The error is Helm's
// message, or which bound stopped the rendering.
func Render(dir string, o Options) ([]Template, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	in, err := json.Marshal(request{Dir: dir, Options: o})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &limitedWriter{w: &stdout, n: 2*MaxBytes + 1<<20} // JSON of at most MaxBytes of output
	cmd.Stderr = &limitedWriter{w: &stderr, n: 4 << 10}
	err = cmd.Run()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%s: rendering the chart took more than %v: refusing it", dir, Timeout)
	case cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitMemory:
		return nil, fmt.Errorf("%s: rendering the chart took %s: refusing it", dir, strings.TrimSpace(stderr.String()))
	case err != nil:
		return nil, fmt.Errorf("%s: rendering the chart failed: %v: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	var resp response
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("%s: reading the rendered chart: %v", dir, err)
	}
	if resp.Err != "" {
		// Helm's template errors run over several indented lines.
		return nil, fmt.Errorf("%s: %s", dir, strings.Join(strings.Fields(resp.Err), " "))
	}
	return resp.Templates, nil
}

// limitedWriter keeps the first n bytes and fails after them, which ends
// the child's writes.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		l.w.Write(p[:l.n])
		l.n = 0
		return 0, errors.New("too much output")
	}
	l.n -= len(p)
	return l.w.Write(p)
}
