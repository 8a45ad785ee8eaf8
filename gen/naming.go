package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxLabel is the longest DNS-1035 label Kubernetes accepts.
const maxLabel = 63

// defaultWorkloadName derives a workload's name from a service's
// fully-qualified name, and from nothing else, so adding a service never
// renames an existing workload:
//
//   - a dash goes between words of a CamelCase name ("GreeterService" →
//     "greeter-service") and in place of every run of other characters
//     ("helloworld.Greeter" → "helloworld-greeter");
//   - letters are lowercased; leading and trailing dashes dropped;
//   - a name that does not start with a letter gets the prefix "svc-";
//   - a name over 63 characters keeps its first 54 characters and ends with
//     "-" and the first 8 hex digits of the SHA-256 of the full name.
func defaultWorkloadName(fullName string) string {
	var b strings.Builder
	b.Grow(len(fullName) + 8)
	dash := false // a dash is pending
	for i := 0; i < len(fullName); i++ {
		c := fullName[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if i > 0 && wordBoundary(fullName, i) {
				dash = true
			}
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		default:
			dash = true
			continue
		}
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteByte(c)
	}
	name := b.String()
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = "svc-" + name
		name = strings.TrimSuffix(name, "-")
	}
	if len(name) > maxLabel {
		sum := sha256.Sum256([]byte(fullName))
		name = strings.TrimRight(name[:maxLabel-9], "-") + "-" + hex.EncodeToString(sum[:4])
	}
	return name
}

// wordBoundary reports whether the upper-case letter at s[i] starts a word:
// after a lower-case letter or digit ("greeterService"), or as the last
// capital of an acronym before a lower-case letter ("HTTPServer").
func wordBoundary(s string, i int) bool {
	prev := s[i-1]
	if prev >= 'a' && prev <= 'z' || prev >= '0' && prev <= '9' {
		return true
	}
	if prev >= 'A' && prev <= 'Z' && i+1 < len(s) {
		next := s[i+1]
		return next >= 'a' && next <= 'z'
	}
	return false
}
