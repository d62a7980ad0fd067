package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/plotline-dev/plotline"
)

// chunk bounds how many IDs one statement carries.
const chunk = 5000

// Apply validates and writes a batch in one transaction, as one change, and
// notifies listeners of the change ID when it commits.
func (db *DB) Apply(ctx context.Context, b *plotline.Batch) (*plotline.Change, error) {
	if b.By == "" {
		return nil, plotline.FieldError("by", "every change must say who made it")
	}
	rows, err := batchRows(b)
	if err != nil {
		return nil, err
	}
	var ch *plotline.Change
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var err error
		if ch, err = db.applyTx(ctx, tx, b, rows); err != nil {
			return err
		}
		ch.Action = plotline.ActionEdit
		switch {
		case b.Draft:
			return keepAsDraft(ctx, tx, ch)
		case ch.Created+ch.Updated+ch.Deleted == 0:
			// Nothing differs from what is stored: no change is recorded, and
			// the next one takes its ID (the clock's instant stays ahead).
			if _, err := tx.Exec(ctx, `DELETE FROM changes WHERE id = $1`, ch.ID); err != nil {
				return fmt.Errorf("drop empty change: %w", err)
			}
			if _, err := tx.Exec(ctx, `UPDATE clock SET last_change = $1`, ch.ID-1); err != nil {
				return fmt.Errorf("drop empty change: %w", err)
			}
			ch.ID = 0
		}
		return nil
	})
	if err != nil {
		// Deferred foreign keys are checked at commit.
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return nil, constraintError("batch", err)
		}
		return nil, err
	}
	return ch, nil
}

func (db *DB) applyTx(ctx context.Context, tx pgx.Tx, b *plotline.Batch, rows []row) (*plotline.Change, error) {
	changeID, at, err := db.tick(ctx, tx)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO changes (id, recorded_at, recorded_by, note) VALUES ($1, $2, $3, $4)`,
		changeID, at, b.By, b.Note); err != nil {
		return nil, fmt.Errorf("record change: %w", err)
	}
	ch := &plotline.Change{ID: changeID, RecordedAt: timeOf(at), RecordedBy: b.By, Note: b.Note}
	w := writer{tx: tx, change: changeID, at: at}
	for start := 0; start < len(rows); {
		end := start
		for end < len(rows) && end-start < chunk && rows[end].kind == rows[start].kind {
			end++
		}
		if err := w.put(ctx, rows[start:end], ch); err != nil {
			return nil, err
		}
		start = end
	}
	refs, err := deletesWithCascade(ctx, tx, b.Deletes)
	if err != nil {
		return nil, err
	}
	if err := w.delete(ctx, refs, ch); err != nil {
		return nil, err
	}
	if err := checkReferences(ctx, tx, batchReferences(b)); err != nil {
		return nil, err
	}
	if err := checkDeletes(ctx, tx, b.Deletes); err != nil {
		return nil, err
	}
	// Delivered to listeners only if and when the transaction commits.
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, db.channel, strconv.FormatInt(changeID, 10)); err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return ch, nil
}

// tick takes the next change ID and record-clock instant. The row lock is
// held until the transaction ends, so concurrent writers (in this process or
// any other) take turns and each sees the last one's numbers.
func (db *DB) tick(ctx context.Context, tx pgx.Tx) (id, at int64, err error) {
	var last int64
	if err := tx.QueryRow(ctx, `SELECT last_change, last_at FROM clock FOR UPDATE`).Scan(&id, &last); err != nil {
		return 0, 0, fmt.Errorf("lock clock: %w", err)
	}
	id++
	at = max(db.Now().UnixNano(), last+1)
	if _, err := tx.Exec(ctx, `UPDATE clock SET last_change = $1, last_at = $2`, id, at); err != nil {
		return 0, 0, fmt.Errorf("advance clock: %w", err)
	}
	return id, at, nil
}

type writer struct {
	tx     pgx.Tx
	change int64
	at     int64
}

type currentVersion struct {
	version int
	data    *string
	deleted bool
}

// currentVersions returns the current version of each of ids that has one.
func currentVersions(ctx context.Context, tx pgx.Tx, kind string, ids []string) (map[string]currentVersion, error) {
	rows, err := tx.Query(ctx, `SELECT id, version, data, deleted FROM `+kind+`_v WHERE id = ANY($1) AND rec_to IS NULL`, ids)
	if err != nil {
		return nil, fmt.Errorf("read current %s: %w", kind, err)
	}
	defer rows.Close()
	out := make(map[string]currentVersion, len(ids))
	for rows.Next() {
		var id string
		var c currentVersion
		if err := rows.Scan(&id, &c.version, &c.data, &c.deleted); err != nil {
			return nil, fmt.Errorf("read current %s: %w", kind, err)
		}
		out[id] = c
	}
	return out, rows.Err()
}

// put stores rows (all of one kind) as new versions, except those whose
// current version has the same content, and counts what happened in ch.
func (w writer) put(ctx context.Context, rows []row, ch *plotline.Change) error {
	kind := rows[0].kind
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.id
	}
	cur, err := currentVersions(ctx, w.tx, kind, ids)
	if err != nil {
		return err
	}
	var fresh, closing []string
	var inserts [][]any
	for _, r := range rows {
		c, exists := cur[r.id]
		switch {
		case !exists:
			ch.Created++
			fresh = append(fresh, r.id)
		case c.deleted:
			ch.Created++
			closing = append(closing, r.id)
		case c.data != nil && *c.data == string(r.data):
			ch.Unchanged++
			continue
		default:
			ch.Updated++
			closing = append(closing, r.id)
		}
		inserts = append(inserts, append([]any{r.id, c.version + 1, w.change, w.at, string(r.data)}, r.vals...))
	}
	if len(fresh) > 0 {
		if _, err := w.tx.Exec(ctx, `INSERT INTO `+kind+` (id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`, fresh); err != nil {
			return fmt.Errorf("%s identities: %w", kind, err)
		}
	}
	if err := w.close(ctx, kind, closing); err != nil {
		return err
	}
	if len(inserts) == 0 {
		return nil
	}
	cols := append([]string{"id", "version", "change_id", "rec_from", "data"}, rows[0].cols...)
	if _, err := w.tx.CopyFrom(ctx, pgx.Identifier{kind + "_v"}, cols, pgx.CopyFromRows(inserts)); err != nil {
		return constraintError(kind, err)
	}
	return nil
}

func (w writer) close(ctx context.Context, kind string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := w.tx.Exec(ctx, `UPDATE `+kind+`_v SET rec_to = $1 WHERE id = ANY($2) AND rec_to IS NULL`, w.at, ids); err != nil {
		return fmt.Errorf("close %s versions: %w", kind, err)
	}
	return nil
}

// delete writes a tombstone for each ref, in order; deleting a record that
// does not currently exist (or twice) is ENOTFOUND.
func (w writer) delete(ctx context.Context, refs []plotline.Ref, ch *plotline.Change) error {
	byKind := map[string][]string{}
	for _, r := range refs {
		byKind[r.Kind] = append(byKind[r.Kind], r.ID)
	}
	for _, kind := range plotline.RecKinds {
		ids := byKind[kind]
		if len(ids) == 0 {
			continue
		}
		cur, err := currentVersions(ctx, w.tx, kind, ids)
		if err != nil {
			return err
		}
		done := map[string]bool{}
		tombs := make([][]any, 0, len(ids))
		for _, id := range ids {
			c, ok := cur[id]
			if !ok || c.deleted || done[id] {
				return plotline.Errorf(plotline.ENOTFOUND, "%s %q does not exist", kind, id)
			}
			done[id] = true
			tombs = append(tombs, []any{id, c.version + 1, w.change, w.at, true})
		}
		if err := w.close(ctx, kind, ids); err != nil {
			return err
		}
		if _, err := w.tx.CopyFrom(ctx, pgx.Identifier{kind + "_v"}, []string{"id", "version", "change_id", "rec_from", "deleted"},
			pgx.CopyFromRows(tombs)); err != nil {
			return constraintError(kind, err)
		}
		ch.Deleted += len(ids)
	}
	return nil
}

// deletesWithCascade adds the current attributions of every deleted incident:
// a statement about an incident that no longer exists cannot stand.
func deletesWithCascade(ctx context.Context, tx pgx.Tx, refs []plotline.Ref) ([]plotline.Ref, error) {
	out := append([]plotline.Ref(nil), refs...)
	listed := map[plotline.Ref]bool{}
	var incidents []string
	for _, r := range refs {
		listed[r] = true
		if r.Kind == plotline.RecIncident {
			incidents = append(incidents, r.ID)
		}
	}
	if len(incidents) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM attribution_v WHERE incident_id = ANY($1) AND rec_to IS NULL AND NOT deleted ORDER BY incident_id, id`, incidents)
	if err != nil {
		return nil, fmt.Errorf("cascade: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("cascade: %w", err)
	}
	for _, id := range ids {
		ref := plotline.Ref{Kind: plotline.RecAttribution, ID: id}
		if !listed[ref] {
			listed[ref] = true
			out = append(out, ref)
		}
	}
	return out, nil
}

// checkReferences verifies, inside the transaction and after all writes,
// that every reference the batch makes points at a current record; the first
// dangling one, in batch order, is the error.
func checkReferences(ctx context.Context, tx pgx.Tx, refs []refCheck) error {
	want := map[string][]string{}
	for _, r := range refs {
		want[r.kind] = append(want[r.kind], r.id)
	}
	present := map[plotline.Ref]bool{}
	for kind, ids := range want {
		rows, err := tx.Query(ctx, `SELECT DISTINCT id FROM `+kind+`_v WHERE id = ANY($1) AND rec_to IS NULL AND NOT deleted`, ids)
		if err != nil {
			return fmt.Errorf("check references: %w", err)
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("check references: %w", err)
		}
		for _, id := range found {
			present[plotline.Ref{Kind: kind, ID: id}] = true
		}
	}
	for _, r := range refs {
		if !present[plotline.Ref{Kind: r.kind, ID: r.id}] {
			return &plotline.Error{Code: plotline.EINVALID, Field: r.field, Message: fmt.Sprintf("%s %q does not exist", r.kind, r.id)}
		}
	}
	return nil
}

// checkDeletes refuses deletes that would leave current records pointing at
// a deleted actor or source.
func checkDeletes(ctx context.Context, tx pgx.Tx, refs []plotline.Ref) error {
	for _, r := range refs {
		var q string
		switch r.Kind {
		case plotline.RecActor:
			q = `SELECT (SELECT count(*) FROM attribution_v WHERE actor_id = $1 AND rec_to IS NULL AND NOT deleted) +
			            (SELECT count(*) FROM affiliation_v WHERE (child_id = $1 OR parent_id = $1) AND rec_to IS NULL AND NOT deleted)`
		case plotline.RecSource:
			q = `SELECT (SELECT count(*) FROM incident_v WHERE rec_to IS NULL AND NOT deleted AND data::jsonb->'sources' ? $1) +
			            (SELECT count(*) FROM attribution_v WHERE rec_to IS NULL AND NOT deleted AND data::jsonb->'sources' @> jsonb_build_array(jsonb_build_object('id', $1::text))) +
			            (SELECT count(*) FROM actor_v WHERE rec_to IS NULL AND NOT deleted AND data::jsonb->'sources' ? $1) +
			            (SELECT count(*) FROM affiliation_v WHERE rec_to IS NULL AND NOT deleted AND data::jsonb->'sources' ? $1)`
		default:
			continue
		}
		var n int
		if err := tx.QueryRow(ctx, q, r.ID).Scan(&n); err != nil {
			return fmt.Errorf("check delete of %s %q: %w", r.Kind, r.ID, err)
		}
		if n > 0 {
			return plotline.Errorf(plotline.ECONFLICT, "%s %q is still referenced by %d current records", r.Kind, r.ID, n)
		}
	}
	return nil
}

// constraintError turns an integrity-constraint violation (SQLSTATE class
// 23) into EINVALID; anything else stays internal.
func constraintError(kind string, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && len(pe.Code) == 5 && pe.Code[:2] == "23" {
		return plotline.Errorf(plotline.EINVALID, "%s: %s", kind, pe.Message)
	}
	return fmt.Errorf("%s: %w", kind, err)
}
