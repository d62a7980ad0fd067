// Package enginetest holds the tests every engine.DeltaSource (the SQLite
// and the PostgreSQL store) must pass, run by each store's own tests.
package enginetest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// Store is what the tests need of a store: writes, and the engine's reads.
type Store interface {
	plotline.Store
	engine.DeltaSource
}

// RunDeltaSource runs the tests of ScanChanged on a new store from open for each.
func RunDeltaSource(t *testing.T, open func(t *testing.T) Store) {
	t.Run("ScanChanged", func(t *testing.T) { scanChanged(t, open(t)) })
	t.Run("ScanChangedFeedsEngine", func(t *testing.T) { scanChangedFeedsEngine(t, open(t)) })
}

// feed records what a scan fed, as comparable lines.
type feed struct {
	incidents, statements []string
}

func (f *feed) Organisation([]plotline.Actor, []plotline.Affiliation) {}

func (f *feed) Parts(n int) []engine.PartLoader {
	out := make([]engine.PartLoader, n)
	for i := range out {
		out[i] = f
	}
	return out
}

func (f *feed) Grow(int, int) {}

func (f *feed) Incident(r *engine.IncidentRow) {
	f.incidents = append(f.incidents, fmt.Sprintf("%+v", *r))
}

func (f *feed) Attribution(r *engine.AttributionRow) {
	f.statements = append(f.statements, fmt.Sprintf("%+v", *r))
}

// of keeps the lines of the given incidents.
func (f *feed) of(ids ...string) *feed {
	keep := func(lines []string, field string) []string {
		var kept []string
		for _, l := range lines {
			for _, id := range ids {
				if strings.Contains(l, "{"+field+":"+id+" ") || strings.Contains(l, " "+field+":"+id+" ") {
					kept = append(kept, l)
					break
				}
			}
		}
		return kept
	}
	return &feed{incidents: keep(f.incidents, "ID"), statements: keep(f.statements, "IncidentID")}
}

func deltaIncident(id, date string) plotline.Incident {
	return plotline.Incident{ID: id, Title: "Incident " + id, Kind: "attack", Outcome: "completed", Date: plotline.MustDate(date),
		Location: plotline.Location{Country: "TUR"}, TargetCountry: "TUR", Sources: []string{"s1"},
		Attributions: []plotline.Attribution{
			{ID: id + "/b", ActorID: "is", Basis: "government", AssertedBy: "Ministry", StatedOn: plotline.MustDate(date), Link: "unknown", Sources: []plotline.SourceRef{{ID: "s1"}}},
			{ID: id + "/a", ActorID: "is-turkey", Basis: "claim", AssertedBy: "Amaq", StatedOn: plotline.MustDate(date), Link: "directed", Sources: []plotline.SourceRef{{ID: "s1"}}},
		}}
}

func scanChanged(t *testing.T, db Store) {
	ctx := context.Background()
	b := storetest.Fixture()
	for i := range 6 {
		b.Incidents = append(b.Incidents, deltaIncident(fmt.Sprintf("d%d", i), fmt.Sprintf("2024-03-%02d", i+1)))
	}
	apply := func(b *plotline.Batch) {
		t.Helper()
		if b.By == "" {
			b.By = "test"
		}
		if _, err := db.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	last := func() int64 {
		t.Helper()
		c, err := db.LastChange(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	scan := func(after int64, limit int) (engine.Changed, *feed) {
		t.Helper()
		f := &feed{}
		got, err := db.ScanChanged(ctx, after, limit, f)
		if err != nil {
			t.Fatal(err)
		}
		return got, f
	}
	apply(b)
	start := last()
	if got, f := scan(start, 100); got.Change != start || len(got.IDs) != 0 || got.Rebuild || len(f.incidents) != 0 {
		t.Fatalf("nothing changed: got %+v, fed %d", got, len(f.incidents))
	}

	// Every kind of incident and statement write, over a few changes.
	d0 := deltaIncident("d0", "2024-03-01")
	d0.Attributions = nil
	d0.Location.Country = "SYR"
	apply(&plotline.Batch{Incidents: []plotline.Incident{d0}}) // d0 updated
	updated := deltaIncident("d1", "2024-04-01").Attributions[0]
	updated.IncidentID = "d1"
	apply(&plotline.Batch{Attributions: []plotline.Attribution{updated}})                        // d1's statement updated
	apply(&plotline.Batch{Deletes: []plotline.Ref{{Kind: plotline.RecAttribution, ID: "d2/a"}}}) // d2's statement deleted
	apply(&plotline.Batch{Deletes: []plotline.Ref{{Kind: plotline.RecIncident, ID: "d3"}}})      // d3 deleted
	moved := deltaIncident("d4", "2024-03-05").Attributions[0]
	moved.IncidentID = "istanbul"
	apply(&plotline.Batch{Attributions: []plotline.Attribution{moved}})                       // from d4 to istanbul
	apply(&plotline.Batch{Incidents: []plotline.Incident{deltaIncident("n1", "2024-05-01")}}) // created
	draft := deltaIncident("d5", "2024-03-06")
	draft.Attributions = nil
	draft.Title = "Draft title"
	apply(&plotline.Batch{Draft: true, Incidents: []plotline.Incident{draft}}) // never current: not listed
	apply(&plotline.Batch{Sources: []plotline.Source{{ID: "s-new", Publisher: "p", Title: "t", URL: "https://example.org/new",
		Kind: "news", TLP: "clear", Published: plotline.MustDate("2024")}}}) // a clear source: no marking changed

	got, f := scan(start, 100)
	want := []string{"d0", "d1", "d2", "d3", "d4", "istanbul", "n1"}
	if got.Rebuild || got.Change != last() || !reflect.DeepEqual(got.IDs, want) {
		t.Fatalf("changed: got %+v, want IDs %v at change %d", got, want, last())
	}
	// What it fed is what a full scan feeds for those incidents.
	full := &feed{}
	if _, err := db.ScanIndex(ctx, nil, full); err != nil {
		t.Fatal(err)
	}
	wantFeed := full.of(want...)
	if len(wantFeed.incidents) != 6 || len(wantFeed.statements) != 12 {
		t.Fatalf("the full scan fed %d incidents and %d statements of %v", len(wantFeed.incidents), len(wantFeed.statements), want)
	}
	if !reflect.DeepEqual(f.incidents, wantFeed.incidents) {
		t.Errorf("incidents:\ngot  %q\nwant %q", f.incidents, wantFeed.incidents)
	}
	if !reflect.DeepEqual(f.statements, wantFeed.statements) {
		t.Errorf("statements:\ngot  %q\nwant %q", f.statements, wantFeed.statements)
	}
	// Since a later change: only what changed after it.
	if got, _ := scan(start+5, 100); !reflect.DeepEqual(got.IDs, []string{"n1"}) {
		t.Errorf("since change %d: got %v, want [n1]", start+5, got.IDs)
	}
	// Over the limit: nothing fed, rebuild.
	if got, f := scan(start, 3); !got.Rebuild || len(f.incidents) != 0 {
		t.Errorf("over the limit: got %+v, fed %d", got, len(f.incidents))
	}

	// What the index holds besides incidents: rebuild.
	for _, tc := range []struct {
		name  string
		batch *plotline.Batch
	}{
		{"marked source", &plotline.Batch{Sources: []plotline.Source{{ID: "s-amber", Publisher: "p", Title: "t", URL: "https://example.org/a",
			Kind: "news", TLP: "amber", Published: plotline.MustDate("2024")}}}},
		{"source marked", &plotline.Batch{Sources: []plotline.Source{{ID: "s-new", Publisher: "p", Title: "t", URL: "https://example.org/new",
			Kind: "news", TLP: "green", Published: plotline.MustDate("2024")}}}},
		{"actor", &plotline.Batch{Actors: []plotline.Actor{{ID: "new-actor", Name: "New", Kind: "unaffiliated", Sources: []string{"s1"}}}}},
		{"affiliation", &plotline.Batch{Affiliations: []plotline.Affiliation{{ID: "new-aff", ChildID: "new-actor", ParentID: "is", Sources: []string{"s1"}}}}},
	} {
		before := last()
		apply(tc.batch)
		if got, f := scan(before, 100); !got.Rebuild || len(f.incidents) != 0 {
			t.Errorf("%s: got %+v, fed %d, want a rebuild", tc.name, got, len(f.incidents))
		}
	}
	// A draft of an actor changes nothing current.
	before := last()
	apply(&plotline.Batch{Draft: true, Actors: []plotline.Actor{{ID: "new-actor", Name: "Renamed", Kind: "unaffiliated", Sources: []string{"s1"}}}})
	if got, _ := scan(before, 100); got.Rebuild || len(got.IDs) != 0 {
		t.Errorf("actor draft: got %+v, want nothing", got)
	}
}

// TestScanChangedFeedsEngine: an engine over the store refreshes through
// ScanChanged (layers) and answers as a full build.
func scanChangedFeedsEngine(t *testing.T, db Store) {
	ctx := context.Background()
	b := storetest.Fixture()
	eng := applyAndServe(t, db, b)
	for i := range 3 {
		if _, err := db.Apply(ctx, &plotline.Batch{By: "test", Incidents: []plotline.Incident{deltaIncident(fmt.Sprintf("e%d", i), "2024-06-01")}}); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := eng.Snapshot(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if snap.Layers() < 2 {
		t.Errorf("%d layers: the refreshes were not incremental", snap.Layers())
	}
	full, err := engine.Build(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := eng.Count(ctx, engine.Request{GroupBy: []string{"unit", "country"}})
	if err != nil {
		t.Fatal(err)
	}
	want, err := full.Count(ctx, engine.Request{GroupBy: []string{"unit", "country"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("count: incremental %+v, full %+v", got, want)
	}
}

// applyAndServe writes b to db and returns an engine over it, closed with the test.
func applyAndServe(t *testing.T, db Store, b *plotline.Batch) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	if _, err := db.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	return eng
}
