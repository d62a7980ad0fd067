package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/postgres/pgtest"
)

// seedHistory fills a new store with the curated dataset and then an edit
// and a delete, so it has several changes, several versions and tombstones.
func seedHistory(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	m := NewMain(&strings.Builder{}, &strings.Builder{}, func(string) string { return "" })
	db, err := m.openAnyStore(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	list, err := db.Incidents(ctx, plotline.IncidentFilter{}, plotline.AsOf{})
	if err != nil || len(list) < 2 {
		t.Fatalf("curated incidents: %d, %v", len(list), err)
	}
	edit := list[0]
	edit.Summary += " (edited)"
	edit.Attributions = nil
	if _, err := db.Apply(ctx, &plotline.Batch{By: "editor", Note: "summary", Incidents: []plotline.Incident{edit}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Apply(ctx, &plotline.Batch{By: "editor", Note: "withdrawn", Deletes: []plotline.Ref{{Kind: plotline.RecIncident, ID: list[1].ID}}}); err != nil {
		t.Fatal(err)
	}
}

// state is everything a store holds, for comparing two stores: the
// per-table checksums of its history and its current snapshot as JSON.
type state struct {
	sums     map[string]string
	snapshot string
	changes  int64
}

func readState(t *testing.T, dsn string) state {
	t.Helper()
	ctx := context.Background()
	db, err := openExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sums, err := sumHistory(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := db.Snapshot(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	st := state{sums: map[string]string{}, snapshot: string(b), changes: sums.rows["changes"]}
	for _, tb := range sums.tables {
		st.sums[tb] = sums.sum(tb)
	}
	return st
}

func sameState(t *testing.T, what string, got, want state) {
	t.Helper()
	if !reflect.DeepEqual(got.sums, want.sums) {
		t.Errorf("%s: checksums %v; want %v", what, got.sums, want.sums)
	}
	if got.snapshot != want.snapshot {
		t.Errorf("%s: current snapshot differs", what)
	}
}

func TestMigrateStoreSQLiteToSQLite(t *testing.T) {
	src, dst := newDB(t), newDB(t)
	seedHistory(t, src)
	want := readState(t, src)
	if want.changes != 3 {
		t.Fatalf("seeded %d changes; want 3", want.changes)
	}
	out, stderr, err := run(t, src, "migrate-store", src, dst)
	if err != nil {
		t.Fatalf("migrate-store: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "verified") || !strings.Contains(out, "incident_v") {
		t.Errorf("output does not report the verified tables:\n%s", out)
	}
	sameState(t, "copy", readState(t, dst), want)

	if _, _, err := run(t, src, "migrate-store", src, dst); plotline.ErrorCode(err) != plotline.ECONFLICT {
		t.Errorf("into a non-empty store: err %v; want ECONFLICT", err)
	}
	missing := filepath.Join(t.TempDir(), "missing.db")
	if _, _, err := run(t, src, "migrate-store", missing, newDB(t)); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("from a missing file: err %v; want ENOTFOUND", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("migrating from a missing file created it")
	}
}

// TestMigrateStoreThroughPostgres copies SQLite → PostgreSQL → SQLite and
// checks the last copy equals the first database, history included.
func TestMigrateStoreThroughPostgres(t *testing.T) {
	pg := pgtest.DSN(t)
	src, back := newDB(t), newDB(t)
	seedHistory(t, src)
	want := readState(t, src)
	if _, stderr, err := run(t, src, "migrate-store", src, pg); err != nil {
		t.Fatalf("SQLite → PostgreSQL: %v\n%s", err, stderr)
	}
	sameState(t, "PostgreSQL copy", readState(t, pg), want)
	if _, stderr, err := run(t, src, "migrate-store", pg, back); err != nil {
		t.Fatalf("PostgreSQL → SQLite: %v\n%s", err, stderr)
	}
	sameState(t, "round trip", readState(t, back), want)

	// The copy keeps working as a store: a new change follows the copied
	// ones in both numbering and record time.
	ctx := context.Background()
	db, err := openExisting(ctx, pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before, err := db.Changes(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	src0 := plotline.Source{ID: "after-copy", Publisher: "P", Title: "T", URL: "https://example.org/x", Kind: "news", TLP: "clear"}
	ch, err := db.Apply(ctx, &plotline.Batch{By: "t", Sources: []plotline.Source{src0}})
	if err != nil {
		t.Fatal(err)
	}
	if ch.ID != before[0].ID+1 || !ch.RecordedAt.After(before[0].RecordedAt) {
		t.Errorf("first change after the copy: #%d at %v; want #%d after %v", ch.ID, ch.RecordedAt, before[0].ID+1, before[0].RecordedAt)
	}
}

func TestBackupRestoreSQLite(t *testing.T) {
	db := newDB(t)
	seedHistory(t, db)
	want := readState(t, db)
	file := filepath.Join(t.TempDir(), "backup.db")
	out, stderr, err := run(t, db, "backup", file)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "3 changes") || !strings.Contains(out, "integrity ok") {
		t.Errorf("backup output: %q", out)
	}
	if _, _, err := run(t, db, "backup", file); plotline.ErrorCode(err) != plotline.ECONFLICT {
		t.Errorf("backup over an existing file: err %v; want ECONFLICT", err)
	}
	if _, _, err := run(t, db, "restore", file); plotline.ErrorCode(err) != plotline.ECONFLICT {
		t.Errorf("restore over an existing database without --force: err %v; want ECONFLICT", err)
	}

	removeSQLite(db) // destroy
	if _, stderr, err := run(t, db, "restore", file); err != nil {
		t.Fatalf("restore: %v\n%s", err, stderr)
	}
	sameState(t, "restored", readState(t, db), want)

	// Restore over a database that has moved on brings back the backup.
	seedMore(t, db)
	if moved := readState(t, db); reflect.DeepEqual(moved.sums, want.sums) {
		t.Fatal("checksums did not change with a new change: the comparison cannot fail")
	}
	if _, stderr, err := run(t, db, "restore", "--force", file); err != nil {
		t.Fatalf("restore --force: %v\n%s", err, stderr)
	}
	sameState(t, "restored with --force", readState(t, db), want)

	notDB := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notDB, []byte("not a database at all, just some text"), 0o600)
	if _, _, err := run(t, db, "restore", "--force", notDB); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("restore from a text file: err %v; want EINVALID", err)
	}
	truncated := filepath.Join(t.TempDir(), "truncated.db")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(truncated, b[:len(b)/2], 0o600)
	if _, _, err := run(t, db, "restore", "--force", truncated); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("restore from a truncated backup: err %v; want EINVALID", err)
	}
	sameState(t, "after refused restores", readState(t, db), want)
}

func seedMore(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	db, err := openExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := plotline.Source{ID: "later", Publisher: "P", Title: "T", URL: "https://example.org/later", Kind: "news", TLP: "clear"}
	if _, err := db.Apply(ctx, &plotline.Batch{By: "t", Sources: []plotline.Source{s}}); err != nil {
		t.Fatal(err)
	}
}

func TestBackupRestorePostgres(t *testing.T) {
	pg := pgtest.DSN(t)
	seedHistory(t, pg)
	want := readState(t, pg)
	file := filepath.Join(t.TempDir(), "pg-backup.db")
	out, stderr, err := run(t, pg, "backup", file)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "pg_dump") {
		t.Errorf("a PostgreSQL backup does not mention pg_dump: %q", out)
	}
	if _, _, err := run(t, pg, "restore", file); plotline.ErrorCode(err) != plotline.ECONFLICT {
		t.Errorf("restore into a non-empty schema: err %v; want ECONFLICT", err)
	}

	destroySchema(t, pg)
	if _, stderr, err := run(t, pg, "restore", file); err != nil {
		t.Fatalf("restore: %v\n%s", err, stderr)
	}
	sameState(t, "restored", readState(t, pg), want)

	// The same file restores into SQLite too.
	db := newDB(t)
	if _, stderr, err := run(t, db, "restore", file); err != nil {
		t.Fatalf("restore into SQLite: %v\n%s", err, stderr)
	}
	sameState(t, "restored into SQLite", readState(t, db), want)
}

// destroySchema drops every table of the store's schema and recreates it empty.
func destroySchema(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var schema string
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	id := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, `DROP SCHEMA `+id+` CASCADE; CREATE SCHEMA `+id); err != nil {
		t.Fatal(err)
	}
}

func TestPostgresDSNSelectsBackend(t *testing.T) {
	for _, c := range []struct {
		dsn  string
		want bool
	}{
		{"postgres://u@h/db", true},
		{"postgresql://u@h/db?search_path=x", true},
		{"plotline.db", false},
		{"/var/lib/postgres.db", false},
		{"file:postgres://x", false},
	} {
		if got := isPostgres(c.dsn); got != c.want {
			t.Errorf("isPostgres(%q) = %v; want %v", c.dsn, got, c.want)
		}
	}
	if got := redact("postgres://alice:s3cret@db.internal/plotline"); strings.Contains(got, "s3cret") {
		t.Errorf("redact kept the password: %q", got)
	}
	// A PostgreSQL URL never falls through to SQLite (which would create a
	// file named after it).
	dir := t.TempDir()
	t.Chdir(dir)
	if _, err := openBackend(context.Background(), "postgres://127.0.0.1:1/none?connect_timeout=1"); err == nil {
		t.Error("opened a server that is not there")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("opening a PostgreSQL URL created %v", entries)
	}
}
