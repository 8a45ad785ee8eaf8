package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
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
//   - a name over 63 characters is shortened by shortWords to whole words:
//     the service's own, the package's version label (v1, v1beta2,
//     v1p1beta1) and the package's other words that fit, nearest the
//     service first; it ends with "-" and the first 8 hex digits of
//     the SHA-256 of the full name, so two long names that differ only in
//     words that were left out stay apart.
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
	if short := shortWords(fullName, budget); short != "" {
		return short + suffix
	}
	// No word kept starts with a letter: cut the label itself, which does.
	return cutWords(name, budget) + suffix
}

// versionLabel matches a protobuf package's version component, as Google's
// API guidelines spell them: v1, v2alpha, v1beta2, v1p1beta1.
var versionLabel = regexp.MustCompile(`^v[0-9]+(?:[a-z]+[0-9]*)*$`)

// maxVersion bounds what counts as a version label: a longer component is
// an ordinary word, so the version never crowds out the service's name.
const maxVersion = 16

// shortWords returns at most budget characters of whole words of fullName:
// the service's own words (as many as fit, from the first, and the first cut
// only when it alone is too long), the package's version label when it has
// one, and then the package's other words, nearest the service first, each
// that fits whole, in their order. It returns "" when the result would not start
// with a letter.
func shortWords(fullName string, budget int) string {
	pkg, svc := "", fullName
	if dot := strings.LastIndexByte(fullName, '.'); dot >= 0 {
		pkg, svc = fullName[:dot], fullName[dot+1:]
	}
	// The package's words in order; the version label, when there is one,
	// is always kept.
	type word struct {
		s    string
		keep bool
	}
	var pkgWords []word
	if pkg != "" {
		comps := strings.Split(pkg, ".")
		vi := -1
		for i := len(comps) - 1; i >= 0 && vi < 0; i-- {
			if l := labelWords(comps[i]); len(l) <= maxVersion && versionLabel.MatchString(l) {
				vi = i
			}
		}
		for i, c := range comps {
			if i == vi {
				pkgWords = append(pkgWords, word{s: labelWords(c), keep: true})
				continue
			}
			for _, w := range words(c) {
				pkgWords = append(pkgWords, word{s: w})
			}
		}
	}

	rest := budget
	for _, w := range pkgWords {
		if w.keep {
			rest -= len(w.s) + 1 // the version and the dash after it
		}
	}
	var svcKept []string
	for _, w := range words(svc) {
		need := len(w)
		if len(svcKept) > 0 {
			need++
		}
		if need > rest {
			if len(svcKept) == 0 && rest > 0 {
				svcKept = append(svcKept, w[:rest]) // one word longer than the whole budget
				rest = 0
			}
			break
		}
		svcKept = append(svcKept, w)
		rest -= need
	}
	for i := len(pkgWords) - 1; i >= 0; i-- {
		if w := &pkgWords[i]; !w.keep && len(w.s)+1 <= rest {
			w.keep = true
			rest -= len(w.s) + 1
		}
	}
	var kept []string
	for _, w := range pkgWords {
		if w.keep {
			kept = append(kept, w.s)
		}
	}
	kept = append(kept, svcKept...)
	for len(kept) > 0 && (kept[0] == "" || kept[0][0] < 'a' || kept[0][0] > 'z') {
		kept = kept[1:] // a label starts with a letter
	}
	return strings.Join(kept, "-")
}

// words splits a part of a full name into its label words.
func words(s string) []string {
	l := labelWords(s)
	if l == "" {
		return nil
	}
	return strings.Split(l, "-")
}

// cutWords shortens a dash-separated label to at most n characters, at a
// dash when one is near enough that the cut keeps at least half of n.
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
