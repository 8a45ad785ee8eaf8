package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// finding is one problem with one probe.
type finding struct {
	File      string // as given, or <stdin>
	Line      int    // of the probe's key
	Severity  proberules.Severity
	Kind      string // of the workload: Deployment
	Name      string // of the workload
	Namespace string
	Container string
	Probe     string // livenessProbe, readinessProbe or startupProbe
	Field     string // within the probe, such as periodSeconds; may be empty
	Message   string
}

// where names the probe, and the field within it: "livenessProbe.grpc.port".
func (f finding) where() string {
	if f.Field == "" {
		return f.Probe
	}
	return f.Probe + "." + f.Field
}

// String is the text form: file:line: severity: kind/name container probe: message.
func (f finding) String() string {
	return fmt.Sprintf("%s:%d: %s: %s/%s %s %s: %s", f.File, f.Line, f.Severity, f.Kind, f.Name, f.Container, f.where(), f.Message)
}

// sortFindings orders findings by file, line, then the rest of their text.
func sortFindings(fs []finding) {
	slices.SortStableFunc(fs, func(a, b finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.String(), b.String()))
	})
}

func writeText(w io.Writer, fs []finding) error {
	for _, f := range fs {
		if _, err := fmt.Fprintln(w, f); err != nil {
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

func writeJSON(w io.Writer, fs []finding) error {
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
