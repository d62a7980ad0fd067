package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
	"github.com/plotline-dev/plotline"
)

var (
	_ plotline.HistoryExporter = (*DB)(nil)
	_ plotline.HistoryImporter = (*DB)(nil)
)

// ExportHistory streams every change and every stored version, verbatim,
// from one repeatable-read transaction (a consistent snapshot).
func (db *DB) ExportHistory(ctx context.Context, change func(plotline.HistoryChange) error, version func(plotline.HistoryVersion) error) error {
	return pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, recorded_at, recorded_by, note, action, coalesce(target, 0) FROM changes ORDER BY id`)
		if err != nil {
			return fmt.Errorf("export changes: %w", err)
		}
		var c plotline.HistoryChange
		_, err = pgx.ForEachRow(rows, []any{&c.ID, &c.RecordedAt, &c.RecordedBy, &c.Note, &c.Action, &c.Target}, func() error { return change(c) })
		if err != nil {
			return fmt.Errorf("export changes: %w", err)
		}
		for _, kind := range plotline.RecKinds {
			rows, err := tx.Query(ctx, `SELECT id, version, change_id, rec_from, rec_to, deleted, data, status FROM `+kind+`_v ORDER BY id, version`)
			if err != nil {
				return fmt.Errorf("export %s: %w", kind, err)
			}
			var v plotline.HistoryVersion
			var to *int64
			var data *string
			_, err = pgx.ForEachRow(rows, []any{&v.ID, &v.Version, &v.ChangeID, &v.RecFrom, &to, &v.Deleted, &data, &v.Status}, func() error {
				out := v
				out.Kind = kind
				if to != nil {
					out.RecTo = *to
				}
				if data != nil {
					out.Data = []byte(*data)
				}
				return version(out)
			})
			if err != nil {
				return fmt.Errorf("export %s: %w", kind, err)
			}
		}
		return nil
	})
}

// ImportHistory begins loading a whole history into this store, which must
// be empty. Rows are buffered and written with COPY; query columns are
// derived from each version's data exactly as Apply derives them.
func (db *DB) ImportHistory(ctx context.Context) (plotline.HistoryLoader, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("import: begin: %w", err)
	}
	// Hold the clock for the whole import so no writer slips in between.
	var last int64
	if err := tx.QueryRow(ctx, `SELECT last_change FROM clock FOR UPDATE`).Scan(&last); err != nil {
		tx.Rollback(ctx) //nolint:errcheck // the lock error is the one to report
		return nil, fmt.Errorf("import: lock clock: %w", err)
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM changes) + (SELECT count(*) FROM source) + (SELECT count(*) FROM actor)
		+ (SELECT count(*) FROM affiliation) + (SELECT count(*) FROM incident) + (SELECT count(*) FROM attribution)`).Scan(&n); err != nil {
		tx.Rollback(ctx) //nolint:errcheck // the count error is the one to report
		return nil, fmt.Errorf("import: %w", err)
	}
	if n > 0 || last > 0 {
		tx.Rollback(ctx) //nolint:errcheck // nothing was written
		return nil, plotline.Errorf(plotline.ECONFLICT, "schema %s is not empty: import a history only into a new database or schema", db.schema)
	}
	return &loader{db: db, tx: tx, versions: map[string][][]any{}, ids: map[string][]string{}, seen: map[plotline.Ref]bool{}}, nil
}

// flushAt is how many rows a loader buffers before a COPY.
const flushAt = 10000

type loader struct {
	db       *DB
	tx       pgx.Tx
	changes  [][]any
	versions map[string][][]any
	ids      map[string][]string
	seen     map[plotline.Ref]bool
	lastID   int64
	lastAt   int64
	pending  int
}

func (l *loader) AddChange(ctx context.Context, c plotline.HistoryChange) error {
	var target any
	if c.Target != 0 {
		target = c.Target
	}
	l.changes = append(l.changes, []any{c.ID, c.RecordedAt, c.RecordedBy, c.Note, cmp.Or(c.Action, plotline.ActionEdit), target})
	l.lastID, l.lastAt = max(l.lastID, c.ID), max(l.lastAt, c.RecordedAt)
	return l.count(ctx)
}

func (l *loader) AddVersion(ctx context.Context, v plotline.HistoryVersion) error {
	if !plotline.ValidKind(v.Kind) {
		return plotline.Errorf(plotline.EINVALID, "%q is not a record kind", v.Kind)
	}
	ref := plotline.Ref{Kind: v.Kind, ID: v.ID}
	if !l.seen[ref] {
		l.seen[ref] = true
		l.ids[v.Kind] = append(l.ids[v.Kind], v.ID)
	}
	var to, data any
	if v.RecTo != 0 {
		to = v.RecTo
	}
	extra := make([]any, len(kindColumns(v.Kind)))
	if v.Data != nil {
		r, err := rowOf(v.Kind, v.Data)
		if err != nil {
			return fmt.Errorf("import %s %q version %d: %w", v.Kind, v.ID, v.Version, err)
		}
		data = string(v.Data)
		copy(extra, r.vals)
	}
	vals := append([]any{v.ID, int32(v.Version), v.ChangeID, v.RecFrom, to, v.Deleted, data, cmp.Or(v.Status, plotline.StatusPublished)}, extra...)
	l.versions[v.Kind] = append(l.versions[v.Kind], vals)
	return l.count(ctx)
}

func (l *loader) count(ctx context.Context) error {
	l.pending++
	if l.pending >= flushAt {
		return l.flush(ctx)
	}
	return nil
}

// flush writes what is buffered: changes, identities, then versions.
func (l *loader) flush(ctx context.Context) error {
	l.pending = 0
	if len(l.changes) > 0 {
		if _, err := l.tx.CopyFrom(ctx, pgx.Identifier{"changes"}, []string{"id", "recorded_at", "recorded_by", "note", "action", "target"}, pgx.CopyFromRows(l.changes)); err != nil {
			return fmt.Errorf("import changes: %w", err)
		}
		l.changes = l.changes[:0]
	}
	for _, kind := range plotline.RecKinds {
		if ids := l.ids[kind]; len(ids) > 0 {
			if _, err := l.tx.CopyFrom(ctx, pgx.Identifier{kind}, []string{"id"}, pgx.CopyFromSlice(len(ids), func(i int) ([]any, error) {
				return []any{ids[i]}, nil
			})); err != nil {
				return fmt.Errorf("import %s identities: %w", kind, err)
			}
			l.ids[kind] = ids[:0]
		}
		if rows := l.versions[kind]; len(rows) > 0 {
			cols := append([]string{"id", "version", "change_id", "rec_from", "rec_to", "deleted", "data", "status"}, kindColumns(kind)...)
			if _, err := l.tx.CopyFrom(ctx, pgx.Identifier{kind + "_v"}, cols, pgx.CopyFromRows(rows)); err != nil {
				return fmt.Errorf("import %s versions: %w", kind, err)
			}
			l.versions[kind] = rows[:0]
		}
	}
	return nil
}

func (l *loader) Commit(ctx context.Context) error {
	if err := l.flush(ctx); err != nil {
		return err
	}
	if _, err := l.tx.Exec(ctx, `UPDATE clock SET last_change = $1, last_at = $2`, l.lastID, l.lastAt); err != nil {
		return fmt.Errorf("import: set clock: %w", err)
	}
	if _, err := l.tx.Exec(ctx, `SELECT pg_notify($1, $2)`, l.db.channel, strconv.FormatInt(l.lastID, 10)); err != nil {
		return fmt.Errorf("import: notify: %w", err)
	}
	if err := l.tx.Commit(ctx); err != nil {
		return constraintError("import", err)
	}
	return nil
}

func (l *loader) Rollback(ctx context.Context) error {
	err := l.tx.Rollback(ctx)
	if err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return err
	}
	return nil
}

// kindColumns names the query columns a kind's version table keeps beside
// the data, in the order its row function gives their values.
func kindColumns(kind string) []string {
	r, err := rowOf(kind, []byte(`{}`))
	if err != nil {
		return nil
	}
	return r.cols
}
