// Command giant writes the benchmark's giant requests: one file of -n
// services (issue 19: 100,000 services with emit=go took 1.8 GB of RSS for
// a 101 MB Go file), as <out>/request-giant-go.bin (emit=go) and
// <out>/request-giant-k8s.bin (emit=k8s), so that make bench measures the
// plugin's peak RSS against the size of its output.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

func main() {
	out := flag.String("out", "bench/out", "directory to write the requests to")
	n := flag.Int("n", 100_000, "services in the file")
	flag.Parse()
	f := &descriptorpb.FileDescriptorProto{
		Name: proto.String("giant/giant.proto"), Package: proto.String("giant.v1"), Syntax: proto.String("proto3"),
		Options: &descriptorpb.FileOptions{GoPackage: proto.String("example.com/giant")},
	}
	for i := range *n {
		f.Service = append(f.Service, &descriptorpb.ServiceDescriptorProto{Name: proto.String(fmt.Sprintf("Service%06d", i))})
	}
	for _, emit := range []string{"go", "k8s"} {
		req := &pluginpb.CodeGeneratorRequest{
			FileToGenerate: []string{f.GetName()}, Parameter: proto.String("emit=" + emit),
			ProtoFile: []*descriptorpb.FileDescriptorProto{f},
		}
		b, err := proto.Marshal(req)
		if err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(*out, "request-giant-"+emit+".bin"), b, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}
