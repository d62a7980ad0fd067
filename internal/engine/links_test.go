package engine_test

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
)

// TestLinkedEqualsMerged: an engine over a store where reviewers linked
// records as one answers every query as an engine over a store where each
// group was merged by hand: the other records' statements moved to the
// record standing for the group (the earliest by date, then ID), the other
// records gone. Some pairs are decided "distinct" after "same": the latest
// decision holds.
func TestLinkedEqualsMerged(t *testing.T) {
	ctx := context.Background()
	b := genBatch(800, 3)
	r := rand.New(rand.NewPCG(9, 9))
	n := len(b.Incidents)
	var pairs [][2]int
	for len(pairs) < 80 {
		if i, j := r.IntN(n), r.IntN(n); i != j {
			pairs = append(pairs, [2]int{i, j})
		}
	}
	db, _ := openFixture(t, b)
	var linked [][2]int
	for k, p := range pairs {
		d := plotline.DuplicateDecision{A: b.Incidents[p[0]].ID, B: b.Incidents[p[1]].ID, Verdict: plotline.DuplicateSame, By: "test"}
		if err := db.SaveDuplicateDecision(ctx, &d); err != nil {
			t.Fatal(err)
		}
		if k%5 == 0 {
			d := plotline.DuplicateDecision{A: b.Incidents[p[0]].ID, B: b.Incidents[p[1]].ID, Verdict: plotline.DuplicateDistinct, By: "test"}
			if err := db.SaveDuplicateDecision(ctx, &d); err != nil {
				t.Fatal(err)
			}
			continue
		}
		linked = append(linked, p)
	}
	linkedEng, err := engine.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	_, mergedEng := openFixture(t, mergedBatch(b, linked))

	rules := []string{"any", "official", "claims", "best", "best:media>claim"}
	for i := range 150 {
		text := randomQuery(r)
		q, err := query.Parse(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		S := plotline.MakeDay(2018, 1, 1) + plotline.Day(r.IntN(7*365))
		req := engine.Request{Query: q, Rule: rules[r.IntN(len(rules))], AsOf: plotline.AsOf{Stated: &S}}
		for _, op := range []struct {
			name string
			do   func(e *engine.Engine) (any, error)
		}{
			{"match", func(e *engine.Engine) (any, error) {
				m, err := e.Match(ctx, req)
				if m != nil {
					m.Linked = nil // only the linked engine knows the groups
				}
				return m, err
			}},
			{"count", func(e *engine.Engine) (any, error) {
				r := req
				r.GroupBy = []string{"unit", "basis"}
				return e.Count(ctx, r)
			}},
			{"series", func(e *engine.Engine) (any, error) {
				return e.Series(ctx, engine.SeriesRequest{Request: req, Interval: "year"})
			}},
		} {
			got, err := op.do(linkedEng)
			if err != nil {
				t.Fatal(err)
			}
			want, err := op.do(mergedEng)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("query %d %q rule %s as of %s, %s: linked %+v, merged by hand %+v", i, text, req.Rule, S, op.name, got, want)
			}
		}
	}
	st := linkedEng.Stats()
	if merged := mergedEng.Stats(); st.Incidents != merged.Incidents || st.Attributions != merged.Attributions || st.Incidents == n {
		t.Errorf("stats: linked %+v, merged %+v (of %d incidents)", st, merged, n)
	}
}

// mergedBatch returns b with each group of linked incidents merged into the
// earliest (date, then ID): the others' statements moved to it, the others
// left out.
func mergedBatch(b *plotline.Batch, linked [][2]int) *plotline.Batch {
	parent := map[int]int{}
	var find func(i int) int
	find = func(i int) int {
		if p, ok := parent[i]; ok && p != i {
			root := find(p)
			parent[i] = root
			return root
		}
		return i
	}
	earlier := func(i, j int) bool {
		a, c := b.Incidents[i], b.Incidents[j]
		return a.Date.Start < c.Date.Start || a.Date.Start == c.Date.Start && a.ID < c.ID
	}
	for _, p := range linked {
		x, y := find(p[0]), find(p[1])
		if x == y {
			continue
		}
		if earlier(y, x) {
			x, y = y, x
		}
		parent[y] = x
	}
	out := *b
	out.Incidents = slices.Clone(b.Incidents)
	for i := range out.Incidents {
		out.Incidents[i].Attributions = slices.Clone(out.Incidents[i].Attributions)
	}
	for i := range out.Incidents {
		if rep := find(i); rep != i {
			for _, a := range out.Incidents[i].Attributions {
				a.IncidentID = out.Incidents[rep].ID
				out.Incidents[rep].Attributions = append(out.Incidents[rep].Attributions, a)
			}
		}
	}
	kept := out.Incidents[:0:0]
	for i, in := range out.Incidents {
		if find(i) == i {
			kept = append(kept, in)
		}
	}
	out.Incidents = kept
	return &out
}
