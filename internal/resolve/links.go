package resolve

import (
	"fmt"
	"slices"
	"strings"

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

// Check refuses a duplicate decision the current ones contradict: a "same"
// that would make one incident of two records decided distinct, a
// "distinct" on two records that other "same" decisions keep one incident.
// The error says what to do instead.
func (l *Links) Check(d plotline.DuplicateDecision) error {
	switch d.Verdict {
	case plotline.DuplicateSame:
		if c, ok := l.Conflict(d.A, d.B); ok {
			return plotline.Errorf(plotline.EINVALID, "linking %s and %s would make one incident of %s and %s, decided distinct (decision %d by %s); decide that pair first if they are one",
				d.A, d.B, c.A, c.B, c.ID, c.By)
		}
	case plotline.DuplicateDistinct:
		if path := l.Path(d.A, d.B); path != nil {
			return plotline.Errorf(plotline.EINVALID, "%s and %s stay one incident through %s; mark distinct the link that is wrong (e.g. %s and %s)",
				d.A, d.B, strings.Join(path, " = "), path[0], path[1])
		}
	}
	return nil
}

// OpenPairs returns the duplicate candidates still to decide among
// incidents: Candidates without the pairs decided or already one incident
// through other records; a pair whose link would join two records decided
// distinct says so in its reason.
func OpenPairs(incidents []plotline.Incident, affs []plotline.Affiliation, current []plotline.DuplicateDecision, opt DuplicateOptions) []Pair {
	links := NewLinks(current)
	if opt.Decided == nil {
		opt.Decided = map[[2]string]bool{}
	}
	for _, d := range current {
		opt.Decided[[2]string{d.A, d.B}] = true
	}
	var out []Pair
	for _, p := range Candidates(incidents, affs, opt) {
		if slices.Contains(links.Group(p.A), p.B) {
			continue // one incident already, through other records
		}
		if d, ok := links.Conflict(p.A, p.B); ok {
			p.Reason += fmt.Sprintf("; linking would join %s and %s, decided distinct", d.A, d.B)
		}
		out = append(out, p)
	}
	return out
}

// Score scores two incidents as a duplicate candidate whatever their
// origins, for the record of a decision on them; false when they are no
// candidate (dates, places or actors disagree).
func Score(a, b plotline.Incident, affs []plotline.Affiliation, maxKm float64) (Pair, bool) {
	a.Origin, b.Origin = "a", "b"
	pairs := Candidates([]plotline.Incident{a, b}, affs, DuplicateOptions{MaxKm: maxKm})
	if len(pairs) != 1 {
		return Pair{}, false
	}
	return pairs[0], true
}
