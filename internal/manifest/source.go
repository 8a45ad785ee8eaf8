package manifest

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// StdinName is how findings in standard input name their file.
const StdinName = "<stdin>"

// MaxFileSize bounds one input: rendered manifests of a large chart are a
// few MiB; more is more likely a wrong file (or /dev/zero) than manifests.
const MaxFileSize = 16 << 20

// Source is one input to read: a file, or standard input.
type Source struct {
	Name string // as given on the command line, or StdinName
	Path string // to open; "" for standard input
}

// Expand turns the command line's paths into sources: "-" is standard
// input, a directory is every regular *.yaml and *.yml file under it (in
// lexical order), and anything else is a file, whatever its extension and
// type (a named pipe such as <(helm template .) included). A directory scan
// skips FIFOs, devices and sockets, and follows a symbolic link only to a
// regular file inside the directory; skipped names what it left out, and
// why.
func Expand(paths []string) (sources []Source, skipped []string, err error) {
	for _, p := range paths {
		if p == "-" {
			sources = append(sources, Source{Name: StdinName})
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		if !info.IsDir() {
			sources = append(sources, Source{Name: p, Path: p})
			continue
		}
		root, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil, nil, err
		}
		if root, err = filepath.Abs(root); err != nil {
			return nil, nil, err
		}
		n := len(sources)
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml":
			default:
				return nil
			}
			switch t := d.Type(); {
			case t.IsRegular():
			case t&fs.ModeSymlink != 0:
				if why := linkProblem(path, root); why != "" {
					skipped = append(skipped, fmt.Sprintf("%s: %s", path, why))
					return nil
				}
			default:
				skipped = append(skipped, fmt.Sprintf("%s: not a regular file", path))
				return nil
			}
			sources = append(sources, Source{Name: path, Path: path})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if len(sources) == n {
			return nil, nil, fmt.Errorf("%s: no *.yaml or *.yml files in the directory", p)
		}
	}
	return sources, skipped, nil
}

// linkProblem says why a directory scan does not follow the symbolic link
// at path: it leads out of root, or not to a regular file. "" when it is
// followed.
func linkProblem(path, root string) string {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "a broken symbolic link"
	}
	if target, err = filepath.Abs(target); err != nil {
		return "a broken symbolic link"
	}
	if rel, err := filepath.Rel(root, target); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "a symbolic link out of the directory"
	}
	if info, err := os.Stat(target); err != nil || !info.Mode().IsRegular() {
		return "a symbolic link to something other than a regular file"
	}
	return ""
}

// ErrTooLarge is returned by Read for an input over its bound.
var ErrTooLarge = errors.New("too large")

// Read returns the contents of src, standard input being stdin, and fails
// on an input larger than MaxFileSize without reading further.
func Read(src Source, stdin io.Reader) ([]byte, error) {
	return ReadLimited(src, stdin, MaxFileSize, "split the manifests into several files")
}

// ReadLimited is Read with another bound, and what to do about an input
// over it. A named pipe given as a path must deliver its end within
// FIFOTimeout of being opened: its open does not wait for a writer, so a
// pipe nothing writes to is an error rather than a hang.
func ReadLimited(src Source, stdin io.Reader, limit int64, advice string) ([]byte, error) {
	r := stdin
	if src.Path != "" {
		f, err := openFile(src.Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, fmt.Errorf("%s: a named pipe that did not end within %v of being opened", src.Name, FIFOTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", src.Name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: %w: over %d MiB; %s", src.Name, ErrTooLarge, limit>>20, advice)
	}
	return data, nil
}

// FIFOTimeout bounds reading a named pipe given as a path, from its open
// (which waits for no writer) to its end: <(helm template .) ends in
// seconds; a pipe that no process writes to would block forever.
var FIFOTimeout = time.Minute
