package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/plotline-dev/plotline"
)

var _ plotline.ImportStore = (*DB)(nil)

// importTx is the fast write path of an import: one transaction, one
// change, prepared statements reused across rows. It keeps the versioning
// of Apply (same row builders, same tables): an unchanged record is left
// alone, a changed one gets a new version, and every reference is checked
// before the row is written, so a failed put leaves nothing behind.
type importTx struct {
	db    *DB
	tx    *sql.Tx
	w     writer
	ch    plotline.Change
	stmts map[string]*sql.Stmt
	// inserts holds the version insert of each kind, found without
	// building its SQL text for every row.
	inserts map[string]*sql.Stmt
	exists  map[plotline.Ref]bool // referenced records found current (not every record written: memory stays flat)
	fts     string                // the suspended full-text trigger, to restore at commit
	// ftsDone is the rowid of incident_v up to which this import's versions
	// are in the full-text index; ftsPending counts those written since.
	// Both belong to the bulk writer's goroutine while it runs.
	ftsDone    int64
	ftsPending int
	fresh      map[freshKey]bool // nothing stored under this kind and ID namespace before
	done       bool

	// Secondary indexes of a version table are dropped once this import
	// has written as many versions to it as it held before (and at least
	// deferAfter), and built again at commit: one sorted build instead of
	// an index insert per version. deferred holds their CREATE statements;
	// noDefer is set once a query that needs them has run.
	written  map[string]int   // versions written per kind
	before   map[string]int64 // versions stored per kind at the first write (max rowid)
	deferred []string
	noDefer  bool

	// bulk writes the versions of new records (putFresh) in batches on a
	// goroutine of its own; seen holds every ID put, to find one put twice
	// without a lookup.
	bulk *bulkWriter
	seen seenIDs
}

// BeginImport starts a streaming import recorded as one change by by.
func (db *DB) BeginImport(ctx context.Context, by, note string) (plotline.ImportTx, error) {
	if by == "" {
		return nil, plotline.FieldError("by", "every change must say who made it")
	}
	// A large import needs a bigger page cache than the default 2 MiB (the
	// working set of the indexes it keeps up to date). Temporary files stay
	// files (temp_store is not MEMORY): the sorts that rebuild the deferred
	// indexes at commit would otherwise hold the whole index in memory (an
	// ACLED import of 1 M rows peaked at 769 MB resident instead of 278 MB,
	// in the same time). 64 MiB, not more: every page the cache grows by is
	// allocated and, when the import ends and the cache shrinks back, freed
	// one by one; at 512 MiB that cost a fifth of the CPU time of a 100,000-row
	// ACLED import (profile of BenchmarkImportACLED), while writing pages
	// that fall out of a 64 MiB cache costs no more: they go to the WAL early
	// instead of at commit. Commit and Rollback return to the default.
	//
	// Foreign keys are off for the transaction: SQLite would look up every
	// parent of every version written (and the identity row of each new
	// record, written before its version), while the import checks each
	// reference itself before writing (mustExist) and writes the identity
	// rows of new records in one sorted insert at commit. The pragma
	// belongs to the connection; Commit and Rollback turn it back on.
	for _, p := range []string{`PRAGMA cache_size = -65536`, `PRAGMA foreign_keys = OFF`} {
		if _, err := db.write.ExecContext(ctx, p); err != nil {
			resetImportPragmas(db)
			return nil, fmt.Errorf("begin import: %w", err)
		}
	}
	t, err := db.beginImportTx(ctx, by, note)
	if err != nil {
		resetImportPragmas(db)
		return nil, err
	}
	return t, nil
}

// beginImportTx opens the import's transaction and records its change.
func (db *DB) beginImportTx(ctx context.Context, by, note string) (*importTx, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	var lastAt sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(recorded_at) FROM changes`).Scan(&lastAt); err != nil {
		tx.Rollback() //nolint:errcheck // the query error is the one to report
		return nil, err
	}
	db.mu.Lock()
	db.last = max(db.last, lastAt.Int64)
	db.mu.Unlock()
	at := db.tick()
	res, err := tx.ExecContext(ctx, `INSERT INTO changes (recorded_at, recorded_by, note) VALUES (?, ?, ?)`, at, by, note)
	if err != nil {
		tx.Rollback() //nolint:errcheck // the insert error is the one to report
		return nil, fmt.Errorf("record change: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		tx.Rollback() //nolint:errcheck // the id error is the one to report
		return nil, err
	}
	stmts := map[string]*sql.Stmt{}
	t := &importTx{
		db: db, tx: tx, w: writer{tx: tx, change: id, at: at, stmts: stmts},
		ch:      plotline.Change{ID: id, RecordedAt: timeOf(at), RecordedBy: by, Note: note},
		stmts:   stmts,
		inserts: map[string]*sql.Stmt{},
		exists:  map[plotline.Ref]bool{},
		fresh:   map[freshKey]bool{},
		written: map[string]int{},
		before:  map[string]int64{},
	}
	if err := t.suspendFTS(ctx); err != nil {
		tx.Rollback() //nolint:errcheck // the trigger error is the one to report
		return nil, err
	}
	t.bulk = newBulkWriter(tx, t.indexFTSAhead)
	return t, nil
}

// ftsTrigger is the full-text trigger of migration 0002 as stored in
// sqlite_master, whitespace-normalised.
const ftsTrigger = `CREATE TRIGGER incident_v_fts AFTER INSERT ON incident_v WHEN new.deleted = 0 BEGIN INSERT INTO incident_fts (rowid, title, summary) VALUES (new.rowid, coalesce(json_extract(new.data, '$.title'), ''), coalesce(json_extract(new.data, '$.summary'), '')); END`

// suspendFTS drops the full-text trigger for the rest of the transaction
// and returns its SQL for resumeFTS ("" if it was not there or not in the
// shape of migration 0002, and then it fires row by row as before). FTS5
// flushes its pending terms at every statement savepoint, which row-by-row
// triggering makes the largest cost of a big write; resumeFTS indexes the
// change's incident versions in one statement instead. A rollback restores
// the trigger with everything else.
func suspendFTS(ctx context.Context, tx *sql.Tx) (string, error) {
	var stored string
	err := tx.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'incident_v_fts'`).Scan(&stored)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if strings.Join(strings.Fields(stored), " ") != ftsTrigger {
		return "", nil
	}
	if _, err := tx.ExecContext(ctx, `DROP TRIGGER incident_v_fts`); err != nil {
		return "", fmt.Errorf("suspend full-text trigger: %w", err)
	}
	return stored, nil
}

// resumeFTS indexes change's incident versions after rowid done (those up
// to it are indexed already) and restores the trigger.
func resumeFTS(ctx context.Context, tx *sql.Tx, trigger string, change, done int64) error {
	if trigger == "" {
		return nil
	}
	if err := indexFTS(ctx, tx, change, done, math.MaxInt64); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, trigger); err != nil {
		return fmt.Errorf("restore full-text trigger: %w", err)
	}
	return nil
}

func (t *importTx) suspendFTS(ctx context.Context) error {
	stored, err := suspendFTS(ctx, t.tx)
	t.fts = stored
	return err
}

// indexFTS adds change's incident versions with rowids in (after, upTo] to
// the full-text index, in one statement: FTS5 writes a segment per statement.
func indexFTS(ctx context.Context, tx *sql.Tx, change, after, upTo int64) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO incident_fts (rowid, title, summary)
		SELECT rowid, coalesce(json_extract(data, '$.title'), ''), coalesce(json_extract(data, '$.summary'), '')
		FROM incident_v WHERE change_id = ? AND rowid > ? AND rowid <= ? AND deleted = 0`, change, after, upTo); err != nil {
		return fmt.Errorf("full-text index: %w", err)
	}
	return nil
}

func (t *importTx) resumeFTS(ctx context.Context) error {
	return resumeFTS(ctx, t.tx, t.fts, t.w.change, t.ftsDone)
}

// indexFTSAhead runs on the bulk writer's goroutine after each batch: every
// db.ftsChunk incident versions, it indexes those written so far.
func (t *importTx) indexFTSAhead(ctx context.Context, table string, rows int) error {
	if t.fts == "" || table != "incident_v" {
		return nil
	}
	t.ftsPending += rows
	if t.ftsPending < t.db.ftsChunk {
		return nil
	}
	var upTo int64
	if err := t.tx.QueryRowContext(ctx, `SELECT max(rowid) FROM incident_v`).Scan(&upTo); err != nil {
		return err
	}
	if err := indexFTS(ctx, t.tx, t.w.change, t.ftsDone, upTo); err != nil {
		return err
	}
	t.ftsDone, t.ftsPending = upTo, 0
	return nil
}

// quiet writes the queued versions of new records and waits for the
// writer goroutine: every statement of the import but those batches runs
// after it, and so sees every record put before.
func (t *importTx) quiet() error { return t.bulk.sync() }

func (t *importTx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := t.stmts[q]; ok {
		return s, nil
	}
	s, err := t.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	t.stmts[q] = s
	return s, nil
}

// put is writer.put with prepared statements. A record already written by
// this import is an error: one source record must not appear twice.
func (t *importTx) put(ctx context.Context, r row) (plotline.PutResult, error) {
	fresh, err := t.freshPrefix(ctx, r.kind, r.id)
	if err != nil {
		return 0, err
	}
	if fresh {
		return t.putFresh(ctx, r)
	}
	t.seen.add(r.kind, r.id) // for putBefore; a repeat is found below by its change
	if err := t.quiet(); err != nil {
		return 0, err
	}
	sel, err := t.stmt(ctx, `SELECT version, data, deleted, change_id FROM `+r.kind+`_v WHERE id = ? AND rec_to IS NULL`)
	if err != nil {
		return 0, err
	}
	var version int
	var data sql.NullString
	var deleted bool
	var change int64
	err = sel.QueryRowContext(ctx, r.id).Scan(&version, &data, &deleted, &change)
	created := errors.Is(err, sql.ErrNoRows)
	switch {
	case created:
		ins, err := t.stmt(ctx, `INSERT OR IGNORE INTO `+r.kind+` (id) VALUES (?)`)
		if err != nil {
			return 0, err
		}
		if _, err := ins.ExecContext(ctx, r.id); err != nil {
			return 0, fmt.Errorf("%s %q: %w", r.kind, r.id, err)
		}
	case err != nil:
		return 0, fmt.Errorf("%s %q: %w", r.kind, r.id, err)
	case change == t.w.change:
		return 0, twice(r)
	case !deleted && data.String == string(r.data):
		t.ch.Unchanged++
		return plotline.PutUnchanged, nil
	default:
		cl, err := t.stmt(ctx, `UPDATE `+r.kind+`_v SET rec_to = ? WHERE id = ? AND rec_to IS NULL`)
		if err != nil {
			return 0, err
		}
		if _, err := cl.ExecContext(ctx, t.w.at, r.id); err != nil {
			return 0, fmt.Errorf("%s %q: %w", r.kind, r.id, err)
		}
	}
	if err := t.insertVersion(ctx, r, version+1); err != nil {
		return 0, err
	}
	if created || deleted {
		t.ch.Created++
		return plotline.PutCreated, nil
	}
	t.ch.Updated++
	return plotline.PutUpdated, nil
}

// freshPrefix reports whether no record of kind was ever stored under the
// ID's namespace ("gtd:" in "gtd:201701010001"; for an ID without a colon,
// the whole kind) before this import: then every put is a creation and the
// lookup of a current version is skipped. A repeated ID within the import
// still fails, on the identity table's key.
func (t *importTx) freshPrefix(ctx context.Context, kind, id string) (bool, error) {
	ns := id[:strings.IndexByte(id, ':')+1] // "" without a colon
	key := freshKey{kind, ns}
	if f, ok := t.fresh[key]; ok {
		return f, nil
	}
	if err := t.quiet(); err != nil {
		return false, err
	}
	var n int
	var err error
	if ns == "" {
		err = t.tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+kind+` LIMIT 1)`).Scan(&n)
	} else {
		err = t.tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM `+kind+` WHERE id >= ? AND id < ? LIMIT 1)`, ns, ns[:len(ns)-1]+";").Scan(&n)
	}
	if err != nil {
		return false, err
	}
	t.fresh[key] = n == 0
	return n == 0, nil
}

// putBefore reports whether this import has put r's record already: every
// put adds its ID to t.seen, so only a "maybe" is looked up.
func (t *importTx) putBefore(ctx context.Context, r row) (bool, error) {
	if !t.seen.test(r.kind, r.id) {
		return false, nil
	}
	if err := t.quiet(); err != nil {
		return false, err
	}
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT count(*) FROM `+r.kind+`_v WHERE id = ? AND change_id = ?`, r.id, t.w.change).Scan(&n)
	return n > 0, err
}

// refuseRepeats fails when one of the records of an incident (its own
// sources, itself, its attributions) was put before in this import, or
// appears twice among them: checked before any is written, so a refused
// row leaves nothing behind.
func (t *importTx) refuseRepeats(ctx context.Context, srcRows []row, in row, attrRows []row) error {
	rows := make([]row, 0, len(srcRows)+1+len(attrRows))
	rows = append(append(append(rows, srcRows...), in), attrRows...)
	for i, r := range rows {
		for _, q := range rows[:i] {
			if q.kind == r.kind && q.id == r.id {
				return twice(r)
			}
		}
		again, err := t.putBefore(ctx, r)
		if err != nil {
			return err
		}
		if again {
			return twice(r)
		}
	}
	return nil
}

// twice is the error for a record put a second time in one import; it
// names the ID field, so the importer's row error names a column.
func twice(r row) error {
	return &plotline.Error{Code: plotline.ECONFLICT, Field: r.kind + ".id", Message: fmt.Sprintf("%s %q appears twice in this import", r.kind, r.id)}
}

// freshKey is a record kind and an ID namespace ("gtd:").
type freshKey struct{ kind, ns string }

// putFresh queues version 1 of a record in a namespace new to its kind for
// the bulk writer. Its identity row is written at commit (addIdentities).
// A second put of the same record is the caller's error, reported now
// (putBefore), not by a failed batch.
func (t *importTx) putFresh(ctx context.Context, r row) (plotline.PutResult, error) {
	again, err := t.putBefore(ctx, r)
	if err != nil {
		return 0, err
	}
	if again {
		return 0, twice(r)
	}
	t.seen.add(r.kind, r.id)
	if err := t.wrote(ctx, r.kind); err != nil {
		return 0, err
	}
	vals := make([]any, 5, 5+len(r.vals))
	vals[0], vals[1], vals[2], vals[3], vals[4] = r.id, 1, t.w.change, t.w.at, string(r.data)
	if err := t.bulk.add(ctx, r.kind+"_v", versionCols(r), append(vals, r.vals...)...); err != nil {
		return 0, err
	}
	t.ch.Created++
	return plotline.PutCreated, nil
}

// versionCols are the columns of r's version table that a version sets.
func versionCols(r row) []string {
	return append([]string{"id", "version", "change_id", "rec_from", "data"}, r.cols...)
}

// addIdentities writes the identity rows of the records putFresh created:
// every version 1 in the namespaces that were fresh, read in ID order from
// the version table's key (a covering scan), so each identity table's
// B-tree is appended to instead of searched once per record.
func (t *importTx) addIdentities(ctx context.Context) error {
	for key, fresh := range t.fresh {
		if !fresh {
			continue
		}
		// OR IGNORE: a fresh kind without namespace ("") covers the fresh
		// namespaces of the same kind too.
		q := `INSERT OR IGNORE INTO ` + key.kind + ` (id) SELECT id FROM ` + key.kind + `_v WHERE version = 1`
		var args []any
		if key.ns != "" {
			q += ` AND id >= ? AND id < ?`
			args = append(args, key.ns, key.ns[:len(key.ns)-1]+";")
		}
		if _, err := t.tx.ExecContext(ctx, q+` ORDER BY id`, args...); err != nil {
			return fmt.Errorf("%s identities: %w", key.kind, err)
		}
	}
	return nil
}

func (t *importTx) insertVersion(ctx context.Context, r row, version int) error {
	if err := t.wrote(ctx, r.kind); err != nil {
		return err
	}
	ins := t.inserts[r.kind] // every row of a kind has the same columns
	if ins == nil {
		cols := versionCols(r)
		var err error
		ins, err = t.stmt(ctx, `INSERT INTO `+r.kind+`_v (`+strings.Join(cols, ", ")+`) VALUES (?`+strings.Repeat(", ?", len(cols)-1)+`)`)
		if err != nil {
			return err
		}
		t.inserts[r.kind] = ins
	}
	vals := make([]any, 5, 5+len(r.vals))
	vals[0], vals[1], vals[2], vals[3], vals[4] = r.id, version, t.w.change, t.w.at, string(r.data)
	vals = append(vals, r.vals...)
	if _, err := ins.ExecContext(ctx, vals...); err != nil {
		return constraintError(r.kind, r.id, err)
	}
	return nil
}

// wrote counts a version about to be written to kind and defers the
// secondary indexes of its table when the import has become the larger
// part of it.
func (t *importTx) wrote(ctx context.Context, kind string) error {
	n := t.written[kind] + 1
	t.written[kind] = n
	if n == 1 {
		if err := t.quiet(); err != nil {
			return err
		}
		var rows sql.NullInt64
		if err := t.tx.QueryRowContext(ctx, `SELECT max(rowid) FROM `+kind+`_v`).Scan(&rows); err != nil {
			return fmt.Errorf("%s: %w", kind, err)
		}
		t.before[kind] = rows.Int64
	}
	if t.noDefer || n < t.db.deferAfter || int64(n) != max(t.before[kind], int64(t.db.deferAfter)) {
		return nil
	}
	return t.deferIndexes(ctx, kind+"_v")
}

// deferIndexes drops the non-unique secondary indexes of table for the rest
// of the import. Lookups the import itself makes use the primary keys;
// those that need a secondary index call restoreIndexes first. Unique
// indexes stay: a violation must fail the row that causes it.
func (t *importTx) deferIndexes(ctx context.Context, table string) error {
	if err := t.quiet(); err != nil {
		return err
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT m.name, m.sql FROM sqlite_master m JOIN pragma_index_list(?) l ON l.name = m.name
		WHERE m.type = 'index' AND l.origin = 'c' AND l."unique" = 0 AND m.sql IS NOT NULL ORDER BY m.name`, table)
	if err != nil {
		return fmt.Errorf("defer indexes of %s: %w", table, err)
	}
	var names, stmts []string
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			rows.Close()
			return err
		}
		names, stmts = append(names, name), append(stmts, q)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, name := range names {
		if !worthDeferring(name) {
			continue
		}
		if _, err := t.tx.ExecContext(ctx, `DROP INDEX "`+strings.ReplaceAll(name, `"`, `""`)+`"`); err != nil {
			return fmt.Errorf("defer index %s: %w", name, err)
		}
		t.deferred = append(t.deferred, stmts[i])
	}
	return nil
}

// worthDeferring reports whether rebuilding an index at commit costs less
// than keeping it up to date. Each rebuild reads the whole version table.
// Two kinds of index of migration 0006 cost an import next to nothing
// row by row, so they stay: *_pending holds only drafts (an import writes
// published versions: nothing to insert), *_change is keyed by the change
// (one key for the whole import: every insert appends).
func worthDeferring(index string) bool {
	return !strings.HasSuffix(index, "_pending") && !strings.HasSuffix(index, "_change")
}

// restoreIndexes builds every deferred index now and defers no more.
func (t *importTx) restoreIndexes(ctx context.Context) error {
	if err := t.quiet(); err != nil {
		return err
	}
	t.noDefer = true
	for len(t.deferred) > 0 {
		if _, err := t.tx.ExecContext(ctx, t.deferred[0]); err != nil {
			return fmt.Errorf("rebuild index: %w", err)
		}
		t.deferred = t.deferred[1:]
	}
	return nil
}

// mustExist checks that a referenced record is current, in this import or
// before it. field names the reference in the error; it is called only
// then, as nearly every reference is to a record already found.
func (t *importTx) mustExist(ctx context.Context, field func() string, kind, id string) error {
	ref := plotline.Ref{Kind: kind, ID: id}
	if t.exists[ref] {
		return nil
	}
	if err := t.quiet(); err != nil {
		return err
	}
	s, err := t.stmt(ctx, `SELECT count(*) FROM `+kind+`_v WHERE id = ? AND rec_to IS NULL AND deleted = 0`)
	if err != nil {
		return err
	}
	var n int
	if err := s.QueryRowContext(ctx, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return &plotline.Error{Code: plotline.EINVALID, Field: field(), Message: fmt.Sprintf("%s %q does not exist", kind, id)}
	}
	t.exists[ref] = true
	return nil
}

func firstInvalid(prefix string, errs []*plotline.Error) error {
	if len(errs) == 0 {
		return nil
	}
	e := *errs[0]
	e.Field = prefix + e.Field
	if len(errs) > 1 {
		e.Message = fmt.Sprintf("%s (and %d more errors)", e.Message, len(errs)-1)
	}
	return &e
}

func (t *importTx) live() error {
	if t.done {
		return plotline.Errorf(plotline.ECONFLICT, "import already committed or rolled back")
	}
	return nil
}

// PutSource stores one source.
func (t *importTx) PutSource(ctx context.Context, s *plotline.Source) (plotline.PutResult, error) {
	if err := t.live(); err != nil {
		return 0, err
	}
	if err := firstInvalid("source.", s.Validate()); err != nil {
		return 0, err
	}
	r, err := sourceRow(s)
	if err != nil {
		return 0, err
	}
	return t.put(ctx, r)
}

// PutActor stores one actor; its sources must exist.
func (t *importTx) PutActor(ctx context.Context, a *plotline.Actor) (plotline.PutResult, error) {
	if err := t.live(); err != nil {
		return 0, err
	}
	if err := firstInvalid("actor.", a.Validate()); err != nil {
		return 0, err
	}
	for i, id := range a.Sources {
		if err := t.mustExist(ctx, func() string { return fmt.Sprintf("actor.sources[%d]", i) }, plotline.RecSource, id); err != nil {
			return 0, err
		}
	}
	r, err := actorRow(a)
	if err != nil {
		return 0, err
	}
	return t.put(ctx, r)
}

// PutIncident stores an incident and its attributions, and tombstones the
// incident's current attributions that the new record no longer carries.
func (t *importTx) PutIncident(ctx context.Context, in *plotline.Incident, sources ...plotline.Source) (plotline.PutResult, error) {
	if err := t.live(); err != nil {
		return 0, err
	}
	srcRows := make([]row, len(sources))
	for i := range sources {
		if err := firstInvalid(fmt.Sprintf("sources[%d].", i), sources[i].Validate()); err != nil {
			return 0, err
		}
		r, err := sourceRow(&sources[i])
		if err != nil {
			return 0, err
		}
		srcRows[i] = r
	}
	for i := range in.Attributions {
		if in.Attributions[i].IncidentID == "" {
			in.Attributions[i].IncidentID = in.ID
		}
		if in.Attributions[i].IncidentID != in.ID {
			return 0, plotline.FieldError(fmt.Sprintf("incident.attributions[%d].incident", i), "%q does not match the incident %q", in.Attributions[i].IncidentID, in.ID)
		}
	}
	if err := firstInvalid("incident.", in.Validate()); err != nil {
		return 0, err
	}
	var own map[string]bool // nil (and empty) for the usual record without sources of its own
	for _, r := range srcRows {
		if own == nil {
			own = make(map[string]bool, len(srcRows))
		}
		own[r.id] = true
	}
	for i, id := range in.Sources {
		if own[id] {
			continue
		}
		if err := t.mustExist(ctx, func() string { return fmt.Sprintf("incident.sources[%d]", i) }, plotline.RecSource, id); err != nil {
			return 0, err
		}
	}
	for i := range in.Attributions {
		a := &in.Attributions[i]
		if err := t.mustExist(ctx, func() string { return fmt.Sprintf("incident.attributions[%d].actor", i) }, plotline.RecActor, a.ActorID); err != nil {
			return 0, err
		}
		for j, s := range a.Sources {
			if own[s.ID] {
				continue
			}
			if err := t.mustExist(ctx, func() string { return fmt.Sprintf("incident.attributions[%d].sources[%d]", i, j) }, plotline.RecSource, s.ID); err != nil {
				return 0, err
			}
		}
	}
	r, err := incidentRow(*in)
	if err != nil {
		return 0, err
	}
	attrRows := make([]row, len(in.Attributions))
	for i := range in.Attributions {
		if attrRows[i], err = attributionRow(&in.Attributions[i]); err != nil {
			return 0, err
		}
	}
	if err := t.refuseRepeats(ctx, srcRows, r, attrRows); err != nil {
		return 0, err
	}
	for _, sr := range srcRows {
		if _, err := t.put(ctx, sr); err != nil {
			return 0, err
		}
	}
	res, err := t.put(ctx, r)
	if err != nil {
		return 0, err
	}
	var keep map[string]bool // the attributions the incident carries, when it was stored before
	if res != plotline.PutCreated {
		keep = make(map[string]bool, len(in.Attributions))
	}
	for _, ar := range attrRows {
		ares, err := t.put(ctx, ar)
		if err != nil {
			return 0, err
		}
		if ares != plotline.PutUnchanged && res == plotline.PutUnchanged {
			res = plotline.PutUpdated
		}
		if keep != nil {
			keep[ar.id] = true
		}
	}
	if res == plotline.PutCreated {
		return res, nil // a new incident has no older statements
	}
	gone, err := t.staleAttributions(ctx, in.ID, keep)
	if err != nil {
		return 0, err
	}
	for _, id := range gone {
		if _, err := t.w.delete(ctx, plotline.Ref{Kind: plotline.RecAttribution, ID: id}); err != nil {
			return 0, err
		}
		t.ch.Deleted++
		res = plotline.PutUpdated
	}
	return res, nil
}

func (t *importTx) staleAttributions(ctx context.Context, incident string, keep map[string]bool) ([]string, error) {
	// Without its index on incident_id this is a scan of every attribution.
	if err := t.restoreIndexes(ctx); err != nil {
		return nil, err
	}
	s, err := t.stmt(ctx, `SELECT id FROM attribution_v WHERE incident_id = ? AND rec_to IS NULL AND deleted = 0`)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(ctx, incident)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var gone []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if !keep[id] {
			gone = append(gone, id)
		}
	}
	return gone, rows.Err()
}

// AddPendingName records (or refreshes) an unmatched name in the review list.
func (t *importTx) AddPendingName(ctx context.Context, p *plotline.PendingName) error {
	if err := t.live(); err != nil {
		return err
	}
	if err := t.quiet(); err != nil {
		return err
	}
	return addPendingName(ctx, t.tx, p, t.w.at)
}

// Commit makes the import visible. An import that changed nothing leaves
// no change behind.
func (t *importTx) Commit() (*plotline.Change, error) {
	if err := t.live(); err != nil {
		return nil, err
	}
	t.done = true
	defer resetImportPragmas(t.db)
	defer t.closeStmts()
	ctx := context.Background()
	if err := t.bulk.close(true); err != nil {
		t.tx.Rollback() //nolint:errcheck // the write error is the one to report
		return nil, err
	}
	if err := t.addIdentities(ctx); err != nil {
		t.tx.Rollback() //nolint:errcheck // the insert error is the one to report
		return nil, err
	}
	if err := t.restoreIndexes(ctx); err != nil {
		t.tx.Rollback() //nolint:errcheck // the index error is the one to report
		return nil, err
	}
	if err := t.resumeFTS(ctx); err != nil {
		t.tx.Rollback() //nolint:errcheck // the index error is the one to report
		return nil, err
	}
	if t.ch.Created+t.ch.Updated+t.ch.Deleted == 0 {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM changes WHERE id = ?`, t.w.change); err != nil {
			t.tx.Rollback() //nolint:errcheck // the delete error is the one to report
			return nil, err
		}
		t.ch.ID = 0
	}
	if err := t.tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit import: %w", err)
	}
	ch := t.ch
	return &ch, nil
}

// Rollback abandons the import; after Commit it is a no-op.
func (t *importTx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	t.bulk.close(false) //nolint:errcheck // nothing queued is written: no error to report
	t.closeStmts()
	err := t.tx.Rollback()
	resetImportPragmas(t.db)
	return err
}

// resetImportPragmas returns the write connection to its settings outside
// an import: the default page cache, foreign keys enforced.
func resetImportPragmas(db *DB) {
	//nolint:errcheck // a cache size left high only costs memory until the next import
	db.write.ExecContext(context.Background(), `PRAGMA cache_size = -2000`)
	if _, err := db.write.ExecContext(context.Background(), `PRAGMA foreign_keys = ON`); err != nil {
		// No write may run without its checks: drop the idle connection,
		// the pool opens a new one with the pragmas of the DSN.
		db.write.SetMaxIdleConns(0)
		db.write.SetMaxIdleConns(1)
	}
}

func (t *importTx) closeStmts() {
	for _, s := range t.stmts {
		s.Close() //nolint:errcheck // closing a statement of a finished transaction cannot fail usefully
	}
}
