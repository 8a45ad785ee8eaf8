package gen

import (
	"fmt"
	"go/format"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGoWrittenFormatted: the Go files, written without protogen's
// formatting pass, are byte for byte what protogen writes when it formats
// them (as it still does with annotate_code), run through gofmt until it
// changes nothing (protogen's single pass leaves some comments that a
// second gofmt changes again), and gofmt leaves them
// unchanged, with proto comments gofmt rewrites among them: indented lines,
// lists, tabs, headings, directives, trailing spaces, links, and a carriage
// return (which takes the parse-and-print path).
func TestGoWrittenFormatted(t *testing.T) {
	comments := []string{
		"// Service %d serves.\n//   indented: a code block to gofmt\n// - a list item\n//\tand a tab\n",
		"// Deprecated: gone.\n",
		"//go:generate echo %d\n// Heading Without Punctuation\n//\n// Text after a heading.  \n",
		"//no space %d\n// # Heading\n// [Link]: https://example.com\n//  1. one\n//  2. two\n",
		"// ends in a code block %d\n//\n//     code\n",
		"// a carriage return %d\r\n",
		"",
	}
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\npackage many;\noption go_package = \"example.com/many\";\nimport \"health/options/v1/options.proto\";\n")
	for i := range 3 * len(comments) {
		c := comments[i%len(comments)]
		if strings.Contains(c, "%d") {
			c = fmt.Sprintf(c, i)
		}
		b.WriteString(c)
		fmt.Fprintf(&b, "service S%d {", i)
		switch i % 3 {
		case 1:
			b.WriteString(" option deprecated = true;")
		case 2:
			b.WriteString(" option (health.options.v1.service) = { counts_toward_readiness: false };")
		}
		b.WriteString(" }\n")
	}
	for _, params := range []string{"emit=go", "emit=go,go_runtime=grpc,workload=many,emit=k8s", "emit=go,module=example.com"} {
		t.Run(params, func(t *testing.T) {
			ours := runPlugin(t, requestFor(t, params, testProto{"many/many.proto", b.String()}))
			protogens := runPlugin(t, requestFor(t, params+",annotate_code", testProto{"many/many.proto", b.String()}))
			n := 0
			for name, content := range ours {
				if !strings.HasSuffix(name, ".go") {
					continue
				}
				n++
				if diff := cmp.Diff(gofmtFixedPoint(t, protogens[name]), content); diff != "" {
					t.Errorf("%s (-protogen's, gofmt'd until it stays the same +ours):\n%s", name, diff)
				}
				checkGofmt(t, name, content)
			}
			if n == 0 {
				t.Fatal("no Go file written")
			}
		})
	}
}

// gofmtFixedPoint runs gofmt on content until it changes nothing.
func gofmtFixedPoint(t testing.TB, content string) string {
	t.Helper()
	for range 8 {
		formatted, err := format.Source([]byte(content))
		if err != nil {
			t.Fatal(err)
		}
		if string(formatted) == content {
			return content
		}
		content = string(formatted)
	}
	t.Fatal("gofmt did not settle in 8 runs")
	return ""
}

// FuzzPlainDocComment: a doc comment plainDocComment passes is one
// go/printer's formatting leaves as it is, so skipping it changes nothing.
// The input's lines become the comment's, each after "// " unless it is
// empty or already starts with "//".
func FuzzPlainDocComment(f *testing.F) {
	for _, seed := range []string{
		"Greeter_HealthName is the health-check name.\n\nGreeter says hello.",
		"A.\n\nHeading\n\nB.",
		"A.\n\nOne line paragraph.\n\nB.",
		"A.\n\n# Heading\n\nB.",
		"A.\n\n  code\n\nB.",
		"A.\n - item\nB.",
		"See [Foo] and [the docs].\n\n[the docs]: https://example.com",
		"https://example.com/x and http://y.\n\nDeprecated: use B.",
		"1. first\n2) second\n- third\n* fourth",
		"//go:generate x\n//line x.go:1",
		"text with  two spaces\tand a tab",
		"Idempotent when they carry a request id, and a retry\nidempotent when they carry a request id,",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var lines []string
		for line := range strings.SplitSeq(text, "\n") {
			switch {
			case line == "":
				lines = append(lines, "//")
			case strings.HasPrefix(line, "//"):
				lines = append(lines, line)
			default:
				lines = append(lines, "// "+line)
			}
		}
		if !plainDocComment(lines) {
			return
		}
		if formatted := formatDocComment(lines); !slices.Equal(formatted, lines) {
			t.Errorf("plainDocComment passes %q, which formatDocComment makes %q", lines, formatted)
		}
	})
}
