package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/gen"
	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
)

// runMain runs the command in-process and returns its exit code, stdout and
// stderr.
func runMain(t *testing.T, stdin []byte, args ...string) (int, []byte, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, bytes.NewReader(stdin), &stdout, &stderr)
	return code, stdout.Bytes(), stderr.String()
}

func TestVersion(t *testing.T) {
	code, out, errOut := runMain(t, nil, "--version")
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// The program's name is the test binary's here; the version follows it.
	name, version, ok := strings.Cut(strings.TrimSuffix(string(out), "\n"), " ")
	if !ok || name == "" || strings.Contains(name, "/") || version != gen.Version || !strings.HasPrefix(version, "v") {
		t.Errorf("--version printed %q, want \"<name> %s\\n\"", out, gen.Version)
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		code, out, errOut := runMain(t, nil, arg)
		if code != 0 || errOut != "" {
			t.Errorf("%s: exit %d, stderr %q", arg, code, errOut)
		}
		if string(out) != usage || !strings.HasPrefix(usage, "Usage: protoc-gen-health") {
			t.Errorf("%s printed %q, want the usage", arg, out)
		}
	}
}

func TestUnknownArgument(t *testing.T) {
	for _, args := range [][]string{{"--bogus"}, {"--version", "extra"}} {
		code, out, errOut := runMain(t, nil, args...)
		if code != 1 || len(out) != 0 {
			t.Errorf("%q: exit %d, stdout %q; want exit 1 and nothing on stdout", args, code, out)
		}
		if want := "unknown argument \"" + args[0] + "\"\n" + usage; !strings.HasSuffix(errOut, want) {
			t.Errorf("%q: stderr %q, want it to end in %q", args, errOut, want)
		}
	}
}

func TestMalformedRequest(t *testing.T) {
	code, out, errOut := runMain(t, []byte("not a protobuf \xff\xff\xff"))
	if code != 1 || len(out) != 0 {
		t.Fatalf("exit %d, stdout %q; want exit 1 and nothing on stdout, which protoc would read as a response", code, out)
	}
	const want = ": the input is not a CodeGeneratorRequest (this program is run by protoc or buf): "
	if !strings.Contains(errOut, want) || strings.Count(errOut, "\n") != 1 {
		t.Errorf("stderr %q, want one line containing %q", errOut, want)
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestUnreadableStdin(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(nil, failingReader{}, &stdout, &stderr); code != 1 || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q; want exit 1 and nothing on stdout", code, stdout.String())
	}
	if want := ": reading the request: broken pipe\n"; !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("stderr %q, want it to end in %q", stderr.String(), want)
	}
}

// request encodes the request protoc would send for one small service.
func request(t *testing.T, parameter string) []byte {
	t.Helper()
	dir := t.TempDir()
	src := `syntax = "proto3";
package helloworld;
option go_package = "example.com/helloworld;helloworld";
service Greeter {}
`
	if err := os.MkdirAll(filepath.Join(dir, "helloworld"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "helloworld", "greeter.proto"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := protoreq.BuildBytes([]string{dir, "../../proto"}, []string{"helloworld/greeter.proto"}, parameter)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodeResponse(t *testing.T, stdin []byte) *pluginpb.CodeGeneratorResponse {
	t.Helper()
	code, out, errOut := runMain(t, stdin)
	if code != 0 || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	resp := &pluginpb.CodeGeneratorResponse{}
	if err := proto.Unmarshal(out, resp); err != nil {
		t.Fatalf("stdout is not a CodeGeneratorResponse: %v", err)
	}
	if got := resp.GetSupportedFeatures(); got != gen.SupportedFeatures {
		t.Errorf("SupportedFeatures = %d, want %d", got, gen.SupportedFeatures)
	}
	return resp
}

func TestValidRequest(t *testing.T) {
	resp := decodeResponse(t, request(t, "paths=source_relative,emit=go,emit=k8s"))
	if resp.Error != nil {
		t.Fatalf("error %q", resp.GetError())
	}
	var names []string
	for _, f := range resp.GetFile() {
		names = append(names, f.GetName())
	}
	want := "helloworld-greeter/kustomization.yaml helloworld-greeter/probes.yaml helloworld/greeter.health.go"
	sort.Strings(names)
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files %q, want %q", got, want)
	}
}

// TestEmptyRequest: an empty input is a valid, empty request (protoc never
// sends one); the answer is a response with no files, not a failure.
func TestEmptyRequest(t *testing.T) {
	resp := decodeResponse(t, nil)
	if resp.Error != nil || len(resp.GetFile()) != 0 {
		t.Errorf("error %q, %d files; want neither", resp.GetError(), len(resp.GetFile()))
	}
}

// TestErrorInResponse: a problem with the input is reported in the
// response, with exit code 0, as protoc expects; protoc prints it.
func TestErrorInResponse(t *testing.T) {
	resp := decodeResponse(t, request(t, "bogus=1"))
	if !strings.HasPrefix(resp.GetError(), `unknown parameter "bogus"`) || len(resp.GetFile()) != 0 {
		t.Errorf("error %q and %d files; want the unknown parameter and no files", resp.GetError(), len(resp.GetFile()))
	}
}

// TestOptionNotUTF8 (issue 12): a health option string whose bytes are not
// UTF-8 makes the request fail to decode, but it is the user's .proto that
// is wrong, not the input: the answer is a response naming the file, the
// service and the option, with exit code 0.
func TestOptionNotUTF8(t *testing.T) {
	dir := t.TempDir()
	src := `syntax = "proto3";
package helloworld;
import "health/options/v1/options.proto";
option go_package = "example.com/helloworld;helloworld";
service Greeter {
  option (health.options.v1.service) = { workload: "greeterXX" };
}
`
	if err := os.WriteFile(filepath.Join(dir, "greeter.proto"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := protoreq.BuildBytes([]string{dir, "../../proto"}, []string{"greeter.proto"}, "emit=k8s")
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("greeterXX"), []byte("greeter\xff\xfe"))
	resp := decodeResponse(t, b)
	const want = "greeter.proto:6: service helloworld.Greeter: option (health.options.v1.service).workload: " +
		`not valid UTF-8 (a string option must be UTF-8 text; check its \x escapes)`
	if resp.GetError() != want || len(resp.GetFile()) != 0 {
		t.Errorf("error %q and %d files; want %q and no files", resp.GetError(), len(resp.GetFile()), want)
	}
}
