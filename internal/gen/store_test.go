package gen_test

import (
	"context"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/gen"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// TestWrite loads a few hundred events into a real store and reads them
// back: every event an incident with its attributions, in batches.
func TestWrite(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir()+"/gen.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := gen.Config{Seed: 9, Rows: 250}
	var calls []int
	if err := gen.Write(ctx, db, cfg, 100, func(done int) { calls = append(calls, done) }); err != nil {
		t.Fatal(err)
	}
	if want := []int{100, 200, 250}; len(calls) != len(want) || calls[0] != 100 || calls[2] != 250 {
		t.Errorf("progress calls %v, want %v", calls, want)
	}
	list, err := db.Incidents(ctx, plotline.IncidentFilter{Origin: gen.Origin}, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != cfg.Rows {
		t.Fatalf("store has %d synthetic incidents, want %d", len(list), cfg.Rows)
	}
	g := gen.New(cfg)
	e, _ := g.Next()
	want := g.Incident(&e)
	got, err := db.Incident(ctx, want.ID, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Summary != want.Summary || got.Location.Admin1 != want.Location.Admin1 || len(got.Attributions) != len(want.Attributions) {
		t.Errorf("stored incident %+v, want %+v", got, want)
	}
	actors, err := db.Actors(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if len(actors) != len(g.Actors()) {
		t.Errorf("store has %d actors, want %d", len(actors), len(g.Actors()))
	}
	// Writing the same data again changes nothing and fails nothing.
	if err := gen.Write(ctx, db, cfg, 100, nil); err != nil {
		t.Fatalf("second write: %v", err)
	}
}
