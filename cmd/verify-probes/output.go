package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/protoc-gen-health/protoc-gen-health/internal/verify"
)

// text is the text form of a finding: file:line: severity: kind/name
// container probe: message. Every part that comes from the input is escaped
// (see verify.Plain and oneLine), so one finding is always one line.
func text(f verify.Finding) string {
	return fmt.Sprintf("%s:%d: %s: %s/%s %s %s: %s", verify.Plain(f.File), f.Line, f.Severity, verify.Plain(f.Kind), verify.Plain(f.Name), verify.Plain(f.Container), f.Where(), oneLine(f.Message))
}

// oneLine escapes control characters and invalid UTF-8 in s, which names
// from the input quote already: a message stays on its line whatever the
// manifest holds.
func oneLine(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == utf8.RuneError }) {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsControl(r):
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func writeText(w io.Writer, fs []verify.Finding) error {
	for _, f := range fs {
		if _, err := fmt.Fprintln(w, text(f)); err != nil {
			return err
		}
	}
	return nil
}

// jsonFinding is a finding as --format=json prints it.
type jsonFinding struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Severity  string `json:"severity"` // error or warning
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	Container string `json:"container"`
	Probe     string `json:"probe"`           // livenessProbe, readinessProbe or startupProbe
	Field     string `json:"field,omitempty"` // within the probe, such as periodSeconds
	Message   string `json:"message"`
}

func writeJSON(w io.Writer, fs []verify.Finding) error {
	out := make([]jsonFinding, 0, len(fs))
	for _, f := range fs {
		out = append(out, jsonFinding{
			File: f.File, Line: f.Line, Severity: f.Severity.String(),
			Kind: f.Kind, Name: f.Name, Namespace: f.Namespace,
			Container: f.Container, Probe: f.Probe, Field: f.Field, Message: f.Message,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
