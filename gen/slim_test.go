package gen

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/bench/corpus"
	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// generateWhole is the plugin as it was before slimRequest: protogen
// models the whole decoded request. Slim and whole must answer every
// request protoc can send with the same bytes.
func generateWhole(req *pluginpb.CodeGeneratorRequest) *pluginpb.CodeGeneratorResponse {
	var c collector
	if err := generate(proto.Clone(req).(*pluginpb.CodeGeneratorRequest), &c); err != nil {
		c.fail(err)
	}
	return c.response()
}

// checkSameAsWhole asserts that the plugin's response to req, through
// slimRequest, is the whole model's.
func checkSameAsWhole(t *testing.T, req *pluginpb.CodeGeneratorRequest) {
	t.Helper()
	slim, whole := Generate(req), generateWhole(req)
	if !proto.Equal(slim, whole) {
		t.Errorf("slim and whole responses differ (-whole +slim):\n%s", cmp.Diff(whole, slim, protocmp.Transform()))
	}
}

func TestSlimSameAsWholeGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.name)
			param, err := os.ReadFile(filepath.Join(dir, "params.txt"))
			if err != nil {
				t.Fatal(err)
			}
			checkSameAsWhole(t, buildRequest(t, dir, strings.TrimSpace(string(param))))
		})
	}
}

func TestSlimSameAsWholeK8sCases(t *testing.T) {
	for _, c := range k8sCases() {
		checkSameAsWhole(t, requestFor(t, "emit=go,emit=k8s,"+c.params, c.files...))
	}
}

// TestSlimSameAsWholeCorpus runs both on the first APIs of the benchmark's
// corpus: deep packages, shared types files, well-known types, comments,
// proto2 and editions files, options of every kind.
func TestSlimSameAsWholeCorpus(t *testing.T) {
	dir := t.TempDir()
	files, stats, err := corpus.WriteScaled(dir, 0.04)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(stats)
	for _, param := range []string{"emit=go,emit=k8s", "emit=k8s,probe=exec", "paths=source_relative", "module=bench.invalid/apis"} {
		req, err := protoreq.Build([]string{dir, optionsImportPath}, files, param)
		if err != nil {
			t.Fatal(err)
		}
		checkSameAsWhole(t, req)
	}
}

// TestSlimRequest checks what the stubs hold and what they leave out.
func TestSlimRequest(t *testing.T) {
	health := &optionsv1.HealthOptions{Port: proto.Int32(8080)}
	fileOpts := &descriptorpb.FileOptions{GoPackage: proto.String("example.com/a;a"), Deprecated: proto.Bool(true)}
	proto.SetExtension(fileOpts, optionsv1.E_File, health)
	svcOpts := &descriptorpb.ServiceOptions{Deprecated: proto.Bool(true)}
	proto.SetExtension(svcOpts, optionsv1.E_Service, health)
	loc := func(comment string, path ...int32) *descriptorpb.SourceCodeInfo_Location {
		return &descriptorpb.SourceCodeInfo_Location{Path: path, Span: []int32{1, 0, 5}, LeadingComments: proto.String(comment)}
	}
	msg := []*descriptorpb.DescriptorProto{{Name: proto.String("M")}}
	optional := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL.Enum()
	ofM := descriptorpb.FieldDescriptorProto_TYPE_MESSAGE.Enum()
	rich := &descriptorpb.DescriptorProto{
		Name: proto.String("R"),
		Field: []*descriptorpb.FieldDescriptorProto{
			{Name: proto.String("plain"), Number: proto.Int32(1), Label: optional, Type: ofM, TypeName: proto.String(".b.M")},
			{Name: proto.String("health"), Number: proto.Int32(2), Label: optional, Type: ofM, TypeName: proto.String(".b.M"), OneofIndex: proto.Int32(0), Options: &descriptorpb.FieldOptions{Deprecated: proto.Bool(true)}},
		},
		NestedType: []*descriptorpb.DescriptorProto{{Name: proto.String("TagsEntry"), Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)}}, {Name: proto.String("Inner")}},
		OneofDecl:  []*descriptorpb.OneofDescriptorProto{{Name: proto.String("kind")}},
		Options:    &descriptorpb.MessageOptions{Deprecated: proto.Bool(true)},
	}
	richStub := &descriptorpb.DescriptorProto{
		Name:       proto.String("R"),
		Field:      []*descriptorpb.FieldDescriptorProto{{Name: proto.String("health"), Number: proto.Int32(2), Label: optional, Type: descriptorpb.FieldDescriptorProto_TYPE_BOOL.Enum(), OneofIndex: proto.Int32(0)}},
		NestedType: []*descriptorpb.DescriptorProto{{Name: proto.String("Inner")}},
		OneofDecl:  []*descriptorpb.OneofDescriptorProto{{Name: proto.String("kind")}},
	}
	// Of the messages and enums only those whose names hold "ealth",
	// "onfig" or "orkload" are kept (mayDeclareOurs): R for its oneof
	// field, Config; not M or E.
	enums := []*descriptorpb.EnumDescriptorProto{{Name: proto.String("E")}, {Name: proto.String("Config")}}
	req := &pluginpb.CodeGeneratorRequest{
		FileToGenerate:  []string{"a.proto"},
		Parameter:       proto.String("emit=go"),
		CompilerVersion: &pluginpb.Version{Major: proto.Int32(5)},
		ProtoFile: []*descriptorpb.FileDescriptorProto{
			{Name: proto.String("unrelated.proto"), MessageType: msg, Options: &descriptorpb.FileOptions{GoPackage: proto.String("x/u")}},
			{Name: proto.String("b.proto"), Package: proto.String("b"), MessageType: msg, Options: &descriptorpb.FileOptions{GoPackage: proto.String("x/b")}},
			{
				Name: proto.String("a.proto"), Package: proto.String("a"), Dependency: []string{"b.proto"}, PublicDependency: []int32{0},
				Syntax: proto.String("editions"), Edition: descriptorpb.Edition_EDITION_2023.Enum(), Options: fileOpts,
				MessageType: []*descriptorpb.DescriptorProto{msg[0], rich},
				EnumType:    enums,
				Service: []*descriptorpb.ServiceDescriptorProto{
					{Name: proto.String("S"), Options: svcOpts, Method: []*descriptorpb.MethodDescriptorProto{{Name: proto.String("Get"), InputType: proto.String(".b.M")}}},
					{Name: proto.String("T")},
				},
				SourceCodeInfo: &descriptorpb.SourceCodeInfo{Location: []*descriptorpb.SourceCodeInfo_Location{
					loc("file"),
					loc("message", 4, 0),
					loc("service S", 6, 0),
					loc("method", 6, 0, 2, 0),
					loc("service option", 6, 0, 3, 1000),
					loc("file option", 8, 11),
					loc("service T", 6, 1),
					{Path: []int32{4, 0, 2, 0}, Span: []int32{1}}, // protodesc rejects it: kept
				}},
			},
		},
		SourceFileDescriptors: []*descriptorpb.FileDescriptorProto{{Name: proto.String("a.proto"), MessageType: msg}},
	}
	in, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := slimRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &pluginpb.CodeGeneratorRequest{
		FileToGenerate: []string{"a.proto"},
		Parameter:      proto.String("emit=go"),
		ProtoFile: []*descriptorpb.FileDescriptorProto{
			{Name: proto.String("b.proto"), Package: proto.String("b"), Options: &descriptorpb.FileOptions{GoPackage: proto.String("x/b")}},
			{
				Name: proto.String("a.proto"), Package: proto.String("a"), Dependency: []string{"b.proto"}, PublicDependency: []int32{0},
				Syntax: proto.String("editions"), Edition: descriptorpb.Edition_EDITION_2023.Enum(), Options: fileOpts,
				MessageType: []*descriptorpb.DescriptorProto{richStub}, EnumType: enums[1:],
				Service: []*descriptorpb.ServiceDescriptorProto{{Name: proto.String("S"), Options: svcOpts}, {Name: proto.String("T")}},
				SourceCodeInfo: &descriptorpb.SourceCodeInfo{Location: []*descriptorpb.SourceCodeInfo_Location{
					loc("service S", 6, 0),
					loc("service option", 6, 0, 3, 1000),
					loc("file option", 8, 11),
					loc("service T", 6, 1),
					{Path: []int32{4, 0, 2, 0}, Span: []int32{1}},
				}},
			},
		},
	}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("slim request (-want +got):\n%s", diff)
	}
	if o := got.ProtoFile[1].GetService()[0].GetOptions(); proto.GetExtension(o, optionsv1.E_Service).(*optionsv1.HealthOptions).GetPort() != 8080 {
		t.Errorf("the service option's extension was not decoded: %v", o)
	}
}

// TestSlimRequestWire: the wire forms proto.Unmarshal accepts beyond what
// proto.Marshal writes are read the same way: unpacked repeated int32s,
// a field written twice (the last scalar wins, messages merge), fields of
// an unexpected wire type (unknown fields).
func TestSlimRequestWire(t *testing.T) {
	var loc []byte // a location with an unpacked path and span: 6, 0 (a service)
	for _, v := range []uint64{6, 0} {
		loc = protowire.AppendTag(loc, locationPathField, protowire.VarintType)
		loc = protowire.AppendVarint(loc, v)
	}
	for _, v := range []uint64{3, 0, 9} {
		loc = protowire.AppendTag(loc, locationSpanField, protowire.VarintType)
		loc = protowire.AppendVarint(loc, v)
	}
	loc = protowire.AppendTag(loc, 3, protowire.BytesType)
	loc = protowire.AppendString(loc, " Leading.\n")
	var info []byte
	info = protowire.AppendTag(info, sourceInfoLocationField, protowire.BytesType)
	info = protowire.AppendBytes(info, loc)

	var file []byte
	str := func(num protowire.Number, s string) {
		file = protowire.AppendTag(file, num, protowire.BytesType)
		file = protowire.AppendString(file, s)
	}
	msg := func(num protowire.Number, m proto.Message) {
		b, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		file = protowire.AppendTag(file, num, protowire.BytesType)
		file = protowire.AppendBytes(file, b)
	}
	str(fileNameField, "first.proto")
	str(fileNameField, "a.proto")
	file = protowire.AppendTag(file, filePackageField, protowire.VarintType) // wrong type: unknown
	file = protowire.AppendVarint(file, 7)
	str(filePackageField, "a")
	msg(fileOptionsField, &descriptorpb.FileOptions{GoPackage: proto.String("example.com/a")})
	msg(fileOptionsField, &descriptorpb.FileOptions{Deprecated: proto.Bool(true)})
	msg(fileServiceField, &descriptorpb.ServiceDescriptorProto{Name: proto.String("S")})
	file = protowire.AppendTag(file, fileSourceInfoField, protowire.BytesType)
	file = protowire.AppendBytes(file, info)
	file = protowire.AppendTag(file, fileEditionField, protowire.VarintType) // not an Edition: unknown
	file = protowire.AppendVarint(file, 12345)
	file = protowire.AppendTag(file, 99, protowire.StartGroupType) // an unknown group
	file = protowire.AppendTag(file, 1, protowire.Fixed32Type)
	file = protowire.AppendFixed32(file, 1)
	file = protowire.AppendTag(file, 99, protowire.EndGroupType)

	var in []byte
	in = protowire.AppendTag(in, 15, protowire.BytesType)
	in = protowire.AppendBytes(in, file)
	in = protowire.AppendTag(in, 1, protowire.BytesType)
	in = protowire.AppendString(in, "a.proto")

	whole := &pluginpb.CodeGeneratorRequest{}
	if err := proto.Unmarshal(in, whole); err != nil {
		t.Fatal(err)
	}
	got, err := slimRequest(in)
	if err != nil {
		t.Fatal(err)
	}
	want := proto.Clone(whole).(*pluginpb.CodeGeneratorRequest)
	want.ProtoFile[0].ProtoReflect().SetUnknown(nil)
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("slim request (-proto.Unmarshal's +got):\n%s", diff)
	}
}

// TestSlimRequestMalformed: bytes that are not a request are an error,
// wherever the damage is in the parts slimRequest decodes.
func TestSlimRequestMalformed(t *testing.T) {
	req := requestFor(t, "emit=go", greeterProto)
	in, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{
		in[:len(in)-1],                           // cut short
		append(in[:len(in):len(in)], 0x80),       // a tag without its end
		append(in[:len(in):len(in)], 0x0c),       // an end group without a start
		append(in[:len(in):len(in)], 0x7a, 0x7f), // proto_file longer than the rest
	} {
		if _, err := slimRequest(bad); err == nil {
			t.Errorf("no error for %q", bad[len(bad)-min(len(bad), 8):])
		}
	}
}

// FuzzSlim: on any bytes, the plugin does not panic; on bytes that
// proto.Unmarshal accepts as a request it answers, and, when the whole
// model answers without error, with the same response.
func FuzzSlim(f *testing.F) {
	for _, req := range fuzzSeedRequests(f) {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		slim, err := GenerateEncoded(in)
		req := &pluginpb.CodeGeneratorRequest{}
		if proto.Unmarshal(in, req) != nil {
			return
		}
		if err != nil {
			t.Fatalf("proto.Unmarshal accepts the request, slimRequest does not: %v", err)
		}
		checkResponse(t, slim)
		if whole := generateWhole(req); whole.Error == nil && !proto.Equal(slim, whole) {
			t.Errorf("slim and whole responses differ (-whole +slim):\n%s", cmp.Diff(whole, slim, protocmp.Transform()))
		}
	})
}

// TestMayDeclareOursCoversOurNames: every package-level name the golden Go
// files declare is one mayDeclareOurs looks for, so that slimRequest keeps
// every message and enum whose Go name could collide with it. A new
// generated name with another suffix fails here until mayDeclareOurs
// covers it.
func TestMayDeclareOursCoversOurNames(t *testing.T) {
	var files []string
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".go") && strings.Contains(path, "/want/") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, name := range files {
		if strings.HasSuffix(name, "/main.go") {
			continue // the scaffold's package main declares its own program
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			var names []*ast.Ident
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					names = append(names, d.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.ValueSpec:
						names = append(names, s.Names...)
					case *ast.TypeSpec:
						names = append(names, s.Name)
					}
				}
			}
			for _, id := range names {
				if id.Name == "_" {
					continue
				}
				seen++
				if !mayDeclareOurs([]byte(id.Name)) {
					t.Errorf("%s declares %s, which mayDeclareOurs does not look for", name, id.Name)
				}
			}
		}
	}
	if seen < 100 {
		t.Fatalf("%d generated Go names found in %d files: are the goldens still there?", seen, len(files))
	}
}
