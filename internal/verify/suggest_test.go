package verify

import "testing"

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

func TestLevenshtein(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"", "", 0}, {"a", "", 1}, {"", "ab", 2}, {"kitten", "sitting", 3}, {"Grüße", "Gruße", 1}} {
		if got := levenshtein(tt.a, tt.b); got != tt.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
