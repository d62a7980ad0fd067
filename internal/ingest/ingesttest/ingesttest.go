// Package ingesttest holds test helpers the importers share: a real SQLite
// store with the curated dataset loaded, the location of the external test
// files, and a run helper.
package ingesttest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/dataset"
	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/resolve"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// OpenDB opens a new database in a temporary directory with the curated
// dataset (the organisation graph the resolver matches against) loaded.
func OpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "plotline.db"))
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

// EmptyDB opens a new database with nothing in it.
func EmptyDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "plotline.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// External returns the path of a file under the shared external test data
// (PLOTLINE_EXTERNAL_DATA, or ../shared/data/external beside the
// repository), skipping the test with the reason when it is absent.
func External(tb testing.TB, rel string) string {
	tb.Helper()
	dir := os.Getenv("PLOTLINE_EXTERNAL_DATA")
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		// internal/ingest/ingesttest → repository root → ../shared/data/external
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "data", "external")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("skipped: external test file %s is absent (set PLOTLINE_EXTERNAL_DATA to the folder holding gtd/, acled/, ucdp-ged/): %v", p, err)
	}
	return p
}

// Resolver builds a resolver from the store's actors and decisions.
func Resolver(tb testing.TB, db *sqlite.DB) *resolve.Resolver {
	tb.Helper()
	ctx := context.Background()
	actors, err := db.Actors(ctx, plotline.AsOf{})
	if err != nil {
		tb.Fatal(err)
	}
	dec, err := db.NameDecisions(ctx, false)
	if err != nil {
		tb.Fatal(err)
	}
	return resolve.New(actors, dec)
}

// Run imports r into db and returns the summary or the error.
func Run(tb testing.TB, db *sqlite.DB, ds ingest.Dataset, r ingest.Reader, opt ingest.Options) (*ingest.Summary, error) {
	tb.Helper()
	return ingest.Run(context.Background(), db, Resolver(tb, db), ds, r, opt)
}

// Counts returns the number of current incidents of an origin, and of all
// versions of every record kind (to check that a failed import wrote nothing).
func Counts(tb testing.TB, db *sqlite.DB) map[string]int {
	tb.Helper()
	out := map[string]int{}
	for _, q := range []struct{ name, sql string }{
		{"incident_v", `SELECT count(*) FROM incident_v`},
		{"attribution_v", `SELECT count(*) FROM attribution_v`},
		{"source_v", `SELECT count(*) FROM source_v`},
		{"actor_v", `SELECT count(*) FROM actor_v`},
		{"changes", `SELECT count(*) FROM changes`},
		{"pending_name", `SELECT count(*) FROM pending_name`},
	} {
		var n int
		if err := db.ReadDB().QueryRow(q.sql).Scan(&n); err != nil {
			tb.Fatal(err)
		}
		out[q.name] = n
	}
	return out
}
