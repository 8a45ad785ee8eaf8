//go:build unix

package manifest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExpandRegularFilesOnly: a directory scan reads regular files, and
// symbolic links to regular files inside the directory; it skips, and
// says so, FIFOs (whose open would block), links out of the directory,
// broken links and links to directories.
func TestExpandRegularFilesOnly(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "chart")
	write(t, filepath.Join(dir, "a.yaml"), "a: 1\n")
	write(t, filepath.Join(dir, "sub", "b.YML"), "b: 1\n")
	write(t, filepath.Join(dir, "notes.txt"), "x")
	write(t, filepath.Join(base, "secret.yaml"), "s: 1\n")
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"inside.yaml":  "a.yaml",
		"outside.yaml": "../secret.yaml",
		"broken.yaml":  "nope.yaml",
		"dir.yaml":     "sub",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	sources, skipped, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sources {
		rel, _ := filepath.Rel(dir, s.Name)
		names = append(names, rel)
	}
	if diff := cmp.Diff([]string{"a.yaml", "inside.yaml", "sub/b.YML"}, names); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	for i, s := range skipped {
		skipped[i] = strings.TrimPrefix(s, dir+"/")
	}
	want := []string{
		"broken.yaml: a broken symbolic link",
		"dir.yaml: a symbolic link to something other than a regular file",
		"fifo.yaml: not a regular file",
		"outside.yaml: a symbolic link out of the directory",
	}
	if diff := cmp.Diff(want, skipped); diff != "" {
		t.Errorf("skipped (-want +got):\n%s", diff)
	}
}

func TestExpandNamedFilesAndStdin(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "x.json"), "{}")
	sources, _, err := Expand([]string{"-", filepath.Join(dir, "x.json")})
	if err != nil {
		t.Fatal(err)
	}
	want := []Source{{Name: StdinName}, {Name: filepath.Join(dir, "x.json"), Path: filepath.Join(dir, "x.json")}}
	if diff := cmp.Diff(want, sources); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, _, err := Expand([]string{filepath.Join(dir, "nope")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestReadSizeCap: an endless input (/dev/zero) stops at the cap with a
// clear message; an input at the cap is read whole.
func TestReadSizeCap(t *testing.T) {
	_, err := Read(Source{Name: StdinName}, zeros{})
	if !errors.Is(err, ErrTooLarge) || err.Error() != "<stdin>: too large: over 16 MiB; split the manifests into several files" {
		t.Errorf("endless input: %v", err)
	}
	data, err := Read(Source{Name: StdinName}, io.LimitReader(zeros{}, MaxFileSize))
	if err != nil || len(data) != MaxFileSize {
		t.Errorf("input at the cap: %d bytes, %v", len(data), err)
	}
}

// TestReadNamedPipe: a named pipe given as a path is read when a process
// writes it, and is an error, not a hang, when none opens it or one never
// ends it (issue 19).
func TestReadNamedPipe(t *testing.T) {
	defer func(d time.Duration) { FIFOTimeout = d }(FIFOTimeout)
	FIFOTimeout = 300 * time.Millisecond
	fifo := func(t *testing.T) string {
		p := filepath.Join(t.TempDir(), "pipe")
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	read := func(p string) (string, time.Duration, error) {
		start := time.Now()
		data, err := Read(Source{Name: p, Path: p}, nil)
		return string(data), time.Since(start), err
	}

	t.Run("no writer", func(t *testing.T) {
		p := fifo(t)
		_, took, err := read(p)
		if want := p + ": a named pipe that no process opened for writing within 300ms"; err == nil || err.Error() != want {
			t.Errorf("error %v, want %q", err, want)
		}
		if took > 10*time.Second {
			t.Errorf("took %v", took)
		}
	})
	t.Run("a writer that never ends", func(t *testing.T) {
		p := fifo(t)
		w := make(chan *os.File, 1)
		go func() {
			f, _ := os.OpenFile(p, os.O_WRONLY, 0) // blocks until the reader opens
			f.WriteString("a: 1\n")
			w <- f
		}()
		_, _, err := read(p)
		(<-w).Close()
		if want := p + ": a named pipe that did not end within 300ms of being opened"; err == nil || err.Error() != want {
			t.Errorf("error %v, want %q", err, want)
		}
	})
	for _, late := range []time.Duration{0, 100 * time.Millisecond} {
		t.Run("a writer after "+late.String(), func(t *testing.T) {
			p := fifo(t)
			go func() {
				time.Sleep(late)
				f, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				f.WriteString("kind: Pod\n")
				f.Close()
			}()
			if got, _, err := read(p); err != nil || got != "kind: Pod\n" {
				t.Errorf("read %q, %v", got, err)
			}
		})
	}
	t.Run("a writer that writes nothing", func(t *testing.T) {
		p := fifo(t)
		go func() {
			if f, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
				f.Close()
			}
		}()
		if got, took, err := read(p); err != nil || got != "" || took >= FIFOTimeout {
			t.Errorf("read %q, %v after %v", got, err, took)
		}
	})
}
