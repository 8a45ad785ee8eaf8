package gen

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// checkReadSameAsScan asserts that ReadRequest, reading in from a stream a
// few bytes at a time, keeps what scanRequest keeps from in whole, and
// refuses what it refuses, with a *RequestError.
func checkReadSameAsScan(t *testing.T, in []byte) {
	t.Helper()
	want, wantErr := scanRequest(in)
	got, err := ReadRequest(iotest.HalfReader(bytes.NewReader(in)))
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("ReadRequest's error %v, scanRequest's %v", err, wantErr)
	}
	if err != nil {
		var notRequest *RequestError
		if !errors.As(err, &notRequest) {
			t.Errorf("ReadRequest's error %v is not a *RequestError", err)
		}
		return
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(EncodedRequest{})); diff != "" {
		t.Errorf("ReadRequest (-scanRequest +ReadRequest):\n%s", diff)
	}
}

// TestReadRequest: what the stream reader keeps and skips, and the wire
// errors it finds, are scanRequest's, which slimRequest's tests cover.
func TestReadRequest(t *testing.T) {
	req := requestFor(t, "emit=go", greeterProto)
	req.SourceFileDescriptors = req.ProtoFile // skipped
	in, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	var group []byte // an unknown group holding a field of each wire type
	group = protowire.AppendTag(group, 99, protowire.StartGroupType)
	group = protowire.AppendTag(group, 1, protowire.VarintType)
	group = protowire.AppendVarint(group, 1<<40)
	group = protowire.AppendTag(group, 2, protowire.Fixed32Type)
	group = protowire.AppendFixed32(group, 1)
	group = protowire.AppendTag(group, 3, protowire.Fixed64Type)
	group = protowire.AppendFixed64(group, 1)
	group = protowire.AppendTag(group, 4, protowire.BytesType)
	group = protowire.AppendString(group, "x")
	group = protowire.AppendTag(group, 99, protowire.EndGroupType)
	huge := protowire.AppendTag(nil, requestProtoFileField, protowire.BytesType)
	huge = protowire.AppendVarint(huge, 1<<30) // a gigabyte that is not there
	for name, b := range map[string][]byte{
		"request":             in,
		"empty":               {},
		"unknown group":       append(group, in...),
		"parameter twice":     protowire.AppendString(protowire.AppendTag(in, requestParameterField, protowire.BytesType), "emit=k8s"),
		"cut short":           in[:len(in)-1],
		"tag cut short":       append(in[:len(in):len(in)], 0x80),
		"end group alone":     append(in[:len(in):len(in)], 0x0c),
		"group cut short":     group[:len(group)-1],
		"group end mismatch":  append(group[:len(group)-2:len(group)-2], 0xa4, 0x07),
		"field number 0":      append(in[:len(in):len(in)], 0x02, 0x00),
		"varint too long":     append(in[:len(in):len(in)], 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f),
		"varint overflow":     append(in[:len(in):len(in)], 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02),
		"proto_file too long": append(in[:len(in):len(in)], 0x7a, 0x7f),
		"a gigabyte missing":  huge,
		"reserved wire type":  append(in[:len(in):len(in)], 0x0e),
	} {
		t.Run(name, func(t *testing.T) { checkReadSameAsScan(t, b) })
	}
}

// TestReadRequestReaderError: an error of the reader is returned as it is,
// not as bytes that are not a request.
func TestReadRequestReaderError(t *testing.T) {
	in, err := proto.Marshal(requestFor(t, "emit=go", greeterProto))
	if err != nil {
		t.Fatal(err)
	}
	broken := errors.New("broken pipe")
	_, err = ReadRequest(io.MultiReader(bytes.NewReader(in[:len(in)/2]), iotest.ErrReader(broken)))
	if !errors.Is(err, broken) {
		t.Fatalf("error %v, want %v", err, broken)
	}
	var notRequest *RequestError
	if errors.As(err, &notRequest) {
		t.Errorf("a reader's error came back as a *RequestError: %v", err)
	}
}

// FuzzReadRequest: on any bytes, ReadRequest keeps and refuses what
// scanRequest does.
func FuzzReadRequest(f *testing.F) {
	for _, req := range fuzzSeedRequests(f) {
		b, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) { checkReadSameAsScan(t, in) })
}
