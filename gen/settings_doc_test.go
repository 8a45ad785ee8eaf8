package gen

import (
	"os"
	"strings"
	"testing"
)

const referenceFile = "../docs/parameters.md"

// TestParameterReference keeps docs/parameters.md equal to what the
// settings table prints (-update rewrites it).
func TestParameterReference(t *testing.T) {
	want := ParameterReference()
	if *update {
		if err := os.WriteFile(referenceFile, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s differs from the settings table; run go test ./gen -run TestParameterReference -update", referenceFile)
	}
}

// TestEverySettingDocumented: every setting of the table, with its default,
// is in -h and in the reference, and every emit= kind is in both.
func TestEverySettingDocumented(t *testing.T) {
	help, ref := ParameterHelp(), ParameterReference()
	for _, r := range settings {
		in := r.info()
		def := defaultText(r)
		helpLine := in.name + "=" + r.typeName()
		if in.scopes&inParam == 0 {
			helpLine = in.name + ": " + optionTypeName(r)
		}
		if !strings.Contains(help, "  "+helpLine) || !strings.Contains(lineWith(help, "  "+helpLine), "; default "+def) {
			t.Errorf("-h does not list %s with its default %q:\n%s", in.name, def, help)
		}
		refLine := lineWith(ref, "| `"+in.name+"` |")
		if refLine == "" || !strings.Contains(refLine, " "+mdCode(def, r)+" ") {
			t.Errorf("the reference does not list %s with its default %q", in.name, def)
		}
		if in.help == "" || strings.Contains(in.help, "\n") {
			t.Errorf("setting %s: help must be one line", in.name)
		}
	}
	for _, k := range emitKinds {
		if !strings.Contains(help, "  "+k.name+" ") || !strings.Contains(ref, "| `"+k.name+"` |") {
			t.Errorf("emit=%s is missing from -h or the reference", k.name)
		}
	}
}

// lineWith returns the first line of s that contains sub, or "".
func lineWith(s, sub string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}
