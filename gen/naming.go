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
//     "greeter-service", "HTTPServer" → "http-server") and in place of every
//     run of other characters ("helloworld.Greeter" → "helloworld-greeter");
//   - letters are lowercased; leading and trailing dashes dropped;
//   - a name that does not start with a letter gets the prefix "svc-";
//   - a name over 63 characters keeps the service's own name whole (up to
//     40 characters) and as much of the package as fits before it, and ends
//     with "-" and the first 8 hex digits of the SHA-256 of the full name, so
//     two long names that differ only in their package stay apart, and the
//     service stays recognisable.
func defaultWorkloadName(fullName string) string {
	name := labelWords(fullName)
	if name == "" || name[0] < 'a' || name[0] > 'z' {
		name = strings.TrimSuffix("svc-"+name, "-")
	}
	if len(name) <= maxLabel {
		return name
	}
	sum := sha256.Sum256([]byte(fullName))
	suffix := "-" + hex.EncodeToString(sum[:4])
	budget := maxLabel - len(suffix) // what the readable part may take

	tail := cutWords(labelWords(fullName[strings.LastIndexByte(fullName, '.')+1:]), maxServicePart)
	if tail == "" {
		return cutWords(name, budget) + suffix
	}
	head := cutWords(name, budget-len(tail)-1)
	if head == "" || head[0] < 'a' || head[0] > 'z' {
		return cutWords(name, budget) + suffix
	}
	return head + "-" + tail + suffix
}

// cutWords shortens a dash-separated label to at most n characters, at a
// dash when one is near enough that the cut keeps at least half of n, so
// that words stay whole.
func cutWords(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	cut := s[:n]
	if s[n] != '-' {
		if i := strings.LastIndexByte(cut, '-'); i >= n/2 {
			cut = cut[:i]
		}
	}
	return strings.TrimRight(cut, "-")
}

// maxServicePart bounds how much of a shortened name the service's own name
// may take, so that some of the package always stays.
const maxServicePart = 40

// labelWords lowercases s and puts one dash between words and in place of
// every run of characters that a DNS label cannot hold.
func labelWords(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	dash := false // a dash is pending
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z':
			if i > 0 && wordBoundary(s, i) {
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
	return b.String()
}

// wordBoundary reports whether the upper-case letter at s[i] starts a word:
// after a lower-case letter or digit ("greeterService"), or as the last
// capital of an acronym before a lower-case word of two letters or more
// ("HTTPServer", but not "APIv2").
func wordBoundary(s string, i int) bool {
	prev := s[i-1]
	if prev >= 'a' && prev <= 'z' || prev >= '0' && prev <= '9' {
		return true
	}
	return prev >= 'A' && prev <= 'Z' && i+2 < len(s) && isLower(s[i+1]) && isLower(s[i+2])
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
