package gen

import (
	"strings"
	"testing"
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
		{"emit=k8s,workload=a,workload=b", "parameter workload=b: workload= is already given (workload=a); give each parameter once (only emit= may repeat)"},
		{"emit=k8s,port=1,port=2", "parameter port=2: port= is already given (port=1); give each parameter once (only emit= may repeat)"},
		{"emit=k8s,port=1,port=1", "parameter port=1: port= is already given (port=1); give each parameter once (only emit= may repeat)"},
		{"paths=import,emit=go,paths=source_relative", "parameter paths=source_relative: paths= is already given (paths=import); give each parameter once (only emit= may repeat)"},
		{"emit=k8s,scaffold=true,image=a,scaffold=false", "parameter scaffold=false: scaffold= is already given (scaffold=true); give each parameter once (only emit= may repeat)"},
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
