package manifest

import (
	"fmt"
	"strings"
	"testing"
)

// TestExpansionBudget: ordinary anchors pass; expansion past twice the
// written nodes plus the slack fails, counted over the whole file.
func TestExpansionBudget(t *testing.T) {
	pod := func(name, extra string) string {
		return fmt.Sprintf("---\napiVersion: v1\nkind: Pod\nmetadata: {name: %s}\n%sspec:\n  containers:\n    - name: c\n      image: c\n      env: &env [{name: A, value: a}]\n    - name: d\n      image: d\n      env: *env\n      readinessProbe: {grpc: {port: 1}}\n", name, extra)
	}
	sites, err := Parse("ok.yaml", []byte(pod("a", "")+pod("b", "")))
	if err != nil || len(sites) != 2 || len(sites[1].Container.Env) != 1 {
		t.Fatalf("anchors: %d sites, %v", len(sites), err)
	}
	// 1000 values per document: the slack admits 100 such documents at
	// most, wherever they are.
	bomb := "x:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n  a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n  a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]\n"
	var b strings.Builder
	for i := range 150 {
		b.WriteString(pod(fmt.Sprint("p", i), bomb))
	}
	sites, err = Parse("bomb.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "aliases and merge keys expand the YAML to more than") {
		t.Fatalf("want the budget's error, got %v", err)
	}
	if len(sites) < 80 || len(sites) >= 150 {
		t.Errorf("%d documents read before the budget ran out", len(sites))
	}
}
