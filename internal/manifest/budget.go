package manifest

import (
	"errors"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// Aliases let a few bytes of YAML stand for an exponential tree ("billion
// laughs"; merge keys <<: [*a, *a] nested; a kind: List of aliased lists).
// Everything the reader does walks the tree as aliases expand it, so before
// reading a document it measures that expanded size and refuses a file
// whose documents together expand to more than their written size allows:
// twice the nodes written, plus expansionSlack. Ordinary anchors (a shared
// env block) stay well inside; a bomb is refused after visiting each written
// node once.
const (
	expansionSlack = 100_000
	maxNesting     = 10_000 // the YAML parser's own limit
)

type expansionBudget struct {
	written, expanded int64
	memo              map[*yaml.Node]int64 // expanded size of anchored nodes; -1 while being measured
}

func newExpansionBudget() *expansionBudget {
	return &expansionBudget{memo: map[*yaml.Node]int64{}}
}

var errCycle = errors.New("an alias refers to a node that contains it")

// lineError is an error at a line of its own, not the document's.
type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }
func (e *lineError) Unwrap() error { return e.err }

// add measures doc and fails when the file's documents so far expand past
// the limit.
func (b *expansionBudget) add(doc *yaml.Node) error {
	size, err := b.size(doc, 0)
	if err != nil {
		return err
	}
	b.expanded += size
	if limit := 2*b.written + expansionSlack; b.expanded > limit {
		return fmt.Errorf("aliases and merge keys expand the YAML to more than %d values (%d written): refusing to read it", limit, b.written)
	}
	return nil
}

// size returns the number of nodes n stands for with aliases expanded,
// saturating at a value past any limit, and counts the nodes written.
func (b *expansionBudget) size(n *yaml.Node, depth int) (int64, error) {
	if depth > maxNesting {
		return 0, &lineError{n.Line, fmt.Errorf("nested more than %d deep", maxNesting)}
	}
	if n.Kind == yaml.AliasNode {
		b.written++
		if n.Alias == nil {
			return 1, nil
		}
		if s, ok := b.memo[n.Alias]; ok {
			if s < 0 {
				return 0, &lineError{n.Line, errCycle}
			}
			return 1 + s, nil
		}
		// An alias to an anchor not yet measured: measured now, as
		// written nodes, and remembered.
		s, err := b.size(n.Alias, depth+1)
		return 1 + s, err
	}
	if n.Anchor != "" {
		if s, ok := b.memo[n]; ok {
			if s < 0 {
				return 0, &lineError{n.Line, errCycle}
			}
			return s, nil // already counted as written
		}
		b.memo[n] = -1
	}
	b.written++
	total := int64(1)
	for _, c := range n.Content {
		s, err := b.size(c, depth+1)
		if err != nil {
			return 0, err
		}
		total = min(total+s, 1<<40)
	}
	if n.Anchor != "" {
		b.memo[n] = total
	}
	return total, nil
}
