package proberules

import (
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// auth checks an exec probe's client authentication: every variable a
// -rpc-header refers to reaches the probe, a credential is not written
// literally, and the certificate paths are absolute.
func (c *checker) auth(t Target, o Options) {
	const field = "exec.command"
	byName := envByName(o.Env)
	for _, h := range t.Headers {
		name, value, ok := contract.SplitHeader(h)
		if !ok {
			c.add(Error, field, "-rpc-header %q: grpc_health_probe wants \"name: value\"", h)
			continue
		}
		refs := contract.Unexpanded(value)
		for _, ref := range refs {
			v := refName(ref)
			kubelet := strings.HasPrefix(ref, "$(")
			switch _, inEnv := byName[v]; {
			case inEnv, kubelet && t.Shell: // kubeletRefs reports $(VAR) from valueFrom, and in a script
			case !kubelet && o.EnvFrom:
				// The shell sees envFrom's variables, whose names are not
				// known here.
			case kubelet && o.EnvFrom:
				c.add(Error, field, "-rpc-header %q uses %s, which the container's env does not set, and the kubelet expands no envFrom variable in a probe's command: the probe sends it as written; read it in a shell, sh -c 'exec grpc_health_probe ... \"${%s}\"'", name, ref, v)
			default:
				c.add(Error, field, "-rpc-header %q uses %s, which the container's env does not set: the probe sends no value for it", name, ref)
			}
		}
		if len(refs) == 0 && contract.IsCredentialHeader(name) && !slices.ContainsFunc(t.Command, func(a string) bool {
			return strings.Contains(a, "$") && strings.Contains(a, name)
		}) {
			c.add(Warning, field, "-rpc-header %q has a literal value: the secret is written into the manifest; set it from a Secret through the container's env", name)
		}
	}
	flags := make([]string, 0, len(t.Files))
	for f := range t.Files {
		flags = append(flags, f)
	}
	sort.Strings(flags)
	for _, f := range flags {
		p := t.Files[f]
		if len(contract.Unexpanded(p)) == 0 && !path.IsAbs(p) {
			c.add(Error, field, "-%s %q must be an absolute path: grpc_health_probe opens it from the probe's working directory, which the kubelet does not choose", f, p)
		}
	}
}
