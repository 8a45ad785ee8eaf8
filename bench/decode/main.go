// Command decode is the benchmark's lowest floor: it reads the request from
// standard input, decodes it with proto.Unmarshal into a
// CodeGeneratorRequest, and writes an empty response. No plugin that decodes
// its request the ordinary way can cost less; protoc-gen-health's targets
// (issue 14) are ratios to it.
//
// It links our options' Go package, as protoc-gen-health does, so the
// decoder parses our extension in the options of the request's files the
// same way (bench/noop/options.go).
package main

import (
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	_ "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "decode:", err)
		os.Exit(1)
	}
}

func run() error {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	req := &pluginpb.CodeGeneratorRequest{}
	if err := proto.Unmarshal(in, req); err != nil {
		return err
	}
	out, err := proto.Marshal(&pluginpb.CodeGeneratorResponse{})
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
