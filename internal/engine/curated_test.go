package engine_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/dataset"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// openCurated returns a store in t.TempDir() holding the curated dataset.
func openCurated(tb testing.TB) *sqlite.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "curated.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ds, err := dataset.Load(dataset.Files)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Apply(ctx, ds.Batch); err != nil {
		tb.Fatal(err)
	}
	return db
}

func day(s string) plotline.Day {
	d, err := plotline.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

// The engine's report must be the report analysis computes over the whole
// snapshot, for every rule and several as-of days.
func TestExternalOpsMatchesAnalysis(t *testing.T) {
	ctx := context.Background()
	db := openCurated(t)
	eng, err := engine.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := db.Snapshot(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	g := analysis.NewGraph(snap.Actors, snap.Affiliations)
	ix, err := eng.Index(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{"any", "official", "claims", "best", "bases:media,analyst"} {
		for _, asOf := range []string{"2024-01-30", "2024-03-01", "2024-07-15", "2026-01-01"} {
			for _, rel := range []string{"", "is-khorasan", "is-iraq"} {
				r, _ := analysis.ParseRule(rule)
				p := analysis.ExternalOpsParams{From: day("2024-01-01"), To: day("2024-06-30"), Rule: r, AsOf: day(asOf), RelatedTo: rel}
				want, _ := json.Marshal(analysis.ExternalOps(g, snap.Incidents, p))
				rep, err := ix.ExternalOps(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := json.Marshal(rep)
				if string(got) != string(want) {
					t.Errorf("rule %s as of %s related %q:\n got %s\nwant %s", rule, asOf, rel, got, want)
				}
			}
		}
	}
}
