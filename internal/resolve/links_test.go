package resolve

import (
	"slices"
	"testing"

	"github.com/plotline-dev/plotline"
)

func TestLinks(t *testing.T) {
	d := func(a, b, verdict string) plotline.DuplicateDecision {
		return plotline.DuplicateDecision{A: a, B: b, Verdict: verdict}
	}
	l := NewLinks([]plotline.DuplicateDecision{
		d("a", "b", plotline.DuplicateSame), d("b", "c", plotline.DuplicateSame), d("c", "d", plotline.DuplicateSame),
		d("a", "d", plotline.DuplicateSame), // a ring: a–b–c–d–a
		d("x", "y", plotline.DuplicateDistinct), d("x", "z", plotline.DuplicateSame),
		d("p", "q", plotline.DuplicateDistinct),
	})
	if got := l.Group("c"); !slices.Equal(got, []string{"a", "b", "c", "d"}) {
		t.Errorf("Group(c) = %v", got)
	}
	if got := l.Group("lone"); !slices.Equal(got, []string{"lone"}) {
		t.Errorf("Group(lone) = %v", got)
	}
	// a and b stay one through d and c when their own link is undone.
	if got := l.Path("a", "b"); !slices.Equal(got, []string{"a", "d", "c", "b"}) {
		t.Errorf("Path(a, b) = %v", got)
	}
	if got := l.Path("x", "z"); got != nil {
		t.Errorf("Path(x, z) = %v; their only link is their own", got)
	}
	if got := l.Path("a", "x"); got != nil {
		t.Errorf("Path(a, x) = %v", got)
	}
	// Linking y's incident with z's would join x and y, decided distinct.
	if c, ok := l.Conflict("z", "y"); !ok || c.A != "x" || c.B != "y" {
		t.Errorf("Conflict(z, y) = %+v, %v", c, ok)
	}
	if _, ok := l.Conflict("p", "q"); ok {
		t.Error("a new decision on a pair decided distinct replaces it: no conflict")
	}
	if _, ok := l.Conflict("a", "p"); ok {
		t.Error("Conflict(a, p): nothing decided distinct between their incidents")
	}
}
