package proberules

import (
	"path"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// auth checks an exec probe's client authentication: every variable a
// -rpc-header refers to reaches the probe, a credential is not written
// literally, and the certificate paths are absolute.
func (c *checker) auth(t Target, env []corev1.EnvVar) {
	const field = "exec.command"
	byName := map[string]corev1.EnvVar{}
	for _, e := range env {
		byName[e.Name] = e
	}
	for _, h := range t.Headers {
		name, value, ok := contract.SplitHeader(h)
		if !ok {
			c.add(Error, field, "-rpc-header %q: grpc_health_probe wants \"name: value\"", h)
			continue
		}
		refs := contract.Unexpanded(value)
		for _, ref := range refs {
			v := strings.Trim(strings.TrimLeft(ref, "$"), "(){}")
			v, _, _ = strings.Cut(v, ":") // ${X:-default}
			e, inEnv := byName[v]
			switch {
			case !inEnv:
				c.add(Error, field, "-rpc-header %q uses %s, which the container's env does not set: the probe sends no value for it", name, ref)
			case !t.Shell && strings.HasPrefix(ref, "$(") && e.ValueFrom != nil:
				// ExpandContainerCommandOnlyStatic: valueFrom entries expand to "".
				c.add(Error, field, "-rpc-header %q uses %s, but the kubelet expands $(VAR) in a probe's command only from env entries with a value, and %s is set by valueFrom, so the probe sends it empty; "+
					"run the probe through sh -c with \"$%s\" (the shell sees the container's env), or probe healthreg's plaintext health port, which needs no token", name, ref, v, v)
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
