package contract

import (
	"slices"
	"strings"
)

// ProbeCommand is the exec probe's command that runs argv, grpc_health_probe's
// arguments written in the kubelet's syntax ($(VAR) a variable of the
// container's env, "$$" a "$").
//
// Without a variable it is argv itself. With one, it is
//
//	sh -c 'exec grpc_health_probe ... -rpc-header="authorization: Bearer ${TOKEN:?}"'
//
// because the kubelet expands $(VAR) in a probe's command only from the
// container's env entries that have a value (ExpandContainerCommandOnlyStatic
// maps every entry to its value field, so one set by valueFrom, such as a
// Secret's key, expands to ""), while a shell started in the container reads
// its whole environment, Secrets included, when the probe runs. ${VAR:?}
// makes a variable the container lacks (or has empty) fail the probe with its
// name ("sh: TOKEN: parameter not set or null") instead of sending an empty
// value; exec leaves grpc_health_probe's exit
// code as the probe's. sh is looked up on the image's PATH (so busybox's
// /busybox/sh serves too); an image without a shell cannot run it.
//
// The script is written for the kubelet too: it expands "$$" and "$(" in it,
// so those are doubled; "${" passes through untouched.
func ProbeCommand(argv []string) []string {
	if !ReadsEnv(argv) {
		return argv
	}
	return []string{"sh", "-c", "exec " + ShellWords(argv)}
}

// ReadsEnv reports whether an argument of argv refers to the container's env
// with the kubelet's $(VAR), so that [ProbeCommand] runs it through sh.
func ReadsEnv(argv []string) bool {
	return slices.ContainsFunc(argv, func(a string) bool { return slices.ContainsFunc(EnvRefs(a), IsEnvName) })
}

// ShellWords is argv as the words of [ProbeCommand]'s script, as the
// kubelet reads them: a template that puts words of its own (without "$")
// between two such pieces keeps the script right.
func ShellWords(argv []string) string {
	words := make([]string, len(argv))
	for i, a := range argv {
		words[i] = shellWord(a)
	}
	return kubeletLiteral(strings.Join(words, " "))
}

// kubeletPart is a piece of a string in the kubelet's syntax: literal
// text, or (ref) a $(NAME) reference to the variable text.
type kubeletPart struct {
	text string
	ref  bool
}

// kubeletParts splits s as the kubelet's expansion
// (third_party/forked/golang/expansion) reads it: "$$" is a "$", "$("
// through the next ")" a reference, whatever the name holds ("$(a$$b)"
// names "a$$b"), an unclosed "$(" and any other "$" literal. It is the one
// reader of that syntax: ExpandKubelet, EnvRefs, RewriteKubelet (compose's
// healthcheck) and ProbeCommand's script read through it.
func kubeletParts(s string) []kubeletPart {
	var parts []kubeletPart
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			parts = append(parts, kubeletPart{text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			lit.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			lit.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				// No closing parenthesis: "$(" is literal, and the kubelet
				// reads on after it ("$$" is still a "$").
				lit.WriteString("$(")
				i++
				continue
			}
			flush()
			parts = append(parts, kubeletPart{text: s[i+2 : i+2+end], ref: true})
			i += 2 + end
		default:
			lit.WriteByte('$')
		}
	}
	flush()
	return parts
}

// shellWord writes one argument as a POSIX shell word: as it is when it is
// made of characters no shell treats specially, else double-quoted (after a
// "-flag=" prefix, for legibility) with each reference as ${NAME:?}.
func shellWord(a string) string {
	parts := kubeletParts(a)
	for i, p := range parts {
		if p.ref && !IsEnvName(p.text) {
			// A name no shell can read: the kubelet's literal "$(name)"
			// when env lacks it.
			parts[i] = kubeletPart{text: "$(" + p.text + ")"}
		}
	}
	if len(parts) == 1 && !parts[0].ref && shellSafe(parts[0].text) {
		return parts[0].text
	}
	if len(parts) == 0 {
		return `""`
	}
	var b strings.Builder
	if p := parts[0].text; !parts[0].ref && strings.HasPrefix(p, "-") {
		if k := strings.IndexByte(p, '='); k > 0 && shellSafe(p[:k+1]) {
			b.WriteString(p[:k+1])
			parts[0].text = p[k+1:]
		}
	}
	b.WriteByte('"')
	for _, p := range parts {
		if p.ref {
			b.WriteString("${" + p.text + ":?}")
			continue
		}
		for i := 0; i < len(p.text); i++ {
			if strings.IndexByte("\\\"$`", p.text[i]) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(p.text[i])
		}
	}
	b.WriteByte('"')
	return b.String()
}

// shellSafe reports whether s is a shell word as it stands: no quoting,
// expansion, globbing, operator or separator characters.
func shellSafe(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isNameByte(c) || strings.IndexByte("-=:./,@%+", c) >= 0) {
			return false
		}
	}
	return true
}

// kubeletLiteral escapes s so that the kubelet's expansion gives s back: a
// "$" before "$" or "(" is doubled; any other "$" it leaves alone.
func kubeletLiteral(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '$' && i+1 < len(s) && (s[i+1] == '$' || s[i+1] == '(') {
			b.WriteByte('$')
		}
	}
	return b.String()
}
