package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/plotline-dev/plotline"
)

// The review workflow and the audit log, as in internal/sqlite/workflow.go
// (see workflow.go in the root package for the model and migration 0006 for
// how drafts stay out of every other read).

var _ plotline.Workflow = (*DB)(nil)

// pgq is the pool or one transaction.
type pgq interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// keepAsDraft turns the versions change ch just wrote through the ordinary
// write path into a draft, inside the batch's transaction.
func keepAsDraft(ctx context.Context, tx pgx.Tx, ch *plotline.Change) error {
	at := ch.RecordedAt.UnixNano()
	for _, kind := range plotline.RecKinds {
		t := kind + "_v"
		for _, q := range []string{
			`UPDATE ` + t + ` SET status = 'superseded' WHERE status IN ('draft', 'returned') AND id IN (SELECT id FROM ` + t + ` WHERE change_id = $1)`,
			`UPDATE ` + t + ` SET rec_to = NULL WHERE id IN (SELECT id FROM ` + t + ` WHERE change_id = $1) AND rec_to = $2 AND change_id <> $1`,
			`UPDATE ` + t + ` SET status = 'draft', version = -change_id, rec_to = rec_from WHERE change_id = $1`,
		} {
			args := []any{ch.ID}
			if strings.Contains(q, "$2") {
				args = append(args, at)
			}
			if _, err := tx.Exec(ctx, q, args...); err != nil {
				return fmt.Errorf("keep %s versions as a draft: %w", kind, err)
			}
		}
	}
	return setAction(ctx, tx, ch, plotline.ActionDraft, 0)
}

func setAction(ctx context.Context, tx pgx.Tx, ch *plotline.Change, action string, target int64) error {
	var t any
	if target != 0 {
		t = target
	}
	if _, err := tx.Exec(ctx, `UPDATE changes SET action = $1, target = $2 WHERE id = $3`, action, t, ch.ID); err != nil {
		return fmt.Errorf("record change action: %w", err)
	}
	ch.Action, ch.Target = action, target
	return nil
}

type draftVersion struct {
	kind, id string
	version  int
	deleted  bool
	data     []byte
	status   string
}

// changeVersions lists the versions change wrote whose status is one of
// statuses (all when none), in kind order then by ID.
func changeVersions(ctx context.Context, q pgq, change int64, statuses ...string) ([]draftVersion, error) {
	var out []draftVersion
	for _, kind := range plotline.RecKinds {
		query := `SELECT id, version, deleted, data, status FROM ` + kind + `_v WHERE change_id = $1`
		args := []any{change}
		if len(statuses) > 0 {
			query += ` AND status = ANY($2)`
			args = append(args, statuses)
		}
		rows, err := q.Query(ctx, query+` ORDER BY id`, args...)
		if err != nil {
			return nil, fmt.Errorf("versions of change %d: %w", change, err)
		}
		var v draftVersion
		var version int32
		var data *string
		_, err = pgx.ForEachRow(rows, []any{&v.id, &version, &v.deleted, &data, &v.status}, func() error {
			o := v
			o.kind, o.version = kind, int(version)
			if data != nil {
				o.data = []byte(*data)
			}
			out = append(out, o)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("versions of change %d: %w", change, err)
		}
	}
	return out, nil
}

func getChange(ctx context.Context, q pgq, id int64) (*plotline.Change, error) {
	c := plotline.Change{ID: id}
	var at int64
	err := q.QueryRow(ctx, `SELECT recorded_at, recorded_by, note, action, coalesce(target, 0) FROM changes WHERE id = $1`, id).
		Scan(&at, &c.RecordedBy, &c.Note, &c.Action, &c.Target)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, plotline.Errorf(plotline.ENOTFOUND, "change %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("change %d: %w", id, err)
	}
	c.RecordedAt = timeOf(at)
	return &c, nil
}

func mustBeDraft(c *plotline.Change) error {
	if c.Action != plotline.ActionDraft {
		return plotline.Errorf(plotline.EINVALID, "change %d is not a draft (it is a%s %s)", c.ID, article(c.Action), c.Action)
	}
	return nil
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}

// writeTx runs fn in a write transaction, mapping constraint failures at
// commit as Apply does.
func (db *DB) writeTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	err := pgx.BeginFunc(ctx, db.pool, fn)
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return constraintError("batch", err)
	}
	return err
}

// applyAs writes b through the ordinary write path inside tx and records
// the change's action and target.
func (db *DB) applyAs(ctx context.Context, tx pgx.Tx, b *plotline.Batch, action string, target int64) (*plotline.Change, error) {
	rows, err := batchRows(b)
	if err != nil {
		return nil, err
	}
	ch, err := db.applyTx(ctx, tx, b, rows)
	if err != nil {
		return nil, err
	}
	if err := setAction(ctx, tx, ch, action, target); err != nil {
		return nil, err
	}
	return ch, nil
}

func setStatus(ctx context.Context, tx pgx.Tx, change int64, to string, from ...string) error {
	for _, kind := range plotline.RecKinds {
		if _, err := tx.Exec(ctx, `UPDATE `+kind+`_v SET status = $1 WHERE change_id = $2 AND status = ANY($3)`, to, change, from); err != nil {
			return fmt.Errorf("mark draft %d %s: %w", change, to, err)
		}
	}
	return nil
}

// Publish writes a pending or returned draft's records as published versions.
func (db *DB) Publish(ctx context.Context, change int64, by, note string) (*plotline.Change, error) {
	if by == "" {
		return nil, plotline.FieldError("by", "every change must say who made it")
	}
	var ch *plotline.Change
	err := db.writeTx(ctx, func(tx pgx.Tx) error {
		d, err := getChange(ctx, tx, change)
		if err != nil {
			return err
		}
		if err := mustBeDraft(d); err != nil {
			return err
		}
		vs, err := changeVersions(ctx, tx, change, plotline.StatusDraft, plotline.StatusReturned)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			return plotline.Errorf(plotline.ECONFLICT, "draft %d has nothing left to publish (published already, or replaced by a later draft)", change)
		}
		b := &plotline.Batch{By: by, Note: cmp.Or(note, fmt.Sprintf("publish draft %d", change))}
		for _, v := range vs {
			if err := b.Add(v.kind, v.id, v.data); err != nil {
				return err
			}
		}
		if ch, err = db.applyAs(ctx, tx, b, plotline.ActionPublish, change); err != nil {
			return err
		}
		return setStatus(ctx, tx, change, plotline.StatusPublished, plotline.StatusDraft, plotline.StatusReturned)
	})
	return ch, err
}

// Return sends a pending draft back with a comment.
func (db *DB) Return(ctx context.Context, change int64, by, note string) (*plotline.Change, error) {
	if by == "" {
		return nil, plotline.FieldError("by", "every change must say who made it")
	}
	if strings.TrimSpace(note) == "" {
		return nil, plotline.FieldError("note", "say why the draft goes back")
	}
	var ch *plotline.Change
	err := db.writeTx(ctx, func(tx pgx.Tx) error {
		d, err := getChange(ctx, tx, change)
		if err != nil {
			return err
		}
		if err := mustBeDraft(d); err != nil {
			return err
		}
		vs, err := changeVersions(ctx, tx, change, plotline.StatusDraft)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			return plotline.Errorf(plotline.ECONFLICT, "draft %d is not awaiting review", change)
		}
		if ch, err = db.applyAs(ctx, tx, &plotline.Batch{By: by, Note: note}, plotline.ActionReturn, change); err != nil {
			return err
		}
		return setStatus(ctx, tx, change, plotline.StatusReturned, plotline.StatusDraft)
	})
	return ch, err
}

// Revert undoes a published change as a new change.
func (db *DB) Revert(ctx context.Context, change int64, by, note string) (*plotline.Change, error) {
	if by == "" {
		return nil, plotline.FieldError("by", "every change must say who made it")
	}
	var ch *plotline.Change
	err := db.writeTx(ctx, func(tx pgx.Tx) error {
		c, err := getChange(ctx, tx, change)
		if err != nil {
			return err
		}
		if c.Action == plotline.ActionDraft {
			return plotline.Errorf(plotline.EINVALID, "change %d is a draft, never published: return it instead", change)
		}
		vs, err := changeVersions(ctx, tx, change, plotline.StatusPublished)
		if err != nil {
			return err
		}
		if len(vs) == 0 {
			return plotline.Errorf(plotline.EINVALID, "change %d wrote no versions: there is nothing to revert", change)
		}
		b := &plotline.Batch{By: by, Note: cmp.Or(note, fmt.Sprintf("revert change %d", change))}
		for _, v := range vs {
			var cur int32
			err := tx.QueryRow(ctx, `SELECT version FROM `+v.kind+`_v WHERE id = $1 AND rec_to IS NULL`, v.id).Scan(&cur)
			if err != nil {
				return fmt.Errorf("revert %s %q: %w", v.kind, v.id, err)
			}
			if int(cur) != v.version {
				return plotline.Errorf(plotline.ECONFLICT, "%s %q was changed again after change %d (it is at version %d, the change wrote %d): revert the later changes first",
					v.kind, v.id, change, cur, v.version)
			}
			var deleted bool
			var data *string
			err = tx.QueryRow(ctx, `SELECT deleted, data FROM `+v.kind+`_v WHERE id = $1 AND version = $2`, v.id, v.version-1).Scan(&deleted, &data)
			switch {
			case errors.Is(err, pgx.ErrNoRows) || (err == nil && (deleted || data == nil)):
				err = b.Add(v.kind, v.id, nil) // the change created it
			case err != nil:
				return fmt.Errorf("revert %s %q: %w", v.kind, v.id, err)
			default:
				err = b.Add(v.kind, v.id, []byte(*data))
			}
			if err != nil {
				return err
			}
		}
		ch, err = db.applyAs(ctx, tx, b, plotline.ActionRevert, change)
		return err
	})
	return ch, err
}

// Drafts lists draft changes, newest first.
func (db *DB) Drafts(ctx context.Context, f plotline.DraftFilter) ([]plotline.Draft, error) {
	status := cmp.Or(f.Status, plotline.StatusDraft)
	if status != "all" && !slices.Contains(plotline.DraftStatuses, status) {
		return nil, plotline.FieldError("status", "%q is not a draft status (%s or all)", status, strings.Join(plotline.DraftStatuses, ", "))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var a args
	q := `SELECT id FROM changes WHERE action = 'draft'`
	if f.By != "" {
		q += ` AND recorded_by = ` + a.add(f.By)
	}
	switch {
	case f.Kind != "" && !plotline.ValidKind(f.Kind):
		return nil, plotline.FieldError("kind", "%q is not a record kind", f.Kind)
	case f.Kind != "" && f.ID != "":
		q += ` AND id IN (SELECT change_id FROM ` + f.Kind + `_v WHERE id = ` + a.add(f.ID) + ` AND version < 0)`
	case f.Kind != "" || f.ID != "":
		return nil, plotline.FieldError("id", "drafts of a record need its kind and ID")
	}
	if status != "all" {
		// A draft has the status of one of its versions: skip the others
		// without reading them.
		p := a.add(status)
		var has []string
		for _, kind := range plotline.RecKinds {
			has = append(has, `EXISTS (SELECT 1 FROM `+kind+`_v v WHERE v.change_id = changes.id AND v.status = `+p+`)`)
		}
		q += ` AND (` + strings.Join(has, " OR ") + `)`
	}
	rows, err := db.pool.Query(ctx, q+` ORDER BY id DESC`, a...)
	if err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	var out []plotline.Draft
	for _, id := range ids {
		if len(out) == limit {
			break
		}
		d, err := db.draft(ctx, id, false)
		if err != nil {
			return nil, err
		}
		if status == "all" || d.Status == status {
			out = append(out, *d)
		}
	}
	return out, nil
}

// Draft returns one draft change with its records, each beside the
// version published now.
func (db *DB) Draft(ctx context.Context, change int64) (*plotline.Draft, error) {
	return db.draft(ctx, change, true)
}

func (db *DB) draft(ctx context.Context, change int64, withData bool) (*plotline.Draft, error) {
	c, err := getChange(ctx, db.pool, change)
	if err != nil {
		return nil, err
	}
	if err := mustBeDraft(c); err != nil {
		return nil, err
	}
	vs, err := changeVersions(ctx, db.pool, change)
	if err != nil {
		return nil, err
	}
	d := &plotline.Draft{Change: *c, Records: []plotline.DraftRecord{}, Reviews: []plotline.Change{}}
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v.status] = true
		r := plotline.DraftRecord{Kind: v.kind, ID: v.id, Status: v.status, Deleted: v.deleted}
		if withData {
			r.Data = v.data
			var cur int32
			var data *string
			err := db.pool.QueryRow(ctx, `SELECT version, data FROM `+v.kind+`_v WHERE id = $1 AND rec_to IS NULL AND NOT deleted`, v.id).Scan(&cur, &data)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return nil, fmt.Errorf("draft %d: %w", change, err)
			}
			r.CurrentVersion = int(cur)
			if data != nil {
				r.Current = []byte(*data)
			}
		}
		d.Records = append(d.Records, r)
	}
	d.Status = plotline.StatusSuperseded
	for _, s := range []string{plotline.StatusDraft, plotline.StatusReturned, plotline.StatusPublished} {
		if seen[s] {
			d.Status = s
			break
		}
	}
	rows, err := db.pool.Query(ctx, `SELECT id FROM changes WHERE target = $1 AND action IN ('publish', 'return') ORDER BY id`, change)
	if err != nil {
		return nil, fmt.Errorf("reviews of draft %d: %w", change, err)
	}
	reviews, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("reviews of draft %d: %w", change, err)
	}
	for _, id := range reviews {
		r, err := getChange(ctx, db.pool, id)
		if err != nil {
			return nil, err
		}
		d.Reviews = append(d.Reviews, *r)
	}
	return d, nil
}

// Audit lists changes, newest first, with the records each wrote.
func (db *DB) Audit(ctx context.Context, f plotline.AuditFilter) ([]plotline.AuditEntry, error) {
	var where []string
	var a args
	if f.By != "" {
		where = append(where, `recorded_by = `+a.add(f.By))
	}
	if f.Action != "" {
		where = append(where, `action = `+a.add(f.Action))
	}
	if f.Change != 0 {
		where = append(where, `id = `+a.add(f.Change))
	}
	if f.From != nil {
		where = append(where, `recorded_at >= `+a.add(f.From.UnixNano()))
	}
	if f.To != nil {
		where = append(where, `recorded_at < `+a.add(f.To.UnixNano()))
	}
	switch {
	case f.Kind != "" && !plotline.ValidKind(f.Kind):
		return nil, plotline.FieldError("kind", "%q is not a record kind", f.Kind)
	case f.Kind != "" && f.ID != "":
		where = append(where, `id IN (SELECT change_id FROM `+f.Kind+`_v WHERE id = `+a.add(f.ID)+`)`)
	case f.Kind != "":
		where = append(where, `id IN (SELECT change_id FROM `+f.Kind+`_v)`)
	case f.ID != "":
		return nil, plotline.FieldError("id", "needs a kind")
	}
	q := `SELECT id, recorded_at, recorded_by, note, action, coalesce(target, 0) FROM changes`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d OFFSET %d`, limit, max(0, f.Offset))
	rows, err := db.pool.Query(ctx, q, a...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (plotline.AuditEntry, error) {
		var e plotline.AuditEntry
		var at int64
		err := r.Scan(&e.ID, &at, &e.RecordedBy, &e.Note, &e.Action, &e.Target)
		e.RecordedAt = timeOf(at)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	for i := range out {
		e := &out[i]
		e.Records = []plotline.Ref{}
		for _, kind := range plotline.RecKinds {
			var n int
			if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM `+kind+`_v WHERE change_id = $1`, e.ID).Scan(&n); err != nil {
				return nil, fmt.Errorf("audit: %w", err)
			}
			e.Count += n
			if n == 0 || len(e.Records) == plotline.AuditRecords {
				continue
			}
			rows, err := db.pool.Query(ctx, `SELECT id FROM `+kind+`_v WHERE change_id = $1 ORDER BY id LIMIT $2`, e.ID, plotline.AuditRecords-len(e.Records))
			if err != nil {
				return nil, fmt.Errorf("audit: %w", err)
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return nil, fmt.Errorf("audit: %w", err)
			}
			for _, id := range ids {
				e.Records = append(e.Records, plotline.Ref{Kind: kind, ID: id})
			}
		}
	}
	return out, nil
}
