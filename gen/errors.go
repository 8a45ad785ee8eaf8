package gen

import (
	"fmt"
	"sort"
	"strings"
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
		b.WriteString(e.File)
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
