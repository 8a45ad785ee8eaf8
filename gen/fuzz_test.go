package gen

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"

	optionsv1 "github.com/protoc-gen-health/protoc-gen-health/proto/health/options/v1"
)

// Seeds of the fuzz targets run as ordinary tests; the checked-in corpus is
// under testdata/fuzz/<target>/, crashers included.

// toFullName turns any string into a valid protobuf full name, so that every
// fuzz input exercises defaultWorkloadName on the inputs it is defined for.
func toFullName(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		b := []byte(p)
		for j, c := range b {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
				b[j] = '_'
			}
		}
		if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
			b = append([]byte{'_'}, b...)
		}
		parts[i] = string(b)
	}
	return strings.Join(parts, ".")
}

// FuzzWorkloadName: for any two strings made into full names, each default
// workload name is a valid DNS-1035 label of at most 63 characters that
// depends only on its full name, and when two different names map to one
// label the plugin reports the collision, naming both, and writes nothing:
// never a silent merge.
func FuzzWorkloadName(f *testing.F) {
	f.Fuzz(func(t *testing.T, a, b string) {
		defaultWorkloadName(a) // defined for full names, but must not panic on anything
		na, nb := fuzzFullName(t, a), fuzzFullName(t, b)
		for _, name := range []string{na, nb} {
			if p := checkWorkloadName(name); len(p) > 0 {
				t.Errorf("defaultWorkloadName(%q) = %q: %v", name, defaultWorkloadName(name), p)
			}
		}
		if na == nb || defaultWorkloadName(na) != defaultWorkloadName(nb) {
			return
		}
		if strings.HasPrefix(na, nb+".") || strings.HasPrefix(nb, na+".") {
			t.Skip("one name is the other's package: no request can hold both") // "_" and "_._"
		}
		resp := Generate(twoServiceRequest(t, na, nb))
		checkResponse(t, resp)
		msg := resp.GetError()
		if resp.Error == nil || !strings.Contains(msg, na) || !strings.Contains(msg, nb) {
			t.Errorf("%q and %q both map to %q: want an error naming both, got %q and %d files",
				na, nb, defaultWorkloadName(na), msg, len(resp.File))
		}
	})
}

// fuzzFullName makes s a valid protobuf full name.
func fuzzFullName(t *testing.T, s string) string {
	if isFullName(s) {
		return s
	}
	name := toFullName(s)
	if !isFullName(name) {
		t.Fatalf("toFullName(%q) = %q, not a full name", s, name)
	}
	return name
}

// twoServiceRequest is an emit=k8s request for two services with the given
// full names, each in a file of its own, built from descriptors directly so
// the fuzzer stays fast.
func twoServiceRequest(t *testing.T, names ...string) *pluginpb.CodeGeneratorRequest {
	req := &pluginpb.CodeGeneratorRequest{Parameter: proto.String("emit=k8s")}
	for i, full := range names {
		pkg, svc := "", full
		if dot := strings.LastIndexByte(full, '.'); dot >= 0 {
			pkg, svc = full[:dot], full[dot+1:]
		}
		file := fmt.Sprintf("f%d.proto", i)
		req.FileToGenerate = append(req.FileToGenerate, file)
		req.ProtoFile = append(req.ProtoFile, &descriptorpb.FileDescriptorProto{
			Name:    proto.String(file),
			Package: proto.String(pkg),
			Syntax:  proto.String("proto3"),
			Options: &descriptorpb.FileOptions{GoPackage: proto.String(fmt.Sprintf("example.com/f%d;f%d", i, i))},
			Service: []*descriptorpb.ServiceDescriptorProto{{Name: proto.String(svc)}},
		})
	}
	return req
}

// generateChecked runs the plugin, checks what every response must be, and
// returns its files by name, or false when it answered with an error.
func generateChecked(t *testing.T, req *pluginpb.CodeGeneratorRequest) (map[string]string, bool) {
	t.Helper()
	resp := Generate(req)
	checkResponse(t, resp)
	if resp.Error != nil {
		return nil, false
	}
	return applyInsertions(t, resp), true
}

// quotedValue matches a Go-quoted string, as errors print option values.
var quotedValue = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// checkResponse checks what every response must be: an error and no files,
// or files and no error; the error is clean text, and the response encodes.
func checkResponse(t *testing.T, resp *pluginpb.CodeGeneratorResponse) {
	t.Helper()
	if _, err := proto.Marshal(resp); err != nil {
		t.Fatalf("response does not encode: %v", err)
	}
	if resp.GetSupportedFeatures() != SupportedFeatures {
		t.Errorf("supported features %d, want %d", resp.GetSupportedFeatures(), SupportedFeatures)
	}
	if resp.Error == nil {
		return
	}
	msg := resp.GetError()
	if len(resp.File) != 0 {
		t.Errorf("error %q with %d files", msg, len(resp.File))
	}
	// A user's value is quoted in the message and may hold anything; outside
	// the quotes, "%!" would be a formatting mistake of ours.
	ours := quotedValue.ReplaceAllString(msg, `""`)
	if strings.TrimSpace(msg) == "" || strings.Contains(ours, "%!") || strings.Contains(ours, "panic") {
		t.Errorf("unclean error %q", msg)
	}
	// protoc prints the message as it is: a user's text in it is quoted, so
	// it holds no line break but those between problems and nothing
	// unprintable (protobuf-go's own messages start "proto:\u00a0" on purpose;
	// protogen's advice on go_package indents its lines with tabs).
	for _, line := range strings.Split(strings.NewReplacer("\u00a0", " ", "\t", " ").Replace(msg), "\n") {
		if !printable(line) {
			t.Errorf("error line %q holds unquoted unprintable text", line)
		}
	}
}

// fuzzSeedRequests are valid requests and parameters the fuzz targets start from.
func fuzzSeedRequests(f *testing.F) []*pluginpb.CodeGeneratorRequest {
	var reqs []*pluginpb.CodeGeneratorRequest
	for _, c := range k8sCases() {
		params := "emit=go,emit=k8s"
		if c.params != "" {
			params += "," + c.params
		}
		reqs = append(reqs, requestFor(f, params, c.files...))
	}
	return reqs
}

func FuzzGenerate(f *testing.F) {
	for _, req := range fuzzSeedRequests(f) {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "")
		f.Add(b, req.GetParameter()+",probe=exec,health_port=1")
	}
	f.Add([]byte{}, "emit=k8s")
	f.Add([]byte("\x0a\x01a"), "emit=k8s,emit=go,scaffold=true,image=x")
	f.Add(notUTF8Seed(f), "")
	f.Add([]byte{}, "emit=k8s,service.a.B.port=1,workload=x")
	f.Fuzz(func(t *testing.T, data []byte, param string) {
		req := &pluginpb.CodeGeneratorRequest{}
		if err := proto.Unmarshal(data, req); err != nil {
			// Not a request; or one whose health option strings are not
			// UTF-8, which GenerateEncoded answers with an error naming
			// them; or one malformed only inside what the plugin does not
			// decode (messages, methods: slimRequest), answered as if that
			// were absent. Whatever the answer, it is a clean one.
			if resp, err := GenerateEncoded(data); err == nil {
				checkResponse(t, resp)
			}
			return
		}
		if param != "" {
			req.Parameter = proto.String(param)
		}
		files, ok := generateChecked(t, req)
		if !ok {
			return
		}
		// Whatever the request, the manifests are valid: a file name that
		// could break out of a header comment is refused.
		p, err := parseParams(req.GetParameter())
		if err == nil && kubernetesOnly(p) {
			decodeManifests(t, files)
		}
		scaffold := err == nil && paramOf(p, sScaffold)
		for name, content := range files {
			if strings.HasSuffix(name, ".go") {
				checkGofmt(t, name, content) // written formatted, never through gofmt
			}
			if userOwned(scaffold, name) {
				if generatedMarker.MatchString(content) {
					t.Errorf("%s is the user's to edit but marked generated:\n%s", name, content)
				}
				continue
			}
			if !strings.HasPrefix(content, generatedGoHeader) && !strings.HasPrefix(content, generatedYAMLHeader) {
				t.Errorf("%s does not start with the generated header:\n%s", name, content)
			}
		}
	})
}

// kubernetesOnly reports whether a run writes no outputs but Go and the
// Kubernetes manifests, the ones decodeManifests knows.
func kubernetesOnly(p *Params) bool {
	for emit := range paramOf(p, sEmit) {
		if emit != EmitGo && emit != EmitK8s {
			return false
		}
	}
	return true
}

// notUTF8Seed is an encoded request whose service option's workload is
// not UTF-8.
func notUTF8Seed(f *testing.F) []byte {
	req := requestFor(f, "emit=go,emit=k8s", greeterProto)
	svc := req.ProtoFile[len(req.ProtoFile)-1].Service[0]
	svc.Options = &descriptorpb.ServiceOptions{}
	proto.SetExtension(svc.Options, optionsv1.E_Service, &optionsv1.HealthOptions{Workload: proto.String("greeterXX")})
	b, err := proto.Marshal(req)
	if err != nil {
		f.Fatal(err)
	}
	return bytes.ReplaceAll(b, []byte("greeterXX"), []byte("greeter\xff\xfe"))
}

// fuzzOptionsProto is the request FuzzOptions sets options on.
var fuzzOptionsProto = testProto{"fuzz/v1/svc.proto", `syntax = "proto3";
package fuzz.v1;
option go_package = "example.com/test/fuzz/v1;fuzzv1";
import "health/options/v1/options.proto";
service Svc {}
`}

// Bits of FuzzOptions' set mask: which fields of HealthOptions are set.
const (
	setPort = 1 << iota
	setHealthPort
	setProbe
	setProbeBin
	setContainer
	setWorkload
	setStartupSeconds
	setTimings // 15 bits: liveness, readiness, startup; initial delay, period, timeout, success, failure
)

func FuzzOptions(f *testing.F) {
	base := requestFor(f, "", fuzzOptionsProto)
	type timings = [15]int32
	defaults := timings{0, 10, 2, 1, 3, 0, 5, 2, 1, 3, 0, 2, 2, 1, 30}
	add := func(set uint32, port, healthPort, probe int32, probeBin, container, workload string, startup int32, ts timings, onFile, scaffold bool) {
		f.Add(set, port, healthPort, probe, probeBin, container, workload, startup,
			ts[0], ts[1], ts[2], ts[3], ts[4], ts[5], ts[6], ts[7], ts[8], ts[9], ts[10], ts[11], ts[12], ts[13], ts[14], onFile, scaffold)
	}
	add(0, 0, 0, 0, "", "", "", 0, defaults, false, false)
	add(0x7f, 8080, 8081, 2, "/bin/grpc_health_probe", "app", "svc", 60, defaults, false, true)
	add(0xffffffff&^setStartupSeconds, 1, 65535, 1, "/x/grpc-health-probe", "a", "w", 0, timings{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, true, false)
	add(0xffffffff&^setStartupSeconds, 50051, 9, 2, "/grpc_health_probe", "c", "z0", 0, timings{2147483647, 2147483647, 2147483647, 1, 2147483647, 0, 1, 2147483647, 2147483647, 2147483647, 0, 2147483647, 1, 1, 2147483647}, false, true)
	add(setStartupSeconds|setProbe|setTimings<<11, 0, 0, 2, "", "", "", 2147483647, timings{11: 2147483647}, false, false)
	add(0xffffffff, 0, -1, 3, "relative bin", "-x", "X", -5, timings{-1, 0, 0, 2, 0}, false, false)
	add(setWorkload|setContainer|setPort, 8080, 0, 0, "", "server\xff", "shop\xfe", 0, defaults, true, false)

	f.Fuzz(func(t *testing.T, set uint32, port, healthPort, probe int32, probeBin, container, workload string, startup int32,
		li, lp, lt, ls, lf, ri, rp, rt, rs, rf, si, sp, st, ss, sf int32, onFile, scaffold bool) {
		opts := &optionsv1.HealthOptions{}
		if set&setPort != 0 {
			opts.Port = proto.Int32(port)
		}
		if set&setHealthPort != 0 {
			opts.HealthPort = proto.Int32(healthPort)
		}
		if set&setProbe != 0 {
			opts.Probe = optionsv1.ProbeStyle(probe).Enum()
		}
		// protoc writes any bytes a "\xff" escape makes into a proto3
		// string; proto.Marshal would refuse them, so a string that is not
		// UTF-8 is held back and appended to the option's encoding by hand.
		var notUTF8 []byte // encoded fields
		var notUTF8Names []string
		for _, sf := range []struct {
			bit  uint32
			v    string
			dst  **string
			name string
		}{{setProbeBin, probeBin, &opts.ProbeBin, "probe_bin"}, {setContainer, container, &opts.Container, "container"}, {setWorkload, workload, &opts.Workload, "workload"}} {
			switch {
			case set&sf.bit == 0:
			case utf8.ValidString(sf.v):
				*sf.dst = proto.String(sf.v)
			default:
				fd := healthOptionsDesc.Fields().ByName(protoreflect.Name(sf.name))
				notUTF8 = protowire.AppendTag(notUTF8, fd.Number(), protowire.BytesType)
				notUTF8 = protowire.AppendString(notUTF8, sf.v)
				notUTF8Names = append(notUTF8Names, sf.name)
			}
		}
		if set&setStartupSeconds != 0 {
			opts.StartupSeconds = proto.Int32(startup)
		}
		values := [15]int32{li, lp, lt, ls, lf, ri, rp, rt, rs, rf, si, sp, st, ss, sf}
		for k, dst := range []**optionsv1.ProbeTiming{&opts.Liveness, &opts.Readiness, &opts.Startup} {
			pt := &optionsv1.ProbeTiming{}
			fields := []**int32{&pt.InitialDelaySeconds, &pt.PeriodSeconds, &pt.TimeoutSeconds, &pt.SuccessThreshold, &pt.FailureThreshold}
			setAny := false
			for i, fp := range fields {
				if set&(setTimings<<(5*k+i)) != 0 {
					*fp = proto.Int32(values[5*k+i])
					setAny = true
				}
			}
			if setAny {
				*dst = pt
			}
		}

		req := proto.Clone(base).(*pluginpb.CodeGeneratorRequest)
		file := req.ProtoFile[len(req.ProtoFile)-1]
		// The option as its encoded extension field, an unknown field here
		// that protobuf-go passes through: the wire form protoc sends.
		ob, err := proto.Marshal(opts)
		if err != nil {
			t.Fatal(err)
		}
		xt, target := optionsv1.E_File, protoreflect.Message(file.Options.ProtoReflect())
		if !onFile {
			file.Service[0].Options = &descriptorpb.ServiceOptions{}
			xt, target = optionsv1.E_Service, file.Service[0].Options.ProtoReflect()
		}
		ext := protowire.AppendTag(nil, xt.TypeDescriptor().Number(), protowire.BytesType)
		ext = protowire.AppendBytes(ext, append(ob, notUTF8...))
		target.SetUnknown(append(target.GetUnknown(), ext...))
		req.Parameter = proto.String("emit=go,emit=k8s")
		if scaffold {
			*req.Parameter += ",scaffold=true"
		}
		// Through the wire, as protoc sends it.
		b, err := proto.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		if len(notUTF8) > 0 {
			resp, err := GenerateEncoded(b)
			if err != nil {
				t.Fatalf("GenerateEncoded: %v", err)
			}
			checkResponse(t, resp)
			for _, name := range notUTF8Names {
				if !strings.Contains(resp.GetError(), "."+name+": not valid UTF-8") {
					t.Errorf("error %q does not name %s", resp.GetError(), name)
				}
			}
			return
		}
		req = &pluginpb.CodeGeneratorRequest{}
		if err := proto.Unmarshal(b, req); err != nil {
			t.Fatal(err)
		}

		files, ok := generateChecked(t, req)
		if !ok {
			return
		}
		want := wantWorkload{services: []string{"fuzz.v1.Svc"}, port: opts.GetPort(), probePort: opts.GetHealthPort(),
			container: opts.GetContainer(), exec: opts.GetProbe() == optionsv1.ProbeStyle_PROBE_STYLE_EXEC, probeBin: opts.GetProbeBin(),
			sources: []string{fuzzOptionsProto.name}}
		name := "fuzz-v1-svc"
		if opts.Workload != nil {
			name = opts.GetWorkload()
		}
		workloads := decodeManifests(t, files)
		w := workloads[name]
		if w == nil || len(workloads) != 1 {
			t.Fatalf("want one workload %q, got %d: %v", name, len(workloads), files)
		}
		checkWorkload(t, w, want)
		if scaffold {
			checkScaffold(t, w, scaffoldWant{drain: 5, stop: 15})
		}
		if consts := healthNameConsts(t, files); len(consts) != 1 || consts[0] != "fuzz.v1.Svc" {
			t.Errorf("_HealthName constants %q, want [fuzz.v1.Svc]", consts)
		}
	})
}
