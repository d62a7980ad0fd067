package main

import (
	"context"
	"crypto/sha256"
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

// TestBackupRestoreKeepsTeam: a SQLite backup (the whole file) carries the
// accounts, API tokens, name and duplicate decisions, pending names and
// review workflow through backup → destroy → restore.
func TestBackupRestoreKeepsTeam(t *testing.T) {
	db := newDB(t)
	seedHistory(t, db)
	seedTeam(t, db)
	want, wantTeam := readState(t, db), readTeam(t, db)
	if len(wantTeam.Users) != 2 || len(wantTeam.Tokens) != 2 || len(wantTeam.Names) != 2 || len(wantTeam.Pending) != 1 ||
		len(wantTeam.Dupes) != 1 || len(wantTeam.Drafts) == 0 {
		t.Fatalf("seeded %+v", wantTeam)
	}
	file := filepath.Join(t.TempDir(), "backup.db")
	if _, stderr, err := run(t, db, "backup", file); err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	removeSQLite(db) // destroy
	out, stderr, err := run(t, db, "restore", file)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, stderr)
	}
	for _, tb := range auxTables {
		if !strings.Contains(out, tb.name) {
			t.Errorf("restore output does not report table %s:\n%s", tb.name, out)
		}
	}
	sameState(t, "restored", readState(t, db), want)
	sameTeam(t, "restored", readTeam(t, db), wantTeam)
	sum := sha256.Sum256([]byte("token of alice"))
	st, err := openExisting(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, u, err := st.(plotline.AccountStore).TokenUser(context.Background(), sum[:]); err != nil || u.Name != "alice" {
		t.Errorf("alice's token after the restore: %v %v", u, err)
	}
}

func TestBackupRestorePostgres(t *testing.T) {
	pg := pgtest.DSN(t)
	seedHistory(t, pg)
	seedTeam(t, pg)
	want, wantTeam := readState(t, pg), readTeam(t, pg)
	file := filepath.Join(t.TempDir(), "pg-backup.db")
	out, stderr, err := run(t, pg, "backup", file)
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "pg_dump") {
		t.Errorf("a PostgreSQL backup does not mention pg_dump: %q", out)
	}
	if !strings.Contains(stderr, "2 login sessions were not backed up") {
		t.Errorf("stderr does not say the sessions stayed behind: %q", stderr)
	}
	if _, _, err := run(t, pg, "restore", file); plotline.ErrorCode(err) != plotline.ECONFLICT {
		t.Errorf("restore into a non-empty schema: err %v; want ECONFLICT", err)
	}

	destroySchema(t, pg)
	if _, stderr, err := run(t, pg, "restore", file); err != nil {
		t.Fatalf("restore: %v\n%s", err, stderr)
	}
	sameState(t, "restored", readState(t, pg), want)
	sameTeam(t, "restored", readTeam(t, pg), wantTeam)

	// The same file restores into SQLite too.
	db := newDB(t)
	if _, stderr, err := run(t, db, "restore", file); err != nil {
		t.Fatalf("restore into SQLite: %v\n%s", err, stderr)
	}
	sameState(t, "restored into SQLite", readState(t, db), want)
	sameTeam(t, "restored into SQLite", readTeam(t, db), wantTeam)

	// A SQLite backup (login sessions included) restores into a new
	// schema with its accounts; the sessions stay behind.
	lite := filepath.Join(t.TempDir(), "lite-backup.db")
	if _, stderr, err := run(t, db, "backup", lite); err != nil {
		t.Fatalf("backup of SQLite: %v\n%s", err, stderr)
	}
	pg2 := pgtest.DSN(t)
	if _, stderr, err := run(t, pg2, "restore", lite); err != nil {
		t.Fatalf("restore SQLite backup into PostgreSQL: %v\n%s", err, stderr)
	}
	sameState(t, "SQLite backup restored into PostgreSQL", readState(t, pg2), want)
	sameTeam(t, "SQLite backup restored into PostgreSQL", readTeam(t, pg2), wantTeam)
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
