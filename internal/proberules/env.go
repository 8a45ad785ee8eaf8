package proberules

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/protoc-gen-health/protoc-gen-health/internal/contract"
)

// The kubelet expands $(VAR) in an exec probe's command before running it
// (ExpandContainerCommandOnlyStatic) from the container's env entries' value
// fields alone: an entry set by valueFrom (a Secret's or ConfigMap's key, a
// field of the pod) expands to "", and a name env lacks (one from envFrom
// included) stays "$(VAR)". A shell the probe starts sees the container's
// whole environment instead, valueFrom and envFrom included.

// kubeletRefs reports each $(VAR) of an exec probe's command that the
// kubelet does not expand as written: one set by valueFrom, which it
// expands to "", and, in a shell's script, one env lacks, which the kubelet
// leaves for the shell to run as a command substitution.
func (c *checker) kubeletRefs(t Target, env []corev1.EnvVar) {
	const field = "exec.command"
	byName := envByName(env)
	seen := map[string]bool{}
	for _, a := range t.Command {
		for _, name := range contract.EnvRefs(a) {
			if seen[name] {
				continue
			}
			seen[name] = true
			e, inEnv := byName[name]
			switch {
			case inEnv && e.ValueFrom != nil:
				or := ""
				if e.ValueFrom.SecretKeyRef != nil {
					or = ", or probe healthreg's plaintext health port, which needs no token"
				}
				shellName := name
				if !contract.IsEnvName(name) {
					shellName = "NAME" // a shell reads only letters, digits and _
					or = ", under a name a shell can read (letters, digits and _)" + or
				}
				c.add(Error, field, "$(%s) is set by valueFrom (%s), but the kubelet expands $(VAR) in a probe's command only from env entries with a value, so the probe runs with it empty; "+
					"read it in a shell when the probe runs, sh -c 'exec grpc_health_probe ... \"${%s:?}\"' (the form protoc-gen-health generates)%s",
					name, valueFromKind(e.ValueFrom), shellName, or)
			case !inEnv && t.Shell:
				c.add(Error, field, "$(%s) is not in the container's env, so the kubelet leaves it in the script and the shell runs it as a command substitution (the command %q); write ${%s} for the variable", name, name, name)
			}
		}
	}
}

// valueFromKind names the source of a valueFrom entry, as the API does.
func valueFromKind(s *corev1.EnvVarSource) string {
	switch {
	case s.SecretKeyRef != nil:
		return "secretKeyRef " + s.SecretKeyRef.Name + "/" + s.SecretKeyRef.Key
	case s.ConfigMapKeyRef != nil:
		return "configMapKeyRef " + s.ConfigMapKeyRef.Name + "/" + s.ConfigMapKeyRef.Key
	case s.FieldRef != nil:
		return "fieldRef " + s.FieldRef.FieldPath
	case s.ResourceFieldRef != nil:
		return "resourceFieldRef " + s.ResourceFieldRef.Resource
	}
	return "valueFrom"
}

func envByName(env []corev1.EnvVar) map[string]corev1.EnvVar {
	m := make(map[string]corev1.EnvVar, len(env))
	for _, e := range env {
		m[e.Name] = e
	}
	return m
}

// refName is the variable a reference left by [contract.Unexpanded] names:
// $(X) (whatever X holds: the kubelet's names may contain '-' and '.'), $X,
// ${X} or ${X:-default} and the shell's other operators.
func refName(ref string) string {
	if name, ok := strings.CutPrefix(ref, "$("); ok {
		return strings.TrimSuffix(name, ")")
	}
	v := strings.Trim(strings.TrimLeft(ref, "$"), "{}")
	if i := strings.IndexAny(v, ":-?=+"); i >= 0 {
		v = v[:i]
	}
	return v
}

// withoutValueFrom drops from refs the kubelet references to valueFrom
// entries, which kubeletRefs reports.
func withoutValueFrom(refs []string, env []corev1.EnvVar) []string {
	byName := envByName(env)
	var out []string
	for _, r := range refs {
		if e, ok := byName[refName(r)]; ok && e.ValueFrom != nil && strings.HasPrefix(r, "$(") {
			continue
		}
		out = append(out, r)
	}
	return out
}
