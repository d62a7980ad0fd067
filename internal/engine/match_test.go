package engine_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
)

// shuffledSource feeds generated incidents in three parts of shuffled
// order, many on the same day, so that the index must order ties by ID
// itself.
func shuffledSource(n int) *memSource {
	r := rand.New(rand.NewPCG(3, 3))
	m := &memSource{}
	perm := r.Perm(n)
	for i := range n {
		d := plotline.MakeDay(2020, 1, 1) + plotline.Day(r.IntN(20))
		killed := r.IntN(4)
		in := plotline.Incident{ID: fmt.Sprintf("inc-%05d", perm[i]), Kind: "attack", Date: plotline.DayDate(d),
			Location: plotline.Location{Country: []string{"IRQ", "SYR"}[r.IntN(2)]}, Killed: plotline.Range{Best: &killed}}
		if r.IntN(5) == 0 {
			in.Date = plotline.MustDate(d.String()[:7])
		}
		m.incs = append(m.incs, in)
	}
	return m
}

func TestMatchPagesInDateIDOrder(t *testing.T) {
	ctx := context.Background()
	m := shuffledSource(3000)
	ix, err := engine.Build(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"", "country:IRQ", "killed:1..2 country:SYR", "date:2020-01-05..2020-01-09"} {
		q, err := query.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		// The expected listing, straight from the incidents.
		var want []plotline.Incident
		for _, in := range m.incs {
			if matches(t, in, text) {
				want = append(want, in)
			}
		}
		slices.SortFunc(want, func(a, b plotline.Incident) int {
			return cmp.Or(cmp.Compare(a.Date.Start, b.Date.Start), cmp.Compare(a.ID, b.ID))
		})
		ids := make([]string, len(want))
		for i, in := range want {
			ids[i] = in.ID
		}
		for _, pg := range []struct{ off, lim int }{{0, 0}, {0, 10}, {5, 7}, {len(ids) - 3, 10}, {len(ids) + 5, 10}, {17, 1000}} {
			got, err := ix.Match(ctx, engine.Request{Query: q, Offset: pg.off, Limit: pg.lim})
			if err != nil {
				t.Fatal(err)
			}
			lo := min(pg.off, len(ids))
			hi := len(ids)
			if pg.lim > 0 {
				hi = min(hi, lo+pg.lim)
			}
			if got.Total != len(ids) || !slices.Equal(got.IDs, ids[lo:hi]) {
				t.Errorf("%q offset %d limit %d: got total %d %v, want %d %v", text, pg.off, pg.lim, got.Total, head(got.IDs), len(ids), head(ids[lo:hi]))
			}
		}
	}
}

// matches evaluates the few query shapes of TestMatchPagesInDateIDOrder.
func matches(t *testing.T, in plotline.Incident, text string) bool {
	switch text {
	case "":
		return true
	case "country:IRQ":
		return in.Location.Country == "IRQ"
	case "killed:1..2 country:SYR":
		return in.Location.Country == "SYR" && *in.Killed.Best >= 1 && *in.Killed.Best <= 2
	case "date:2020-01-05..2020-01-09":
		lo, hi := plotline.MakeDay(2020, 1, 5), plotline.MakeDay(2020, 1, 9)
		return in.Date.Start <= hi && in.Date.End >= lo
	}
	t.Fatalf("no evaluation for %q", text)
	return false
}
