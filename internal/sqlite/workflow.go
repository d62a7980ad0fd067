package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// The review workflow and the audit log (see workflow.go in the root
// package for the model). Drafts are versions numbered -change with an empty
// record-time interval; migration 0006 explains why that keeps them out of
// every other read.

var _ plotline.Workflow = (*DB)(nil)

// keepAsDraft turns the versions change ch just wrote (through the ordinary
// write path, so validation, cascades and reference checks are the same)
// into a draft: the published versions it closed become current again, its
// own versions are renumbered and never current, and earlier pending drafts
// of the same records give way to it. All inside the batch's transaction.
func keepAsDraft(ctx context.Context, tx *sql.Tx, ch *plotline.Change) error {
	at := ch.RecordedAt.UnixNano()
	for _, kind := range plotline.RecKinds {
		t := kind + "_v"
		for _, q := range []string{
			`UPDATE ` + t + ` SET status = 'superseded' WHERE status IN ('draft', 'returned') AND id IN (SELECT id FROM ` + t + ` WHERE change_id = ?1)`,
			`UPDATE ` + t + ` SET rec_to = NULL WHERE id IN (SELECT id FROM ` + t + ` WHERE change_id = ?1) AND rec_to = ?2 AND change_id <> ?1`,
			`UPDATE ` + t + ` SET status = 'draft', version = -change_id, rec_to = rec_from WHERE change_id = ?1`,
		} {
			if _, err := tx.ExecContext(ctx, q, ch.ID, at); err != nil {
				return fmt.Errorf("keep %s versions as a draft: %w", kind, err)
			}
		}
	}
	return setAction(ctx, tx, ch, plotline.ActionDraft, 0)
}

func setAction(ctx context.Context, tx *sql.Tx, ch *plotline.Change, action string, target int64) error {
	var t any
	if target != 0 {
		t = target
	}
	if _, err := tx.ExecContext(ctx, `UPDATE changes SET action = ?, target = ? WHERE id = ?`, action, t, ch.ID); err != nil {
		return fmt.Errorf("record change action: %w", err)
	}
	ch.Action, ch.Target = action, target
	return nil
}

// draftVersion is one version a change wrote.
type draftVersion struct {
	kind, id string
	version  int
	deleted  bool
	data     []byte
	status   string
}

// changeVersions lists the versions change wrote whose status is one of
// statuses (all when none), in kind order then by ID.
func changeVersions(ctx context.Context, q querier, change int64, statuses ...string) ([]draftVersion, error) {
	var out []draftVersion
	for _, kind := range plotline.RecKinds {
		query := `SELECT id, version, deleted, data, status FROM ` + kind + `_v WHERE change_id = ?`
		args := []any{change}
		if len(statuses) > 0 {
			query += ` AND status IN (?` + strings.Repeat(", ?", len(statuses)-1) + `)`
			for _, s := range statuses {
				args = append(args, s)
			}
		}
		rows, err := q.QueryContext(ctx, query+` ORDER BY id`, args...)
		if err != nil {
			return nil, fmt.Errorf("versions of change %d: %w", change, err)
		}
		for rows.Next() {
			v := draftVersion{kind: kind}
			var data sql.NullString
			if err := rows.Scan(&v.id, &v.version, &v.deleted, &data, &v.status); err != nil {
				rows.Close()
				return nil, err
			}
			if data.Valid {
				v.data = []byte(data.String)
			}
			out = append(out, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getChange(ctx context.Context, q querier, id int64) (*plotline.Change, error) {
	c := plotline.Change{ID: id}
	var at int64
	err := q.QueryRowContext(ctx, `SELECT recorded_at, recorded_by, note, action, coalesce(target, 0) FROM changes WHERE id = ?`, id).
		Scan(&at, &c.RecordedBy, &c.Note, &c.Action, &c.Target)
	if errors.Is(err, sql.ErrNoRows) {
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

// writeTx runs fn in a write transaction.
func (db *DB) writeTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // rollback after commit is a no-op
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// applyAs writes b through the ordinary write path inside tx and records
// the change's action and target.
func (db *DB) applyAs(ctx context.Context, tx *sql.Tx, b *plotline.Batch, action string, target int64) (*plotline.Change, error) {
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

// Publish writes a pending or returned draft's records as published versions.
func (db *DB) Publish(ctx context.Context, change int64, by, note string) (*plotline.Change, error) {
	if by == "" {
		return nil, plotline.FieldError("by", "every change must say who made it")
	}
	var ch *plotline.Change
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
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

func setStatus(ctx context.Context, tx *sql.Tx, change int64, to string, from ...string) error {
	for _, kind := range plotline.RecKinds {
		args := []any{to, change}
		for _, s := range from {
			args = append(args, s)
		}
		_, err := tx.ExecContext(ctx, `UPDATE `+kind+`_v SET status = ? WHERE change_id = ? AND status IN (?`+strings.Repeat(", ?", len(from)-1)+`)`, args...)
		if err != nil {
			return fmt.Errorf("mark draft %d %s: %w", change, to, err)
		}
	}
	return nil
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
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
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
		// A change that writes nothing: the ordinary path with an empty batch.
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
	err := db.writeTx(ctx, func(tx *sql.Tx) error {
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
			var cur int
			err := tx.QueryRowContext(ctx, `SELECT version FROM `+v.kind+`_v WHERE id = ? AND rec_to IS NULL`, v.id).Scan(&cur)
			if err != nil {
				return fmt.Errorf("revert %s %q: %w", v.kind, v.id, err)
			}
			if cur != v.version {
				return plotline.Errorf(plotline.ECONFLICT, "%s %q was changed again after change %d (it is at version %d, the change wrote %d): revert the later changes first",
					v.kind, v.id, change, cur, v.version)
			}
			var deleted bool
			var data sql.NullString
			err = tx.QueryRowContext(ctx, `SELECT deleted, data FROM `+v.kind+`_v WHERE id = ? AND version = ?`, v.id, v.version-1).Scan(&deleted, &data)
			switch {
			case errors.Is(err, sql.ErrNoRows) || (err == nil && deleted):
				err = b.Add(v.kind, v.id, nil) // the change created it
			case err != nil:
				return fmt.Errorf("revert %s %q: %w", v.kind, v.id, err)
			default:
				err = b.Add(v.kind, v.id, []byte(data.String))
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
	q := `SELECT id FROM changes WHERE action = 'draft'`
	var args []any
	if f.By != "" {
		q += ` AND recorded_by = ?`
		args = append(args, f.By)
	}
	switch {
	case f.Kind != "" && !plotline.ValidKind(f.Kind):
		return nil, plotline.FieldError("kind", "%q is not a record kind", f.Kind)
	case f.Kind != "" && f.ID != "":
		q += ` AND id IN (SELECT change_id FROM ` + f.Kind + `_v WHERE id = ? AND version < 0)`
		args = append(args, f.ID)
	case f.Kind != "" || f.ID != "":
		return nil, plotline.FieldError("id", "drafts of a record need its kind and ID")
	}
	if status != "all" {
		// A draft has the status of one of its versions: skip the others
		// without reading them.
		var has []string
		for _, kind := range plotline.RecKinds {
			has = append(has, `EXISTS (SELECT 1 FROM `+kind+`_v v WHERE v.change_id = changes.id AND v.status = ?)`)
			args = append(args, status)
		}
		q += ` AND (` + strings.Join(has, " OR ") + `)`
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
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
	c, err := getChange(ctx, db.read, change)
	if err != nil {
		return nil, err
	}
	if err := mustBeDraft(c); err != nil {
		return nil, err
	}
	vs, err := changeVersions(ctx, db.read, change)
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
			var data sql.NullString
			err := db.read.QueryRowContext(ctx, `SELECT version, data FROM `+v.kind+`_v WHERE id = ? AND rec_to IS NULL AND deleted = 0`, v.id).
				Scan(&r.CurrentVersion, &data)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return nil, fmt.Errorf("draft %d: %w", change, err)
			}
			if data.Valid {
				r.Current = []byte(data.String)
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
	rows, err := db.read.QueryContext(ctx, `SELECT id FROM changes WHERE target = ? AND action IN ('publish', 'return') ORDER BY id`, change)
	if err != nil {
		return nil, fmt.Errorf("reviews of draft %d: %w", change, err)
	}
	var reviews []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		reviews = append(reviews, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range reviews {
		r, err := getChange(ctx, db.read, id)
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
	var args []any
	if f.By != "" {
		where, args = append(where, `recorded_by = ?`), append(args, f.By)
	}
	if f.Action != "" {
		where, args = append(where, `action = ?`), append(args, f.Action)
	}
	if f.Change != 0 {
		where, args = append(where, `id = ?`), append(args, f.Change)
	}
	if f.From != nil {
		where, args = append(where, `recorded_at >= ?`), append(args, f.From.UnixNano())
	}
	if f.To != nil {
		where, args = append(where, `recorded_at < ?`), append(args, f.To.UnixNano())
	}
	switch {
	case f.Kind != "" && !plotline.ValidKind(f.Kind):
		return nil, plotline.FieldError("kind", "%q is not a record kind", f.Kind)
	case f.Kind != "" && f.ID != "":
		where, args = append(where, `id IN (SELECT change_id FROM `+f.Kind+`_v WHERE id = ?)`), append(args, f.ID)
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
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	var out []plotline.AuditEntry
	for rows.Next() {
		var e plotline.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.RecordedBy, &e.Note, &e.Action, &e.Target); err != nil {
			rows.Close()
			return nil, err
		}
		e.RecordedAt = timeOf(at)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		e := &out[i]
		e.Records = []plotline.Ref{}
		for _, kind := range plotline.RecKinds {
			var n int
			if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM `+kind+`_v WHERE change_id = ?`, e.ID).Scan(&n); err != nil {
				return nil, fmt.Errorf("audit: %w", err)
			}
			e.Count += n
			if n == 0 || len(e.Records) == plotline.AuditRecords {
				continue
			}
			ids, err := db.read.QueryContext(ctx, `SELECT id FROM `+kind+`_v WHERE change_id = ? ORDER BY id LIMIT ?`, e.ID, plotline.AuditRecords-len(e.Records))
			if err != nil {
				return nil, fmt.Errorf("audit: %w", err)
			}
			for ids.Next() {
				r := plotline.Ref{Kind: kind}
				if err := ids.Scan(&r.ID); err != nil {
					ids.Close()
					return nil, err
				}
				e.Records = append(e.Records, r)
			}
			ids.Close()
			if err := ids.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
