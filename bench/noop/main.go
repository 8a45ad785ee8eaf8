// Command noop is the benchmark's protogen floor: a protogen plugin that
// reads the request, builds protogen's model of every file
// (protogen.Options.Run, as protoc-gen-go-grpc does) and writes nothing.
// What an ordinary protogen plugin costs beyond it is the cost of its own
// work. (protoc-gen-health builds protogen's model of only the part of the
// request it reads, and is measured against bench/decode, which only
// decodes the request.)
//
// It accepts and ignores any parameter, so it can read exactly the request
// protoc-gen-health reads.
//
// It links our options' Go package (options.go), as protoc-gen-health does,
// so that it parses the request the same way. A protogen plugin that does
// not know an extension the request's files use (protoc-gen-go-grpc, here)
// pays for protogen re-encoding and re-decoding every file with a resolver
// that knows it: on the benchmark's request a third more time and memory,
// which would flatter every ratio to the floor. Built with -tags nooptions,
// it is that plugin instead, for comparison.
package main

import (
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

func main() {
	protogen.Options{
		ParamFunc: func(name, value string) error { return nil },
	}.Run(func(gen *protogen.Plugin) error {
		// The features protoc-gen-health declares, so editions files are
		// accepted the same way.
		gen.SupportedFeatures = uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL |
			pluginpb.CodeGeneratorResponse_FEATURE_SUPPORTS_EDITIONS)
		gen.SupportedEditionsMinimum = descriptorpb.Edition_EDITION_PROTO2
		gen.SupportedEditionsMaximum = descriptorpb.Edition_EDITION_2024
		return nil
	})
}
