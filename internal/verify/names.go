package verify

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// CheckNames returns the findings about the health names that consumers
// other than the kubelet ask (gateway policies, compose healthchecks): each
// must be a name the server registers, by the same rule as a probe's. A
// compose healthcheck that does not run grpc_health_probe is not read.
func CheckNames(sites []manifest.NameSite, cat *Catalog, o Options) []Finding {
	if o.Names == "" {
		o.Names = contract.NamesHealthreg
	}
	var out []Finding
	for _, s := range sites {
		add := func(sev proberules.Severity, field, format string, args ...any) {
			// Probe carries where the name is, as a probe's field would.
			out = append(out, Finding{
				File: s.File, Line: s.Line, Severity: sev,
				Kind: s.Kind, Name: s.Name, Namespace: s.Namespace,
				Probe: s.Field, Field: field, Message: fmt.Sprintf(format, args...),
			})
		}
		t := proberules.Target{Service: s.Service}
		if s.Argv != nil {
			p := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: s.Argv}}}
			var ok bool
			if t, ok = proberules.TargetOf(p); !ok || !t.Exec {
				continue
			}
		}
		checkService(t, cat, o, add)
	}
	return out
}
