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
