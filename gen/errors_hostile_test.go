package gen

import (
	"bytes"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/pluginpb"

	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
)

// Exact errors for input that is hostile or careless rather than merely
// wrong (issue 12): colliding Go names, repeated parameters, unprintable
// and very long values.

func TestErrorGoNamesCollide(t *testing.T) {
	src := `syntax = "proto3";
package foo;
option go_package = "example.com/foo";

service FooBar {}

service foo_bar {}
`
	const want = `foo/foo.proto:7: services foo.FooBar, foo.foo_bar: both generate the Go names FooBar_HealthName, FooBar_ServiceConfig and RegisterFooBarHealth ` +
		`in package example.com/foo; rename one, or skip one with (health.options.v1.service).skip`
	checkError(t, "emit=go", map[string]string{"in/foo/foo.proto": src}, want)
	checkLine(t, src, 7, "service foo_bar")
}

// Two files of one Go package: the error names the other service's file.
func TestErrorGoNamesCollideAcrossFiles(t *testing.T) {
	a := `syntax = "proto3";
package foo;
option go_package = "example.com/foo";
service FooBar {}
`
	b := `syntax = "proto3";
package foo.v2;
option go_package = "example.com/foo";
service Foo_bar {}
`
	const want = `foo/b.proto:4: services foo.FooBar, foo.v2.Foo_bar: both generate the Go names FooBar_HealthName, FooBar_ServiceConfig and RegisterFooBarHealth ` +
		`in package example.com/foo (foo.FooBar is in foo/a.proto); rename one, or skip one with (health.options.v1.service).skip`
	checkError(t, "emit=go,emit=k8s", map[string]string{"in/foo/a.proto": a, "in/foo/b.proto": b}, want)
}

// The same names in different Go packages, a skipped one, or manifests
// only, are fine.
func TestGoNamesInOtherPackagesOrSkipped(t *testing.T) {
	a := testProto{"a/a.proto", `syntax = "proto3";
package a;
option go_package = "example.com/a";
import "health/options/v1/options.proto";
service FooBar {}
service foo_bar { option (health.options.v1.service) = { skip: true }; }
`}
	b := testProto{"b/b.proto", `syntax = "proto3";
package b;
option go_package = "example.com/b";
service foo_bar {}
`}
	files := runPlugin(t, requestFor(t, "emit=go", a, b))
	if got := healthNameConsts(t, files); strings.Join(got, " ") != "a.FooBar b.foo_bar" {
		t.Errorf("constants for %q, want a.FooBar and b.foo_bar", got)
	}
	c := testProto{"c/c.proto", `syntax = "proto3";
package c;
service FooBar {}
service foo_bar {}
`}
	runPlugin(t, requestFor(t, "emit=k8s,workload=c", c))
}

func TestErrorRepeatedParameter(t *testing.T) {
	for _, c := range []struct{ params, want string }{
		{"emit=k8s,workload=a,workload=b", "parameter workload=b: workload= is already given (workload=a); give each parameter once (only emit= or rpc_header= may repeat)"},
		{"emit=k8s,port=1,port=2", "parameter port=2: port= is already given (port=1); give each parameter once (only emit= or rpc_header= may repeat)"},
		{"emit=k8s,port=1,port=1", "parameter port=1: port= is already given (port=1); give each parameter once (only emit= or rpc_header= may repeat)"},
		{"paths=import,emit=go,paths=source_relative", "parameter paths=source_relative: paths= is already given (paths=import); give each parameter once (only emit= or rpc_header= may repeat)"},
		{"emit=k8s,scaffold=true,image=a,scaffold=false", "parameter scaffold=false: scaffold= is already given (scaffold=true); give each parameter once (only emit= or rpc_header= may repeat)"},
		{"emit=k8s,service.helloworld.Greeter.port=1,service.helloworld.Greeter.port=2",
			"parameter service.helloworld.Greeter.port=2: service.helloworld.Greeter.port= is already given (service.helloworld.Greeter.port=1); give each parameter once (only emit= or rpc_header= may repeat)"},
	} {
		t.Run(c.params, func(t *testing.T) { checkError(t, c.params, greeter, c.want) })
	}
}

// emit= repeats by design (plugin parameters are split on commas), and
// protogen's M<file>= are per file.
func TestRepeatableParameters(t *testing.T) {
	req := requestFor(t, "emit=go,emit=k8s,emit=go,Mhelloworld/greeter.proto=example.com/x;x,Mother.proto=example.com/y", greeterProto)
	if got := sortedKeys(runPlugin(t, req)); strings.Join(got, " ") != "example.com/x/greeter.health.go helloworld-greeter/kustomization.yaml helloworld-greeter/probes.yaml" {
		t.Errorf("files %q", got)
	}
}

func TestErrorImageNotPrintable(t *testing.T) {
	const msg = ": must be an image reference: printable characters, no spaces"
	for _, c := range []struct{ image, shown string }{
		{"ghcr.io/acme/greeter:v1\u2028RUN x", `"ghcr.io/acme/greeter:v1\u2028RUN x"`},
		{"ghcr.io/acme/greeter\x00:v1", `"ghcr.io/acme/greeter\x00:v1"`},
		{"ghcr.io/acme/\u202egreeter", `"ghcr.io/acme/\u202egreeter"`},
		{"ghcr.io/acme/greeter\xff", `"ghcr.io/acme/greeter\xff"`},
		{"ghcr.io/acme/greeter\u00a0:v1", `"ghcr.io/acme/greeter\u00a0:v1"`},
		{"ghcr.io/acme/greeter :v1", "ghcr.io/acme/greeter :v1"},
	} {
		checkError(t, "emit=k8s,scaffold=true,image="+c.image, greeter, "parameter image="+c.shown+msg)
	}
}

// A long bad value is cut to its first 64 runes in the message, quoted or
// not, wherever it was written.
func TestErrorLongValuesCut(t *testing.T) {
	long := strings.Repeat("é", 70) + strings.Repeat("x", 1<<20)
	shown := strings.Repeat("é", 64) + "..."
	checkError(t, "emit=k8s,workload="+long, greeter, "parameter workload="+shown+": must be 1 to 63 characters (a DNS label)")
	checkError(t, "emit=k8s,"+long+"=1", greeter, `unknown parameter "`+strings.Repeat("é", 64)+`"... `+knownParamList)
	checkError(t, "emit=k8s,port="+long, greeter, "parameter port="+shown+": not a whole number")
	// A per-service parameter that disagrees with the service's option.
	cart := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

service Cart {
  option (health.options.v1.service) = { container: "server" };
}
`
	checkError(t, "emit=k8s,service.shop.Cart.container="+long, map[string]string{"in/shop.proto": cart},
		"parameter service.shop.Cart.container="+shown+": must be 1 to 63 characters (a DNS label)\n"+
			`shop.proto:6: service shop.Cart: option (health.options.v1.service).container = "server": `+
			"parameter service.shop.Cart.container="+shown+` sets it to "`+strings.Repeat("é", 64)+`"... for the same service; remove one of the two`)
	// A per-service parameter of a service the run does not have.
	longName := strings.Repeat("a", 100)
	checkError(t, "emit=k8s,service."+longName+".port=1", greeter,
		"parameter service."+strings.Repeat("a", 56)+"...: no service "+strings.Repeat("a", 64)+"... in the files this run generates")
	// The workload's name, repeated in another setting's message.
	checkError(t, "emit=k8s,scaffold=true,kind=StatefulSet,workload="+long, greeter,
		"parameter kind=StatefulSet: workload \""+strings.Repeat("é", 64)+"\"...: scaffold=true writes a Deployment; leave kind unset, "+
			"or drop scaffold=true and list the generated Component over your own StatefulSet\n"+
			"parameter workload="+shown+": must be 1 to 63 characters (a DNS label)")

	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";

service Cart {
  option (health.options.v1.service) = { container: "` + strings.Repeat("\\n", 100) + `" };
}
`
	want := `shop.proto:6: service shop.Cart: option (health.options.v1.service).container = "` + strings.Repeat(`\n`, 64) + `"...: ` +
		`must be 1 to 63 characters (a DNS label)`
	checkError(t, "emit=k8s", map[string]string{"in/shop.proto": src}, want)
}

func TestQuoteValue(t *testing.T) {
	for in, want := range map[string]string{
		"":                            `""`,
		"a\nb":                        `"a\nb"`,
		strings.Repeat("a", 64):       `"` + strings.Repeat("a", 64) + `"`,
		strings.Repeat("a", 65):       `"` + strings.Repeat("a", 64) + `"...`,
		strings.Repeat("\xff", 65):    `"` + strings.Repeat(`\xff`, 64) + `"...`,
		strings.Repeat("日", 64):       `"` + strings.Repeat("日", 64) + `"`,
		strings.Repeat("日", 64) + "x": `"` + strings.Repeat("日", 64) + `"...`,
	} {
		if got := quoteValue(in); got != want {
			t.Errorf("quoteValue(%q) = %s, want %s", in, got, want)
		}
	}
}

// encodedWithBytes compiles files (under in/ as for checkError) into the
// encoded request protoc would send, then replaces every occurrence of each
// placeholder with bytes of the same length: a string option holding
// bytes that are not UTF-8, as protoc writes for "\xff" escapes.
func encodedWithBytes(t *testing.T, parameter string, files map[string]string, replace map[string]string) []byte {
	t.Helper()
	dir := t.TempDir()
	var names []string
	writeFiles(t, dir, files)
	for name := range files {
		names = append(names, strings.TrimPrefix(name, "in/"))
	}
	sort.Strings(names)
	b, err := protoreq.BuildBytes([]string{filepath.Join(dir, "in"), optionsImportPath}, names, parameter)
	if err != nil {
		t.Fatal(err)
	}
	for from, to := range replace {
		if len(from) != len(to) || !bytes.Contains(b, []byte(from)) {
			t.Fatalf("cannot replace %q with %q", from, to)
		}
		b = bytes.ReplaceAll(b, []byte(from), []byte(to))
	}
	return b
}

func TestErrorOptionNotUTF8(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";
option (health.options.v1.file) = { probe_bin: "/bin/grpc_health_probeXX" };

service Cart {
  option (health.options.v1.service) = { workload: "cartXX" container: "XXserver" };
}

service Catalog {}
`
	in := encodedWithBytes(t, "emit=k8s", map[string]string{"in/shop.proto": src}, map[string]string{"XX": "\xff\xfe"})
	if err := proto.Unmarshal(in, &pluginpb.CodeGeneratorRequest{}); err == nil {
		t.Fatal("the request decodes: the test no longer sends invalid UTF-8")
	}
	resp, err := GenerateEncoded(in)
	if err != nil {
		t.Fatalf("GenerateEncoded: %v; want an error in the response", err)
	}
	checkResponse(t, resp)
	if want, err := proto.Marshal(resp); err != nil || !bytes.Equal(writeResponse(t, in), want) {
		t.Errorf("WriteResponse answers otherwise (%v)", err)
	}
	const why = ": not valid UTF-8 (a string option must be UTF-8 text; check its \\x escapes)"
	want := "shop.proto:4: services shop.Cart, shop.Catalog: option (health.options.v1.file).probe_bin" + why + "\n" +
		"shop.proto:7: service shop.Cart: option (health.options.v1.service).container" + why + "\n" +
		"shop.proto:7: service shop.Cart: option (health.options.v1.service).workload" + why
	if diff := cmp.Diff(want, resp.GetError()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

// A request that is malformed for another reason is still refused as
// such, even when a health option is fine.
func TestMalformedRequestWithOptions(t *testing.T) {
	src := `syntax = "proto3";
package shop;
import "health/options/v1/options.proto";
service Cart {
  option (health.options.v1.service) = { workload: "cart" };
}
`
	in := encodedWithBytes(t, "emit=k8s", map[string]string{"in/shop.proto": src}, nil)
	if _, err := GenerateEncoded(append(in[:len(in):len(in)], 0xff)); err == nil {
		t.Error("a truncated request was answered")
	}
	resp, err := GenerateEncoded(in)
	if err != nil || resp.Error != nil || len(applyInsertions(t, resp)) != 2 {
		t.Errorf("GenerateEncoded: %v, response error %q, %d files; want the two files of workload cart", err, resp.GetError(), len(resp.GetFile()))
	}
}

// tls_server_name and tls_ca_cert go into probe commands: the same rule as
// image=.
func TestErrorTLSServerNameNotPrintable(t *testing.T) {
	checkError(t, "emit=k8s,probe=exec,tls=true,tls_server_name=greeter.invalid\u2028x", greeter,
		`parameter tls_server_name="greeter.invalid\u2028x": must be a host name`)
	checkError(t, "emit=k8s,probe=exec,tls=true,tls_server_name=greeter\r.invalid", greeter,
		`parameter tls_server_name="greeter\r.invalid": must be a host name`)
	checkError(t, "emit=k8s,probe=exec,tls=true,tls_server_name=greeter.invalid,tls_ca_cert=/etc/ca.pem\n---", greeter,
		`parameter tls_ca_cert="/etc/ca.pem\n---": must be a path in the image: printable characters, no spaces`)
}

// A per-service parameter's key is the user's text too: quoted when it is
// not printable, never a line break of its own in the message.
func TestErrorServiceParamKeyQuoted(t *testing.T) {
	got := generateError(t, "emit=k8s,service.helloworld.Greeter\n---.port=1", greeter)
	const want = `parameter "service.helloworld.Greeter\n---.port"=1: a per-service parameter is service.<full.Name>.<field>=value, `
	if !strings.HasPrefix(got, want) || strings.Contains(got, "\n") {
		t.Errorf("error %q, want one line starting with %q", got, want)
	}
}

// A health name longer than the runtime's limit: protoc accepts it, and the
// generated registration would panic at start-up (issue 19).
func TestErrorHealthNameTooLong(t *testing.T) {
	long := "S" + strings.Repeat("x", 1100) // package "shop." makes 1,106 bytes
	src := "syntax = \"proto3\";\npackage shop;\noption go_package = \"example.com/shop\";\nservice " + long + " {}\n"
	want := "shop.proto:4: service shop.S" + strings.Repeat("x", 58) + "...: " + // the name's first 64 runes

		`the health name is 1106 bytes, longer than the runtime's limit of 1024 (healthreg refuses to register it, and a probe asking it gets INVALID_ARGUMENT); shorten the package or the service's name, or skip it`
	for _, emit := range []string{"emit=go", "emit=k8s,names=services"} {
		checkError(t, emit, map[string]string{"in/shop.proto": src}, want)
	}
	// At the limit it generates.
	fit := strings.Repeat("x", 1024-len("shop.S"))
	ok := testProto{"shop.proto", strings.Replace(src, long, "S"+fit, 1)}
	runPlugin(t, requestFor(t, "emit=go", ok))
}

// A probe name that is no member's full name (a fixed name today; a
// per-probe name set by the user) is checked the same way.
func TestProbeNamesTooLong(t *testing.T) {
	long := strings.Repeat("n", 1025)
	w := &Workload{Name: "shop", Readiness: Probe{Service: long}, Liveness: Probe{Service: "liveness"}}
	got := probeNamesTooLong(w, map[string]bool{})
	want := []string{"workload shop: the readinessProbe asks a health name of 1025 bytes, longer than the runtime's limit of 1024"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := probeNamesTooLong(w, map[string]bool{long: true}); got != nil {
		t.Errorf("a member's name is reported at its declaration, not again: %q", got)
	}
}

// TestErrorGoNamesCollideWithProtocGenGo: each kind of name protoc-gen-go
// declares, in another file of the same Go package, against each of ours
// (a message Greeter_HealthName made go build fail with "redeclared").
func TestErrorGoNamesCollideWithProtocGenGo(t *testing.T) {
	const greeter = `syntax = "proto3";
package shop;
option go_package = "example.com/shop";
service Greeter {}
`
	const at = `shop/a.proto:4: service shop.Greeter: generates the Go name `
	const fix = `; rename one, or skip the service with (health.options.v1.service).skip`
	for _, tc := range []struct{ name, other, want string }{
		{"message", `message Greeter_HealthName {}`,
			at + `Greeter_HealthName, which protoc-gen-go also declares in package example.com/shop, for message other.Greeter_HealthName (in shop/b.proto)` + fix},
		{"nested message", `message Greeter { message ServiceConfig {} }`,
			at + `Greeter_ServiceConfig, which protoc-gen-go also declares in package example.com/shop, for message other.Greeter.ServiceConfig (in shop/b.proto)` + fix},
		{"enum", `enum RegisterGreeterHealth { R = 0; }`,
			at + `RegisterGreeterHealth, which protoc-gen-go also declares in package example.com/shop, for enum other.RegisterGreeterHealth (in shop/b.proto)` + fix},
		{"enum value", `enum Greeter { HealthName = 0; }`,
			at + `Greeter_HealthName, which protoc-gen-go also declares in package example.com/shop, for enum value other.HealthName (in shop/b.proto)` + fix},
		{"nested enum value", `message Greeter { enum E { ServiceConfig = 0; } }`,
			at + `Greeter_ServiceConfig, which protoc-gen-go also declares in package example.com/shop, for enum value other.Greeter.ServiceConfig (in shop/b.proto)` + fix},
		{"oneof wrapper", `message Greeter { oneof kind { string health_name = 1; } }`,
			at + `Greeter_HealthName, which protoc-gen-go also declares in package example.com/shop, for the oneof wrapper of field other.Greeter.health_name (in shop/b.proto)` + fix},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := "syntax = \"proto3\";\npackage other;\noption go_package = \"example.com/shop\";\n" + tc.other + "\n"
			checkError(t, "emit=go", map[string]string{"in/shop/a.proto": greeter, "in/shop/b.proto": other}, tc.want)
		})
	}
	// In the same file, and in an imported file that this run does not
	// generate, as long as the Go package is the same.
	same := greeter + "message Greeter_HealthName {}\n"
	checkError(t, "emit=go", map[string]string{"in/shop/a.proto": same},
		at+`Greeter_HealthName, which protoc-gen-go also declares in package example.com/shop, for message shop.Greeter_HealthName (in shop/a.proto)`+fix)
	imported := "syntax = \"proto3\";\npackage other;\noption go_package = \"example.com/shop\";\nmessage Greeter_HealthName {}\n"
	importing := strings.Replace(greeter, "service", "import \"shop/b.proto\";\nservice", 1)
	checkError(t, "emit=go", map[string]string{"in/shop/a.proto": importing, "include/shop/b.proto": imported},
		`shop/a.proto:5: service shop.Greeter: generates the Go name Greeter_HealthName, which protoc-gen-go also declares in package example.com/shop, for message other.Greeter_HealthName (in shop/b.proto)`+fix)
}

// TestGoNamesBesideProtocGenGo: near names, other packages, map entries,
// proto3 optional fields (synthetic oneofs) and manifests alone are fine.
func TestGoNamesBesideProtocGenGo(t *testing.T) {
	a := testProto{"shop/a.proto", `syntax = "proto3";
package shop;
option go_package = "example.com/shop";
service Greeter {}
message Greeter_Health {}
message GreeterHealthName {}
message M {
  map<string, string> health_name = 1;
  optional string service_config = 2;
  oneof kind { string health = 3; }
}
enum E { Greeter_HEALTH_NAME = 0; }
`}
	b := testProto{"other/b.proto", `syntax = "proto3";
package other;
option go_package = "example.com/other";
message Greeter_HealthName {}
`}
	runPlugin(t, requestFor(t, "emit=go", a, b))
	c := testProto{"shop/c.proto", `syntax = "proto3";
package shop;
service Greeter {}
message Greeter_HealthName {}
`}
	runPlugin(t, requestFor(t, "emit=k8s,workload=c", c))
}
