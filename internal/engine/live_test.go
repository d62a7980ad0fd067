package engine_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
)

// TestLiveEqualsStatements checks the structures that answer questions as
// known now under rule any (actor rows, units per row) against the
// statement-by-statement evaluation, which a world-clock day far in the
// future forces and which must give the same answers: every statement of
// the fixture is stated, superseded or retracted long before it.
func TestLiveEqualsStatements(t *testing.T) {
	ctx := context.Background()
	// Some actors' statements all stand (their rows are the posting lists),
	// others' do not (rows of their own).
	b := genBatch(1200, 5)
	for i := range b.Incidents {
		for j := range b.Incidents[i].Attributions {
			if a := &b.Incidents[i].Attributions[j]; a.ActorID == "prov4" || a.ActorID == "office1" || a.ActorID == "lone" {
				a.SupersededOn, a.RetractedOn = plotline.Date{}, plotline.Date{}
			}
		}
	}
	_, eng := openFixture(t, b)
	far := plotline.MakeDay(9999, 12, 31)
	r := rand.New(rand.NewPCG(5, 5))
	queries := []string{"", "actor:office1", "actor:prov4,prov8", "actor:core", "actor:lone country:IRQ", "actor:prov5 -basis:claim"}
	for range 60 {
		queries = append(queries, randomQuery(r))
	}
	for _, text := range queries {
		q, err := query.Parse(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		for _, rule := range []string{"any", "official", "bases:government,court,analyst,media,claim"} {
			ask := func(asOf plotline.AsOf) string {
				var out []any
				for _, dims := range [][]string{{"unit"}, {"office"}, {"unit", "kind"}} {
					tab, err := eng.Count(ctx, engine.Request{Query: q, Rule: rule, AsOf: asOf, GroupBy: dims})
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, tab.Rows, tab.Total)
				}
				sum, err := eng.Count(ctx, engine.Request{Query: q, Rule: rule, AsOf: asOf, GroupBy: []string{"unit"}, Measure: "sum:killed"})
				if err != nil {
					t.Fatal(err)
				}
				ser, err := eng.Series(ctx, engine.SeriesRequest{Request: engine.Request{Query: q, Rule: rule, AsOf: asOf}, Interval: "quarter",
					From: plotline.MakeDay(2018, 1, 1), To: plotline.MakeDay(2024, 12, 31)})
				if err != nil {
					t.Fatal(err)
				}
				m, err := eng.Match(ctx, engine.Request{Query: q, Rule: rule, AsOf: asOf, Limit: 40, Offset: 3})
				if err != nil {
					t.Fatal(err)
				}
				b, err := json.Marshal(append(out, sum.Rows, ser.Buckets, m.IDs, m.Total))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			now, later := ask(plotline.AsOf{}), ask(plotline.AsOf{Stated: &far})
			if now != later {
				t.Errorf("%q rule %s: as known now\n%s\nas of %s\n%s", text, rule, now, far, later)
			}
		}
	}
}
