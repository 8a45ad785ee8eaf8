package contract

import "strings"

// grpc_health_probe's -rpc-header is "name: value": the name up to the first
// colon, the value after it with its leading spaces trimmed. Its metadata
// goes out as gRPC metadata, whose names are lower case.

// SplitHeader splits an -rpc-header value as grpc_health_probe does; ok is
// false when it has no colon (grpc_health_probe refuses it).
func SplitHeader(h string) (name, value string, ok bool) {
	name, value, ok = strings.Cut(h, ":")
	return name, strings.TrimLeft(value, " \t"), ok
}

// HeaderNameProblem says why name is not a metadata name a probe may send,
// "" when it is: gRPC metadata names are lower-case letters, digits, '-',
// '_' and '.', and "grpc-" names are reserved for gRPC itself.
func HeaderNameProblem(name string) string {
	if name == "" {
		return "has no name before the colon"
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return "has a name that is not gRPC metadata's: lower-case letters, digits, '-', '_' and '.'"
		}
	}
	if strings.HasPrefix(name, "grpc-") {
		return "has a name starting with grpc-, which gRPC reserves for itself"
	}
	return ""
}

// credentialWords are the parts of a header name that say its value is a
// secret.
var credentialWords = []string{"auth", "token", "key", "secret", "cookie", "password", "passwd", "credential", "session", "signature", "jwt", "bearer"}

// IsCredentialHeader reports whether a header of this name carries a
// secret, so its value must come from the environment and never be written
// into a manifest: authorization, x-api-key, cookie, x-auth-token...
func IsCredentialHeader(name string) bool {
	name = strings.ToLower(name)
	for _, w := range credentialWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// EnvRefs returns the names of the kubelet's $(VAR) references in s ("$$"
// escapes a "$").
func EnvRefs(s string) []string {
	if !strings.Contains(s, "$(") {
		return nil
	}
	var names []string
	for _, p := range kubeletParts(s) {
		if p.ref {
			names = append(names, p.text)
		}
	}
	return names
}

// IsEnvName reports whether s is a name the kubelet's $(VAR) can refer to
// usefully: a C identifier, as shells and most images' variables are.
func IsEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isNameByte(s[i]) {
			return false
		}
	}
	return true
}
