package verify

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// Finding is one problem with one probe.
type Finding struct {
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

// Where names the probe, and the field within it: "livenessProbe.grpc.port".
func (f Finding) Where() string {
	if f.Field == "" {
		return f.Probe
	}
	return f.Probe + "." + f.Field
}

func (f Finding) key() string {
	return fmt.Sprintf("%s/%s %s %s: %s", f.Kind, f.Name, f.Container, f.Where(), f.Message)
}

// Sort orders findings by file, line, then the rest of their text.
func Sort(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Severity, b.Severity), cmp.Compare(a.key(), b.key()))
	})
}
