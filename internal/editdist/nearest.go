package editdist

import (
	"strings"
)

// MaxNameLen is longer than any real service's full name; a longer name or
// candidate is never compared, so a hostile name costs no more than a real one.
const MaxNameLen = 256

// MaxWork bounds the work of all the searches of one Index: a unit is one
// candidate looked at, one letter of a common prefix or suffix skipped, or
// one cell of an edit-distance table computed. 20 million units take about
// half a second of CPU; one search among 1,000 names that differ only in
// their last letters takes about 30,000, among names of varied lengths far
// fewer.
const MaxWork = 20_000_000

// Nearest returns the first candidate, other than name itself, at the
// smallest case-insensitive edit distance from name when that distance is at
// most limit, else "" (see Index.Nearest).
func Nearest(name string, candidates []string, limit int) string {
	return NewIndex(candidates).Nearest(name, limit)
}

// Index holds candidates prepared for many Nearest searches, and bounds
// their total work by MaxWork.
type Index struct {
	names []string
	lower [][]rune // each name, lowercased; nil when over MaxNameLen
	work  int64
	rows  [2][]int // the distance table's rows, reused
}

// NewIndex prepares candidates, in the order ties resolve.
func NewIndex(candidates []string) *Index {
	ix := &Index{names: candidates, lower: make([][]rune, len(candidates))}
	for i, c := range candidates {
		if len(c) <= MaxNameLen {
			ix.lower[i] = []rune(strings.ToLower(c))
		}
	}
	return ix
}

// Work is how much of MaxWork the searches have used.
func (ix *Index) Work() int64 { return ix.work }

// Nearest returns the first candidate, other than name itself, at the
// smallest case-insensitive edit distance from name when that distance is at
// most limit, else "". Its work is bounded: names longer than MaxNameLen are
// skipped, a candidate whose length differs from name's by more than the
// distance still worth finding is never compared letter by letter, a
// comparison computes only the cells of its table within that distance of
// the diagonal and stops once a row exceeds it, and once the Index has done
// MaxWork every search returns "".
func (ix *Index) Nearest(name string, limit int) string {
	if name == "" || len(name) > MaxNameLen || ix.work >= MaxWork {
		return ""
	}
	a := []rune(strings.ToLower(name))
	best, bestDist := -1, limit+1
	for i, b := range ix.lower {
		ix.work++
		if b == nil || ix.names[i] == name || abs(len(b)-len(a)) >= bestDist {
			continue
		}
		if ix.work >= MaxWork {
			return ""
		}
		if d := ix.within(a, b, bestDist-1); d < bestDist {
			best, bestDist = i, d
			if d == 0 {
				break
			}
		}
	}
	if best < 0 {
		return ""
	}
	return ix.names[best]
}

// within returns the edit distance between a and b when it is at most limit,
// else limit+1, computing only the cells within limit of the diagonal.
func (ix *Index) within(a, b []rune, limit int) int {
	const far = 1 << 30
	if abs(len(a)-len(b)) > limit {
		return limit + 1
	}
	// A common prefix and suffix cost nothing: names of one API share
	// most of their letters.
	p := 0
	for p < len(a) && p < len(b) && a[p] == b[p] {
		p++
	}
	a, b = a[p:], b[p:]
	q := 0
	for q < len(a) && q < len(b) && a[len(a)-1-q] == b[len(b)-1-q] {
		q++
	}
	a, b = a[:len(a)-q], b[:len(b)-q]
	ix.work += int64(p + q)
	if len(b) == 0 {
		return min(len(a), limit+1)
	}
	if len(a) == 0 {
		return min(len(b), limit+1)
	}
	if len(ix.rows[0]) < len(b)+1 {
		ix.rows = [2][]int{make([]int, len(b)+1), make([]int, len(b)+1)}
	}
	prev, cur := ix.rows[0][:len(b)+1], ix.rows[1][:len(b)+1]
	for j := range prev {
		prev[j] = far
		if j <= limit {
			prev[j] = j
		}
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-limit), min(len(b), i+limit)
		if lo > hi {
			return limit + 1
		}
		cur[lo-1] = far
		if lo == 1 {
			cur[0] = i
		}
		rowMin := cur[lo-1]
		for j := lo; j <= hi; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if hi < len(b) {
			cur[hi+1] = far
		}
		ix.work += int64(hi - lo + 1)
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit+1)
}

func abs(x int) int { return max(x, -x) }
