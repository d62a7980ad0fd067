package sqlite_test

import (
	"context"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// TestHistoryCopyKeepsDrafts checks that a whole-history copy (migrate-store,
// backup) keeps a draft a draft, with its review, and its actions.
func TestHistoryCopyKeepsDrafts(t *testing.T) {
	ctx := context.Background()
	src := MustOpenDB(t)
	if _, err := src.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	b := storetest.Fixture()
	b.By, b.Draft, b.Incidents[0].Title = "alice", true, "Drafted title"
	d, err := src.Apply(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Return(ctx, d.ID, "rita", "source?"); err != nil {
		t.Fatal(err)
	}
	dst := MustOpenDB(t)
	ld, err := dst.ImportHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.ExportHistory(ctx, func(c plotline.HistoryChange) error { return ld.AddChange(ctx, c) },
		func(v plotline.HistoryVersion) error { return ld.AddVersion(ctx, v) }); err != nil {
		t.Fatal(err)
	}
	if err := ld.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	in, err := dst.Incident(ctx, "istanbul", plotline.AsOf{})
	if err != nil || in.Title != "Church attack" {
		t.Fatalf("copy: published title %v, %v", in, err)
	}
	if in, err = dst.Incident(ctx, "istanbul", plotline.AsOf{IncludeDrafts: true}); err != nil || in.Title != "Drafted title" {
		t.Errorf("copy: draft title %v, %v", in, err)
	}
	got, err := dst.Draft(ctx, d.ID)
	if err != nil || got.Status != plotline.StatusReturned || len(got.Reviews) != 1 || got.Reviews[0].Note != "source?" {
		t.Errorf("copy: draft %+v, %v; want returned with the comment", got, err)
	}
}
