package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/postgres"
	"github.com/plotline-dev/plotline/internal/postgres/pgtest"
	"github.com/plotline-dev/plotline/internal/query"
)

// pgEdits is a second change over genBatch's world: new wording (with
// diacritics, which both stores' text search folds), a deleted incident and
// a moved statement, so the record clock has a past worth asking about.
func pgEdits(b *plotline.Batch) *plotline.Batch {
	e := &plotline.Batch{By: "edit", Note: "second pass"}
	for i := 0; i < len(b.Incidents); i += 37 {
		in := b.Incidents[i]
		in.Title = "Ṣalāḥ convoy incident"
		in.Summary = "Attack near the Çarşı bridge reported"
		if killed := 3 + i%7; i%2 == 0 {
			in.Killed.Best = &killed
		}
		if len(in.Attributions) > 0 {
			in.Attributions[0].Basis = "claim"
			in.Attributions[0].ActorID = "prov5"
		}
		e.Incidents = append(e.Incidents, in)
	}
	for i := 11; i < len(b.Incidents); i += 101 {
		if i%37 == 0 {
			continue // edited above
		}
		e.Deletes = append(e.Deletes, plotline.Ref{Kind: plotline.RecIncident, ID: b.Incidents[i].ID})
	}
	return e
}

// TestEngineOnPostgresEqualsSQLite builds the engine from a PostgreSQL store
// and from a SQLite store holding the same data, and asks both the same
// random questions (the queries of TestEngineEqualsSQL, text searches among
// them, under random rules and world-clock days: matches, counts, series,
// disagreements), now — after an incremental refresh — and at a record
// instant between two changes: every answer must be the same.
func TestEngineOnPostgresEqualsSQLite(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	world := genBatch(1200, 1)
	lite, _ := openFixture(t, world)
	pg, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	if _, err := pg.Apply(ctx, genBatch(1200, 1)); err != nil {
		t.Fatal(err)
	}
	// A record instant after the first change in each store, before the second.
	time.Sleep(2 * time.Millisecond)
	mid := time.Now()
	time.Sleep(2 * time.Millisecond)
	engLite, err := engine.New(ctx, lite)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engLite.Close)
	engPG, err := engine.New(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engPG.Close)
	// The second change reaches both indexes by an incremental refresh
	// (engine.DeltaSource: a layer of the changed incidents).
	for _, e := range []struct {
		s   plotline.Store
		eng *engine.Engine
	}{{lite, engLite}, {pg, engPG}} {
		if _, err := e.s.Apply(ctx, pgEdits(genBatch(1200, 1))); err != nil {
			t.Fatal(err)
		}
		if changed, err := e.eng.Refresh(ctx); err != nil || !changed {
			t.Fatalf("refresh after the edits: %v %v", changed, err)
		}
		snap, err := e.eng.Snapshot(ctx, plotline.AsOf{})
		if err != nil {
			t.Fatal(err)
		}
		if snap.Layers() < 2 {
			t.Errorf("%T: the refresh was not incremental (%d layers)", e.s, snap.Layers())
		}
	}
	gotStats, wantStats := engPG.Stats(), engLite.Stats()
	if gotStats.Incidents != wantStats.Incidents || gotStats.Attributions != wantStats.Attributions || gotStats.Actors != wantStats.Actors {
		t.Fatalf("postgres index: %d incidents, %d attributions, %d actors; sqlite: %d, %d, %d",
			gotStats.Incidents, gotStats.Attributions, gotStats.Actors, wantStats.Incidents, wantStats.Attributions, wantStats.Actors)
	}

	r := rand.New(rand.NewPCG(43, 43))
	rules := []string{"any", "official", "claims", "best", "best:media>claim"}
	dims := []string{"kind", "country", "year", "unit", "basis", "province", "event_type"}
	texts := []string{`"salah"`, `"Ṣalāḥ convoy"`, `"carsi bridge"`, `"bridge reported"`, `"market incident"`}
	nonEmpty := 0
	for i := range 200 {
		text := randomQuery(r)
		if i%10 == 0 {
			text = texts[(i/10)%len(texts)]
		}
		q, err := query.Parse(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		S := plotline.MakeDay(2018, 1, 1) + plotline.Day(r.IntN(7*365))
		asOf := plotline.AsOf{Stated: &S}
		if i%4 == 3 {
			asOf.Recorded = &mid
		}
		req := engine.Request{Query: q, Rule: rules[r.IntN(len(rules))], AsOf: asOf}
		what := fmt.Sprintf("query %d %q rule %s as of %s (recorded %v)", i, text, req.Rule, S, asOf.Recorded != nil)

		got, err := engPG.Match(ctx, req)
		if err != nil {
			t.Fatalf("%s: postgres: %v", what, err)
		}
		want, err := engLite.Match(ctx, req)
		if err != nil {
			t.Fatalf("%s: sqlite: %v", what, err)
		}
		if len(want.IDs) > 0 {
			nonEmpty++
		}
		if !reflect.DeepEqual(got.IDs, want.IDs) {
			t.Errorf("%s: postgres %d, sqlite %d; postgres only %v; sqlite only %v", what, len(got.IDs), len(want.IDs),
				head(diff(got.IDs, want.IDs)), head(diff(want.IDs, got.IDs)))
		}

		req.GroupBy = []string{dims[r.IntN(len(dims))]}
		gotTab, err := engPG.Count(ctx, req)
		if err != nil {
			t.Fatalf("%s: postgres count: %v", what, err)
		}
		wantTab, err := engLite.Count(ctx, req)
		if err != nil {
			t.Fatalf("%s: sqlite count: %v", what, err)
		}
		if !reflect.DeepEqual(gotTab, wantTab) {
			t.Errorf("%s by %s: postgres %+v, sqlite %+v", what, req.GroupBy[0], gotTab, wantTab)
		}

		req.GroupBy = nil
		sreq := engine.SeriesRequest{Request: req, Interval: []string{"month", "quarter", "year"}[r.IntN(3)]}
		gotSer, err := engPG.Series(ctx, sreq)
		if err != nil {
			t.Fatalf("%s: postgres series: %v", what, err)
		}
		wantSer, err := engLite.Series(ctx, sreq)
		if err != nil {
			t.Fatalf("%s: sqlite series: %v", what, err)
		}
		if !reflect.DeepEqual(gotSer, wantSer) {
			t.Errorf("%s per %s: series differ", what, sreq.Interval)
		}
		if i%5 == 0 {
			gotDis, err := engPG.Disagreements(ctx, req)
			if err != nil {
				t.Fatalf("%s: postgres disagreements: %v", what, err)
			}
			wantDis, err := engLite.Disagreements(ctx, req)
			if err != nil {
				t.Fatalf("%s: sqlite disagreements: %v", what, err)
			}
			if !reflect.DeepEqual(gotDis, wantDis) {
				t.Errorf("%s: disagreements: postgres %+v, sqlite %+v", what, gotDis, wantDis)
			}
		}
	}
	if nonEmpty < 60 {
		t.Errorf("only %d of 200 queries matched anything; the test is too weak", nonEmpty)
	}

	// The text searches find the edited wording, folded.
	m, err := engPG.Match(ctx, engine.Request{Query: mustQuery(t, `"salah convoy"`)})
	if err != nil {
		t.Fatal(err)
	}
	if want := len(pgEdits(world).Incidents); m.Total != want {
		t.Errorf(`"salah convoy" on postgres: %d matches, want %d`, m.Total, want)
	}
}
