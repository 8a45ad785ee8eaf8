// Package gen is protoc-gen-health's generator: it turns a
// CodeGeneratorRequest into Go health code and Kubernetes manifests.
//
// The flow runs one way: every setting is declared once, in the table of
// settings.go; parameters are parsed by it (params.go), the request's
// services, options and parameters are resolved into one model and checked
// (build.go and the check_*.go, workloads.go files), and only a model that
// passed every check is rendered through the templates (render_*.go).
// Nothing after the checks can fail on user input, so a run either writes
// every file or none.
package gen

import (
	"fmt"
	"path"
	"strings"

	"google.golang.org/protobuf/compiler/protogen"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// Version is the plugin's version, printed by --version and in every
// generated file's header.
const Version = "v0.1.0"

// Features the plugin supports, set in one place: proto3 optional and
// editions from proto2 through 2024 (the plugin reads only names, comments
// and options, which every edition has).
const (
	SupportedFeatures = uint64(pluginpb.CodeGeneratorResponse_FEATURE_PROTO3_OPTIONAL |
		pluginpb.CodeGeneratorResponse_FEATURE_SUPPORTS_EDITIONS)
	SupportedEditionsMinimum = descriptorpb.Edition_EDITION_PROTO2
	SupportedEditionsMaximum = descriptorpb.Edition_EDITION_2024
)

// Generate runs the plugin on a decoded request. Problems with the input
// come back in the response's error field, with no files: protoc and buf
// print it. It encodes req and runs GenerateEncoded, so that a request takes
// the same path as one protoc sends; req is not modified.
func Generate(req *pluginpb.CodeGeneratorRequest) *pluginpb.CodeGeneratorResponse {
	in, err := proto.Marshal(req)
	if err != nil {
		return respond(nil, fmt.Errorf("encoding the request: %v", err))
	}
	resp, err := GenerateEncoded(in)
	if err != nil {
		return respond(nil, fmt.Errorf("decoding the request: %v", err))
	}
	return resp
}

// GenerateEncoded runs the plugin on an encoded request, the bytes protoc
// writes to the plugin's standard input. It decodes only what the plugin
// reads (slimRequest). The error is for input that is not a
// CodeGeneratorRequest; problems with the request come back in the
// response's error field, as from Generate, including a health option
// string that is not UTF-8, which fails decoding (badOptionStrings).
func GenerateEncoded(in []byte) (*pluginpb.CodeGeneratorResponse, error) {
	req, err := slimRequest(in)
	if err != nil {
		if bad := badOptionStrings(in); bad != nil {
			return respond(nil, bad), nil
		}
		return nil, err
	}
	return respond(generate(req)), nil
}

// respond completes a response: the error, if any, replaces the files, and
// the supported features are declared either way.
func respond(resp *pluginpb.CodeGeneratorResponse, err error) *pluginpb.CodeGeneratorResponse {
	if err != nil {
		resp = &pluginpb.CodeGeneratorResponse{Error: proto.String(err.Error())}
	}
	resp.SupportedFeatures = proto.Uint64(SupportedFeatures)
	resp.MinimumEdition = proto.Int32(int32(SupportedEditionsMinimum))
	resp.MaximumEdition = proto.Int32(int32(SupportedEditionsMaximum))
	return resp
}

// generate runs the plugin on a request, slim (slimRequest) or whole: both
// give the same response. Without emit=go it fills in missing go_package
// options in req.
func generate(req *pluginpb.CodeGeneratorRequest) (*pluginpb.CodeGeneratorResponse, error) {
	params, err := parseParams(req.GetParameter())
	if err != nil {
		return nil, err
	}
	if err := checkFileNames(req); err != nil {
		return nil, err
	}
	if !params.EmitGo() {
		giveGoPackages(req)
	}
	plugin, err := protogen.Options{}.New(req)
	if err != nil {
		return nil, err
	}
	model, err := build(plugin, params)
	if err != nil {
		return nil, err
	}
	// Manifests bypass protogen: they belong at the root of the output
	// directory whatever paths= or module= do to Go file names. They need
	// only the model, so they render on another core while the Go files
	// render; they are still appended after them.
	k8s := make(chan k8sFiles, 1)
	go func() {
		files, err := renderK8s(model)
		k8s <- k8sFiles{files, err}
	}()
	goFiles, err := renderGo(plugin, model)
	if err != nil {
		return nil, err
	}
	if err := renderRegisters(plugin, model); err != nil {
		return nil, err
	}
	mains, err := renderMains(plugin, model)
	if err != nil {
		return nil, err
	}
	modules, err := renderModules(model)
	if err != nil {
		return nil, err
	}
	resp := plugin.Response()
	if resp.Error != nil {
		return resp, nil
	}
	resp.File = append(resp.File, goFiles...)
	manifests := <-k8s
	if manifests.err != nil {
		return nil, manifests.err
	}
	resp.File = append(resp.File, manifests.files...)
	resp.File = append(resp.File, mains...)
	resp.File = append(resp.File, modules...)
	return resp, nil
}

// k8sFiles is renderK8s's result, passed back from its goroutine.
type k8sFiles struct {
	files []*pluginpb.CodeGeneratorResponse_File
	err   error
}

// noGoPackagePrefix starts the placeholder import paths of giveGoPackages.
const noGoPackagePrefix = "nogo.invalid/"

// giveGoPackages gives every file without go_package a placeholder import
// path. protogen refuses a request in which any file lacks one, but a run
// that writes no Go must work on protos that were never meant for Go.
func giveGoPackages(req *pluginpb.CodeGeneratorRequest) {
	for _, f := range req.GetProtoFile() {
		if f.GetOptions().GetGoPackage() != "" {
			continue
		}
		if f.Options == nil {
			f.Options = &descriptorpb.FileOptions{}
		}
		dir := path.Dir(f.GetName())
		f.Options.GoPackage = proto.String(noGoPackagePrefix + dir + ";" + goPackageName(dir))
	}
}

// goPackageName makes a valid Go package name from a directory.
func goPackageName(dir string) string {
	name := []byte(path.Base(dir))
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			name[i] = '_'
		}
	}
	if s := strings.Trim(string(name), "_"); s != "" && s != "." {
		return string(name)
	}
	return "nogo"
}
