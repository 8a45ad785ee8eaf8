package verify

import (
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	candidates := []string{"helloworld.Greeter", "liveness", "readiness", "shop.v2.Cart", "shop.v2beta1.Orders"}
	for name, want := range map[string]string{
		"helloworld.Greter":   "helloworld.Greeter",
		"helloworld.greeter":  "helloworld.Greeter",
		"HelloWorld.Greeter":  "helloworld.Greeter",
		"shop.v1.Cart":        "shop.v2.Cart",
		"shop.v1.Orders":      "shop.v2beta1.Orders",
		"livenes":             "liveness",
		"ready":               "",
		"foo.Bar":             "",
		"":                    "",
		"helloworld.Greeter":  "",
		"helloworld.Greeterz": "helloworld.Greeter",
	} {
		if got := suggest(name, candidates); got != want {
			t.Errorf("suggest(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestSuggestBounded: a name over maxSuggestLen gets no suggestion, and a
// candidate whose length is too far off is never compared (a close version
// match still is).
func TestSuggestBounded(t *testing.T) {
	long := "a.B" + strings.Repeat("x", maxSuggestLen)
	if got := suggest(long, []string{long[:len(long)-1]}); got != "" {
		t.Errorf("suggest(long) = %q, want none", got)
	}
	if got := suggest("a.v1.Bee", []string{"a.v2.Bee", "a.v1.Beeeeeeeeeeeeeeeeeeeee"}); got != "a.v2.Bee" {
		t.Errorf("version match: %q", got)
	}
	if got := suggest("abcd.Efgh", []string{"abcd.Efghijklmnop"}); got != "" {
		t.Errorf("a candidate 8 letters longer: %q", got)
	}
}

// TestSuggestCutoff: a name gets a suggestion at most len/4 edits away (at
// least 1): one exactly at the cutoff and one just past, for a name whose
// len/3 and len/6 differ from len/4.
func TestSuggestCutoff(t *testing.T) {
	const name = "abcdefghijklmnopqrst" // 20 runes: the cutoff is 5
	for _, c := range []struct {
		candidate string
		suggested bool
	}{
		{"vwxyzfghijklmnopqrst", true},  // 5 substitutions
		{"vwxyz1ghijklmnopqrst", false}, // 6
	} {
		got := suggest(name, []string{c.candidate})
		if (got == c.candidate) != c.suggested {
			t.Errorf("suggest(%q, [%q]) = %q, want suggested %v", name, c.candidate, got, c.suggested)
		}
	}
	// The floor: a 3-rune name allows 1 edit (3/4 is 0).
	if got := suggest("abc", []string{"abd"}); got != "abd" {
		t.Errorf(`suggest("abc", ["abd"]) = %q, want "abd"`, got)
	}
	if got := suggest("abc", []string{"axy"}); got != "" {
		t.Errorf(`suggest("abc", ["axy"]) = %q, want none`, got)
	}
}
