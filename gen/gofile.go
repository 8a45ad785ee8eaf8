package gen

import (
	"bufio"
	"bytes"
	"fmt"
	"go/doc/comment"
	"go/parser"
	"go/printer"
	"go/token"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/compiler/protogen"
)

// The Go files are written already formatted: parsing and printing every
// file, as protogen's GeneratedFile.Content does for a name ending in .go,
// was most of the plugin's time. The templates are gofmt-clean as written;
// what gofmt would still change is the import block, which goImports
// writes as protogen does, and the doc comments that hold a service's proto
// comment, which gofmtComments reformats as go/printer does. Tests hold the
// output to go/format.Source: every golden case and FuzzGenerate.

// goImports records the packages a file's identifiers come from, as
// protogen's QualifiedGoIdent names them, to write the import block that
// protogen would.
type goImports struct {
	g     *protogen.GeneratedFile
	self  protogen.GoImportPath
	names map[protogen.GoImportPath]string
}

func newGoImports(g *protogen.GeneratedFile, self protogen.GoImportPath) *goImports {
	return &goImports{g: g, self: self, names: map[protogen.GoImportPath]string{}}
}

// ident qualifies id through protogen (which picks a name that clashes with
// nothing) and records its package.
func (im *goImports) ident(id protogen.GoIdent) string {
	q := im.g.QualifiedGoIdent(id)
	if id.GoImportPath != im.self {
		im.names[id.GoImportPath] = strings.TrimSuffix(q, "."+id.GoName)
	}
	return q
}

// block is the import block protogen's Content writes: every package named,
// sorted by path, in one parenthesized declaration; "" when there is none.
func (im *goImports) block() string {
	if len(im.names) == 0 {
		return ""
	}
	paths := make([]string, 0, len(im.names))
	for p := range im.names {
		paths = append(paths, string(p))
	}
	sort.Strings(paths)
	var b strings.Builder
	b.WriteString("import (\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "\t%s %s\n", im.names[protogen.GoImportPath(p)], strconv.Quote(p))
	}
	b.WriteString(")\n")
	return b.String()
}

// protogenParams reads the parameters protogen itself acts on for Go files
// that concern how a file is written out: module= (a prefix cut from every
// Go file's name) and annotate_code (a .meta file beside each). protogen
// has already refused a bad value; the last one given wins, as there.
func protogenParams(parameter string) (module string, annotate bool) {
	for _, param := range strings.Split(parameter, ",") {
		key, value, _ := strings.Cut(param, "=")
		switch key {
		case "module":
			module = value
		case "annotate_code":
			annotate = value == "true" || value == ""
		}
	}
	return module, annotate
}

// goFileName is the response's name of a Go file protogen would write as
// filename: module= cut off, with protogen's error when it does not apply.
func goFileName(filename, module string) (string, error) {
	if module == "" {
		return filename, nil
	}
	trimmed, ok := strings.CutPrefix(filename, module+"/")
	if !ok {
		return "", fmt.Errorf("%v: generated file does not match prefix %q", filename, module)
	}
	return trimmed, nil
}

// gofmtComments returns src, a rendered template that is gofmt-clean but
// for its comments, as go/printer prints it: each top-level doc comment
// (column 1, directly above a declaration) in go/doc/comment's canonical
// form, each // comment without trailing space. Source that the Go scanner
// would read differently from its text (a control character, a byte-order
// mark, text that is not UTF-8: only a proto comment can bring them) is
// parsed and printed whole instead, as protogen did, with its error.
func gofmtComments(filename string, src []byte) ([]byte, error) {
	if !plainGoText(src) {
		printed, err := printGo(filename, src)
		if err != nil || !plainGoText(printed) {
			return printed, err
		}
		src = printed // its doc comments may not be gofmt's fixed point yet
	}
	var out bytes.Buffer
	out.Grow(len(src) + len(src)/64)
	c := commentFormatter{w: &out}
	c.Write(src) // writes to a bytes.Buffer do not fail
	c.Close()
	return out.Bytes(), c.err
}

// commentFormatter is gofmtComments as a stream, for a Go file too large
// to hold (render_go.go): it formats the comments of the plain Go text
// written to it, a line at a time, and writes the result to w. Plain
// reports whether all of it was plain (plainGoText); when it was not,
// what it wrote is not gofmt's, and the file must go through
// gofmtComments whole. Lines are plain one by one exactly when the whole
// text is: '\n' is never part of a multi-byte UTF-8 sequence.
type commentFormatter struct {
	w        io.Writer
	line     []byte   // the start of a line not yet ended
	group    []string // the current run of // lines
	notPlain bool
	err      error // the first of w's
}

func (c *commentFormatter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && c.err == nil {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.line = append(c.line, p...)
			break
		}
		line := p[:i+1]
		if len(c.line) > 0 {
			c.line = append(c.line, line...)
			line = c.line
		}
		c.formatLine(line)
		c.line = c.line[:0]
		p = p[i+1:]
	}
	return n, c.err
}

// Close formats a last line without a newline and the comment group that
// ends the text.
func (c *commentFormatter) Close() error {
	if len(c.line) > 0 {
		c.formatLine(c.line) // the templates end in a newline; this keeps a last line whole
		c.line = c.line[:0]
	}
	c.flush(false)
	return c.err
}

func (c *commentFormatter) formatLine(line []byte) {
	if !c.notPlain && !plainGoText(line) {
		c.notPlain = true
	}
	if bytes.HasPrefix(line, []byte("//")) {
		c.group = append(c.group, string(bytes.TrimSuffix(line, []byte("\n"))))
		return
	}
	if len(c.group) > 0 {
		// A declaration's doc comment is followed by its first token in
		// column 1 on the next line.
		r, _ := utf8.DecodeRune(line)
		c.flush(len(line) > 1 && !unicode.IsSpace(r))
	}
	c.write(line)
}

func (c *commentFormatter) flush(doc bool) {
	if doc {
		c.group = canonicalDocComment(c.group)
	}
	for _, line := range c.group {
		if c.err == nil {
			_, c.err = io.WriteString(c.w, strings.TrimRightFunc(line, unicode.IsSpace)+"\n")
		}
	}
	c.group = c.group[:0]
}

func (c *commentFormatter) write(b []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
}

// Plain reports whether every line written so far was plain Go text.
func (c *commentFormatter) Plain() bool { return !c.notPlain }

// plainGoText reports whether src is UTF-8 with no control character but
// newline and tab, and no byte-order mark.
func plainGoText(src []byte) bool {
	for _, c := range src {
		if c < ' ' && c != '\n' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return utf8.Valid(src) && !bytes.Contains(src, []byte("\uFEFF"))
}

// printGo parses and prints src as protogen's GeneratedFile.Content does
// (whose import block src already holds), with its error.
func printGo(filename string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		var numbered bytes.Buffer
		s := bufio.NewScanner(bytes.NewReader(src))
		for line := 1; s.Scan(); line++ {
			fmt.Fprintf(&numbered, "%5d\t%s\n", line, s.Bytes())
		}
		return nil, fmt.Errorf("%v: unparsable Go source: %v\n%v", filename, err, numbered.String())
	}
	var out bytes.Buffer
	if err := (&printer.Config{Mode: printer.TabIndent | printer.UseSpaces, Tabwidth: 8}).Fprint(&out, fset, file); err != nil {
		return nil, fmt.Errorf("%v: can not reformat Go source: %v", filename, err)
	}
	return out.Bytes(), nil
}

// canonicalDocComment is the doc comment lines as gofmt leaves them:
// go/printer's formatDocComment is not idempotent on every text (a code
// block that starts a comment can change again), so it is applied until the
// comment stays the same, as running gofmt until it changes nothing would.
func canonicalDocComment(lines []string) []string {
	if plainDocComment(lines) {
		return lines
	}
	for range 8 {
		formatted := formatDocComment(lines)
		if slices.Equal(formatted, lines) {
			break
		}
		lines = formatted
	}
	return lines
}

// plainDocComment reports whether lines are a doc comment that
// go/doc/comment leaves as it is, without parsing it: paragraphs of "// "
// lines of printable ASCII, with no leading space or tab, no trailing
// space, no '[' (links, link definitions), no backquote and no two single
// quotes in a row (both become typographic quotes), no '#' to start a line
// (a heading), separated by single "//" lines, with no one-line paragraph
// between two others (an old-style heading, which gofmt rewrites with '#').
// Only indented lines make lists and code blocks. Most doc comments are
// such, and parsing and printing each one was a third of the time the Go
// files took (FuzzPlainDocComment holds the rule to formatDocComment).
func plainDocComment(lines []string) bool {
	paragraph := 0 // lines in the current paragraph
	for i, line := range lines {
		if line == "//" {
			if paragraph == 0 || i == len(lines)-1 {
				return false // a blank line first, last or doubled
			}
			paragraph = 0
			continue
		}
		text, ok := strings.CutPrefix(line, "// ")
		if !ok || text == "" || text[0] == ' ' || text[0] == '#' || text[len(text)-1] == ' ' {
			return false
		}
		for j := 0; j < len(text); j++ {
			if c := text[j]; c < ' ' || c > '~' || c == '[' || c == '`' || c == '\'' && j > 0 && text[j-1] == '\'' {
				return false // '' and `` become typographic quotes
			}
		}
		if paragraph == 0 && i > 0 && i+1 < len(lines) && lines[i+1] == "//" {
			return false // one line between two paragraphs: maybe a heading
		}
		paragraph++
	}
	return true
}

// formatDocComment is go/printer's formatDocComment (go/printer/comment.go)
// for a group of // lines: the comment's text in go/doc/comment's canonical
// form, directives (//go:generate) moved to its end.
func formatDocComment(lines []string) []string {
	var text strings.Builder
	var directives []string
	for _, line := range lines {
		after := strings.TrimPrefix(line, "//")
		if isDirective(after) {
			directives = append(directives, line)
			continue
		}
		text.WriteString(strings.TrimPrefix(after, " "))
		text.WriteByte('\n')
	}
	if text.Len() == 0 {
		return lines
	}
	var p comment.Parser
	var pr comment.Printer
	formatted := string(pr.Comment(p.Parse(text.String())))
	var out []string
	for formatted != "" {
		var line string
		line, formatted, _ = strings.Cut(formatted, "\n")
		switch {
		case line == "":
			line = "//"
		case strings.HasPrefix(line, "\t"):
			line = "//" + line
		default:
			line = "// " + line
		}
		out = append(out, line)
	}
	if len(directives) > 0 {
		out = append(out, "//")
		out = append(out, directives...)
	}
	return out
}

// isDirective is go/printer's: whether a // comment's text (without the
// //) is a directive such as go:generate, line, extern or export.
func isDirective(c string) bool {
	if strings.HasPrefix(c, "line ") || strings.HasPrefix(c, "extern ") || strings.HasPrefix(c, "export ") {
		return true
	}
	colon := strings.Index(c, ":")
	if colon <= 0 || colon+1 >= len(c) {
		return false
	}
	for i := 0; i <= colon+1; i++ {
		if i == colon {
			continue
		}
		b := c[i]
		if !('a' <= b && b <= 'z' || '0' <= b && b <= '9') {
			return false
		}
	}
	return true
}
