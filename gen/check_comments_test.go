package gen

import (
	"go/format"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// commentedRequest is an emit=go request for service p.S whose leading
// comment is comment.
func commentedRequest(comment string) *pluginpb.CodeGeneratorRequest {
	return &pluginpb.CodeGeneratorRequest{
		Parameter:      proto.String("emit=go"),
		FileToGenerate: []string{"a.proto"},
		ProtoFile: []*descriptorpb.FileDescriptorProto{{
			Name: proto.String("a.proto"), Package: proto.String("p"), Syntax: proto.String("proto3"),
			Options: &descriptorpb.FileOptions{GoPackage: proto.String("example.com/a;a")},
			Service: []*descriptorpb.ServiceDescriptorProto{{Name: proto.String("S")}},
			SourceCodeInfo: &descriptorpb.SourceCodeInfo{Location: []*descriptorpb.SourceCodeInfo_Location{{
				Path: []int32{6, 0}, Span: []int32{3, 0, 5}, LeadingComments: proto.String(comment),
			}}},
		}},
	}
}

// TestGoCommentRefused: a comment the Go scanner would refuse in the
// generated file is one error naming the file, line and service, found
// before rendering (it was an "unparsable Go source" error that printed
// the whole file, found while rendering).
func TestGoCommentRefused(t *testing.T) {
	for comment, want := range map[string]string{
		" a\x00b\n":     "U+0000 (NUL)",
		" a\xffb\n":     "the byte 0xFF, which is not UTF-8",
		" a\ufeffb\n":   "U+FEFF (a byte-order mark)",
		" ok\n a\xc3\n": "the byte 0xC3, which is not UTF-8",
	} {
		resp := Generate(commentedRequest(comment))
		checkResponse(t, resp)
		msg := resp.GetError()
		if !strings.HasPrefix(msg, "a.proto:4: service p.S: the service's leading comment holds "+want+",") || strings.Contains(msg, "\n") {
			t.Errorf("comment %q: error %q, want one line naming a.proto:4, p.S and %s", comment, msg, want)
		}
	}
}

// TestGoCommentControlCharacters: the control characters Go comments may
// hold are written, and the file is gofmt's.
func TestGoCommentControlCharacters(t *testing.T) {
	for _, comment := range []string{" a\rb\n", " a\x1bb\n", " a\u0085b\n", " \uFFFD\n"} {
		resp := Generate(commentedRequest(comment))
		if resp.Error != nil || len(resp.File) != 1 {
			t.Fatalf("comment %q: error %q, %d files", comment, resp.GetError(), len(resp.File))
		}
		src := resp.File[0].GetContent()
		formatted, err := format.Source([]byte(src))
		if err != nil || string(formatted) != src {
			t.Errorf("comment %q: the file is not gofmt's (%v):\n%s", comment, err, src)
		}
	}
}
