package sqlite_test

import (
	"context"
	"database/sql"
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

// A new database gets 16 KiB pages (fewer pages, WAL frames and B-tree
// levels for a large import); an existing one keeps the page size it was
// created with, which SQLite cannot change in WAL mode.
func TestPageSize(t *testing.T) {
	ctx := context.Background()
	pageSize := func(db *sqlite.DB) int {
		t.Helper()
		var n int
		if err := db.ReadDB().QueryRowContext(ctx, `PRAGMA page_size`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	db := MustOpenDB(t)
	if n := pageSize(db); n != 16384 {
		t.Errorf("new database: page size %d; want 16384", n)
	}

	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`PRAGMA page_size = 4096`, `PRAGMA journal_mode = WAL`, `CREATE TABLE before_plotline (x)`} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := pageSize(db); n != 4096 {
		t.Errorf("existing database: page size %d; want 4096 as created", n)
	}
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Errorf("write to the existing database: %v", err)
	}
}
