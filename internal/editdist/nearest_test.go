package editdist

import (
	"fmt"
	"strings"
	"testing"
)

func TestNearest(t *testing.T) {
	names := []string{"shop.v1.Cart", "shop.v1.Catalog", "shop.v1.Checkout"}
	long := strings.Repeat("x", MaxNameLen+1)
	for _, tt := range []struct {
		name  string
		limit int
		want  string
	}{
		{"shop.v1.Crat", 2, "shop.v1.Cart"},
		{"SHOP.V1.CART", 2, "shop.v1.Cart"}, // case is ignored
		{"shop.v1.Cart", 2, ""},             // the name itself is never suggested
		{"shop.v1.Cxxxx", 2, ""},
		{"shop.v1.Catalgo", 2, "shop.v1.Catalog"},
		{"", 2, ""},
		{long, 1 << 20, ""},
	} {
		if got := Nearest(tt.name, names, tt.limit); got != tt.want {
			t.Errorf("Nearest(%.20q, %d) = %q, want %q", tt.name, tt.limit, got, tt.want)
		}
	}
	if got := Nearest("shop.v1.Cart", []string{long, "shop.v1.Carts"}, 1<<20); got != "shop.v1.Carts" {
		t.Errorf("a candidate over MaxNameLen was compared: got %q", got)
	}
}

// TestWithin: the banded distance is Levenshtein's, cut at limit+1, for
// every pair of short strings over a small alphabet.
func TestWithin(t *testing.T) {
	var words []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		words = append(words, prefix)
		if n == 0 {
			return
		}
		for _, r := range "abü" {
			gen(prefix+string(r), n-1)
		}
	}
	gen("", 4)
	ix := NewIndex(nil)
	for _, a := range words {
		for _, b := range words {
			for limit := 0; limit <= 4; limit++ {
				want := min(Levenshtein(a, b), limit+1)
				if got := ix.within([]rune(a), []rune(b), limit); got != want {
					t.Fatalf("within(%q, %q, %d) = %d, want %d", a, b, limit, got, want)
				}
			}
		}
	}
}

// TestIndexWorkBounded: searches stop at MaxWork, and a search that found
// a name at distance 1 compares the rest only within distance 0.
func TestIndexWorkBounded(t *testing.T) {
	var names []string
	for i := range 1000 {
		names = append(names, fmt.Sprintf("acme.platform.v1.Service%04d", i))
	}
	ix := NewIndex(names)
	if got := ix.Nearest("acme.platform.v1.Servcie0007", 7); got != "acme.platform.v1.Service0007" {
		t.Errorf("Nearest = %q", got)
	}
	one := ix.Work()
	// A full table for each candidate would be 1000 × 28 × 28 cells.
	if one > 1000*28*3 {
		t.Errorf("one search did %d units of work", one)
	}
	for i := 0; ix.Work() < MaxWork; i++ {
		ix.Nearest(fmt.Sprintf("acme.platform.v1.Servcie%04d", i), 7)
	}
	if ix.Work() > MaxWork+int64(len(names)) {
		t.Errorf("work %d, over MaxWork %d", ix.Work(), MaxWork)
	}
	if got := ix.Nearest("acme.platform.v1.Service000", 7); got != "" {
		t.Errorf("a search after MaxWork found %q", got)
	}
	t.Logf("one search: %d units", one)
}
