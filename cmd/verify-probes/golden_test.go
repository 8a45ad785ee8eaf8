package main

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"

	"github.com/protoc-gen-health/protoc-gen-health/internal/protoreq"
)

var update = flag.Bool("update", false, "rewrite testdata/cases/*/want from the current output")

// TestGolden runs verify-probes on each case under testdata/cases/<case>,
// from inside the case's directory:
//
//   - args: the arguments, one a line ("#" lines are comments); $DESC is
//     the descriptor set: of the case's proto/ directory when it has one
//     (every .proto under it, our options importable), else of
//     testdata/proto.
//   - stdin: standard input, when present.
//   - want: the exit code, stdout and stderr; go test -update rewrites it.
//
// Everything else in the directory is the case's input.
func TestGolden(t *testing.T) {
	shared, err := filepath.Abs(writeDescriptors(t, true))
	if err != nil {
		t.Fatal(err)
	}
	options, err := filepath.Abs("../../proto")
	if err != nil {
		t.Fatal(err)
	}
	dirs, err := filepath.Glob("testdata/cases/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			desc := shared
			if _, err := os.Stat(filepath.Join(dir, "proto")); err == nil {
				desc = compileCase(t, filepath.Join(dir, "proto"), options)
			}
			argsText, err := os.ReadFile(filepath.Join(dir, "args"))
			if err != nil {
				t.Fatal(err)
			}
			var args []string
			for _, line := range strings.Split(string(argsText), "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					args = append(args, strings.ReplaceAll(line, "$DESC", desc))
				}
			}
			stdin, _ := os.ReadFile(filepath.Join(dir, "stdin"))
			wantPath, err := filepath.Abs(filepath.Join(dir, "want"))
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			var stdout, stderr bytes.Buffer
			code := run(args, bytes.NewReader(stdin), &stdout, &stderr)
			got := fmt.Sprintf("exit %d\n-- stdout --\n%s-- stderr --\n%s", code, stdout.String(), strings.ReplaceAll(stderr.String(), desc, "$DESC"))
			if *update {
				if err := os.WriteFile(wantPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("output mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// compileCase writes a descriptor set of every .proto under dir.
func compileCase(t *testing.T, dir, options string) string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".proto") {
			rel, _ := filepath.Rel(dir, path)
			files = append(files, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	set, err := protoreq.Compile([]string{dir, options}, files)
	if err != nil {
		t.Fatal(err)
	}
	data, err := proto.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), strconv.Itoa(len(files))+".binpb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
