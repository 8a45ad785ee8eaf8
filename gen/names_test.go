package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/quick"

	"k8s.io/apimachinery/pkg/util/validation"
)

// quickFullName is a random valid protobuf full name: dot-separated identifiers
// [A-Za-z_][A-Za-z0-9_]*, biased towards the characters that matter to
// defaultWorkloadName (case changes, underscores, digits, a package version
// label) and towards names around and beyond the 63-character limit.
type quickFullName string

func (quickFullName) Generate(r *rand.Rand, size int) reflect.Value {
	const (
		first = "ABCXYZabcxyz_"
		rest  = first + "0189"
	)
	parts := 1 + r.Intn(4)
	maxLen := 1 + r.Intn(size+1)
	if r.Intn(4) == 0 {
		maxLen = 20 + r.Intn(60) // near the label limit once joined
	}
	versions := []string{"v1", "v1beta2", "v1p1beta1", "v2alpha", "V3"}
	version := -1 // the package part that is a version label, if any
	if parts > 1 && r.Intn(3) == 0 {
		version = r.Intn(parts - 1)
	}
	var b strings.Builder
	for p := 0; p < parts; p++ {
		if p > 0 {
			b.WriteByte('.')
		}
		if p == version {
			b.WriteString(versions[r.Intn(len(versions))])
			continue
		}
		b.WriteByte(first[r.Intn(len(first))])
		for n := r.Intn(maxLen); n > 0; n-- {
			b.WriteByte(rest[r.Intn(len(rest))])
		}
	}
	return reflect.ValueOf(quickFullName(b.String()))
}

// checkWorkloadName reports what is wrong with defaultWorkloadName(in) for a
// valid full name in, or "".
func checkWorkloadName(in string) []string {
	got := defaultWorkloadName(in)
	var problems []string
	if errs := validation.IsDNS1035Label(got); len(errs) > 0 {
		problems = append(problems, errs...)
	}
	if len(got) > 63 {
		problems = append(problems, "longer than 63 characters")
	}
	if again := defaultWorkloadName(in); again != got {
		problems = append(problems, "not deterministic: "+again)
	}
	if msg := dns1035Label(got); msg != "" {
		problems = append(problems, "the plugin's own check rejects it: "+msg)
	}
	if len(labelWords(in)) > maxLabel-len("svc-") {
		problems = append(problems, shortenedProblems(in, got)...)
	}
	return problems
}

// testVersion matches a version label, written out apart from the
// generator's own pattern.
var testVersion = regexp.MustCompile(`^v[0-9]+([a-z]+[0-9]*)*$`)

// shortenedProblems checks the properties of a shortened name: it ends in
// "-" and 8 hex digits of the full name's SHA-256 (so distinct names stay
// distinct); its other words are whole words of the full name, in their
// order (only a word longer than the whole room may be cut, and a name of
// which no word starts with a letter is cut as a label); and it keeps the
// package's version label.
func shortenedProblems(in, got string) []string {
	var problems []string
	full := labelWords(in)
	if len(full) <= maxLabel && full[0] >= 'a' && full[0] <= 'z' {
		return nil // not shortened
	}
	sum := sha256.Sum256([]byte(in))
	suffix := "-" + hex.EncodeToString(sum[:4])
	readable, ok := strings.CutSuffix(got, suffix)
	if !ok {
		return []string{"does not end in " + suffix}
	}
	fullWords := strings.Split(full, "-")
	letterWord, longWord := false, false
	for _, w := range fullWords {
		letterWord = letterWord || w[0] >= 'a' && w[0] <= 'z'
		longWord = longWord || len(w) > maxLabel-len(suffix)
	}
	if !letterWord {
		return nil
	}
	i := 0 // readable's words are a subsequence of the full name's
	for _, w := range strings.Split(readable, "-") {
		for i < len(fullWords) && fullWords[i] != w {
			i++
		}
		if i == len(fullWords) && !longWord {
			problems = append(problems, fmt.Sprintf("word %q is not a whole word of %q in order", w, full))
			break
		}
		i++
	}
	if dot := strings.LastIndexByte(in, '.'); dot > 0 {
		comps := strings.Split(in[:dot], ".")
		for j := len(comps) - 1; j >= 0; j-- {
			if v := labelWords(comps[j]); len(v) <= 16 && testVersion.MatchString(v) {
				if !slices.Contains(strings.Split(readable, "-"), v) {
					problems = append(problems, "lost the version label "+v)
				}
				break
			}
		}
	}
	return problems
}

// TestShortenedNamesUnique: two different long full names never shorten to
// the same name, even when they differ only in words that were left out.
func TestShortenedNamesUnique(t *testing.T) {
	base := "google.cloud.videointelligence.%s.VideoIntelligenceService"
	seen := map[string]string{}
	for _, v := range []string{"v1", "v1beta1", "v1beta2", "v1p1beta1", "v1p2beta1", "v1p3beta1", "v2"} {
		for _, pkg := range []string{"google.cloud", "google.cloud.x", "google.cloudx"} {
			in := strings.Replace(fmt.Sprintf(base, v), "google.cloud", pkg, 1)
			got := defaultWorkloadName(in)
			if other, dup := seen[got]; dup {
				t.Errorf("%s and %s both shorten to %s", in, other, got)
			}
			seen[got] = in
			if p := checkWorkloadName(in); len(p) > 0 {
				t.Errorf("defaultWorkloadName(%q) = %q: %v", in, got, p)
			}
		}
	}
	f := func(a, b quickFullName) bool {
		if a == b {
			return true
		}
		if x, y := defaultWorkloadName(string(a)), defaultWorkloadName(string(b)); x == y && len(labelWords(string(a))) > maxLabel {
			t.Errorf("%q and %q both map to %q", a, b, x)
			return false
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000}); err != nil {
		t.Error(err)
	}
}

func TestDefaultWorkloadNameIsLabel(t *testing.T) {
	f := func(n quickFullName) bool {
		if !isFullName(string(n)) {
			t.Fatalf("generator made %q, not a full name", n)
		}
		if p := checkWorkloadName(string(n)); len(p) > 0 {
			t.Errorf("defaultWorkloadName(%q) = %q: %v", n, defaultWorkloadName(string(n)), p)
			return false
		}
		return true
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Error(err)
	}
}

// labelish is a short random string over the characters that DNS label
// rules care about.
type labelish string

func (labelish) Generate(r *rand.Rand, size int) reflect.Value {
	const alphabet = "az09-A_."
	n := r.Intn(8)
	if r.Intn(8) == 0 {
		n = 60 + r.Intn(8)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.Intn(len(alphabet))]
	}
	return reflect.ValueOf(labelish(b))
}

// TestDNSLabelChecksAgree: the plugin's own label checks accept exactly what
// Kubernetes' validation accepts.
func TestDNSLabelChecksAgree(t *testing.T) {
	f := func(s labelish) bool {
		ok := true
		if ours, k8s := dns1035Label(string(s)) == "", len(validation.IsDNS1035Label(string(s))) == 0; ours != k8s {
			t.Errorf("DNS-1035 %q: plugin accepts %v, Kubernetes %v", s, ours, k8s)
			ok = false
		}
		if ours, k8s := dns1123Label(string(s)) == "", len(validation.IsDNS1123Label(string(s))) == 0; ours != k8s {
			t.Errorf("DNS-1123 %q: plugin accepts %v, Kubernetes %v", s, ours, k8s)
			ok = false
		}
		return ok
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 20000}); err != nil {
		t.Error(err)
	}
}

// TestDefaultWorkloadNameCollision: services whose full names map to one
// default workload name are an error naming both, never one merged workload.
func TestDefaultWorkloadNameCollision(t *testing.T) {
	tests := []struct {
		name  string
		files []testProto
		want  string
	}{
		{
			name: "one file",
			files: []testProto{{"acme/api.proto", `syntax = "proto3";
package acme;
service BarBaz {}
service Bar_Baz {}
`}},
			want: `acme/api.proto:4: services acme.BarBaz, acme.Bar_Baz: both get the default workload name "acme-bar-baz"; ` +
				`set (health.options.v1.service).workload on one of them, or put both in one workload`,
		},
		{
			name: "two packages",
			files: []testProto{
				{"foo/a.proto", "syntax = \"proto3\";\npackage foo;\nservice BarBaz {}\n"},
				{"foo/bar/b.proto", "syntax = \"proto3\";\npackage foo.bar;\n\nservice Baz {}\n"},
			},
			want: `foo/bar/b.proto:4: services foo.BarBaz, foo.bar.Baz: both get the default workload name "foo-bar-baz"; ` +
				`set (health.options.v1.service).workload on one of them, or put both in one workload`,
		},
		{
			name: "three services",
			files: []testProto{{"x/x.proto", `syntax = "proto3";
package x;
service HTTPServer {}
service HttpServer {}
service Http_Server {}
`}},
			want: `x/x.proto:4: services x.HTTPServer, x.HttpServer: both get the default workload name "x-http-server"; ` +
				`set (health.options.v1.service).workload on one of them, or put both in one workload` + "\n" +
				`x/x.proto:5: services x.HTTPServer, x.Http_Server: both get the default workload name "x-http-server"; ` +
				`set (health.options.v1.service).workload on one of them, or put both in one workload`,
		},
		{
			name: "explicit name equal to a default",
			files: []testProto{{"y/y.proto", `syntax = "proto3";
package y;
import "health/options/v1/options.proto";
service Cart {}
service Other { option (health.options.v1.service) = { workload: "y-cart" }; }
`}},
			want: `y/y.proto:4: services y.Cart, y.Other: workload "y-cart" is named explicitly for y.Other and is also ` +
				`the default workload name of y.Cart; name the workload of y.Cart too`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := Generate(requestFor(t, "emit=k8s", tt.files...))
			if resp.GetError() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", resp.GetError(), tt.want)
			}
			if len(resp.File) != 0 {
				t.Errorf("%d files written with an error", len(resp.File))
			}
		})
	}
}

// A service whose default workload name collides with another's is in no
// workload when the run writes only Go (the collision is reported only by
// runs that write workloads); its service config still asks a name its
// naming mode's servers register.
func TestServiceConfigOutsideWorkloads(t *testing.T) {
	files := []testProto{
		{"a/b/c.proto", "syntax = \"proto3\";\npackage a.b;\noption go_package = \"example.com/a/b;b\";\nservice C {}\n"},
		{"ab/c.proto", "syntax = \"proto3\";\npackage a_b;\noption go_package = \"example.com/ab;ab\";\nservice C {}\n"},
	}
	// a.b.C forms the workload a-b-c: a workload of one service, whose
	// readiness asks its own name in healthreg's and services' modes; a_b.C
	// is left out of it.
	for _, c := range []struct{ mode, grouped, left string }{
		{"healthreg", "a.b.C", "readiness"},
		{"services", "a.b.C", ""},
		{"overall", "", ""},
	} {
		out := runPlugin(t, requestFor(t, "emit=go,names="+c.mode, files...))
		for name, want := range map[string]string{"example.com/a/b/c.health.go": c.grouped, "example.com/ab/c.health.go": c.left} {
			if got := out[name]; !strings.Contains(got, "C_ServiceConfig = `"+ServiceConfig(want)+"`") {
				t.Errorf("names=%s: %s does not ask %q:\n%s", c.mode, name, want, got)
			}
		}
	}
}
