package e2e

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The README's quickstart runs as written. Its fenced blocks follow one
// convention, which this test enforces:
//
//   - ```sh: commands, run in order with bash -eu -o pipefail, from the
//     quickstart's directory;
//   - ```sh skip: commands not run here, because they install (git clone,
//     go install ...@latest of an unpublished module), need Docker or a
//     cluster, or serve forever. The test substitutes the installation:
//     this checkout's protoc-gen-health (built by TestMain) and bin/ (built
//     by `make tools`: buf, protoc-gen-go, protoc-gen-go-grpc) go first on
//     PATH, and $HOME holds protoc-gen-health, a link to this repository,
//     where Installation clones it;
//   - ```LANG file=PATH: a file to write at PATH, relative to the
//     quickstart's directory, when the block is reached;
//   - ```LANG example=PATH [select=...]: an excerpt of generated output,
//     checked by TestDocExcerpts (docs_test.go), not run;
//   - anything else (```yaml, ```go, ...): an illustration, not run.
//
// The commands' ports (-addr=127.0.0.1:50051) run as free ports, while the
// test holds the fixed ones (ports_test.go): another process may hold them.
//
// The quickstart section's blocks run once per "With ..." subsection, each
// time in a fresh empty directory: the blocks before the first "With ..."
// subsection, then that subsection's blocks.
func TestReadmeQuickstart(t *testing.T) {
	t.Parallel()
	blocks := readmeBlocks(t)
	var shared []readmeBlock
	variants := map[string][]readmeBlock{}
	var order []string
	for _, b := range blocks {
		if b.section != quickstartSection || !b.runs() {
			continue
		}
		if !strings.HasPrefix(b.subsection, "With ") {
			shared = append(shared, b)
			continue
		}
		if variants[b.subsection] == nil {
			order = append(order, b.subsection)
		}
		variants[b.subsection] = append(variants[b.subsection], b)
	}
	if len(order) < 2 || len(shared) == 0 {
		t.Fatalf("README.md: want shared quickstart blocks and at least two \"With ...\" subsections, got %d shared, %q", len(shared), order)
	}
	home := t.TempDir()
	if err := os.Symlink(root, filepath.Join(home, "protoc-gen-health")); err != nil {
		t.Fatal(err)
	}
	env := quickstartEnv(t, home)
	holdPorts(t)
	for _, name := range order {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ports := newPortRewriter(t)
			for _, b := range append(append([]readmeBlock(nil), shared...), variants[name]...) {
				if b.file != "" {
					writeFile(t, filepath.Join(dir, b.file), b.body)
					continue
				}
				cmd := ports.rewrite(b.body)
				t.Logf("README.md:%d: running:\n%s", b.line, cmd)
				if r := runCmd(goTimeout, dir, env, "bash", "-eu", "-o", "pipefail", "-c", cmd); r.code != 0 {
					t.Fatalf("README.md:%d: exit %d:\n%s\n--- output:\n%s", b.line, r.code, cmd, r.out)
				}
			}
		})
	}
}

// quickstartSection is the README section whose blocks the test runs.
const quickstartSection = "Quickstart: from an empty directory to a server and its manifests"

// readmeBlock is one fenced block of the README.
type readmeBlock struct {
	doc                 string // the file, relative to the repository's root
	line                int    // of the opening fence
	section, subsection string
	lang                string
	skip                bool
	file, example       string
	selection           string // of example: "" (the whole file), a top-level YAML key, or "lines"
	body                string
}

// runs reports whether the block is a file to write or commands to run.
func (b readmeBlock) runs() bool { return b.file != "" || b.lang == "sh" && !b.skip }

func readmeBlocks(t testing.TB) []readmeBlock { return docBlocks(t, "README.md") }

// docBlocks reads the fenced blocks of the Markdown file doc (relative to
// the repository's root).
func docBlocks(t testing.TB, doc string) []readmeBlock {
	t.Helper()
	f, err := os.Open(filepath.Join(root, doc))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var blocks []readmeBlock
	var cur *readmeBlock
	var section, subsection string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if cur != nil {
			if line == "```" {
				blocks = append(blocks, *cur)
				cur = nil
			} else {
				cur.body += line + "\n"
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "## "):
			section, subsection = strings.TrimPrefix(line, "## "), ""
		case strings.HasPrefix(line, "### "):
			subsection = strings.TrimPrefix(line, "### ")
		case strings.HasPrefix(line, "```"):
			info := strings.Fields(strings.TrimPrefix(line, "```"))
			cur = &readmeBlock{doc: doc, line: n, section: section, subsection: subsection}
			for i, w := range info {
				switch {
				case i == 0:
					cur.lang = w
				case w == "skip":
					cur.skip = true
				case strings.HasPrefix(w, "file="):
					cur.file = strings.TrimPrefix(w, "file=")
				case strings.HasPrefix(w, "example="):
					cur.example = strings.TrimPrefix(w, "example=")
				case strings.HasPrefix(w, "select="):
					cur.selection = strings.TrimPrefix(w, "select=")
				default:
					t.Errorf("%s:%d: unknown fence attribute %q", doc, n, w)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil {
		t.Fatalf("%s:%d: unclosed fence", doc, cur.line)
	}
	return blocks
}

// quickstartEnv is the test's environment with toolEnv's PATH, HOME
// moved to home (Go's caches stay where they are), and Go outside the
// repository's workspace.
func quickstartEnv(t testing.TB, home string) []string {
	t.Helper()
	var env []string
	for _, kv := range toolEnv(t) {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "GOWORK", "GOFLAGS", "GOCACHE", "GOMODCACHE", "GOPATH":
			continue
		}
		env = append(env, kv)
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		r := runCmd(cmdTimeout, "", nil, "go", "env", k)
		if r.code != 0 {
			t.Fatalf("go env %s: %s", k, r.out)
		}
		env = append(env, k+"="+strings.TrimSpace(r.out))
	}
	return append(env, "HOME="+home, "GOWORK=off", "GOFLAGS=-mod=mod")
}
