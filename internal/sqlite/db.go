// Package sqlite is Plotline's embedded store: every record kind kept as an
// append-only series of versions in SQLite (modernc.org/sqlite, pure Go).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/plotline-dev/plotline"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a SQLite-backed plotline.Store. Writes go through a single
// connection (SQLite allows one writer); reads use a pool.
type DB struct {
	Path string
	// Now returns the record clock; tests replace it to control time.
	Now func() time.Time

	write *sql.DB
	read  *sql.DB

	mu   sync.Mutex // guards last
	last int64      // last recorded_at handed out, to keep the clock strictly increasing

	// deferAfter is how many versions of a kind an import writes before it
	// may defer that table's secondary indexes to commit (bulk.go).
	deferAfter int
	// ftsChunk is how many incident versions an import's bulk writer lets
	// pass before it adds them to the full-text index (bulk.go). Indexing
	// while the import streams uses the writer's spare time instead of
	// adding to the commit; large chunks keep the number of FTS5 segments
	// (one per statement) small.
	ftsChunk int
}

var _ plotline.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path and applies migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	db := &DB{Path: path, Now: time.Now, deferAfter: 50_000, ftsChunk: 25_000}
	dsn := func(txlock string) string {
		q := url.Values{}
		for _, p := range []string{"journal_mode(WAL)", "foreign_keys(1)", "busy_timeout(10000)", "synchronous(NORMAL)"} {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", txlock)
		return "file:" + path + "?" + q.Encode()
	}
	if err := setPageSize(ctx, path); err != nil {
		return nil, err
	}
	var err error
	if db.write, err = sql.Open("sqlite", dsn("immediate")); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.write.SetMaxOpenConns(1)
	if db.read, err = sql.Open("sqlite", dsn("deferred")); err != nil {
		db.write.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.read.SetMaxOpenConns(max(2, runtime.NumCPU()))
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// pageSize is the page size of a new database: 16 KiB instead of SQLite's
// 4 KiB means a quarter of the pages, WAL frames and B-tree searches for a
// large import, and rows of 1-3 KiB (an incident version with its JSON)
// that share pages instead of nearly filling one each.
const pageSize = 16384

// setPageSize gives a new database its page size before WAL mode is set.
// The page size of an existing database cannot change in WAL mode, and the
// driver applies the DSN's pragmas in alphabetical order (journal_mode
// before page_size), so this is a connection of its own, opened first. On
// an existing database both pragmas change nothing.
func setPageSize(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer conn.Close()
	for _, q := range []string{fmt.Sprintf(`PRAGMA page_size = %d`, pageSize), `PRAGMA journal_mode = WAL`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("open %s: %w", path, err)
		}
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	err1 := db.write.Close()
	err2 := db.read.Close()
	if err1 != nil {
		return err1
	}
	return err2
}

// ReadDB exposes the read pool to packages that query the schema directly
// (the analytics index builder and the SQL baseline).
func (db *DB) ReadDB() *sql.DB { return db.read }

// migrate applies every embedded migration not yet applied, each in its own
// transaction, in file-name order.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
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
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // rollback after commit is a no-op
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(migrations, name)
	if err != nil {
		return err
	}
	for _, stmt := range strings.Split(string(body), ";\n") {
		if strings.TrimSpace(stripComments(stmt)) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (name) VALUES (?)`, name); err != nil {
		return err
	}
	return tx.Commit()
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
	}
	return b.String()
}

// tick returns the next record-clock instant, strictly after the last one.
func (db *DB) tick() int64 {
	db.mu.Lock()
	defer db.mu.Unlock()
	now := db.Now().UnixNano()
	if now <= db.last {
		now = db.last + 1
	}
	db.last = now
	return now
}
