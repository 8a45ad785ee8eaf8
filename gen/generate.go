// Package gen is protoc-gen-health's generator: it turns a
// CodeGeneratorRequest into Go health code and Kubernetes manifests.
//
// The flow runs one way: every setting is declared once, in the table of
// settings.go; parameters are parsed by it (params.go), the request's
// services, options and parameters are resolved into one model and checked
// (build.go and the check_*.go, workloads.go files), and only a model that
// passed every check is rendered through the templates (render_*.go).
// Nothing after the checks can fail on user input, so a run either writes
// every file or none. That is what lets the response go out a file at a
// time as each is rendered (response.go), so that the plugin's memory does
// not grow with its output: a problem with the input is always found
// before the first file.
package gen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
		return errorResponse(fmt.Errorf("encoding the request: %v", err))
	}
	resp, err := GenerateEncoded(in)
	if err != nil {
		return errorResponse(fmt.Errorf("decoding the request: %v", err))
	}
	return resp
}

// errorResponse is the response that reports err instead of files.
func errorResponse(err error) *pluginpb.CodeGeneratorResponse {
	var c collector
	c.fail(err)
	return c.response()
}

// GenerateEncoded runs the plugin on an encoded request, the bytes protoc
// writes to the plugin's standard input, and returns the whole response.
// The error is for input that is not a CodeGeneratorRequest; problems with
// the request come back in the response's error field, as from Generate.
func GenerateEncoded(in []byte) (*pluginpb.CodeGeneratorResponse, error) {
	enc, err := scanRequest(in)
	if err != nil {
		return nil, err
	}
	var c collector
	if err := run(enc, &c); err != nil {
		return nil, err
	}
	return c.response(), nil
}

// WriteResponse runs the plugin on an encoded request (ReadRequest) and
// writes the encoded response to w, the bytes proto.Marshal would make of
// GenerateEncoded's, a file at a time as each is rendered: the plugin holds
// one file (or none: render_go.go) and not the whole response. Problems
// with the request come back in the response's error field. An error is
// either a *RequestError, and nothing was written, or one of w's or of
// ours after part of the response was written: the plugin must then exit
// with an error, and protoc writes nothing.
func WriteResponse(w io.Writer, req *EncodedRequest) error {
	s := newStreamer(w)
	if err := run(req, s); err != nil {
		return err
	}
	return s.Close()
}

// run runs the plugin on an encoded request, giving the response to out.
// It decodes only what the plugin reads (slimRequest), and once decoded no
// longer holds the request's bytes. A health option string that is not
// UTF-8 fails decoding, and is a problem with the request
// (badOptionStrings).
func run(enc *EncodedRequest, out sink) error {
	req, err := enc.slim()
	if err != nil {
		if bad := badOptionStrings(enc.encode()); bad != nil {
			return out.fail(bad)
		}
		return err
	}
	enc.files = nil
	if err := generate(req, out); err != nil {
		return out.fail(err)
	}
	return nil
}

// generate runs the plugin on a request, slim (slimRequest) or whole: both
// give the same response. Without emit=go it fills in missing go_package
// options in req. Every problem with the input is found before the first
// file goes to out; an error after it is a fault of ours, or out's.
func generate(req *pluginpb.CodeGeneratorRequest, out sink) error {
	params, err := parseParams(req.GetParameter())
	if err != nil {
		return err
	}
	if err := checkFileNames(req); err != nil {
		return err
	}
	if !params.EmitGo() {
		giveGoPackages(req)
	}
	plugin, err := protogen.Options{}.New(req)
	if err != nil {
		return err
	}
	model, err := build(plugin, params)
	if err != nil {
		return err
	}
	// Manifests bypass protogen: they belong at the root of the output
	// directory whatever paths= or module= do to Go file names. They need
	// only the model, so they render on another core while the Go files
	// render, a few workloads ahead of the response, which takes them
	// after the Go files.
	k8s := make(chan k8sFiles, 16)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		defer close(k8s)
		err := renderK8s(model, func(files []*pluginpb.CodeGeneratorResponse_File) error {
			select {
			case k8s <- k8sFiles{files: files}:
				return nil
			case <-stop:
				return errStopped
			}
		})
		if err != nil && err != errStopped {
			select {
			case k8s <- k8sFiles{err: err}:
			case <-stop:
			}
		}
	}()
	goFiles, err := renderGo(plugin, model)
	if err != nil {
		return err
	}
	if err := renderRegisters(plugin, model); err != nil {
		return err
	}
	mains, err := renderMains(plugin, model)
	if err != nil {
		return err
	}
	resp := plugin.Response()
	if resp.Error != nil {
		return errors.New(resp.GetError())
	}
	// Every check has passed: from here on the files go out.
	if err := emitFiles(out, resp.File); err != nil {
		return err
	}
	var buf bytes.Buffer
	for _, f := range goFiles {
		if err := f.emit(out, &buf); err != nil {
			return err
		}
	}
	for manifests := range k8s {
		if manifests.err != nil {
			return manifests.err
		}
		if err := emitFiles(out, manifests.files); err != nil {
			return err
		}
	}
	if err := emitFiles(out, mains); err != nil {
		return err
	}
	return renderModules(model, out.file)
}

// emitFiles gives files to out, in order.
func emitFiles(out sink, files []*pluginpb.CodeGeneratorResponse_File) error {
	for _, f := range files {
		if err := out.file(f); err != nil {
			return err
		}
	}
	return nil
}

// k8sFiles is a workload's files from renderK8s, or its error, passed back
// from its goroutine.
type k8sFiles struct {
	files []*pluginpb.CodeGeneratorResponse_File
	err   error
}

// errStopped stops renderK8s when the response ended early.
var errStopped = errors.New("stopped")

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
