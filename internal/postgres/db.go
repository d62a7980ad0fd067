// Package postgres is Plotline's server store: the same append-only
// versioned schema as internal/sqlite, kept in PostgreSQL through a pgx
// connection pool, for teams that share one database from several processes.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/plotline-dev/plotline"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a PostgreSQL-backed plotline.Store. Any number of processes may
// write to the same database: every batch locks the one clock row, so
// change IDs and record-clock instants strictly increase in commit order.
type DB struct {
	// Now returns the record clock; tests replace it to control time.
	Now func() time.Time

	pool    *pgxpool.Pool
	schema  string // the schema the store lives in (first of search_path)
	channel string // LISTEN/NOTIFY channel, one per schema
}

var (
	_ plotline.Store            = (*DB)(nil)
	_ plotline.ChangeNotifier   = (*DB)(nil)
	_ plotline.ChangeSubscriber = (*DB)(nil)
)

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string; search_path=SCHEMA selects a schema, which must exist)
// and applies the embedded migrations.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, plotline.Errorf(plotline.EINVALID, "postgres connection string: %v", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	db := &DB{Now: time.Now, pool: pool}
	var schema *string
	if err := pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	if schema == nil {
		pool.Close()
		return nil, plotline.Errorf(plotline.EINVALID, "postgres: no schema of the search_path exists; create it first (CREATE SCHEMA …)")
	}
	db.schema = *schema
	db.channel = channelFor(db.schema)
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Schema returns the schema the store lives in.
func (db *DB) Schema() string { return db.schema }

// migrate applies every embedded migration not yet applied, in file-name
// order, each in its own transaction. A transaction-level advisory lock on
// the schema makes concurrent first starts of several processes safe.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('plotline migrate ' || current_schema()))`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS migrations (name text PRIMARY KEY)`); err != nil {
			return err
		}
		var done bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM migrations WHERE name = $1)`, name).Scan(&done); err != nil {
			return err
		}
		if done {
			return nil
		}
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			return err
		}
		// Without arguments pgx uses the simple protocol, which runs a
		// whole file of statements at once.
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO migrations (name) VALUES ($1)`, name)
		return err
	})
}

// LastChange returns the ID of the newest applied change, 0 when none.
func (db *DB) LastChange(ctx context.Context) (int64, error) {
	var id int64
	if err := db.pool.QueryRow(ctx, `SELECT last_change FROM clock`).Scan(&id); err != nil {
		return 0, fmt.Errorf("last change: %w", err)
	}
	return id, nil
}

// Empty reports whether no change was ever recorded.
func (db *DB) Empty(ctx context.Context) (bool, error) {
	var any bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM changes)`).Scan(&any); err != nil {
		return false, fmt.Errorf("empty: %w", err)
	}
	return !any, nil
}

func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func isNoRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
