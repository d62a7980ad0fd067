package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/plotline-dev/plotline"
)

var (
	_ plotline.ChangeNotifier  = (*DB)(nil)
	_ plotline.HistoryExporter = (*DB)(nil)
	_ plotline.HistoryImporter = (*DB)(nil)
)

// LastChange returns the ID of the newest applied change, 0 when none. It is
// one read of the changes table's rowid B-tree, cheap enough to poll: with
// WAL, commits by other processes are visible to the next read.
func (db *DB) LastChange(ctx context.Context) (int64, error) {
	var id sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT max(id) FROM changes`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last change: %w", err)
	}
	return id.Int64, nil
}

// ExportHistory streams every change and every stored version, verbatim, from
// one read transaction (a consistent snapshot).
func (db *DB) ExportHistory(ctx context.Context, change func(plotline.HistoryChange) error, version func(plotline.HistoryVersion) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("export: begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only transaction
	rows, err := tx.QueryContext(ctx, `SELECT id, recorded_at, recorded_by, note, action, coalesce(target, 0) FROM changes ORDER BY id`)
	if err != nil {
		return fmt.Errorf("export changes: %w", err)
	}
	for rows.Next() {
		var c plotline.HistoryChange
		if err := rows.Scan(&c.ID, &c.RecordedAt, &c.RecordedBy, &c.Note, &c.Action, &c.Target); err != nil {
			rows.Close()
			return fmt.Errorf("export changes: %w", err)
		}
		if err := change(c); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export changes: %w", err)
	}
	for _, kind := range plotline.RecKinds {
		if err := exportVersions(ctx, tx, kind, version); err != nil {
			return fmt.Errorf("export %s: %w", kind, err)
		}
	}
	return nil
}

func exportVersions(ctx context.Context, tx *sql.Tx, kind string, version func(plotline.HistoryVersion) error) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, version, change_id, rec_from, rec_to, deleted, data, status FROM `+kind+`_v ORDER BY id, version`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v := plotline.HistoryVersion{Kind: kind}
		var to sql.NullInt64
		var data sql.NullString
		if err := rows.Scan(&v.ID, &v.Version, &v.ChangeID, &v.RecFrom, &to, &v.Deleted, &data, &v.Status); err != nil {
			return err
		}
		v.RecTo = to.Int64
		if data.Valid {
			v.Data = []byte(data.String)
		}
		if err := version(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ImportHistory begins loading a whole history into this store, which must
// be empty. Query columns are derived from each version's data as Apply
// derives them, so the copy indexes exactly like the original.
func (db *DB) ImportHistory(ctx context.Context) (plotline.HistoryLoader, error) {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("import: begin: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM changes) + (SELECT count(*) FROM source) + (SELECT count(*) FROM actor)
		+ (SELECT count(*) FROM affiliation) + (SELECT count(*) FROM incident) + (SELECT count(*) FROM attribution)`).Scan(&n); err != nil {
		tx.Rollback() //nolint:errcheck // the count error is the one to report
		return nil, fmt.Errorf("import: %w", err)
	}
	if n > 0 {
		tx.Rollback() //nolint:errcheck // nothing was written
		return nil, plotline.Errorf(plotline.ECONFLICT, "%s is not empty: import a history only into a new database", db.Path)
	}
	return &loader{tx: tx, stmts: map[string]*sql.Stmt{}}, nil
}

type loader struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (l *loader) exec(ctx context.Context, q string, args ...any) error {
	st, ok := l.stmts[q]
	if !ok {
		var err error
		if st, err = l.tx.PrepareContext(ctx, q); err != nil {
			return err
		}
		l.stmts[q] = st
	}
	_, err := st.ExecContext(ctx, args...)
	return err
}

func (l *loader) AddChange(ctx context.Context, c plotline.HistoryChange) error {
	action := cmp.Or(c.Action, plotline.ActionEdit)
	var target any
	if c.Target != 0 {
		target = c.Target
	}
	err := l.exec(ctx, `INSERT INTO changes (id, recorded_at, recorded_by, note, action, target) VALUES (?, ?, ?, ?, ?, ?)`,
		c.ID, c.RecordedAt, c.RecordedBy, c.Note, action, target)
	if err != nil {
		return fmt.Errorf("import change %d: %w", c.ID, err)
	}
	return nil
}

func (l *loader) AddVersion(ctx context.Context, v plotline.HistoryVersion) error {
	if !plotline.ValidKind(v.Kind) {
		return plotline.Errorf(plotline.EINVALID, "%q is not a record kind", v.Kind)
	}
	if err := l.exec(ctx, `INSERT OR IGNORE INTO `+v.Kind+` (id) VALUES (?)`, v.ID); err != nil {
		return fmt.Errorf("import %s %q: %w", v.Kind, v.ID, err)
	}
	cols := []string{"id", "version", "change_id", "rec_from", "rec_to", "deleted", "status"}
	var to any
	if v.RecTo != 0 {
		to = v.RecTo
	}
	vals := []any{v.ID, v.Version, v.ChangeID, v.RecFrom, to, v.Deleted, cmp.Or(v.Status, plotline.StatusPublished)}
	if v.Data != nil {
		extra, extraVals, err := derivedColumns(v.Kind, v.Data)
		if err != nil {
			return fmt.Errorf("import %s %q version %d: %w", v.Kind, v.ID, v.Version, err)
		}
		cols = append(append(cols, "data"), extra...)
		vals = append(append(vals, string(v.Data)), extraVals...)
	}
	q := `INSERT INTO ` + v.Kind + `_v (` + strings.Join(cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(cols)-1) + `)`
	if err := l.exec(ctx, q, vals...); err != nil {
		return fmt.Errorf("import %s %q version %d: %w", v.Kind, v.ID, v.Version, err)
	}
	return nil
}

// derivedColumns decodes a stored record and returns the query columns its
// version table keeps beside the data, as Apply computes them.
func derivedColumns(kind string, data []byte) ([]string, []any, error) {
	var r row
	var err error
	switch kind {
	case plotline.RecSource:
		var s plotline.Source
		if err = json.Unmarshal(data, &s); err == nil {
			r, err = sourceRow(&s)
		}
	case plotline.RecActor:
		var a plotline.Actor
		if err = json.Unmarshal(data, &a); err == nil {
			r, err = actorRow(&a)
		}
	case plotline.RecAffiliation:
		var f plotline.Affiliation
		if err = json.Unmarshal(data, &f); err == nil {
			r, err = affiliationRow(&f)
		}
	case plotline.RecIncident:
		var in plotline.Incident
		if err = json.Unmarshal(data, &in); err == nil {
			r, err = incidentRow(in)
		}
	case plotline.RecAttribution:
		var a plotline.Attribution
		if err = json.Unmarshal(data, &a); err == nil {
			r, err = attributionRow(&a)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("decode stored record: %w", err)
	}
	return r.cols, r.vals, nil
}

func (l *loader) Commit(ctx context.Context) error {
	l.closeStmts()
	if err := l.tx.Commit(); err != nil {
		return fmt.Errorf("import: commit: %w", err)
	}
	return nil
}

func (l *loader) Rollback(ctx context.Context) error {
	l.closeStmts()
	if err := l.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

func (l *loader) closeStmts() {
	for q, st := range l.stmts {
		st.Close()
		delete(l.stmts, q)
	}
}
