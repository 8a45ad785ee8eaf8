package contract

import (
	"path"
	"strings"
)

// shells are the programs whose -c runs a script that may wrap
// grpc_health_probe.
var shells = map[string]bool{"sh": true, "bash": true, "dash": true, "ash": true, "ksh": true, "zsh": true}

// maxScript bounds the shell script read for a wrapped grpc_health_probe;
// a probe's script is a line or two.
const maxScript = 64 << 10

// ProbeArgv returns grpc_health_probe's argv within an exec probe's
// command: the command itself when it runs grpc_health_probe (by
// [IsProbeProgram]), or the first simple command of a shell wrapper
// (sh -c '…', bash -ec '…') that runs it, after `exec`, `command`,
// `timeout N` and variable assignments. $(VAR) is expanded as the kubelet
// does, and inside a shell script $VAR, ${VAR} and ${VAR:-default} as the
// shell would, from env, the container's env entries that have a value.
// References it cannot expand stay as written (see [Unexpanded]).
func ProbeArgv(command []string, env map[string]string) (argv []string, viaShell, ok bool) {
	if len(command) == 0 {
		return nil, false, false
	}
	expanded := make([]string, len(command))
	for i, a := range command {
		expanded[i], _ = ExpandKubelet(a, env)
	}
	if IsProbeProgram(expanded[0]) {
		return expanded, false, true
	}
	script, ok := shellScript(expanded)
	if !ok || len(script) > maxScript {
		return nil, false, false
	}
	vars := make(map[string]string, len(env))
	for k, v := range env {
		vars[k] = v
	}
	shellCommands(script, vars, func(cmd []string) bool {
		if words := commandWords(cmd, vars); len(words) > 0 && IsProbeProgram(words[0]) {
			argv = words
		}
		return argv != nil
	})
	return argv, argv != nil, argv != nil
}

// shellScript returns the script of `sh [options] -c SCRIPT`.
func shellScript(argv []string) (string, bool) {
	if !shells[path.Base(argv[0])] {
		return "", false
	}
	c := false
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "-o" || a == "+o":
			i++ // an option name follows
		case c:
			return a, true
		case len(a) > 1 && a[0] == '-' && a != "--" && a[1] != '-':
			c = strings.Contains(a, "c")
		default:
			return "", false // a script file, or a long option we do not read
		}
	}
	return "", false
}

// commandWords drops what precedes the program in a simple command:
// variable assignments (which it records in vars when they are the whole
// command), `exec`, `command` and `timeout DURATION`.
func commandWords(words []string, vars map[string]string) []string {
	i := 0
	for i < len(words) && isAssignment(words[i]) {
		i++
	}
	if i == len(words) {
		for _, w := range words {
			k, v, _ := strings.Cut(w, "=")
			vars[k] = v
		}
		return nil
	}
	for i < len(words) {
		switch words[i] {
		case "exec", "command":
			i++
			continue
		case "timeout":
			i += 2
			continue
		}
		break
	}
	if i >= len(words) {
		return nil
	}
	return words[i:]
}

func isAssignment(w string) bool {
	k, _, ok := strings.Cut(w, "=")
	if !ok || k == "" || '0' <= k[0] && k[0] <= '9' {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !isNameByte(k[i]) {
			return false
		}
	}
	return true
}

// shellCommands splits a script into simple commands of words, as a POSIX
// shell would for the forms probes use: quotes, backslashes, comments,
// parameter expansion, and the operators ; & | && || ( ) and redirections
// (whose targets are dropped), passing each command to each in turn (which
// may set vars) until it returns true. Command substitution and globbing
// are not performed: they stay as written.
func shellCommands(script string, vars map[string]string, each func([]string) bool) {
	var (
		done     bool
		cmd      []string
		word     strings.Builder
		inWord   bool
		dropNext bool
	)
	endWord := func() {
		if inWord {
			if dropNext {
				dropNext = false
			} else {
				cmd = append(cmd, word.String())
			}
		}
		word.Reset()
		inWord = false
	}
	endCmd := func() {
		endWord()
		if len(cmd) > 0 && !done {
			done = each(cmd)
		}
		cmd = nil
	}
	s := script
	for i := 0; i < len(s) && !done; i++ {
		c := s[i]
		switch c {
		case ' ', '\t':
			endWord()
		case '\n', ';', '&', '|', '(', ')':
			endCmd()
		case '<', '>':
			endWord()
			dropNext = true
			for i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '&') {
				i++
			}
		case '#':
			if inWord {
				word.WriteByte(c)
				continue
			}
			for i < len(s) && s[i] != '\n' {
				i++
			}
			endCmd()
		case '\\':
			if i+1 < len(s) {
				i++
				if s[i] != '\n' {
					word.WriteByte(s[i])
					inWord = true
				}
			}
		case '\'':
			inWord = true
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				end = len(s) - i - 1
			}
			word.WriteString(s[i+1 : i+1+end])
			i += end + 1
		case '"':
			inWord = true
			for i++; i < len(s) && s[i] != '"'; i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0:
					i++
					word.WriteByte(s[i])
				case s[i] == '$':
					i = expandParam(s, i, vars, &word)
				default:
					word.WriteByte(s[i])
				}
			}
		case '$':
			inWord = true
			i = expandParam(s, i, vars, &word)
		default:
			inWord = true
			word.WriteByte(c)
		}
	}
	endCmd()
}

// expandParam expands the parameter at s[i] == '$' into w and returns the
// index of its last byte: $NAME, ${NAME}, ${NAME:-default} (and
// ${NAME-default}) and ${NAME:?message} (and ${NAME?message}) from vars;
// anything else, or an undefined name without a default, is written as it
// stands.
func expandParam(s string, i int, vars map[string]string, w *strings.Builder) int {
	if i+1 >= len(s) {
		w.WriteByte('$')
		return i
	}
	if s[i+1] == '{' {
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			w.WriteString(s[i:])
			return len(s) - 1
		}
		body := s[i+2 : i+2+end]
		last := i + 2 + end
		name, def, hasDef := body, "", false
		if k := strings.IndexAny(body, ":-?"); k >= 0 {
			name = body[:k]
			switch rest := body[k:]; {
			case strings.HasPrefix(rest, ":-"):
				def, hasDef = rest[2:], true
			case rest[0] == '-':
				def, hasDef = rest[1:], true
			case strings.HasPrefix(rest, ":?") || rest[0] == '?':
				// ${NAME:?message}: the value, or the shell fails the
				// command; stays as written when unknown.
				if v, ok := vars[name]; ok && (v != "" || rest[0] == '?') {
					w.WriteString(v)
				} else {
					w.WriteString(s[i : last+1])
				}
				return last
			default:
				w.WriteString(s[i : last+1])
				return last
			}
		}
		v, ok := vars[name]
		switch {
		case ok && (v != "" || !hasDef || strings.HasPrefix(body[len(name):], "-")):
			w.WriteString(v)
		case hasDef:
			w.WriteString(def)
		default:
			w.WriteString(s[i : last+1])
		}
		return last
	}
	j := i + 1
	for j < len(s) && isNameByte(s[j]) {
		j++
	}
	if j == i+1 || '0' <= s[i+1] && s[i+1] <= '9' {
		w.WriteByte('$')
		return i
	}
	if v, ok := vars[s[i+1:j]]; ok {
		w.WriteString(v)
	} else {
		w.WriteString(s[i:j])
	}
	return j - 1
}
