// Command protoc-gen-health is a protoc plugin that generates gRPC health
// registration code and Kubernetes probes from the same service definitions.
//
//	protoc --health_out=. --health_opt=paths=source_relative foo.proto
//	protoc --health_out=emit=k8s,port=50051:deploy foo.proto
//
// The parameters are listed by -h and in docs/parameters.md; the
// generator lives in package gen.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/protoc-gen-health/protoc-gen-health/gen"
)

// usage is printed by -h and after a wrong argument; the parameters come
// from the generator's settings table.
var usage = `Usage: protoc-gen-health [--version | -h]

protoc-gen-health is a protoc plugin: protoc and buf run it with a
CodeGeneratorRequest on standard input.

` + gen.ParameterHelp()

func main() {
	// The heap the plugin uses first (about 220 MiB on a googleapis-sized
	// request) goes on huge pages where the kernel allows it.
	adviseHugePages(256 << 20)
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	name := strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe")
	if len(args) == 1 && args[0] == "--version" {
		fmt.Fprintf(stdout, "%s %s\n", name, gen.Version)
		return 0
	}
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if len(args) > 0 {
		fmt.Fprintf(stderr, "%s: unknown argument %q\n%s", name, args[0], usage)
		return 1
	}
	// The request is read a field at a time (gen.ReadRequest), and the
	// response written as it is rendered; a failure after part of it went
	// out exits 1, on which protoc and buf discard the output and write no
	// file.
	req, err := gen.ReadRequest(stdin)
	if err == nil {
		err = gen.WriteResponse(stdout, req)
	}
	if err != nil {
		var notRequest *gen.RequestError
		switch {
		case errors.As(err, &notRequest):
			fmt.Fprintf(stderr, "%s: the input is not a CodeGeneratorRequest (this program is run by protoc or buf): %v\n", name, err)
		case req == nil:
			fmt.Fprintf(stderr, "%s: reading the request: %v\n", name, err)
		default:
			fmt.Fprintf(stderr, "%s: writing the response: %v\n", name, err)
		}
		return 1
	}
	return 0
}
