package verify

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/protoc-gen-health/protoc-gen-health/internal/editdist"
)

// versionPart matches a package's version component, such as v1, v2beta1.
var versionPart = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]*)?$`)

// unversioned returns name with every version component replaced by "v*",
// so that foo.v1.Bar and foo.v2.Bar compare equal.
func unversioned(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		if versionPart.MatchString(p) {
			parts[i] = "v*"
		}
	}
	return strings.Join(parts, ".")
}

// suggest returns the candidate that name most likely misspells: one that
// differs only in its package version, else the nearest one by edit distance
// when that distance is small for the name's length (at most a quarter of
// its letters, and at least 1). It returns "" when nothing is close. The
// candidates are sorted, so ties resolve the same way every time. Its work
// is bounded: names longer than maxSuggestLen get no suggestion, and a
// candidate whose length differs by more than the distance allowed is never
// compared letter by letter.
func suggest(name string, candidates []string) string {
	if name == "" || len(name) > maxSuggestLen {
		return ""
	}
	un := unversioned(name)
	for _, c := range candidates {
		if c != name && len(c) <= maxSuggestLen && unversioned(c) == un {
			return c
		}
	}
	return editdist.Nearest(name, candidates, max(1, utf8.RuneCountInString(name)/4))
}

// maxSuggestLen is longer than any real service's full name.
const maxSuggestLen = editdist.MaxNameLen
