package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
)

// manyServices writes a descriptor set of n services whose names differ
// only in their numbers (every one within the length a misspelling allows,
// the did-you-mean search's worst case) and returns its path.
func manyServices(t testing.TB, n int) string {
	t.Helper()
	f := &descriptorpb.FileDescriptorProto{Name: proto.String("many.proto"), Package: proto.String("acme.platform.v1"), Syntax: proto.String("proto3")}
	for i := range n {
		f.Service = append(f.Service, &descriptorpb.ServiceDescriptorProto{Name: proto.String(fmt.Sprintf("Service%04d", i))})
	}
	data, err := proto.Marshal(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{f}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "many.binpb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// misspeltPods returns n pods whose readiness probes ask n distinct
// misspellings of those services' names.
func misspeltPods(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\nspec:\n  containers:\n    - name: c\n      image: c:1\n      ports: [{containerPort: 1}]\n      readinessProbe: {grpc: {port: 1, service: acme.platform.v1.Servcie%04d}}\n", i, i)
	}
	return b.String()
}

// within runs f, and fails the test if f has not returned after d: a case
// that hangs fails by its own name at its own deadline, not at the test
// binary's timeout.
func within(t *testing.T, d time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("still running after %v", d)
	}
}

// TestManyMisspeltProbes: 10,000 distinct misspellings of 1,000 services'
// names (each probe once compared with every service, 35 s to 2 min before
// the search was bounded) are each reported; the search stops at
// editdist.MaxWork (internal/verify's TestSuggestWorkBounded counts it),
// about 1 s of CPU here. The deadline is a regression bound only.
func TestManyMisspeltProbes(t *testing.T) {
	desc := manyServices(t, 1000)
	in := misspeltPods(10_000)
	var code int
	var stdout, stderr bytes.Buffer
	elapsed, peak, alloc := measure(func() {
		within(t, 30*time.Second*raceSlowdown, func() {
			code = run([]string{"--descriptors", desc, "-"}, strings.NewReader(in), &stdout, &stderr)
		})
	})
	t.Logf("%d bytes of YAML: %v, peak heap %d MB, %d MB allocated", len(in), elapsed, peak>>20, alloc>>20)
	out := stdout.String()
	if code != exitFindings || strings.Count(out, "\n") != 10_000 || stderr.Len() > 0 {
		t.Fatalf("exit %d, %d lines, stderr %q", code, strings.Count(out, "\n"), stderr.String())
	}
	const first = `<stdin>:10: error: Pod/p0 c readinessProbe: unknown health service "acme.platform.v1.Servcie0000": not in the descriptors, nor "liveness", "readiness" or ""; did you mean "acme.platform.v1.Service0000"?` + "\n"
	if !strings.HasPrefix(out, first) {
		t.Errorf("first finding %.300q, want %q", out, first)
	}
}

// TestMemoryDoesNotGrowWithFiles: each file's YAML and probes are released
// once it is checked, so four files peak near one file's heap (twelve 15 MB
// files took 2-3 GB when every file's tree was kept to the end).
func TestMemoryDoesNotGrowWithFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	desc := writeDescriptors(t, true)
	pod := "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: c:1\n      ports: [{containerPort: 1}]\n      readinessProbe: {grpc: {port: 1, service: helloworld.Greeter}}\n"
	path := filepath.Join(t.TempDir(), "pods.yaml")
	if err := os.WriteFile(path, []byte(strings.Repeat(pod, (1<<20)/len(pod))), 0o644); err != nil {
		t.Fatal(err)
	}
	peakOf := func(files int) uint64 {
		args := []string{"--descriptors", desc}
		for range files {
			args = append(args, path)
		}
		var code int
		var stdout, stderr bytes.Buffer
		_, peak, _ := measure(func() {
			within(t, 10*maxInputTime*time.Duration(files), func() { code = run(args, nil, &stdout, &stderr) })
		})
		if code != exitOK {
			t.Fatalf("%d files: exit %d: %.300s", files, code, stderr.String())
		}
		return peak
	}
	one, four := peakOf(1), peakOf(4)
	t.Logf("peak heap: one 1 MB file %d MB, four %d MB", one>>20, four>>20)
	if four > one*3/2+(8<<20) {
		t.Errorf("four files peaked at %d MB, one at %d MB: memory grows with the number of files", four>>20, one>>20)
	}
}

// TestInputsThatNeverEnd: --descriptors has the manifests' rules: a bound
// on its size (/dev/zero grew without end), and a named pipe, for it or a
// manifest, that no process writes fails at its deadline instead of hanging.
func TestInputsThatNeverEnd(t *testing.T) {
	defer func(d time.Duration) { manifest.FIFOTimeout = d }(manifest.FIFOTimeout)
	manifest.FIFOTimeout = 200 * time.Millisecond
	desc := writeDescriptors(t, true)
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"descriptors from /dev/zero", []string{"--descriptors", "/dev/zero", "-"}, "verify-probes: /dev/zero: too large: over 64 MiB; not a descriptor set of one API\n"},
		{"descriptors from a pipe nobody writes", []string{"--descriptors", fifo, "-"}, "verify-probes: " + fifo + ": a named pipe that no process opened for writing within 200ms\n"},
		{"manifests from a pipe nobody writes", []string{"--descriptors", desc, fifo}, "verify-probes: " + fifo + ": a named pipe that no process opened for writing within 200ms\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var code int
			var stdout, stderr bytes.Buffer
			within(t, time.Minute*raceSlowdown, func() { code = run(tt.args, strings.NewReader(""), &stdout, &stderr) })
			if code != exitUsage || stderr.String() != tt.wantStderr {
				t.Errorf("exit %d, stderr %q; want exit %d, stderr %q", code, stderr.String(), exitUsage, tt.wantStderr)
			}
		})
	}
}
