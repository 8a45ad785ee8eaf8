package gen

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/bench/corpus"
	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
)

// benchParameter is the plugin parameter of the benchmarks, as in
// scripts/bench.sh.
const benchParameter = "emit=go,emit=k8s"

var benchRequest = sync.OnceValues(func() ([]byte, error) {
	// scripts/bench.sh writes this file (and points here with
	// HEALTH_BENCH_REQUEST); without it, build the same corpus here.
	p := os.Getenv("HEALTH_BENCH_REQUEST")
	if p == "" {
		p = filepath.Join("..", "bench", "out", "request-health.bin")
	}
	if b, err := os.ReadFile(p); err == nil {
		return b, nil
	}
	dir, err := os.MkdirTemp("", "health-bench-corpus-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files, _, err := corpus.Write(dir)
	if err != nil {
		return nil, err
	}
	return protoreq.BuildBytes([]string{dir, optionsImportPath}, files, benchParameter)
})

// cpuTime returns the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs body b.N times and reports, beside ns/op, the process's CPU
// time per op (cpu-ms/op, garbage collection included), which other
// processes on a busy machine disturb much less than wall time.
func loop(b *testing.B, body func()) {
	b.Helper()
	b.ReportAllocs()
	start := cpuTime(b)
	n := 0
	for b.Loop() {
		body()
		n++
	}
	b.ReportMetric(float64(cpuTime(b)-start)/float64(time.Millisecond)/float64(n), "cpu-ms/op")
}

// loadBenchRequest returns the benchmark corpus's request bytes.
func loadBenchRequest(b *testing.B) []byte {
	b.Helper()
	in, err := benchRequest()
	if err != nil {
		b.Fatal(err)
	}
	return in
}

func unmarshalRequest(b *testing.B, in []byte) *pluginpb.CodeGeneratorRequest {
	req := &pluginpb.CodeGeneratorRequest{}
	if err := proto.Unmarshal(in, req); err != nil {
		b.Fatal(err)
	}
	return req
}

// BenchmarkGenerate runs the plugin on the benchmark corpus's encoded
// request, as the process does between reading stdin and encoding the
// response: slimRequest's decoding, protogen's model of the slim request,
// resolve, check and render.
func BenchmarkGenerate(b *testing.B) {
	in := loadBenchRequest(b)
	if req := unmarshalRequest(b, in); req.GetParameter() != benchParameter {
		b.Fatalf("request parameter %q, want %q", req.GetParameter(), benchParameter)
	}
	loop(b, func() {
		resp, err := GenerateEncoded(in)
		if err != nil {
			b.Fatal(err)
		}
		if resp.Error != nil {
			b.Fatal(resp.GetError())
		}
	})
}

// BenchmarkPlugin is the whole plugin in-process, from request bytes to
// response bytes, next to two floors that scripts/bench.sh runs as
// processes: decode (bench/decode: proto.Unmarshal of the request, nothing
// else) and model (bench/noop: decode and build protogen's model of every
// file).
func BenchmarkPlugin(b *testing.B) {
	in := loadBenchRequest(b)
	b.Run("floor-decode", func(b *testing.B) {
		loop(b, func() { unmarshalRequest(b, in) })
	})
	b.Run("floor-model", func(b *testing.B) {
		loop(b, func() {
			req := unmarshalRequest(b, in)
			plugin, err := protogen.Options{ParamFunc: func(string, string) error { return nil }}.New(req)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := proto.Marshal(plugin.Response()); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("health", func(b *testing.B) {
		loop(b, func() {
			resp, err := GenerateEncoded(in)
			if err != nil || resp.Error != nil {
				b.Fatal(err, resp.GetError())
			}
			if _, err := proto.Marshal(resp); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// BenchmarkStages times the plugin's stages on the corpus one by one:
// slimRequest's decoding, protogen's model of the slim request, build
// (resolve and check), the Go templates with protogen's formatting of their
// output, and the Kubernetes templates.
func BenchmarkStages(b *testing.B) {
	in := loadBenchRequest(b)
	req, err := slimRequest(in)
	if err != nil {
		b.Fatal(err)
	}
	params, err := parseParams(req.GetParameter())
	if err != nil {
		b.Fatal(err)
	}
	plugin, err := protogen.Options{}.New(req)
	if err != nil {
		b.Fatal(err)
	}
	model, err := build(plugin, params)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("slim", func(b *testing.B) {
		loop(b, func() {
			if _, err := slimRequest(in); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("protogen", func(b *testing.B) {
		loop(b, func() {
			if _, err := (protogen.Options{}).New(req); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("build", func(b *testing.B) {
		loop(b, func() {
			if _, err := build(plugin, params); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("go", func(b *testing.B) {
		loop(b, func() {
			// The model's files belong to plugin; their generated files go
			// to an empty plugin, so each iteration starts afresh.
			p, err := protogen.Options{}.New(&pluginpb.CodeGeneratorRequest{})
			if err != nil {
				b.Fatal(err)
			}
			files, err := renderGo(p, model)
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			for _, f := range files {
				if err := f.emit(discard{}, &buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("k8s", func(b *testing.B) {
		loop(b, func() {
			if err := renderK8s(model, func([]*pluginpb.CodeGeneratorResponse_File) error { return nil }); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// discard is a sink that keeps nothing, as the plugin's streamer holds
// nothing of a file once written.
type discard struct{}

func (discard) file(*pluginpb.CodeGeneratorResponse_File) error { return nil }

func (discard) large(_ string, _ int, write func(io.Writer) error) error { return write(io.Discard) }

func (discard) fail(err error) error { return err }
