package verify

import (
	"fmt"
	"strings"
	"testing"

	"github.com/protoc-gen-health/protoc-gen-health/internal/editdist"
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
		if got := newSuggester(candidates).suggest(name); got != want {
			t.Errorf("suggest(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestSuggestBounded: a name over maxSuggestLen gets no suggestion, and a
// candidate whose length is too far off is never compared (a close version
// match still is).
func TestSuggestBounded(t *testing.T) {
	long := "a.B" + strings.Repeat("x", maxSuggestLen)
	if got := newSuggester([]string{long[:len(long)-1]}).suggest(long); got != "" {
		t.Errorf("suggest(long) = %q, want none", got)
	}
	if got := newSuggester([]string{"a.v1.Beeeeeeeeeeeeeeeeeeeee", "a.v2.Bee"}).suggest("a.v1.Bee"); got != "a.v2.Bee" {
		t.Errorf("version match: %q", got)
	}
	if got := newSuggester([]string{"abcd.Efghijklmnop"}).suggest("abcd.Efgh"); got != "" {
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
		got := newSuggester([]string{c.candidate}).suggest(name)
		if (got == c.candidate) != c.suggested {
			t.Errorf("suggest(%q, [%q]) = %q, want suggested %v", name, c.candidate, got, c.suggested)
		}
	}
	// The floor: a 3-rune name allows 1 edit (3/4 is 0).
	if got := newSuggester([]string{"abd"}).suggest("abc"); got != "abd" {
		t.Errorf(`suggest("abc", ["abd"]) = %q, want "abd"`, got)
	}
	if got := newSuggester([]string{"axy"}).suggest("abc"); got != "" {
		t.Errorf(`suggest("abc", ["axy"]) = %q, want none`, got)
	}
}

// TestSuggestWorkBounded: each distinct name is searched once, and the
// searches of a run stop at editdist.MaxWork however many distinct names
// ask (issue 19: 10,000 misspelt probes against 1,000 services took 35 s).
func TestSuggestWorkBounded(t *testing.T) {
	var candidates []string
	for i := range 1000 {
		candidates = append(candidates, fmt.Sprintf("acme.platform.v1.Service%04d", i))
	}
	s := newSuggester(candidates)
	if got := s.suggest("acme.platform.v1.Servcie0042"); got != "acme.platform.v1.Service0042" {
		t.Fatalf("suggest = %q", got)
	}
	one := s.index.Work()
	for range 10_000 {
		s.suggest("acme.platform.v1.Servcie0042")
	}
	if s.index.Work() != one {
		t.Errorf("10,000 more asks of one name cost %d units, want none", s.index.Work()-one)
	}
	for i := range 10_000 {
		s.suggest(fmt.Sprintf("acme.platform.v1.Servcie%04d", i))
	}
	if got, bound := s.index.Work(), int64(editdist.MaxWork+len(candidates)); got > bound {
		t.Errorf("10,000 distinct names cost %d units, over %d", got, bound)
	}
	t.Logf("one search: %d units; 10,000 distinct: %d", one, s.index.Work())
}
