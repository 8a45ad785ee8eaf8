package gen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is one problem with the input, located as precisely as the request
// allows: the .proto file and line where the bad value was written, the
// services it affects, and the option's field path.
type Error struct {
	File     string   // "" for a plugin parameter
	Line     int      // 1-based; 0 when the request carries no source info
	Services []string // full names the value applies to; may be empty
	Option   string   // "(health.options.v1.service).port" or "parameter port"
	Value    string   // the bad value as written, "" when there is none
	Msg      string   // what is wrong and what is allowed
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(plainOrQuoted(e.File))
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	switch len(e.Services) {
	case 0:
	case 1:
		fmt.Fprintf(&b, "service %s: ", e.Services[0])
	default:
		fmt.Fprintf(&b, "services %s: ", strings.Join(e.Services, ", "))
	}
	if e.Option != "" {
		b.WriteString(e.Option)
		if e.Value != "" {
			b.WriteString(" = " + e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// errorList collects every problem of a run; the plugin reports them all at
// once, sorted, rather than stopping at the first.
type errorList []*Error

func (l *errorList) add(e *Error) { *l = append(*l, e) }

// err returns nil for an empty list, else one error whose text is every
// message sorted by file, line and text, one a line, without duplicates.
func (l errorList) err() error {
	if len(l) == 0 {
		return nil
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Error() < b.Error()
	})
	var lines []string
	for i, e := range l {
		s := e.Error()
		if i > 0 && s == lines[len(lines)-1] {
			continue
		}
		lines = append(lines, s)
	}
	return fmt.Errorf("%s", strings.Join(lines, "\n"))
}

// maxShownRunes bounds how much of a user's value an error repeats: a
// megabyte-long parameter makes a one-line message, not a megabyte of it.
const maxShownRunes = 64

// quoteValue is how every error shows a value the user wrote: Go-quoted, so
// that no control character, line separator or invalid byte reaches the
// terminal protoc prints to, and cut to its first maxShownRunes runes with
// "..." after the closing quote when it is longer (what is inside the quotes
// is always exactly what was written).
func quoteValue(s string) string {
	cut, more := cutRunes(s)
	if more {
		return strconv.Quote(cut) + "..."
	}
	return strconv.Quote(cut)
}

// plainOrQuoted shows a value as it was written (a parameter on the command
// line, a file name), cut like quoteValue's, unless it needs quoting to be
// read unambiguously (a control character, a quote, a backslash, ...): then
// through quoteValue.
func plainOrQuoted(s string) string {
	if strconv.Quote(s) != `"`+s+`"` {
		return quoteValue(s)
	}
	if cut, more := cutRunes(s); more {
		return cut + "..."
	}
	return s
}

// cutRunes returns the first maxShownRunes runes of s (an invalid byte
// counts as one) and whether anything was cut.
func cutRunes(s string) (string, bool) {
	i := 0
	for n := 0; n < maxShownRunes && i < len(s); n++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i], i < len(s)
}

// printable reports whether s is valid UTF-8 of printable runes only, as
// strconv.IsPrint defines them: letters, marks, numbers, punctuation,
// symbols and the ASCII space. Control characters, U+0085, U+2028 and
// U+2029 (which end a line for some readers), other spaces and format
// characters such as bidirectional overrides are not.
func printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, notPrintable)
}

func notPrintable(r rune) bool { return !strconv.IsPrint(r) }
