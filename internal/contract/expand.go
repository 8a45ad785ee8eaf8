package contract

import "strings"

// ExpandKubelet expands $(VAR) references in s as the kubelet does in an
// exec probe's command (ExpandContainerCommandOnlyStatic): from the
// container's env entries that have a value, "$$" standing for "$". A
// reference to a variable env does not define stays as written, and its
// name is returned in unresolved.
func ExpandKubelet(s string, env map[string]string) (out string, unresolved []string) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for _, p := range kubeletParts(s) {
		v, ok := env[p.text]
		switch {
		case !p.ref:
			b.WriteString(p.text)
		case ok:
			b.WriteString(v)
		default:
			b.WriteString("$(" + p.text + ")")
			unresolved = append(unresolved, p.text)
		}
	}
	return b.String(), unresolved
}

// Unexpanded returns the variable references left in s after expansion:
// $(VAR), $VAR or ${VAR}, as written. A probe's address and health name never
// contain "$", so one that does could not be expanded before the probe ran.
func Unexpanded(s string) []string {
	var refs []string
	for i := strings.IndexByte(s, '$'); i >= 0 && i < len(s); {
		j := i + 1
		switch {
		case j < len(s) && (s[j] == '(' || s[j] == '{'):
			closer := byte(')')
			if s[j] == '{' {
				closer = '}'
			}
			if k := strings.IndexByte(s[j:], closer); k >= 0 {
				j += k + 1
			} else {
				j = len(s)
			}
		default:
			for j < len(s) && isNameByte(s[j]) {
				j++
			}
		}
		refs = append(refs, s[i:j])
		next := strings.IndexByte(s[j:], '$')
		if next < 0 {
			break
		}
		i = j + next
	}
	return refs
}

func isNameByte(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// RewriteKubelet writes s, a string in the kubelet's syntax (kubeletParts),
// in another: each piece of literal text through literal, each $(NAME)
// reference's name through ref. Compose's healthcheck is written with it.
func RewriteKubelet(s string, literal, ref func(string) string) string {
	var b strings.Builder
	for _, p := range kubeletParts(s) {
		if p.ref {
			b.WriteString(ref(p.text))
		} else {
			b.WriteString(literal(p.text))
		}
	}
	return b.String()
}
