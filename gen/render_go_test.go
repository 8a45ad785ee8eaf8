package gen

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGoChunksSameAsWhole: a file's services formatted goChunk at a time
// and appended to protogen's output are byte for byte protogen's formatting
// of the whole file, with comments gofmt rewrites (indented lines, lists,
// tabs), deprecated services and services outside readiness among them.
func TestGoChunksSameAsWhole(t *testing.T) {
	var b strings.Builder
	b.WriteString("syntax = \"proto3\";\npackage many;\noption go_package = \"example.com/many\";\nimport \"health/options/v1/options.proto\";\n")
	for i := range 40 {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "// Service %d serves.\n//   indented: a code block to gofmt\n// - a list item\n//\tand a tab\n", i)
		case 1:
			b.WriteString("// Deprecated: gone.\n")
		}
		fmt.Fprintf(&b, "service S%d {", i)
		switch i % 4 {
		case 1:
			b.WriteString(" option deprecated = true;")
		case 2:
			b.WriteString(" option (health.options.v1.service) = { counts_toward_readiness: false };")
		}
		b.WriteString(" }\n")
	}
	req := requestFor(t, "emit=go", testProto{"many/many.proto", b.String()})
	whole := runPlugin(t, req)
	defer func(n int) { goChunk = n }(goChunk)
	for _, n := range []int{1, 3, 39} {
		goChunk = n
		if diff := cmp.Diff(whole, runPlugin(t, req)); diff != "" {
			t.Errorf("goChunk %d (-whole +chunked):\n%s", n, diff)
		}
	}
}
