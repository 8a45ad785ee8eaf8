package gen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// EncodedRequest is a CodeGeneratorRequest whose top-level fields have been
// read but not decoded: the files to generate, the parameter, and each
// proto_file entry's bytes, which slimRequest decodes in part. Other fields
// (the compiler version, source_file_descriptors) the plugin never reads.
type EncodedRequest struct {
	generate  []string
	parameter *string
	files     [][]byte // the proto_file entries, encoded, in order
}

// ReadRequest reads an encoded CodeGeneratorRequest from r, as protoc and
// buf write it to the plugin's standard input, keeping only the fields the
// plugin reads. Each proto_file entry goes into a buffer of its own, of its
// encoded length: reading the request whole, as io.ReadAll does, copies it
// again at every growth of one buffer, and on a googleapis-sized request
// (69 MB) that cost a third of the plugin's CPU time and memory it then
// held to the end. The error is r's, or a *RequestError for bytes that are
// not a request, as scanRequest would find them.
func ReadRequest(r io.Reader) (*EncodedRequest, error) {
	s := wireStream{r: bufio.NewReaderSize(r, 64<<10)}
	req := &EncodedRequest{}
	for {
		num, typ, err := s.tag()
		if err == io.EOF {
			return req, nil
		}
		if err != nil {
			return nil, s.fail(err)
		}
		var keep bool
		switch {
		case num == requestFileToGenerateField && typ == protowire.BytesType,
			num == requestParameterField && typ == protowire.BytesType,
			num == requestProtoFileField && typ == protowire.BytesType:
			keep = true
		}
		if !keep {
			if err := s.skip(num, typ, 0); err != nil {
				return nil, s.fail(err)
			}
			continue
		}
		b, err := s.bytes()
		if err != nil {
			return nil, s.fail(err)
		}
		req.add(num, b)
	}
}

// scanRequest is ReadRequest on a request already in memory: the proto_file
// entries alias in.
func scanRequest(in []byte) (*EncodedRequest, error) {
	req := &EncodedRequest{}
	r := wireReader{b: in}
	for r.next() {
		if r.f.typ == protowire.BytesType {
			req.add(r.f.num, r.f.bytes)
		}
	}
	if r.err != nil {
		return nil, &RequestError{r.err}
	}
	return req, nil
}

// add records a length-delimited top-level field the plugin reads.
func (req *EncodedRequest) add(num protowire.Number, b []byte) {
	switch num {
	case requestFileToGenerateField:
		req.generate = append(req.generate, string(b))
	case requestParameterField:
		p := string(b)
		req.parameter = &p
	case requestProtoFileField:
		req.files = append(req.files, b)
	}
}

// encode returns the request's bytes again, for the rare caller that
// decodes it whole (badOptionStrings, on a request slimRequest refused).
func (req *EncodedRequest) encode() []byte {
	var b []byte
	for _, name := range req.generate {
		b = protowire.AppendTag(b, requestFileToGenerateField, protowire.BytesType)
		b = protowire.AppendString(b, name)
	}
	if req.parameter != nil {
		b = protowire.AppendTag(b, requestParameterField, protowire.BytesType)
		b = protowire.AppendString(b, *req.parameter)
	}
	for _, f := range req.files {
		b = protowire.AppendTag(b, requestProtoFileField, protowire.BytesType)
		b = protowire.AppendBytes(b, f)
	}
	return b
}

// RequestError is the error for input that is not a CodeGeneratorRequest.
type RequestError struct{ Err error }

func (e *RequestError) Error() string { return e.Err.Error() }

func (e *RequestError) Unwrap() error { return e.Err }

// wireStream reads the top-level fields of an encoded message from a
// stream, checking the wire format as protowire does (wireReader).
type wireStream struct {
	r      *bufio.Reader
	ioErr  bool // the error came from the reader, not the bytes
	offset int64
}

// errWire is a malformed field; io.ErrUnexpectedEOF a field cut short.
var errWire = errors.New("malformed wire-format data")

// fail returns err as ReadRequest's error: the reader's own, or a
// *RequestError for bytes that are not a request.
func (s *wireStream) fail(err error) error {
	if s.ioErr {
		return err
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return &RequestError{fmt.Errorf("at byte %d: %w", s.offset, err)}
}

func (s *wireStream) readByte() (byte, error) {
	c, err := s.r.ReadByte()
	if err != nil && err != io.EOF {
		s.ioErr = true
	}
	if err == nil {
		s.offset++
	}
	return c, err
}

// varint reads a varint as protowire.ConsumeVarint does: at most ten bytes,
// the tenth at most 1. io.EOF only before its first byte.
func (s *wireStream) varint() (uint64, error) {
	var v uint64
	for i := 0; ; i++ {
		c, err := s.readByte()
		if err != nil {
			if i > 0 && err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if i == 9 && c > 1 {
			return 0, errWire
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, nil
		}
	}
}

// tag reads a field's tag as protowire.ConsumeTag does; io.EOF at the end
// of the message.
func (s *wireStream) tag() (protowire.Number, protowire.Type, error) {
	v, err := s.varint()
	if err != nil {
		return 0, 0, err
	}
	num, typ := protowire.DecodeTag(v)
	if num < protowire.MinValidNumber {
		return 0, 0, errWire
	}
	return num, typ, nil
}

// length reads a length-delimited field's length.
func (s *wireStream) length() (int, error) {
	n, err := s.varint()
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt32 { // 2 GiB, protobuf's limit on a message
		return 0, errWire
	}
	return int(n), nil
}

// bytes reads a length-delimited field's value into a buffer of its own.
// A length beyond what the reader holds fails without first allocating it:
// above 16 MiB the buffer grows as the bytes arrive.
func (s *wireStream) bytes() ([]byte, error) {
	n, err := s.length()
	if err != nil {
		return nil, err
	}
	if n <= 16<<20 {
		b := make([]byte, n)
		m, err := io.ReadFull(s.r, b)
		return b, s.read(m, err)
	}
	var buf bytes.Buffer
	m, err := io.CopyN(&buf, s.r, int64(n))
	return buf.Bytes(), s.read(int(m), err)
}

// read accounts for m bytes read of a field's value, and its error.
func (s *wireStream) read(m int, err error) error {
	s.offset += int64(m)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		s.ioErr = true
	}
	return err
}

// skip reads past a field's value without keeping it, as
// protowire.ConsumeFieldValue does: a group to its matching end, nested at
// most protowire's recursion limit deep.
func (s *wireStream) skip(num protowire.Number, typ protowire.Type, depth int) error {
	switch typ {
	case protowire.VarintType:
		_, err := s.varint()
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	case protowire.Fixed32Type:
		return s.discard(4)
	case protowire.Fixed64Type:
		return s.discard(8)
	case protowire.BytesType:
		n, err := s.length()
		if err != nil {
			return err
		}
		return s.discard(n)
	case protowire.StartGroupType:
		if depth >= 10000 {
			return errWire
		}
		for {
			n, t, err := s.tag()
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			if err != nil {
				return err
			}
			if t == protowire.EndGroupType {
				if n != num {
					return errWire
				}
				return nil
			}
			if err := s.skip(n, t, depth+1); err != nil {
				return err
			}
		}
	}
	return errWire // an end group without its start, or a reserved type
}

func (s *wireStream) discard(n int) error {
	m, err := s.r.Discard(n)
	return s.read(m, err)
}
