package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/postgres"
	"github.com/plotline-dev/plotline/internal/postgres/pgtest"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// MustOpenDB opens a store in a fresh schema of the test server.
func MustOpenDB(tb testing.TB) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), pgtest.DSN(tb))
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
	dsn := pgtest.DSN(t)
	db, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("reopen (migrations must be idempotent): %v", err)
	}
	defer db.Close()
	if _, err := db.Incident(ctx, "istanbul", plotline.AsOf{}); err != nil {
		t.Errorf("after reopen: %v", err)
	}
}

func TestMissingSchemaIsInvalid(t *testing.T) {
	dsn := pgtest.DSN(t)
	bad, err := pgtest.WithSearchPath(dsn, "plotline_no_such_schema")
	if err != nil {
		t.Fatal(err)
	}
	_, err = postgres.Open(context.Background(), bad)
	if plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("open with a missing schema: err %v; want EINVALID", err)
	}
}

// TestConcurrentWritersKeepClockOrder runs writers on two separate stores
// (as two processes would) against one schema, with a clock that stands
// still, and checks change IDs and record times strictly increase together.
func TestConcurrentWritersKeepClockOrder(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	frozen := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var stores []*postgres.DB
	for range 2 {
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.Now = func() time.Time { return frozen }
		stores = append(stores, db)
	}
	if _, err := stores[0].Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	const perWriter = 15
	var wg sync.WaitGroup
	errs := make(chan error, 4*perWriter)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db := stores[w%2]
			for i := range perWriter {
				src := storetest.Fixture().Sources[0]
				src.ID = fmt.Sprintf("w%d-%d", w, i)
				if _, err := db.Apply(ctx, &plotline.Batch{By: "writer", Sources: []plotline.Source{src}}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	changes, err := stores[1].Changes(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1+4*perWriter {
		t.Fatalf("%d changes; want %d", len(changes), 1+4*perWriter)
	}
	for i := 1; i < len(changes); i++ { // newest first
		newer, older := changes[i-1], changes[i]
		if newer.ID != older.ID+1 || !newer.RecordedAt.After(older.RecordedAt) {
			t.Fatalf("change %d at %v follows change %d at %v; want consecutive IDs and a strictly later time",
				newer.ID, newer.RecordedAt, older.ID, older.RecordedAt)
		}
	}
	last, err := stores[0].LastChange(ctx)
	if err != nil || last != changes[0].ID {
		t.Errorf("LastChange = %d, %v; want %d", last, err, changes[0].ID)
	}
}

func TestSubscribeSeesOtherProcessWrites(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dsn := pgtest.DSN(t)
	reader := MustOpenDBAt(t, dsn)
	writer := MustOpenDBAt(t, dsn)
	sub := reader.Subscribe(ctx)
	if got := <-sub; got != 0 {
		t.Fatalf("first value %d; want 0 (the last change when listening began)", got)
	}
	ch, err := writer.Apply(ctx, storetest.Fixture())
	if err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-sub:
		if got != ch.ID {
			t.Errorf("notified of change %d; want %d", got, ch.ID)
		}
	case <-ctx.Done():
		t.Fatal("no notification for a committed change")
	}
	// A failed batch commits nothing and must notify nothing.
	bad := storetest.Fixture()
	bad.Incidents[0].Sources = []string{"missing"}
	if _, err := writer.Apply(ctx, bad); err == nil {
		t.Fatal("dangling reference accepted")
	}
	ch2, err := writer.Apply(ctx, &plotline.Batch{By: "t", Deletes: []plotline.Ref{{Kind: plotline.RecIncident, ID: "istanbul"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-sub; got != ch2.ID {
		t.Errorf("after a failed and a good batch: notified of %d; want %d", got, ch2.ID)
	}
	cancel()
	for range sub {
	}
}

func MustOpenDBAt(tb testing.TB, dsn string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// TestImportRefusesNonEmpty keeps migrate-store and restore from merging
// two histories.
func TestImportRefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportHistory(ctx); plotline.ErrorCode(err) != plotline.ECONFLICT {
		t.Errorf("import into a non-empty store: err %v; want ECONFLICT", err)
	}
}

// TestEngineColumns checks the columns mirrored from SQLite's 0002_engine
// migration are filled as SQLite fills them, and the full-text column finds
// words of the title.
func TestEngineColumns(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	db := MustOpenDBAt(t, dsn)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var eng, pubStart, killed int32
	var lat float64
	var prec, sources string
	err = conn.QueryRow(ctx, `SELECT eng, pub_start, killed, lat, date_prec, sources FROM incident_v
		WHERE rec_to IS NULL AND fts @@ plainto_tsquery('simple', 'church')`).Scan(&eng, &pubStart, &killed, &lat, &prec, &sources)
	if err != nil {
		t.Fatalf("full-text match on the title: %v", err)
	}
	want := storetest.Fixture().Incidents[0]
	if eng != 1 || pubStart != int32(want.Date.Start) || killed != 1 || lat != 41.1 || prec != "day" || sources != "s1" {
		t.Errorf("engine columns eng=%d pub_start=%d killed=%d lat=%v prec=%q sources=%q", eng, pubStart, killed, lat, prec, sources)
	}
	var stated int32
	if err := conn.QueryRow(ctx, `SELECT stated_start FROM attribution_v WHERE id = 'istanbul/gov-iskp'`).Scan(&stated); err != nil {
		t.Fatal(err)
	}
	if stated != int32(plotline.MustDate("2024-02-05").Start) {
		t.Errorf("stated_start = %d", stated)
	}
}
