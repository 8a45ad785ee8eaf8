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
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/bench/floorio"
	_ "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

func main() {
	floorio.Main("decode", func(*pluginpb.CodeGeneratorRequest) (*pluginpb.CodeGeneratorResponse, error) {
		return &pluginpb.CodeGeneratorResponse{}, nil
	})
}
