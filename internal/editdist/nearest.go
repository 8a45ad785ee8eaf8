package editdist

import (
	"strings"
	"unicode/utf8"
)

// MaxNameLen is longer than any real service's full name; a longer name or
// candidate is never compared, so a hostile name costs no more than a real one.
const MaxNameLen = 256

// Nearest returns the first candidate, other than name itself, at the
// smallest case-insensitive edit distance from name when that distance is at
// most limit, else "". Its work is bounded: names longer than MaxNameLen are
// skipped, and a candidate whose length differs from name's by more than
// limit (so its distance must too) is never compared letter by letter.
func Nearest(name string, candidates []string, limit int) string {
	if name == "" || len(name) > MaxNameLen {
		return ""
	}
	n := utf8.RuneCountInString(name)
	lower := strings.ToLower(name)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if c == name || len(c) > MaxNameLen || abs(utf8.RuneCountInString(c)-n) > limit {
			continue
		}
		if d := Levenshtein(lower, strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func abs(x int) int { return max(x, -x) }
