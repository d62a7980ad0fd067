package resolve

import (
	"slices"

	"github.com/plotline-dev/plotline"
)

// Links is what the current duplicate decisions say: records decided
// "same" are one incident, transitively (A same as B and B same as C make
// one group, as the analytics engine counts them), and pairs decided
// "distinct" must stay apart. Review uses it to refuse a decision that
// contradicts the others, and to stop proposing pairs already linked.
type Links struct {
	same     map[string][]string // record → the records decided the same as it
	distinct []plotline.DuplicateDecision
}

// NewLinks reads the current decisions (the latest per pair, as
// plotline.ResolveStore.DuplicateDecisions lists them with all false).
func NewLinks(current []plotline.DuplicateDecision) *Links {
	l := &Links{same: map[string][]string{}}
	for _, d := range current {
		switch d.Verdict {
		case plotline.DuplicateSame:
			l.same[d.A] = append(l.same[d.A], d.B)
			l.same[d.B] = append(l.same[d.B], d.A)
		case plotline.DuplicateDistinct:
			l.distinct = append(l.distinct, d)
		}
	}
	return l
}

// Path returns the records leading from a to b through "same" decisions,
// a and b included, leaving out the direct decision on a and b itself; nil
// when there is none. A path means a and b are one incident whatever is
// decided on the pair alone.
func (l *Links) Path(a, b string) []string {
	from := map[string]string{a: ""}
	queue := []string{a}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, y := range l.same[x] {
			if _, seen := from[y]; seen || (x == a && y == b) || (x == b && y == a) {
				continue
			}
			from[y] = x
			if y == b {
				path := []string{b}
				for z := x; z != ""; z = from[z] {
					path = append(path, z)
				}
				slices.Reverse(path)
				return path
			}
			queue = append(queue, y)
		}
	}
	return nil
}

// Group returns the records one incident with a (a included), sorted.
func (l *Links) Group(a string) []string {
	seen := map[string]bool{a: true}
	queue := []string{a}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, y := range l.same[x] {
			if !seen[y] {
				seen[y] = true
				queue = append(queue, y)
			}
		}
	}
	out := make([]string, 0, len(seen))
	for id := range seen {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Conflict returns a "distinct" decision that linking a and b would
// overrule: one on two records of which one is a's incident and the other
// b's. The decision on a and b themselves is not one: a new decision on a
// pair replaces the old.
func (l *Links) Conflict(a, b string) (plotline.DuplicateDecision, bool) {
	ga, gb := l.Group(a), l.Group(b)
	for _, d := range l.distinct {
		if (d.A == a && d.B == b) || (d.A == b && d.B == a) {
			continue
		}
		_, inA := slices.BinarySearch(ga, d.A)
		_, inB := slices.BinarySearch(gb, d.B)
		_, bInA := slices.BinarySearch(ga, d.B)
		_, aInB := slices.BinarySearch(gb, d.A)
		if (inA && inB) || (bInA && aInB) {
			return d, true
		}
	}
	return plotline.DuplicateDecision{}, false
}
