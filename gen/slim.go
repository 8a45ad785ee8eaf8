package gen

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// slimRequest decodes an encoded CodeGeneratorRequest into the smallest
// request from which protogen builds the model the plugin reads, and decodes
// nothing else: on a large API tree most of the request is messages, fields,
// methods and their comments, which the plugin never looks at, and decoding
// them into Go values costs more than everything the plugin does.
//
// It scans the encoded request with protowire. Of each file it first reads
// only the name and imports, to find the files protogen would model: the
// files to generate and everything they import, transitively, as protogen's
// own walk does (every file when none is to be generated). Those it decodes
// into stubs holding what protogen and the plugin read:
//
//   - name, package, syntax, edition: the file's identity, its services'
//     full names, and the features protodesc resolves;
//   - imports (plain, public, weak and option): protogen walks them to
//     order the files, and a missing one fails as it would;
//   - the whole file options: go_package decides import paths and package
//     names (protogen checks them for every file it models, and reports a
//     conflict even in a file without services), and our file option, the
//     deprecated flag and features are read;
//   - every service, in order, with its name and whole options, and no
//     methods, except with emit=register (whose workload's services must
//     not share a method name) each method's name and input and output
//     types, which resolve among the messages emit=go keeps;
//   - with emit=go, every message and enum whose Go names protoc-gen-go
//     declares could be ours (mayDeclareOurs; every one with
//     emit=register), for checkGoNames: a message's name, nested messages
//     and enums, oneofs and their fields, each reduced to a bool
//     (slimMessage); an enum whole;
//   - the source locations the plugin reads (readLocation): comments and
//     lines of service declarations and option statements.
//
// Fields outside oneofs, extensions, methods and every other location are
// skipped without being decoded, as are source_file_descriptors and the
// compiler version. protogen then decides import paths, package names and
// output names (paths=, module=, M) from the stubs exactly as from the
// whole files, so the output is the same; only a request that protoc would
// never send, such as one whose messages name undefined types or hold
// malformed bytes, is no longer refused for what the plugin does not read. The stubs declare no
// extensions, so protogen never re-decodes the files for an extension it
// does not know (google.api.http, say); ours is linked and decoded with the
// options.
//
// The files are decoded on every core (GOMAXPROCS): each is independent.
// The error is for bytes that are not a CodeGeneratorRequest.
func slimRequest(in []byte) (*pluginpb.CodeGeneratorRequest, error) {
	enc, err := scanRequest(in)
	if err != nil {
		return nil, err
	}
	return enc.slim()
}

// slim is slimRequest on a request whose top-level fields are read. The
// error, for bytes that are not a CodeGeneratorRequest, is the first file's
// in order, as a sequential decoding would find it.
func (enc *EncodedRequest) slim() (*pluginpb.CodeGeneratorRequest, error) {
	req := &pluginpb.CodeGeneratorRequest{FileToGenerate: enc.generate, Parameter: enc.parameter}
	files := make([]rawFile, len(enc.files))
	errs := make([]error, len(enc.files))
	parallel(len(files), func(i int) { files[i], errs[i] = scanFile(enc.files[i]) })
	if err := firstError(errs); err != nil {
		return nil, &RequestError{err}
	}
	// Messages and enums only matter to the Go names of emit=go (a
	// parameter that does not parse fails later, whatever is decoded).
	p, err := parseParams(req.GetParameter())
	types := err != nil || p.EmitGo()
	// Methods' names only matter to emit=register (a workload's services
	// must not share one), which needs emit=go: their input and output
	// types resolve among the messages types keeps.
	methods := err == nil && p.EmitGo() && p.emits(EmitRegister)
	keep := modelled(files, req.FileToGenerate)
	stubs := make([]*descriptorpb.FileDescriptorProto, len(files))
	parallel(len(files), func(i int) {
		if keep[i] {
			stubs[i], errs[i] = slimFile(files[i].b, types, methods)
		}
	})
	if err := firstError(errs); err != nil {
		return nil, &RequestError{err}
	}
	for i, fd := range stubs {
		if keep[i] {
			req.ProtoFile = append(req.ProtoFile, fd)
		}
	}
	return req, nil
}

// parallel calls f(i) for every i below n, on GOMAXPROCS goroutines, and
// returns when all have returned.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				f(i)
			}
		})
	}
	wg.Wait()
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// rawFile is one still encoded FileDescriptorProto with its name and imports.
type rawFile struct {
	b    []byte
	name string
	deps []string
}

func scanFile(b []byte) (rawFile, error) {
	raw := rawFile{b: b}
	r := wireReader{b: b}
	for r.next() {
		switch f := r.f; {
		case f.is(fileNameField, protowire.BytesType):
			raw.name = string(f.bytes)
		case f.is(fileDependencyField, protowire.BytesType):
			raw.deps = append(raw.deps, string(f.bytes))
		}
	}
	return raw, r.err
}

// modelled reports, for each file, whether protogen builds a model of it:
// with files to generate, those and their transitive imports, a name
// standing for the last file of that name (protogen's walk,
// gatherTransitiveDependencies); without, every file.
func modelled(files []rawFile, generate []string) []bool {
	keep := make([]bool, len(files))
	if len(generate) == 0 {
		for i := range keep {
			keep[i] = true
		}
		return keep
	}
	byName := make(map[string]int, len(files))
	for i, f := range files {
		byName[f.name] = i
	}
	var visit func(name string)
	visit = func(name string) {
		i, ok := byName[name]
		if !ok || keep[i] {
			return
		}
		keep[i] = true
		for _, dep := range files[i].deps {
			visit(dep)
		}
	}
	for _, name := range generate {
		visit(name)
	}
	return keep
}

// Field numbers of CodeGeneratorRequest, FileDescriptorProto,
// ServiceDescriptorProto, SourceCodeInfo and its Location that slimRequest
// reads (and options.go's fileOptionsField, fileServiceField,
// serviceOptionsField).
const (
	requestFileToGenerateField = 1
	requestParameterField      = 2
	requestProtoFileField      = 15
	fileNameField              = 1
	filePackageField           = 2
	fileDependencyField        = 3
	filePublicDependencyField  = 10
	fileWeakDependencyField    = 11
	fileOptionDependencyField  = 15
	fileSourceInfoField        = 9
	fileSyntaxField            = 12
	fileEditionField           = 14
	serviceNameField           = 1
	serviceMethodField         = 2
	methodNameField            = 1
	methodInputField           = 2
	methodOutputField          = 3
	fileMessageField           = 4
	fileEnumField              = 5
	messageNameField           = 1
	messageFieldField          = 2
	messageNestedField         = 3
	messageEnumField           = 4
	messageOptionsField        = 7
	messageOneofField          = 8
	messageMapEntryField       = 7 // in MessageOptions
	oneofNameField             = 1
	fieldOneofIndexField       = 9
	sourceInfoLocationField    = 1
	locationPathField          = 1
	locationSpanField          = 2
)

// mergeOptions decodes options as proto.Unmarshal would: with the linked
// extensions, ours among them, and a field that occurs twice merged.
var mergeOptions = proto.UnmarshalOptions{Merge: true}

// slimFile decodes the stub of one file (see slimRequest), with its
// messages and enums when types is set, its services' methods when methods
// is.
func slimFile(b []byte, types, methods bool) (*descriptorpb.FileDescriptorProto, error) {
	fd := &descriptorpb.FileDescriptorProto{}
	var path []int32 // scratch for locations' paths
	r := wireReader{b: b}
	for r.next() {
		f := r.f
		var err error
		switch {
		case f.is(fileNameField, protowire.BytesType):
			fd.Name = proto.String(string(f.bytes))
		case f.is(filePackageField, protowire.BytesType):
			fd.Package = proto.String(string(f.bytes))
		case f.is(fileDependencyField, protowire.BytesType):
			fd.Dependency = append(fd.Dependency, string(f.bytes))
		case f.num == filePublicDependencyField:
			fd.PublicDependency, err = f.appendInt32s(fd.PublicDependency)
		case f.num == fileWeakDependencyField:
			fd.WeakDependency, err = f.appendInt32s(fd.WeakDependency)
		case f.is(fileOptionDependencyField, protowire.BytesType):
			fd.OptionDependency = append(fd.OptionDependency, string(f.bytes))
		case types && f.is(fileMessageField, protowire.BytesType) && (methods || mayDeclareOurs(f.bytes)):
			var m *descriptorpb.DescriptorProto
			if m, err = slimMessage(f.bytes); m != nil {
				fd.MessageType = append(fd.MessageType, m)
			}
		case types && f.is(fileEnumField, protowire.BytesType) && (methods || mayDeclareOurs(f.bytes)):
			e := &descriptorpb.EnumDescriptorProto{}
			err = mergeOptions.Unmarshal(f.bytes, e)
			fd.EnumType = append(fd.EnumType, e)
		case f.is(fileServiceField, protowire.BytesType):
			var s *descriptorpb.ServiceDescriptorProto
			s, err = slimService(f.bytes, methods)
			fd.Service = append(fd.Service, s)
		case f.is(fileOptionsField, protowire.BytesType):
			if fd.Options == nil {
				fd.Options = &descriptorpb.FileOptions{}
			}
			err = mergeOptions.Unmarshal(f.bytes, fd.Options)
		case f.is(fileSourceInfoField, protowire.BytesType):
			if fd.SourceCodeInfo == nil {
				fd.SourceCodeInfo = &descriptorpb.SourceCodeInfo{}
			}
			path, err = slimSourceInfo(f.bytes, fd.SourceCodeInfo, path)
		case f.is(fileSyntaxField, protowire.BytesType):
			fd.Syntax = proto.String(string(f.bytes))
		case f.is(fileEditionField, protowire.VarintType):
			// Any value, as proto.Unmarshal does: Go's decoder stores even
			// a value a closed enum does not define.
			fd.Edition = descriptorpb.Edition(int32(f.varint)).Enum()
		}
		if err != nil {
			return nil, err
		}
	}
	return fd, r.err
}

// mayDeclareOurs reports whether protoc-gen-go may declare, for the
// encoded message or enum b or anything nested in it, a Go name that one of
// ours could be: ours end in Health (Register<Service>Health,
// Set<Workload>Health, Shutdown<Workload>Health), _HealthName,
// _ServiceConfig or Workload (Register<Workload>Workload), and a Go name
// protoc-gen-go declares ends in its declaration's last name (a message's or
// an enum's camel-cased, an enum value's as written, a oneof field's
// camel-cased after its message's), in which camel-casing capitalizes only
// a letter that starts a word. So the name holds "ealth", "onfig" or
// "orkload" as written, and so do b's bytes, which hold every name nested in
// them. Most messages hold none, and go undecoded: on a large API tree
// decoding them and protogen's model of them cost more than the rest of the
// plugin's input side. With emit=register every message is kept, since
// methods' input and output types resolve among them.
func mayDeclareOurs(b []byte) bool {
	return bytes.Contains(b, []byte("ealth")) || bytes.Contains(b, []byte("onfig")) || bytes.Contains(b, []byte("orkload"))
}

// slimMessage decodes what decides the Go names protoc-gen-go declares for
// a message (checkGoNames reports ours colliding with them): its name, its
// nested messages and enums, its oneofs and their fields. A oneof's field
// keeps its name, number, label and proto3_optional, and becomes a bool:
// its type would need the message or enum it names, and protoc-gen-go names
// its wrapper after the field's name alone. Every other field, extensions,
// reserved names and options go. A map's entry, for which protoc-gen-go
// declares nothing, is left out whole (nil); its field is not in a oneof.
func slimMessage(b []byte) (*descriptorpb.DescriptorProto, error) {
	m := &descriptorpb.DescriptorProto{}
	r := wireReader{b: b}
	for r.next() {
		f := r.f
		var err error
		switch {
		case f.is(messageNameField, protowire.BytesType):
			m.Name = proto.String(string(f.bytes))
		case f.is(messageFieldField, protowire.BytesType):
			var fd *descriptorpb.FieldDescriptorProto
			if fd, err = slimOneofField(f.bytes); fd != nil {
				m.Field = append(m.Field, fd)
			}
		case f.is(messageNestedField, protowire.BytesType):
			var n *descriptorpb.DescriptorProto
			if n, err = slimMessage(f.bytes); n != nil {
				m.NestedType = append(m.NestedType, n)
			}
		case f.is(messageEnumField, protowire.BytesType):
			e := &descriptorpb.EnumDescriptorProto{}
			err = mergeOptions.Unmarshal(f.bytes, e)
			m.EnumType = append(m.EnumType, e)
		case f.is(messageOptionsField, protowire.BytesType):
			opts := wireReader{b: f.bytes}
			for opts.next() {
				if opts.f.is(messageMapEntryField, protowire.VarintType) && opts.f.varint != 0 {
					return nil, nil
				}
			}
			err = opts.err
		case f.is(messageOneofField, protowire.BytesType):
			o := &descriptorpb.OneofDescriptorProto{}
			ro := wireReader{b: f.bytes}
			for ro.next() {
				if ro.f.is(oneofNameField, protowire.BytesType) {
					o.Name = proto.String(string(ro.f.bytes))
				}
			}
			err = ro.err
			m.OneofDecl = append(m.OneofDecl, o)
		}
		if err != nil {
			return nil, err
		}
	}
	return m, r.err
}

// slimOneofField returns the stub of a field of a oneof (see slimMessage),
// nil for any other field.
func slimOneofField(b []byte) (*descriptorpb.FieldDescriptorProto, error) {
	var fd *descriptorpb.FieldDescriptorProto
	r := wireReader{b: b}
	for r.next() {
		if r.f.is(fieldOneofIndexField, protowire.VarintType) {
			fd = &descriptorpb.FieldDescriptorProto{}
		}
	}
	if fd == nil || r.err != nil {
		return nil, r.err
	}
	whole := &descriptorpb.FieldDescriptorProto{}
	if err := proto.Unmarshal(b, whole); err != nil {
		return nil, err
	}
	fd.Name, fd.Number, fd.Label, fd.OneofIndex, fd.JsonName, fd.Proto3Optional = whole.Name, whole.Number, whole.Label, whole.OneofIndex, whole.JsonName, whole.Proto3Optional
	fd.Type = descriptorpb.FieldDescriptorProto_TYPE_BOOL.Enum()
	return fd, nil
}

// slimService decodes a service's name and options, and skips its methods
// unless methods is set: then it keeps each method's name, input and output
// type (which protodesc resolves).
func slimService(b []byte, methods bool) (*descriptorpb.ServiceDescriptorProto, error) {
	s := &descriptorpb.ServiceDescriptorProto{}
	r := wireReader{b: b}
	for r.next() {
		switch f := r.f; {
		case f.is(serviceNameField, protowire.BytesType):
			s.Name = proto.String(string(f.bytes))
		case methods && f.is(serviceMethodField, protowire.BytesType):
			m := &descriptorpb.MethodDescriptorProto{}
			rm := wireReader{b: f.bytes}
			for rm.next() {
				switch g := rm.f; {
				case g.is(methodNameField, protowire.BytesType):
					m.Name = proto.String(string(g.bytes))
				case g.is(methodInputField, protowire.BytesType):
					m.InputType = proto.String(string(g.bytes))
				case g.is(methodOutputField, protowire.BytesType):
					m.OutputType = proto.String(string(g.bytes))
				}
			}
			if rm.err != nil {
				return nil, rm.err
			}
			s.Method = append(s.Method, m)
		case f.is(serviceOptionsField, protowire.BytesType):
			if s.Options == nil {
				s.Options = &descriptorpb.ServiceOptions{}
			}
			if err := mergeOptions.Unmarshal(f.bytes, s.Options); err != nil {
				return nil, err
			}
		}
	}
	return s, r.err
}

// slimSourceInfo appends to info the locations of b that the plugin reads,
// or that protodesc would reject (TrimSourceInfo's rule), decoding only
// those. path is scratch space, returned for reuse.
func slimSourceInfo(b []byte, info *descriptorpb.SourceCodeInfo, path []int32) ([]int32, error) {
	r := wireReader{b: b}
	for r.next() {
		if !r.f.is(sourceInfoLocationField, protowire.BytesType) {
			continue
		}
		loc := r.f.bytes
		var spans int
		var err error
		path = path[:0]
		lr := wireReader{b: loc}
		for lr.next() {
			switch f := lr.f; f.num {
			case locationPathField:
				path, err = f.appendInt32s(path)
			case locationSpanField:
				spans, err = f.countInt32s(spans)
			}
			if err != nil {
				return path, err
			}
		}
		if lr.err != nil {
			return path, lr.err
		}
		if !readLocation(path) && (spans == 3 || spans == 4) {
			continue
		}
		l := &descriptorpb.SourceCodeInfo_Location{}
		if err := proto.Unmarshal(loc, l); err != nil {
			return path, err
		}
		info.Location = append(info.Location, l)
	}
	return path, r.err
}

// wireReader walks the fields of an encoded message, checking the wire
// format of each but decoding only varints and the extent of
// length-delimited fields.
type wireReader struct {
	b   []byte
	f   wireField // the current field, after next returns true
	err error
}

// wireField is one field: its number and type, and its value if a varint
// (varint) or length-delimited (bytes, aliasing the input).
type wireField struct {
	num    protowire.Number
	typ    protowire.Type
	varint uint64
	bytes  []byte
}

func (f wireField) is(num protowire.Number, typ protowire.Type) bool {
	return f.num == num && f.typ == typ
}

// next moves to the next field; false at the end or on malformed input (err).
func (r *wireReader) next() bool {
	if len(r.b) == 0 || r.err != nil {
		return false
	}
	num, typ, n := protowire.ConsumeTag(r.b)
	if n < 0 {
		r.err = protowire.ParseError(n)
		return false
	}
	r.b = r.b[n:]
	r.f = wireField{num: num, typ: typ}
	switch typ {
	case protowire.VarintType:
		r.f.varint, n = protowire.ConsumeVarint(r.b)
	case protowire.BytesType:
		r.f.bytes, n = protowire.ConsumeBytes(r.b)
	default:
		n = protowire.ConsumeFieldValue(num, typ, r.b)
	}
	if n < 0 {
		r.err = protowire.ParseError(n)
		return false
	}
	r.b = r.b[n:]
	return true
}

// appendInt32s appends the values of a repeated int32 field, packed or not;
// another wire type is an unknown field to proto.Unmarshal, and skipped.
func (f wireField) appendInt32s(dst []int32) ([]int32, error) {
	switch f.typ {
	case protowire.VarintType:
		dst = append(dst, int32(f.varint))
	case protowire.BytesType:
		for b := f.bytes; len(b) > 0; {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return dst, protowire.ParseError(n)
			}
			dst = append(dst, int32(v))
			b = b[n:]
		}
	}
	return dst, nil
}

// countInt32s adds to count the number of values appendInt32s would append.
func (f wireField) countInt32s(count int) (int, error) {
	switch f.typ {
	case protowire.VarintType:
		count++
	case protowire.BytesType:
		for b := f.bytes; len(b) > 0; {
			_, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return count, protowire.ParseError(n)
			}
			count++
			b = b[n:]
		}
	}
	return count, nil
}

// TrimSourceInfo drops from a decoded request every source location the
// plugin does not read, the rule slimRequest applies while decoding. The
// plugin reads service declarations
// (their leading comments, and their lines for errors) and option
// statements of files and services (lines for errors); protogen would turn
// every other location, those of each message, field, enum and method, into
// comments that nothing here uses, which on a large request is most of the
// time and memory its model costs. A location whose span protodesc rejects
// is kept, so a malformed request fails as before.
//
// It is exported for the benchmark's floor-trimmed (bench/nooptrim), which
// builds protogen's model of the whole request with only these locations.
func TrimSourceInfo(req *pluginpb.CodeGeneratorRequest) {
	for _, f := range req.GetProtoFile() {
		info := f.GetSourceCodeInfo()
		if info == nil {
			continue
		}
		kept := info.Location[:0]
		for _, loc := range info.Location {
			if readLocation(loc.GetPath()) || len(loc.GetSpan()) != 3 && len(loc.GetSpan()) != 4 {
				kept = append(kept, loc)
			}
		}
		clear(info.Location[len(kept):]) // let the dropped locations be collected
		info.Location = kept
	}
}

// readLocation reports whether the plugin reads the source location at path:
// the file's options, a service's declaration, or a service's options.
func readLocation(path []int32) bool {
	switch {
	case len(path) >= 1 && path[0] == fileOptionsField:
		return true
	case len(path) == 2 && path[0] == fileServiceField:
		return true
	case len(path) >= 3 && path[0] == fileServiceField && path[2] == serviceOptionsField:
		return true
	}
	return false
}
