// Command nooptrim is the benchmark's second floor: like bench/noop it builds
// protogen's model of the request and writes nothing, but first it drops the
// source info protoc-gen-health never reads, exactly as the plugin does
// (gen.TrimSourceInfo). The first floor is what the issue defines; this one
// shows what the plugin's own work costs once both build the same model.
package main

import (
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/gen"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "nooptrim:", err)
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
	gen.TrimSourceInfo(req)
	if _, err := (protogen.Options{}).New(req); err != nil {
		return err
	}
	out, err := proto.Marshal(&pluginpb.CodeGeneratorResponse{
		SupportedFeatures: proto.Uint64(gen.SupportedFeatures),
		MinimumEdition:    proto.Int32(int32(gen.SupportedEditionsMinimum)),
		MaximumEdition:    proto.Int32(int32(gen.SupportedEditionsMaximum)),
	})
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
