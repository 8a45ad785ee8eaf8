package gen

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// setStreaming sets how much of the response the streamer holds and the
// size beyond which a Go file is rendered twice, for the test.
func setStreaming(t *testing.T, hold, large int) {
	oldHold, oldLarge := holdBytes, largeGoFile
	holdBytes, largeGoFile = hold, large
	t.Cleanup(func() { holdBytes, largeGoFile = oldHold, oldLarge })
}

// readRequest reads in as the plugin reads its standard input
// (ReadRequest), a few bytes at a time.
func readRequest(t testing.TB, in []byte) *EncodedRequest {
	t.Helper()
	req, err := ReadRequest(iotest.HalfReader(bytes.NewReader(in)))
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// writeResponse runs WriteResponse on in, read as the plugin reads it, and
// returns what it wrote.
func writeResponse(t *testing.T, in []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := WriteResponse(&out, readRequest(t, in)); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestWriteResponseIsMarshal: the streamed response is byte for byte
// proto.Marshal of GenerateEncoded's, for every golden case (errors
// included), whether the streamer holds the response or writes it at
// once, and whether each Go file is held or rendered twice.
func TestWriteResponseIsMarshal(t *testing.T) {
	for _, tc := range goldenCases {
		dir := filepath.Join("testdata", tc.name)
		in, err := proto.Marshal(buildRequest(t, dir, readParams(t, dir)))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := GenerateEncoded(in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := proto.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []struct{ hold, large int }{{holdBytes, largeGoFile}, {0, 0}, {0, largeGoFile}, {1 << 30, 0}} {
			t.Run(fmt.Sprintf("%s/hold=%d,large=%d", tc.name, s.hold, s.large), func(t *testing.T) {
				setStreaming(t, s.hold, s.large)
				if got := writeResponse(t, in); !bytes.Equal(got, want) {
					t.Errorf("WriteResponse wrote %d bytes, not proto.Marshal's %d", len(got), len(want))
				}
			})
		}
	}
}

func readParams(t *testing.T, dir string) string {
	t.Helper()
	param, err := os.ReadFile(filepath.Join(dir, "params.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(param))
}

// giantRequest is one file of n services (as bench/giant writes it) with
// the parameter.
func giantRequest(t testing.TB, n int, parameter string) []byte {
	f := &descriptorpb.FileDescriptorProto{
		Name: proto.String("giant/giant.proto"), Package: proto.String("giant.v1"), Syntax: proto.String("proto3"),
		Options: &descriptorpb.FileOptions{GoPackage: proto.String("example.com/giant")},
	}
	for i := range n {
		f.Service = append(f.Service, &descriptorpb.ServiceDescriptorProto{Name: proto.String(fmt.Sprintf("Service%06d", i))})
	}
	in, err := proto.Marshal(&pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{f.GetName()}, Parameter: proto.String(parameter),
		ProtoFile: []*descriptorpb.FileDescriptorProto{f},
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// liveHeap is the heap's live bytes after a collection.
func liveHeap() int {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int(ms.HeapAlloc)
}

// heapSampler is a response's destination that records the live heap
// every `every` bytes written, and so at the first write.
type heapSampler struct {
	every, n, next, peak int
}

func (h *heapSampler) Write(p []byte) (int, error) {
	if h.n >= h.next {
		h.peak = max(h.peak, liveHeap())
		h.next += h.every
	}
	h.n += len(p)
	return len(p), nil
}

// modelHeap is the live heap the run's model takes, which the plugin holds
// whatever it writes: the request as the plugin decodes it, protogen's
// model of it, and the checked model.
func modelHeap(t *testing.T, in []byte) int {
	base := liveHeap()
	req, err := slimRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	params, err := parseParams(req.GetParameter())
	if err != nil {
		t.Fatal(err)
	}
	plugin, err := protogen.Options{}.New(req)
	if err != nil {
		t.Fatal(err)
	}
	m, err := build(plugin, params)
	if err != nil {
		t.Fatal(err)
	}
	n := liveHeap() - base
	runtime.KeepAlive(m)
	return n
}

// TestResponseMemory (issue 19): while the response goes out, the plugin
// holds its model and about one small file, not its output. A giant file of
// services is run with streaming set low, so that the test stays small; the
// live heap is sampled at forced collections as the response is written.
// Beyond the model's own heap, the run may hold at most a quarter of its
// output: holding the response (or a Go file) whole takes all of it. The
// control holds the response as the plugin did, and must exceed the bound.
func TestResponseMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the plugin on 3,000 services")
	}
	const services = 3000
	for _, emit := range []string{EmitGo, EmitK8s} {
		in := giantRequest(t, services, "emit="+emit)
		for _, held := range []bool{false, true} {
			hold := 64 << 10
			if held {
				hold = 1 << 30
			}
			setStreaming(t, hold, 64<<10)
			req := readRequest(t, in) // held in base, and dropped once decoded
			model := modelHeap(t, in)
			out := &heapSampler{every: 256 << 10}
			base := liveHeap()
			if err := WriteResponse(out, req); err != nil {
				t.Fatal(err)
			}
			extra := out.peak - base - model
			t.Logf("emit=%s, held=%v: %d bytes out; live heap %d beyond the model's %d (%.2f of the output)",
				emit, held, out.n, extra, model, float64(extra)/float64(out.n))
			if bound := out.n / 4; extra > bound && !held {
				t.Errorf("emit=%s: the run held %d bytes beyond its model while writing %d, more than %d: is the response held again?", emit, extra, out.n, bound)
			} else if extra <= bound && held {
				t.Errorf("emit=%s: control: holding the response took %d bytes beyond the model, within the bound %d of %d written: the test cannot see a held response", emit, extra, bound, out.n)
			}
		}
	}
}

// failingWriter fails every write after the first n bytes.
type failingWriter struct{ n int }

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteResponseFails: a destination that fails makes WriteResponse
// fail, whether the response had begun to go out or not; the plugin then
// exits with an error and protoc writes nothing.
func TestWriteResponseFails(t *testing.T) {
	setStreaming(t, 64<<10, 64<<10)
	in := giantRequest(t, 500, "emit=go,emit=k8s")
	for _, n := range []int{0, 100 << 10} {
		if err := WriteResponse(&failingWriter{n}, readRequest(t, in)); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("after %d bytes: error %v, want the destination's", n, err)
		}
	}
}
