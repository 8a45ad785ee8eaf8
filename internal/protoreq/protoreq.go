// Package protoreq compiles .proto files in-process, with
// github.com/bufbuild/protocompile, into the CodeGeneratorRequest that protoc
// or buf would send a plugin: dependencies first, source info included (so
// comments and option lines survive), no compiler version. Tests, fuzz seeds
// and benchmarks build their requests with it instead of shelling out.
package protoreq

import (
	"context"
	"fmt"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// Build compiles files (paths relative to one of importPaths) and returns
// the request a plugin receives for them with the given parameter. The
// request goes through the wire format once, as it would between processes,
// so custom options arrive as the plugin's registered extension types.
func Build(importPaths, files []string, parameter string) (*pluginpb.CodeGeneratorRequest, error) {
	b, err := BuildBytes(importPaths, files, parameter)
	if err != nil {
		return nil, err
	}
	req := &pluginpb.CodeGeneratorRequest{}
	if err := proto.Unmarshal(b, req); err != nil {
		return nil, err
	}
	return req, nil
}

// BuildBytes is Build, returning the encoded request.
func BuildBytes(importPaths, files []string, parameter string) ([]byte, error) {
	set, err := Compile(importPaths, files)
	if err != nil {
		return nil, err
	}
	req := &pluginpb.CodeGeneratorRequest{FileToGenerate: files, ProtoFile: set.File}
	if parameter != "" {
		req.Parameter = proto.String(parameter)
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(req)
}

// Compile compiles files and returns them with all their dependencies, each
// after its imports, as a FileDescriptorSet (what protoc's
// --include_imports --include_source_info writes).
func Compile(importPaths, files []string) (*descriptorpb.FileDescriptorSet, error) {
	c := protocompile.Compiler{
		Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{ImportPaths: importPaths}),
		// What protoc records by default: one location per declaration and
		// per option statement, with comments.
		SourceInfoMode: protocompile.SourceInfoStandard,
	}
	compiled, err := c.Compile(context.Background(), files...)
	if err != nil {
		return nil, fmt.Errorf("compiling %v: %w", files, err)
	}
	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(fd protoreflect.FileDescriptor)
	add = func(fd protoreflect.FileDescriptor) {
		if seen[fd.Path()] {
			return
		}
		seen[fd.Path()] = true
		imports := fd.Imports()
		for i := 0; i < imports.Len(); i++ {
			add(imports.Get(i).FileDescriptor)
		}
		var fdp *descriptorpb.FileDescriptorProto
		if r, ok := fd.(linker.Result); ok {
			fdp = r.FileDescriptorProto()
		} else {
			fdp = protodesc.ToFileDescriptorProto(fd)
		}
		set.File = append(set.File, fdp)
	}
	for _, f := range compiled {
		add(f)
	}
	return set, nil
}
