package main

import (
	"bytes"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"
)

// Bounds on one input of under 1 MB: the 1 s (times the race
// detector's slowdown) and 100 MB of memory in use.
const (
	maxInputTime = time.Second * raceSlowdown
	maxInputHeap = 100 << 20
	// hangDeadline fails a case that hangs by its own name, long before
	// the test binary's timeout; the bounds above are checked after it.
	hangDeadline = 20 * maxInputTime
)

// measure runs f and returns how long it took, the most heap in use while it
// ran (sampled every millisecond, so a lower bound of the true peak; the
// allocations in total bound it from above) and how many bytes it allocated
// in total.
func measure(f func()) (elapsed time.Duration, peak, total uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	stop := make(chan struct{})
	done := make(chan uint64)
	go func() {
		var peak uint64
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	f()
	elapsed = time.Since(start)
	close(stop)
	peak = <-done
	runtime.ReadMemStats(&after)
	return elapsed, peak, after.TotalAlloc - before.TotalAlloc
}

// TestHostileInputs: tiny files that once hung verify-probes or exhausted
// its memory are refused (or checked) within the bounds, with a clear
// message.
func TestHostileInputs(t *testing.T) {
	desc := writeDescriptors(t, true)
	tests := []struct {
		file       string
		wantCode   int
		wantStderr string // a part of it
		wantStdout string // a part of it
	}{
		{file: "merge-fanout.yaml", wantCode: 2, wantStderr: "aliases and merge keys expand the YAML to more than"},
		{file: "list-nesting.yaml", wantCode: 2, wantStderr: "aliases and merge keys expand the YAML to more than"},
		{file: "billion-laughs.yaml", wantCode: 2, wantStderr: "aliases and merge keys expand the YAML to more than"},
		{file: "per-document.yaml", wantCode: 2, wantStderr: "aliases and merge keys expand the YAML to more than"},
		{file: "cycle.yaml", wantCode: 2, wantStderr: "an alias refers to a node that contains it"},
		{file: "deep.yaml", wantCode: 2, wantStderr: "deep.yaml:"},
		{file: "long-name.yaml", wantCode: 1, wantStdout: `is 200018 bytes, longer than the health server's limit of 1024: healthreg refuses to register it`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata/hostile", tt.file)
			var code int
			var stdout, stderr bytes.Buffer
			elapsed, peak, alloc := measure(func() {
				within(t, hangDeadline, func() { code = run([]string{"--descriptors", desc, path}, nil, &stdout, &stderr) })
			})
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantStderr) || !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("exit %d, stdout %.300q, stderr %.300q; want exit %d, stdout with %q, stderr with %q", code, stdout.String(), stderr.String(), tt.wantCode, tt.wantStdout, tt.wantStderr)
			}
			if strings.Count(stderr.String(), "\n") > 1 {
				t.Errorf("more than one error line: %q", stderr.String())
			}
			// These files are tiny: all they allocate must fit the bound.
			if elapsed > maxInputTime || alloc > maxInputHeap {
				t.Errorf("took %v and allocated %d MB; the bound is %v and %d MB", elapsed, alloc>>20, maxInputTime, maxInputHeap>>20)
			}
			t.Logf("%s: %v, %d KB allocated, peak heap %d KB", tt.file, elapsed, alloc>>10, peak>>10)
		})
	}
}

// TestLargeInputs: ordinary shapes of YAML just under 1 MB stay within the
// bounds too (the parser's cost, not ours, dominates).
func TestLargeInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	desc := writeDescriptors(t, true)
	pod := "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: c:1\n      ports: [{containerPort: 1}]\n      readinessProbe: {grpc: {port: 1, service: helloworld.Greeter}}\n"
	inputs := map[string]struct {
		in      string
		refused bool // by the count of values in one document
	}{
		"pods":           {in: strings.Repeat(pod, (1<<20-1)/len(pod))},
		"a long list":    {in: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: c:1\n      args: [" + strings.Repeat("a,", 140_000) + "]\n"},
		"a longer list":  {in: "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: c:1\n      args: [" + strings.Repeat("a,", 500_000) + "]\n", refused: true},
		"a flow mapping": {in: "{" + strings.Repeat("a: b,", 100_000) + "}\n"},
		"empty docs":     {in: strings.Repeat("---\n", 250_000)},
	}
	for name, tt := range inputs {
		in := tt.in
		if len(in) >= 1<<20 {
			t.Fatalf("%s: %d bytes, not under 1 MB", name, len(in))
		}
		var code int
		var stdout, stderr bytes.Buffer
		elapsed, peak, alloc := measure(func() {
			within(t, hangDeadline, func() { code = run([]string{"--descriptors", desc, "-"}, strings.NewReader(in), &stdout, &stderr) })
		})
		switch refused := strings.Contains(stderr.String(), "too many for a Kubernetes object"); {
		case refused != tt.refused:
			t.Errorf("%s: refused %v, want %v: %.300s", name, refused, tt.refused, stderr.String())
		case !refused && code == exitUsage && !strings.Contains(stderr.String(), "no probes"):
			t.Errorf("%s: exit %d: %.300s", name, code, stderr.String())
		}
		t.Logf("%s: %d bytes, %v, peak heap %d MB, %d MB allocated in total", name, len(in), elapsed, peak>>20, alloc>>20)
		// The machine running the tests may be shared: the time bound is
		// the with a generous margin, a regression bound only.
		if elapsed > 5*maxInputTime || peak > maxInputHeap {
			t.Errorf("%s: took %v with a peak heap of %d MB; the bound is %v and %d MB", name, elapsed, peak>>20, 5*maxInputTime, maxInputHeap>>20)
		}
	}
}
