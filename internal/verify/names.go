package verify

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/manifest"
	"github.com/protoc-gen-health/protoc-gen-health/internal/proberules"
)

// CheckNames returns the findings about the health names that consumers
// other than the kubelet ask (gateway policies, compose healthchecks): each
// must be a name the server registers, by the same rule as a probe's. A
// compose healthcheck that does not run grpc_health_probe is not read.
func (c *Checker) CheckNames(sites []manifest.NameSite) []Finding {
	var out []Finding
	for _, s := range sites {
		// Probe carries where the name is, as a probe's field would.
		add := adder(&out, Finding{
			File: s.File, Line: s.Line,
			Kind: s.Kind, Name: s.Name, Namespace: s.Namespace, Probe: s.Field,
		})
		t := proberules.Target{Service: s.Service}
		if s.Argv != nil {
			p := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: s.Argv}}}
			var ok bool
			if t, ok = proberules.TargetOf(p); !ok || !t.Exec {
				continue
			}
		}
		c.checkService(t, s.Name, add)
	}
	return out
}
