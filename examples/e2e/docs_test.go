package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README and docs/*.md show generated output; each such block names
// the checked-in file it comes from in its fence's info string, so a block
// moved to another document keeps its check:
//
//	```yaml example=PATH                the whole file PATH (from the repository's root)
//	```yaml example=PATH select=spec    the file's top-level key spec: its line and every indented line after it
//	```go example=PATH select=lines     each line of the block, in order, is a line of PATH; blank lines and
//	                                    elisions ("# ..." or "// ..." lines) are skipped, and a line
//	                                    ending in " ..." stands for every line it begins
//
// PATH is an example's generated output or a golden file (gen/testdata),
// which the regeneration check and the golden test keep true.

// docFiles are the documents whose blocks TestDocExcerpts checks.
func docFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"README.md"}
	for _, d := range docs {
		files = append(files, filepath.Join("docs", filepath.Base(d)))
	}
	return files
}

// TestDocExcerpts checks every example= block of README.md and docs/*.md
// against its file, and that the check fails when any line of the block
// has one character changed.
func TestDocExcerpts(t *testing.T) {
	t.Parallel()
	checked := 0
	for _, doc := range docFiles(t) {
		for _, b := range docBlocks(t, doc) {
			if b.example == "" {
				if b.selection != "" {
					t.Errorf("%s:%d: select= without example=", b.doc, b.line)
				}
				continue
			}
			checked++
			file, err := os.ReadFile(filepath.Join(root, b.example))
			if err != nil {
				t.Errorf("%s:%d: %v", b.doc, b.line, err)
				continue
			}
			if err := matchExcerpt(b.body, string(file), b.selection); err != nil {
				t.Errorf("%s:%d: the block is not %s (select=%q): %v", b.doc, b.line, b.example, b.selection, err)
				continue
			}
			for _, mutated := range oneCharChanges(b.body) {
				if matchExcerpt(mutated, string(file), b.selection) == nil {
					t.Errorf("%s:%d: a one-character change still matches %s:\n%s", b.doc, b.line, b.example, mutated)
					break
				}
			}
		}
	}
	if checked < 5 {
		t.Errorf("%d example= blocks, want at least 5 (the README's generated excerpts)", checked)
	}
}

// matchExcerpt reports how body differs from the selection of file.
func matchExcerpt(body, file, selection string) error {
	switch selection {
	case "":
		if body != file {
			return fmt.Errorf("not the whole file")
		}
	case "lines":
		lines := strings.Split(file, "\n")
		next := 0
		for _, want := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
			if isElision(want) {
				continue
			}
			prefix, isPrefix := strings.CutSuffix(want, " ...")
			for ; next < len(lines); next++ {
				if lines[next] == want || isPrefix && strings.HasPrefix(lines[next], prefix) {
					break
				}
			}
			if next == len(lines) {
				return fmt.Errorf("line %q is not in the file (after the lines before it)", want)
			}
			next++
		}
	default:
		got, ok := yamlKey(file, selection)
		if !ok {
			return fmt.Errorf("no top-level key %q", selection)
		}
		if body != got {
			return fmt.Errorf("not the file's %s:\n%s", selection, got)
		}
	}
	return nil
}

// isElision reports whether a select=lines line stands for omitted lines.
func isElision(line string) bool {
	l := strings.TrimSpace(line)
	return l == "" || strings.HasPrefix(l, "# ...") || strings.HasPrefix(l, "// ...")
}

// yamlKey returns the line "key:" of a YAML file and the indented lines
// after it.
func yamlKey(file, key string) (string, bool) {
	var b strings.Builder
	in := false
	for _, l := range strings.SplitAfter(file, "\n") {
		switch {
		case l == key+":\n":
			in = true
		case in && !strings.HasPrefix(l, " "):
			return b.String(), true
		}
		if in {
			b.WriteString(l)
		}
	}
	return b.String(), in
}

// oneCharChanges returns body with one character changed, once per line
// that the match reads: the last character before any " ..." elision.
func oneCharChanges(body string) []string {
	lines := strings.Split(body, "\n")
	var out []string
	for i, l := range lines {
		if isElision(l) {
			continue
		}
		end := len(l)
		if p, ok := strings.CutSuffix(l, " ..."); ok {
			end = len(p)
		}
		c := byte('x')
		if l[end-1] == 'x' {
			c = 'y'
		}
		changed := append([]string(nil), lines...)
		changed[i] = l[:end-1] + string(c) + l[end:]
		out = append(out, strings.Join(changed, "\n"))
	}
	return out
}

// testName is a test function's name in backquotes, as the docs cite them.
var testName = regexp.MustCompile("`(Test[A-Z][A-Za-z0-9_]*)`")

// TestDocsNameRealTests: every test README.md or docs/*.md names as the
// backing of a sentence (`TestX`) is a test function of the repository.
func TestDocsNameRealTests(t *testing.T) {
	t.Parallel()
	defined := map[string]bool{}
	decl := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]*)\(`)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "bin" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
			defined[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, doc := range docFiles(t) {
		src, err := os.ReadFile(filepath.Join(root, doc))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range testName.FindAllStringSubmatch(string(src), -1) {
			named++
			if !defined[m[1]] {
				t.Errorf("%s names %s, which no _test.go declares", doc, m[1])
			}
		}
	}
	if named == 0 {
		t.Error("the docs name no test")
	}
}
