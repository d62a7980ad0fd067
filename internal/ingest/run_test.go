package ingest_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/ingest/acled"
	"github.com/plotline-dev/plotline/internal/resolve"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// TestRunCancelled stops an import whose context is cancelled part way:
// the error is the context's and nothing was stored.
func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := acled.New(acledGen(3000), 0, "")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	opt := ingest.Options{File: "synthetic", Progress: func(done, total int64) {
		calls++
		cancel()
	}}
	_, err = ingest.Run(ctx, db, resolve.New(nil, nil), acled.Dataset(), r, opt)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v; want %v", err, context.Canceled)
	}
	if calls != 1 {
		t.Errorf("%d progress calls after the cancel; want the import to stop at the next check", calls-1)
	}
	var n int
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM incident_v`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d incident versions stored by a cancelled import", n)
	}
}
