package gen

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// A response is handed over a file at a time, as each is rendered, so that
// the plugin never holds all of its output (issue 19: 100,000 services
// took 1.8 GB for a 112 MB response). Every check on the input runs before
// the first file is rendered (build, and the names of the Go files), so a
// file's rendering can fail only on a fault of ours.
type sink interface {
	// file adds a file; the sink does not keep f's content after the call.
	file(f *pluginpb.CodeGeneratorResponse_File) error
	// large adds a file of size bytes, which write writes; a sink that
	// writes as it goes calls write once, after the files before it, and
	// never holds the content (render_go.go renders such a file twice).
	large(name string, size int, write func(io.Writer) error) error
	// fail ends the response with err instead of its files. It returns nil
	// when err is in the response, and err when files were already sent.
	fail(err error) error
}

// collector is the sink of Generate and GenerateEncoded: the whole
// response, for tests and callers in-process.
type collector struct {
	resp pluginpb.CodeGeneratorResponse
}

func (c *collector) file(f *pluginpb.CodeGeneratorResponse_File) error {
	c.resp.File = append(c.resp.File, f)
	return nil
}

func (c *collector) large(name string, size int, write func(io.Writer) error) error {
	var b bytes.Buffer
	b.Grow(size)
	if err := write(&b); err != nil {
		return err
	}
	if b.Len() != size {
		return fmt.Errorf("%s: rendered %d bytes, then %d", name, size, b.Len())
	}
	return c.file(&pluginpb.CodeGeneratorResponse_File{Name: proto.String(name), Content: proto.String(b.String())})
}

func (c *collector) fail(err error) error {
	c.resp = pluginpb.CodeGeneratorResponse{Error: proto.String(err.Error())}
	return nil
}

// response is the response as a protoc plugin returns it.
func (c *collector) response() *pluginpb.CodeGeneratorResponse {
	resp := &c.resp
	resp.SupportedFeatures = proto.Uint64(SupportedFeatures)
	resp.MinimumEdition = proto.Int32(int32(SupportedEditionsMinimum))
	resp.MaximumEdition = proto.Int32(int32(SupportedEditionsMaximum))
	return resp
}

// holdBytes is how much of the encoded response the streamer holds before
// it starts writing: a run whose response is smaller answers a fault of
// ours found while rendering with an error response too, as it answers
// every problem with the input. A variable for the tests.
var holdBytes = 4 << 20

// streamer is the plugin's sink: it encodes the response to w as protoc
// reads it, the bytes proto.Marshal would write for the collected response
// (fields in number order: the error, the features and editions, then each
// file, encoded as proto.Marshal encodes it).
type streamer struct {
	w         *bufio.Writer
	held      bytes.Buffer // the response so far, until it passes holdBytes
	streaming bool         // held went to w: the response can no longer be an error
	scratch   []byte
}

// newStreamer starts a response to w with the fields that precede the
// files.
func newStreamer(w io.Writer) *streamer {
	s := &streamer{w: bufio.NewWriterSize(w, 64<<10)}
	head, _ := proto.Marshal((&collector{}).response()) // cannot fail: no files
	s.held.Write(head)
	return s
}

func (s *streamer) Write(p []byte) (int, error) {
	if s.streaming {
		return s.w.Write(p)
	}
	s.held.Write(p)
	if s.held.Len() < holdBytes {
		return len(p), nil
	}
	s.streaming = true
	_, err := s.w.Write(s.held.Bytes())
	s.held = bytes.Buffer{}
	return len(p), err
}

func (s *streamer) file(f *pluginpb.CodeGeneratorResponse_File) error {
	b := protowire.AppendTag(s.scratch[:0], fileField, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(proto.Size(f)))
	b, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(b, f)
	if err != nil {
		return err
	}
	s.scratch = b[:0]
	_, err = s.Write(b)
	return err
}

func (s *streamer) large(name string, size int, write func(io.Writer) error) error {
	// A file of name and content, without insertion point, as proto.Marshal
	// encodes it.
	b := protowire.AppendTag(s.scratch[:0], fileField, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(protowire.SizeTag(1)+protowire.SizeBytes(len(name))+
		protowire.SizeTag(fileContentField)+protowire.SizeBytes(size)))
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, name)
	b = protowire.AppendTag(b, fileContentField, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	s.scratch = b[:0]
	if _, err := s.Write(b); err != nil {
		return err
	}
	c := &countingWriter{w: s}
	if err := write(c); err != nil {
		return err
	}
	if c.n != size {
		return fmt.Errorf("%s: rendered %d bytes, then %d", name, size, c.n)
	}
	return nil
}

// fail replaces the response with one of err alone, unless part of it
// was written already: then protoc reads a response that ends early, or
// none, if the plugin exits with an error as it must, and writes no file.
func (s *streamer) fail(err error) error {
	if s.streaming {
		return err
	}
	var c collector
	c.fail(err)
	b, _ := proto.Marshal(c.response()) // cannot fail: no files
	s.held.Reset()
	s.held.Write(b)
	return nil
}

// Close writes what the streamer still holds.
func (s *streamer) Close() error {
	s.streaming = true
	if _, err := s.w.Write(s.held.Bytes()); err != nil {
		return err
	}
	s.held = bytes.Buffer{}
	return s.w.Flush()
}

// Field numbers of CodeGeneratorResponse.file and File.content.
const (
	fileField        = 15
	fileContentField = 15
)

// countingWriter counts what it passes on to w.
type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}
