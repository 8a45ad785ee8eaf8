package editdist

import (
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
