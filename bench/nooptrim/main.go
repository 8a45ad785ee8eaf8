// Command nooptrim is the benchmark's floor-trimmed: like bench/noop it
// builds protogen's model of the whole request and writes nothing, but first
// it drops the source info protoc-gen-health never reads (gen.TrimSourceInfo,
// the rule the plugin's gen/slim.go applies while decoding). Against it, the
// plugin's cost shows what building the model of only the files it reads
// saves.
package main

import (
	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/bench/floorio"
	"github.com/protoc-gen-health/protoc-gen-health/gen"
)

func main() {
	floorio.Main("nooptrim", func(req *pluginpb.CodeGeneratorRequest) (*pluginpb.CodeGeneratorResponse, error) {
		gen.TrimSourceInfo(req)
		if _, err := (protogen.Options{}).New(req); err != nil {
			return nil, err
		}
		return &pluginpb.CodeGeneratorResponse{
			SupportedFeatures: proto.Uint64(gen.SupportedFeatures),
			MinimumEdition:    proto.Int32(int32(gen.SupportedEditionsMinimum)),
			MaximumEdition:    proto.Int32(int32(gen.SupportedEditionsMaximum)),
		}, nil
	})
}
