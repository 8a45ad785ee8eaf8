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
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				// No closing parenthesis: "$(" is literal, and the kubelet
				// reads on after it ("$$" is still a "$").
				b.WriteString("$(")
				i++
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
				unresolved = append(unresolved, name)
			}
			i += 2 + end
		default:
			b.WriteByte('$') // "$x" is literal
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
