package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// MustOpenDB opens a new database in a temporary directory.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "plotline.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) plotline.Store { return MustOpenDB(t) })
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen (migrations must be idempotent): %v", err)
	}
	defer db.Close()
	if _, err := db.Incident(ctx, "istanbul", plotline.AsOf{}); err != nil {
		t.Errorf("after reopen: %v", err)
	}
}
