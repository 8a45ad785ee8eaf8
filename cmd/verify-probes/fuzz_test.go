package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// FuzzVerify runs verify-probes on arbitrary manifest bytes from standard
// input. Whatever the input: no panic, an exit code of 0, 1 or 2, every
// output line a finding of <stdin> (a manifest cannot forge a line), and the
// work within the bounds of one input (time, and bytes allocated in total).
// Seeds: every manifest in testdata of up to 16 KiB.
func FuzzVerify(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{"testdata/manifests/*.yaml", "testdata/manifests/good/*.yaml", "testdata/cases/*/*.yaml", "testdata/cases/*/*/*.yaml", "testdata/cases/*/stdin", "testdata/hostile/*.yaml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, m...)
	}
	if len(seeds) < 20 {
		f.Fatalf("only %d seeds", len(seeds))
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) <= 16<<10 { // the fuzzer minimises large inputs slowly
			f.Add(data)
		}
	}
	desc := writeDescriptors(f, true)
	f.Fuzz(func(t *testing.T, data []byte) {
		var code int
		var stdout, stderr bytes.Buffer
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		code = run([]string{"--descriptors", desc, "-"}, bytes.NewReader(data), &stdout, &stderr)
		elapsed := time.Since(start)
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		if code != exitOK && code != exitFindings && code != exitUsage {
			t.Fatalf("exit %d", code)
		}
		for _, line := range strings.SplitAfter(stdout.String(), "\n") {
			if line != "" && !strings.HasPrefix(line, "<stdin>:") {
				t.Fatalf("output line %q is not a finding of <stdin>", line)
			}
		}
		if n := strings.Count(stderr.String(), "\n"); n > 1 || n != len(strings.SplitAfter(stderr.String(), "\n"))-1 {
			t.Fatalf("stderr is not one line: %q", stderr.String())
		}
		// Generous: fuzz inputs are small, and the fuzzer runs workers
		// side by side.
		if elapsed > 2*maxInputTime || alloc > 2*maxInputHeap {
			t.Fatalf("%d bytes took %v and allocated %d MB", len(data), elapsed, alloc>>20)
		}
	})
}
