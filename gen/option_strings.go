package gen

import (
	"slices"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"

	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// badOptionStrings explains why an encoded request failed to decode when
// the reason is ours: a string field of a health option holding bytes that
// are not UTF-8. HealthOptions is proto3, whose strings must be UTF-8, so
// protobuf-go refuses the whole request, and the user would read only that
// the input "is not a CodeGeneratorRequest". protoc does not check the
// bytes of a string literal's escapes ("\xff"), so such a request comes
// from an ordinary .proto file.
//
// It decodes the request again with the health options left as unknown
// fields, then walks their bytes; it returns one error naming the file,
// the services and the option of every such string, or nil when the
// request fails for another reason (then it is indeed malformed). It runs
// only after decoding failed, so it costs nothing on a good request.
func badOptionStrings(in []byte) error {
	req := &pluginpb.CodeGeneratorRequest{}
	if err := (proto.UnmarshalOptions{Resolver: withoutHealthOptions{}}).Unmarshal(in, req); err != nil {
		return nil
	}
	var errs errorList
	for _, f := range req.GetProtoFile() {
		var names []string
		for _, s := range f.GetService() {
			names = append(names, fullName(f.GetPackage(), s.GetName()))
		}
		at := optionPlace{file: f, name: fileOptionName, services: names,
			path: []int32{fileOptionsField, int32(optionsv1.E_File.Field)}}
		at.check(f.GetOptions(), &errs)
		for i, s := range f.GetService() {
			at := optionPlace{file: f, name: serviceOptionName, services: names[i : i+1],
				path: []int32{fileServiceField, int32(i), serviceOptionsField, int32(optionsv1.E_Service.Field)}}
			at.check(s.GetOptions(), &errs)
		}
	}
	return errs.err()
}

// withoutHealthOptions resolves every extension protobuf-go knows except
// ours, which stay unknown fields, undecoded.
type withoutHealthOptions struct{}

func (withoutHealthOptions) FindExtensionByName(name protoreflect.FullName) (protoreflect.ExtensionType, error) {
	if name == optionsv1.E_File.TypeDescriptor().FullName() || name == optionsv1.E_Service.TypeDescriptor().FullName() {
		return nil, protoregistry.NotFound
	}
	return protoregistry.GlobalTypes.FindExtensionByName(name)
}

func (withoutHealthOptions) FindExtensionByNumber(message protoreflect.FullName, field protoreflect.FieldNumber) (protoreflect.ExtensionType, error) {
	for _, xt := range []protoreflect.ExtensionType{optionsv1.E_File, optionsv1.E_Service} {
		if d := xt.TypeDescriptor(); d.ContainingMessage().FullName() == message && d.Number() == field {
			return nil, protoregistry.NotFound
		}
	}
	return protoregistry.GlobalTypes.FindExtensionByNumber(message, field)
}

// optionPlace is one place a health option can be written: a file's or a
// service's options.
type optionPlace struct {
	file     *descriptorpb.FileDescriptorProto
	name     string // "(health.options.v1.service)"
	services []string
	path     []int32 // source path of the option statement
}

// check reports every string of the health option in opts' unknown fields
// that is not UTF-8.
func (at optionPlace) check(opts proto.Message, errs *errorList) {
	if opts == nil || !opts.ProtoReflect().IsValid() {
		return
	}
	r := wireReader{b: opts.ProtoReflect().GetUnknown()}
	for r.next() {
		if r.f.is(protowire.Number(at.path[len(at.path)-1]), protowire.BytesType) {
			at.walk(r.f.bytes, healthOptionsDesc, "", at.path, errs)
		}
	}
}

// walk reports the string fields of the encoded message b (of type md) that
// are not UTF-8, recursing into message fields; prefix and path name the
// fields above md. It stops at malformed bytes, which are not its to report.
func (at optionPlace) walk(b []byte, md protoreflect.MessageDescriptor, prefix string, path []int32, errs *errorList) {
	r := wireReader{b: b}
	for r.next() {
		fd := md.Fields().ByNumber(r.f.num)
		if fd == nil || r.f.typ != protowire.BytesType {
			continue
		}
		name := prefix + string(fd.Name())
		fieldPath := append(append([]int32(nil), path...), int32(r.f.num))
		switch {
		case fd.Kind() == protoreflect.StringKind && !utf8.Valid(r.f.bytes):
			errs.add(&Error{
				File: at.file.GetName(), Line: protoLine(at.file, fieldPath), Services: at.services,
				Option: "option " + at.name + "." + name, Msg: "not valid UTF-8 (a string option must be UTF-8 text; check its \\x escapes)",
			})
		case fd.Kind() == protoreflect.MessageKind:
			at.walk(r.f.bytes, fd.Message(), name+".", fieldPath, errs)
		}
	}
}

// fullName is a service's full name in package pkg.
func fullName(pkg, name string) string {
	if pkg == "" {
		return name
	}
	return pkg + "." + name
}

// protoLine is lineOf for a file protogen has not modelled: the 1-based line
// of the longest prefix of path the file's source info knows, or 0.
func protoLine(f *descriptorpb.FileDescriptorProto, path []int32) int {
	for n := len(path); n > 0; n-- {
		for _, loc := range f.GetSourceCodeInfo().GetLocation() {
			if slices.Equal(loc.GetPath(), path[:n]) && len(loc.GetSpan()) >= 3 {
				return int(loc.GetSpan()[0]) + 1
			}
		}
	}
	return 0
}
