package sqlite_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// schemaIndexes lists every index and trigger as stored.
func schemaIndexes(t *testing.T, db *sqlite.DB) []string {
	t.Helper()
	rows, err := db.ReadDB().Query(`SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master WHERE type IN ('index', 'trigger') ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// importIncidents puts n copies of the fixture's incident as prefix000 …,
// each with the fixture's attributions less the last drop ones.
func importIncidents(t *testing.T, tx plotline.ImportTx, prefix string, n, drop int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		in := storetest.Fixture().Incidents[0]
		in.ID = fmt.Sprintf("%s%03d", prefix, i)
		in.Attributions = in.Attributions[:len(in.Attributions)-drop]
		for j := range in.Attributions {
			in.Attributions[j].ID = fmt.Sprintf("%s/%d", in.ID, j)
			in.Attributions[j].IncidentID = ""
		}
		if _, err := tx.PutIncident(ctx, &in); err != nil {
			t.Fatalf("put %s: %v", in.ID, err)
		}
	}
}

// checkForeignKeys fails t if a stored row breaks a foreign key (an import
// writes with them off and the identity rows of new records at commit) or
// if the write connection no longer enforces them.
func checkForeignKeys(t *testing.T, db *sqlite.DB) {
	t.Helper()
	rows, err := db.ReadDB().Query(`PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var table, parent string
		var rowid, fk any
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			t.Fatal(err)
		}
		t.Errorf("foreign key: %s row %v has no %s", table, rowid, parent)
	}
	if on, err := sqlite.WriteForeignKeys(db); err != nil || on != 1 {
		t.Errorf("write connection after an import: foreign_keys = %d (%v); want 1", on, err)
	}
}

func TestImportDefersIndexesToCommit(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	sqlite.SetImportDeferAfter(db, 10)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	want := schemaIndexes(t, db)
	count := func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.ReadDB().QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// A large first import into a namespace: indexes dropped on the way, back at commit.
	tx, err := db.BeginImport(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	importIncidents(t, tx, "bulk:", 30, 0)
	if n := sqlite.DeferredIndexes(tx); n == 0 {
		t.Errorf("30 incidents over a table of 1 and a threshold of 10: no index deferred")
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := schemaIndexes(t, db); !slices.Equal(got, want) {
		t.Errorf("indexes after commit:\n%q\nwant\n%q", got, want)
	}
	if n := count(`SELECT count(*) FROM attribution_v WHERE incident_id = 'bulk:017' AND rec_to IS NULL AND deleted = 0`); n != 3 {
		t.Errorf("bulk:017 has %d current attributions; want 3", n)
	}
	var ok string
	if err := db.ReadDB().QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Errorf("integrity check: %q %v", ok, err)
	}

	// A rolled-back import leaves the schema as it was.
	tx, err = db.BeginImport(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	importIncidents(t, tx, "gone:", 60, 0)
	if sqlite.DeferredIndexes(tx) == 0 {
		t.Errorf("60 incidents over a table of 31: no index deferred")
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := schemaIndexes(t, db); !slices.Equal(got, want) {
		t.Errorf("indexes after rollback:\n%q\nwant\n%q", got, want)
	}
	if n := count(`SELECT count(*) FROM incident WHERE id LIKE 'gone:%'`); n != 0 {
		t.Errorf("rolled back import left %d incidents", n)
	}

	// New records first (indexes deferred), then a newer release of the
	// bulk incidents that states fewer attributions: the lookup of their
	// current attributions rebuilds the indexes first and the dropped
	// statements get tombstones.
	tx, err = db.BeginImport(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	importIncidents(t, tx, "more:", 40, 0)
	if sqlite.DeferredIndexes(tx) == 0 {
		t.Errorf("40 incidents over a table of 31: no index deferred")
	}
	importIncidents(t, tx, "bulk:", 30, 1)
	if n := sqlite.DeferredIndexes(tx); n != 0 {
		t.Errorf("%d indexes still deferred after a lookup by incident", n)
	}
	ch, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if ch.Created != 40*4 || ch.Deleted != 30 || ch.Updated != 0 {
		t.Errorf("change %+v; want 160 created, 30 deleted", ch)
	}
	if got := schemaIndexes(t, db); !slices.Equal(got, want) {
		t.Errorf("indexes after the second import:\n%q\nwant\n%q", got, want)
	}
	if n := count(`SELECT count(*) FROM attribution_v WHERE incident_id = 'bulk:017' AND rec_to IS NULL AND deleted = 0`); n != 2 {
		t.Errorf("bulk:017 has %d current attributions after the newer release; want 2", n)
	}
	in, err := db.Incident(ctx, "more:039", plotline.AsOf{})
	if err != nil || len(in.Attributions) != 3 {
		t.Fatalf("more:039: %v %v", in, err)
	}
	checkForeignKeys(t, db)
}

func TestApplyLargeBatchIndexesFullText(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	want := schemaIndexes(t, db)
	batch := func(prefix, word string, n int) *plotline.Batch {
		b := &plotline.Batch{By: "test"}
		for i := range n {
			in := storetest.Fixture().Incidents[0]
			in.ID, in.Summary = fmt.Sprintf("%s:%03d", prefix, i), fmt.Sprintf("%s number %d", word, i)
			for j := range in.Attributions {
				in.Attributions[j].ID = fmt.Sprintf("%s/%d", in.ID, j)
				in.Attributions[j].IncidentID = ""
			}
			b.Incidents = append(b.Incidents, in)
		}
		return b
	}
	hits := func(word string) int {
		var n int
		if err := db.ReadDB().QueryRow(`SELECT count(*) FROM incident_fts WHERE incident_fts MATCH ?`, word).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := db.Apply(ctx, batch("big", "platypodes", 80)); err != nil {
		t.Fatal(err)
	}
	if n := hits("platypodes"); n != 80 {
		t.Errorf("large batch: %d full-text hits; want 80", n)
	}
	// A failing large batch (an attribution to an unknown actor) leaves
	// neither text nor a changed schema behind.
	b := batch("bad", "echidnas", 80)
	b.Incidents[79].Attributions[0].ActorID = "nobody"
	if _, err := db.Apply(ctx, b); err == nil {
		t.Fatal("batch citing an unknown actor applied")
	}
	if n := hits("echidnas"); n != 0 {
		t.Errorf("failed batch: %d full-text hits; want 0", n)
	}
	if got := schemaIndexes(t, db); !slices.Equal(got, want) {
		t.Errorf("schema after large batches:\n%q\nwant\n%q", got, want)
	}
	// The trigger is back for small batches.
	if _, err := db.Apply(ctx, batch("small", "numbats", 3)); err != nil {
		t.Fatal(err)
	}
	if n := hits("numbats"); n != 3 {
		t.Errorf("small batch: %d full-text hits; want 3", n)
	}
}

func TestImportIntoEmptyKindWithoutNamespace(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	b := storetest.Fixture()
	b.Incidents = nil // no incident or attribution stored yet
	if _, err := db.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	run := func(n int, dup bool) (*plotline.Change, error) {
		tx, err := db.BeginImport(ctx, "test", "")
		if err != nil {
			t.Fatal(err)
		}
		importIncidents(t, tx, "plain-", n, 0)
		if dup {
			in := storetest.Fixture().Incidents[0]
			in.ID, in.Attributions = "plain-000", nil
			if _, err := tx.PutIncident(ctx, &in); err == nil {
				tx.Rollback() //nolint:errcheck // the test fails anyway
				t.Fatal("the same incident twice in one import: no error")
			} else if e, ok := err.(*plotline.Error); !ok || e.Code != plotline.ECONFLICT {
				t.Errorf("duplicate: %v; want ECONFLICT", err)
			}
		}
		return tx.Commit()
	}
	ch, err := run(5, true)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Created != 5*4 {
		t.Errorf("first import created %d; want 20", ch.Created)
	}
	// Again: the kinds are no longer empty, every record is looked up and unchanged.
	ch, err = run(5, false)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Created+ch.Updated+ch.Deleted != 0 || ch.Unchanged != 5*4 {
		t.Errorf("re-import: %+v; want 20 unchanged", ch)
	}
	checkForeignKeys(t, db)
}

// A record put twice among many new ones, with batches of the bulk writer
// in flight, is refused at its second put; the import goes on and keeps
// every other record.
func TestImportRefusesRepeatAmongBatches(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginImport(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	importIncidents(t, tx, "many:", 300, 0)
	in := storetest.Fixture().Incidents[0]
	in.ID, in.Attributions = "many:017", nil
	if _, err := tx.PutIncident(ctx, &in); err == nil {
		t.Error("many:017 put twice: no error")
	} else if e, ok := err.(*plotline.Error); !ok || e.Code != plotline.ECONFLICT {
		t.Errorf("many:017 put twice: %v; want ECONFLICT", err)
	}
	importIncidents(t, tx, "more:", 10, 0)
	ch, err := tx.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if ch.Created != 310*4 {
		t.Errorf("created %d; want %d", ch.Created, 310*4)
	}
	var n int
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM incident_v WHERE id LIKE 'many:%' OR id LIKE 'more:%'`).Scan(&n); err != nil || n != 310 {
		t.Errorf("%d incident versions stored (%v); want 310", n, err)
	}
	got, err := db.Incident(ctx, "many:299", plotline.AsOf{})
	if err != nil || len(got.Attributions) != 3 {
		t.Errorf("many:299: %v %v", got, err)
	}
	checkForeignKeys(t, db)
}

// The bulk writer adds incidents to the full-text index in chunks while the
// import streams, and the commit adds the rest: each incident once.
func TestImportIndexesFullTextInChunks(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	sqlite.SetImportFTSChunk(db, 100)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginImport(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		in := storetest.Fixture().Incidents[0]
		in.ID, in.Attributions = fmt.Sprintf("fts:%04d", i), nil
		in.Summary = fmt.Sprintf("numbat%d quokka", i%3)
		if _, err := tx.PutIncident(ctx, &in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	hits := func(q string) int {
		t.Helper()
		var n int
		if err := db.ReadDB().QueryRow(`SELECT count(*) FROM incident_fts WHERE incident_fts MATCH ?`, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := hits("quokka"); n != 1000 {
		t.Errorf("quokka: %d full-text hits; want 1000", n)
	}
	if n := hits("numbat1"); n != 333 {
		t.Errorf("numbat1: %d full-text hits; want 333", n)
	}
	var rows int
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM incident_fts_docsize`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	var incidents int
	if err := db.ReadDB().QueryRow(`SELECT count(*) FROM incident_v WHERE deleted = 0`).Scan(&incidents); err != nil {
		t.Fatal(err)
	}
	if rows != incidents {
		t.Errorf("%d documents in the full-text index for %d incident versions", rows, incidents)
	}
	// Indexed twice, a document's terms are in the index twice: the term
	// counts of fts5vocab show it where MATCH (distinct rowids) does not.
	if _, err := db.ReadDB().Exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, incident_fts, 'row')`); err != nil {
		t.Fatal(err)
	}
	var docs int
	if err := db.ReadDB().QueryRow(`SELECT cnt FROM temp.fts_terms WHERE term = 'quokka'`).Scan(&docs); err != nil {
		t.Fatal(err)
	}
	if docs != 1000 {
		t.Errorf("quokka is in %d documents of the index; want 1000", docs)
	}
}

// An incident put again with sources of its own is refused before those
// sources are written: a rejected row leaves nothing behind, in a new
// namespace (bulk writer) and in one already stored.
func TestImportRepeatWithOwnSourcesWritesNothing(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	for round := range 2 { // the second round's namespace is no longer new
		tx, err := db.BeginImport(ctx, "test", "")
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("dup:%d", round)
		in := storetest.Fixture().Incidents[0]
		in.ID, in.Attributions = id, nil
		if _, err := tx.PutIncident(ctx, &in); err != nil {
			t.Fatal(err)
		}
		src := storetest.Fixture().Sources[0]
		src.ID = id + "/s"
		again := storetest.Fixture().Incidents[0]
		again.ID, again.Attributions = id, nil
		again.Sources = append(again.Sources, src.ID)
		if _, err := tx.PutIncident(ctx, &again, src); err == nil {
			t.Errorf("round %d: %s put twice: no error", round, id)
		} else if e, ok := err.(*plotline.Error); !ok || e.Code != plotline.ECONFLICT {
			t.Errorf("round %d: %s put twice: %v; want ECONFLICT", round, id, err)
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.ReadDB().QueryRow(`SELECT count(*) FROM source_v WHERE id = ?`, src.ID).Scan(&n); err != nil || n != 0 {
			t.Errorf("round %d: the refused row's source was stored (%d versions, %v)", round, n, err)
		}
	}
}
