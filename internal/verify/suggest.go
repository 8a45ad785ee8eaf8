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

// suggester finds what a misspelt name most likely meant, among one run's
// candidates: it prepares them once, and searches each distinct name once.
type suggester struct {
	byVersion map[string][]string // unversioned → the first two candidates with it
	index     *editdist.Index
	memo      map[string]string
}

// maxMemo bounds how many names' suggestions a run remembers; more distinct
// names are still searched, within editdist.MaxWork.
const maxMemo = 100_000

// newSuggester prepares candidates, sorted, so that ties resolve the same
// way every time.
func newSuggester(candidates []string) *suggester {
	s := &suggester{byVersion: map[string][]string{}, index: editdist.NewIndex(candidates), memo: map[string]string{}}
	for _, c := range candidates {
		if len(c) > maxSuggestLen {
			continue
		}
		if un := unversioned(c); len(s.byVersion[un]) < 2 {
			s.byVersion[un] = append(s.byVersion[un], c)
		}
	}
	return s
}

// suggest returns the candidate that name most likely misspells: one that
// differs only in its package version, else the nearest one by edit distance
// when that distance is small for the name's length (at most a quarter of
// its letters, and at least 1). It returns "" when nothing is close. Its work
// is bounded: each distinct name is searched once, names longer than
// maxSuggestLen get no suggestion, and the edit-distance searches of a run
// together stop at editdist.MaxWork.
func (s *suggester) suggest(name string) string {
	if name == "" || len(name) > maxSuggestLen {
		return ""
	}
	if got, ok := s.memo[name]; ok {
		return got
	}
	got := s.search(name)
	if len(s.memo) < maxMemo {
		s.memo[name] = got
	}
	return got
}

func (s *suggester) search(name string) string {
	for _, c := range s.byVersion[unversioned(name)] {
		if c != name {
			return c
		}
	}
	return s.index.Nearest(name, max(1, utf8.RuneCountInString(name)/4))
}

// maxSuggestLen is longer than any real service's full name.
const maxSuggestLen = editdist.MaxNameLen
