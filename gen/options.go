package gen

import (
	"fmt"
	"strconv"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// A layer is one place a setting can be written: a service option, a file
// option, a service's per-service parameters or the run's parameters.
// Resolution reads layers in precedence order, setting by setting, so every
// setting follows the same rule and each resolved value remembers where it
// was written. An option's value is read through protoreflect and its row's
// value type, a parameter's is held as the row's Go type.
type layer struct {
	opts     *optionsv1.HealthOptions // options; nil for parameters
	values   map[string]any           // parameters, by setting name
	file     *protogen.File           // nil for parameters
	path     []int32                  // source path of the option statement
	name     string                   // "(health.options.v1.service)"; "" for parameters
	services []string                 // the services the layer applies to
	// paramPrefix starts the parameter names of a per-service parameter
	// layer ("service.acme.Cart."); "" for options and run-wide parameters.
	paramPrefix string
}

var (
	fileOptionName    = "(" + string(optionsv1.E_File.TypeDescriptor().FullName()) + ")"
	serviceOptionName = "(" + string(optionsv1.E_Service.TypeDescriptor().FullName()) + ")"
)

// Source paths of FileDescriptorProto.options, .service and
// ServiceDescriptorProto.options.
const (
	fileOptionsField    = 8
	fileServiceField    = 6
	serviceOptionsField = 3
)

func serviceLayer(f *protogen.File, s *protogen.Service) layer {
	opts, _ := proto.GetExtension(s.Desc.Options(), optionsv1.E_Service).(*optionsv1.HealthOptions)
	return layer{
		opts:     opts,
		file:     f,
		path:     []int32{fileServiceField, int32(s.Desc.Index()), serviceOptionsField, int32(optionsv1.E_Service.Field)},
		name:     serviceOptionName,
		services: []string{string(s.Desc.FullName())},
	}
}

func fileLayer(f *protogen.File, services []string) layer {
	opts, _ := proto.GetExtension(f.Desc.Options(), optionsv1.E_File).(*optionsv1.HealthOptions)
	return layer{
		opts:     opts,
		file:     f,
		path:     []int32{fileOptionsField, int32(optionsv1.E_File.Field)},
		name:     fileOptionName,
		services: services,
	}
}

// get returns the setting's value in l and whether it is set there.
func (l layer) get(r row) (any, bool) {
	if l.opts == nil {
		v, ok := l.values[r.info().name]
		return v, ok
	}
	raw, ok := l.raw(r.info().field)
	if !ok {
		return nil, false
	}
	return r.fromOption(raw), true
}

// raw returns an option layer's value of field f as protobuf holds it.
func (l layer) raw(f field) (protoreflect.Value, bool) {
	if l.opts == nil || f.path == nil {
		return protoreflect.Value{}, false
	}
	m := l.opts.ProtoReflect()
	for i, fd := range f.path {
		if !m.Has(fd) {
			return protoreflect.Value{}, false
		}
		if i == len(f.path)-1 {
			return m.Get(fd), true
		}
		m = m.Get(fd).Message()
	}
	return protoreflect.Value{}, false
}

// getAs returns a setting's value in l as its Go type: get without the
// boxing into any, for the code that reads a setting by its row.
func getAs[T any](l layer, s *setting[T]) (T, bool) {
	var zero T
	if l.opts == nil {
		v, ok := l.values[s.name]
		if !ok {
			return zero, false
		}
		return v.(T), true
	}
	raw, ok := l.raw(s.field)
	if !ok {
		return zero, false
	}
	return s.typ.fromOption(raw), true
}

// valueText prints the setting's value in l as an option is written (an
// enum by its value's name), whichever layer holds it.
func (l layer) valueText(r row) string {
	if l.opts == nil {
		return r.optionText(l.values[r.info().name])
	}
	raw, _ := l.raw(r.info().field)
	return formatValue(r.info().field, raw)
}

// errorAt builds an Error for setting r of this layer, showing its value.
func (l layer) errorAt(r row, msg string) *Error {
	f := r.info().field
	if l.file == nil {
		// A parameter applies to the whole run: no file, no services, and
		// the value as it was written on the command line.
		name := r.info().name
		return &Error{Option: paramOption(l.paramPrefix+name, r.text(l.values[name])), Msg: msg}
	}
	e := &Error{Services: l.services, Value: l.valueText(r), Msg: msg}
	e.File = l.file.Desc.Path()
	e.Option = "option " + l.name + "." + f.name
	path := append([]int32(nil), l.path...)
	for _, fd := range f.path {
		path = append(path, int32(fd.Number()))
	}
	e.Line = lineOf(l.file, path)
	return e
}

// errorAtOption builds an Error about the layer's option as a whole.
func (l layer) errorAtOption(msg string) *Error {
	if l.file == nil {
		return &Error{Msg: msg}
	}
	return &Error{File: l.file.Desc.Path(), Line: lineOf(l.file, l.path), Services: l.services, Option: "option " + l.name, Msg: msg}
}

// lineOf finds the 1-based line of the longest prefix of path that the
// file's source info knows: protoc records the option statement, not always
// the fields inside its message literal. 0 without source info.
func lineOf(f *protogen.File, path []int32) int {
	locs := f.Desc.SourceLocations()
	for n := len(path); n > 0; n-- {
		if loc := locs.ByPath(protoreflect.SourcePath(path[:n])); loc.Path != nil {
			return loc.StartLine + 1
		}
	}
	return 0
}

func formatValue(f field, v protoreflect.Value) string {
	fd := f.path[len(f.path)-1]
	if fd.IsList() {
		return headerType.optionText(headerType.fromOption(v))
	}
	switch fd.Kind() {
	case protoreflect.StringKind:
		return quoteValue(v.String())
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	default:
		return fmt.Sprint(v.Interface())
	}
}
