// Package floorio is the request and response I/O of the benchmark's
// floors (bench/decode, bench/nooptrim): one implementation, so that every
// floor pays exactly the same reading, decoding and writing, and a ratio
// between two floors measures only the work between.
package floorio

import (
	"fmt"
	"io"
	"os"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"
)

// Main reads a CodeGeneratorRequest from standard input, decodes it with
// proto.Unmarshal, hands it to work and writes work's response to standard
// output. On an error it prints it after name and exits 1.
func Main(name string, work func(*pluginpb.CodeGeneratorRequest) (*pluginpb.CodeGeneratorResponse, error)) {
	if err := run(work); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

func run(work func(*pluginpb.CodeGeneratorRequest) (*pluginpb.CodeGeneratorResponse, error)) error {
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	req := &pluginpb.CodeGeneratorRequest{}
	if err := proto.Unmarshal(in, req); err != nil {
		return err
	}
	resp, err := work(req)
	if err != nil {
		return err
	}
	out, err := proto.Marshal(resp)
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(out)
	return err
}
