package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeForUsers keeps the README a front door (issue 20): under 400
// lines, with its limits and a map of docs/; each quickstart file's path
// in the rendered text above its block (GitHub does not show a fence's
// info string); every @latest install of ours inside the "After
// publishing" note, since it cannot work before; and each "With ..."
// quickstart variant ending in the same run-and-probe block, which
// TestReadmeQuickstart then runs.
func TestReadmeForUsers(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")
	if len(lines) >= 400 {
		t.Errorf("README.md has %d lines, want under 400: move reference material to docs/", len(lines))
	}

	sections := map[string]bool{}
	for _, l := range lines {
		if h, ok := strings.CutPrefix(l, "## "); ok {
			sections[h] = true
		}
	}
	for _, want := range []string{"Installation", quickstartSection, "Limits", "Documentation"} {
		if !sections[want] {
			t.Errorf("README.md has no section %q", want)
		}
	}
	for _, doc := range []string{"configuration.md", "parameters.md", "runtime.md", "kubernetes.md", "polyglot.md",
		"consumers.md", "verify-probes.md", "performance.md", "architecture.md"} {
		if !strings.Contains(string(src), "(docs/"+doc) {
			t.Errorf("README.md's map of docs/ does not link docs/%s", doc)
		}
	}

	// A file block's path, in the last line of text before its fence.
	for _, b := range readmeBlocks(t) {
		if b.file == "" {
			continue
		}
		prev := ""
		for i := b.line - 2; i >= 0 && prev == ""; i-- {
			prev = strings.TrimSpace(lines[i])
		}
		if !strings.Contains(prev, "`"+b.file+"`") {
			t.Errorf("README.md:%d: the block written to %s is not introduced by its path in the text (line before: %q)", b.line, b.file, prev)
		}
	}

	// @latest only in the blockquote that opens with "**After
	// publishing**": ours cannot be installed before, the tools are pinned.
	inNote := false
	for i, l := range lines {
		switch {
		case !strings.HasPrefix(l, ">"):
			inNote = false
		case strings.HasPrefix(l, "> **After publishing**"):
			inNote = true
		}
		if strings.Contains(l, "@latest") && !inNote {
			t.Errorf("README.md:%d: @latest outside the \"After publishing\" note (ours cannot install before; pin others): %q", i+1, l)
		}
	}

	// Each variant serves, probes liveness and its service, and stops it.
	probes := map[string]string{}
	for _, b := range readmeBlocks(t) {
		if b.section == quickstartSection && strings.HasPrefix(b.subsection, "With ") && b.runs() {
			probes[b.subsection] += b.body
		}
	}
	if len(probes) < 2 {
		t.Fatalf("README.md: want at least two \"With ...\" quickstart variants, got %d", len(probes))
	}
	for variant, body := range probes {
		for _, want := range []string{"go build -o bin/", "-service=liveness", "-service=helloworld.Greeter", "kill -TERM"} {
			if !strings.Contains(body, want) {
				t.Errorf("README.md: quickstart %q does not run %q: every variant runs and probes its server", variant, want)
			}
		}
	}
}
