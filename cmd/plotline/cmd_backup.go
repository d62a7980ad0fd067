package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// pgDumpAdvice is printed with every PostgreSQL backup and refused restore.
const pgDumpAdvice = `For a native dump of the whole PostgreSQL database (every schema and table, restorable only to PostgreSQL):
  pg_dump --format=custom --file=plotline.dump "postgres://USER@HOST/DB"
  pg_restore --clean --if-exists --dbname="postgres://USER@HOST/DB" plotline.dump
See docs/operations.md.`

// backup writes a consistent copy of the database to FILE while it stays in
// use. From SQLite it is VACUUM INTO (a transactionally consistent, compacted
// copy); from PostgreSQL it is a SQLite file holding the whole history,
// restorable to either backend. Either way the file is checked before it
// takes its final name, so a half-written backup never looks complete.
func (m *Main) backup(ctx context.Context, args []string) error {
	f := m.newFlags("backup", "[--force] FILE")
	force := f.Bool("force", false, "overwrite FILE if it exists")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "backup takes one FILE")
	}
	file := pos[0]
	if _, err := os.Stat(file); err == nil && !*force {
		return plotline.Errorf(plotline.ECONFLICT, "%s exists; pass --force to overwrite it", file)
	}
	tmp := file + ".partial"
	removeSQLite(tmp)
	defer removeSQLite(tmp)
	src, err := openExisting(ctx, f.db)
	if err != nil {
		return err
	}
	defer src.Close()
	switch db := src.(type) {
	case *sqlite.DB:
		if _, err := db.ReadDB().ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	default:
		sessions, err := copyToSQLite(ctx, f.db, src, tmp)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if sessions > 0 {
			fmt.Fprintf(m.Stderr, "plotline: %d login sessions were not backed up: after a restore users sign in again\n", sessions)
		}
	}
	info, err := checkSQLiteFile(ctx, tmp)
	if err != nil {
		return fmt.Errorf("backup check: %w", err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(m.Stdout, "backed up %s to %s: %d changes (last #%d), %d bytes, integrity ok\n",
		redact(f.db), file, info.changes, info.last, info.size)
	if isPostgres(f.db) {
		fmt.Fprintln(m.Stdout, "The file is a SQLite database with the store's whole history; `plotline restore` loads it into SQLite or an empty PostgreSQL schema.")
		fmt.Fprintln(m.Stdout, pgDumpAdvice)
	}
	return nil
}

// copyToSQLite writes src's (dsn's) whole history into a new SQLite file at
// path, then the tables outside it that migrate-store copies (accounts, API
// tokens, name and duplicate decisions, pending names), each verified. It
// returns how many login sessions src held (not copied).
func copyToSQLite(ctx context.Context, dsn string, src plotline.Store, path string) (sessions int64, err error) {
	dst, err := sqlite.Open(ctx, path)
	if err != nil {
		return 0, err
	}
	sums, err := copyHistory(ctx, src, dst)
	if err == nil {
		sessions, err = copyTables(ctx, dsn, path, src, dst, sums)
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	// Closing the last connection checkpoints the WAL into the file; a WAL
	// left behind would be lost by the rename that follows.
	if _, err := os.Stat(path + "-wal"); err == nil {
		return 0, plotline.Errorf(plotline.EINTERNAL, "%s-wal was not checkpointed", path)
	}
	return sessions, nil
}

// restore replaces the database with a backup made by `plotline backup`. A
// SQLite target is replaced as a file (pass --force when it exists; stop
// every process using it first); a PostgreSQL target must be an empty
// schema, into which the backup's history is copied and verified.
func (m *Main) restore(ctx context.Context, args []string) error {
	f := m.newFlags("restore", "[--force] FILE")
	force := f.Bool("force", false, "replace an existing SQLite database (stop every process using it first)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "restore takes one FILE")
	}
	file := pos[0]
	if _, err := checkSQLiteFile(ctx, file); err != nil {
		return err
	}
	if isPostgres(f.db) {
		return m.restorePostgres(ctx, file, f.db)
	}
	target := f.db
	if _, err := os.Stat(target); err == nil && !*force {
		return plotline.Errorf(plotline.ECONFLICT, "%s exists; pass --force to replace it (stop every process using it first)", target)
	}
	tmp := target + ".partial"
	removeSQLite(tmp)
	defer removeSQLite(tmp)
	if err := copyFile(file, tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	// A WAL or shared-memory file of the old database would be replayed
	// into the restored one and corrupt it.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(target + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore: %w", err)
		}
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	db, err := sqlite.Open(ctx, target) // applies migrations newer than the backup
	if err != nil {
		return fmt.Errorf("restore: open restored database: %w", err)
	}
	defer db.Close()
	sums, err := sumHistory(ctx, db)
	if err == nil {
		err = sumTables(ctx, target, db, sums)
	}
	if err != nil {
		return fmt.Errorf("restore: read restored database: %w", err)
	}
	fmt.Fprintf(m.Stdout, "restored %s from %s\n", target, file)
	sums.write(m.Stdout)
	return nil
}

func (m *Main) restorePostgres(ctx context.Context, file, dsn string) error {
	// Opening a SQLite file may write to it (WAL, migrations): work on a copy
	// so the backup stays as it was.
	tmp := filepath.Join(os.TempDir(), fmt.Sprintf("plotline-restore-%d.db", os.Getpid()))
	removeSQLite(tmp)
	defer removeSQLite(tmp)
	if err := copyFile(file, tmp); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	src, err := sqlite.Open(ctx, tmp)
	if err != nil {
		return fmt.Errorf("restore: open backup: %w", err)
	}
	defer src.Close()
	dst, err := openBackend(ctx, dsn)
	if err != nil {
		return err
	}
	defer dst.Close()
	sums, err := copyHistory(ctx, src, dst)
	if err == nil {
		// The backup of a SQLite database may hold login sessions; they
		// stay behind, as with migrate-store.
		_, err = copyTables(ctx, tmp, dsn, src, dst, sums)
		if err != nil && plotline.ErrorCode(err) != plotline.ECONFLICT {
			err = fmt.Errorf("%w\n(the history was restored and verified; the accounts and review decisions were not: restore again into a new, empty schema)", err)
		}
	}
	if plotline.ErrorCode(err) == plotline.ECONFLICT {
		return fmt.Errorf("%w\nRestore into a new schema (…?search_path=NEW) or drop the tables first.\n%s", err, pgDumpAdvice)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "restored %s from %s\n", redact(dsn), file)
	sums.write(m.Stdout)
	fmt.Fprintln(m.Stdout, "verified: every table's row count and checksum match the backup")
	return nil
}

type sqliteFileInfo struct {
	changes, last, size int64
}

// checkSQLiteFile opens path read-only and checks that it is an intact
// Plotline database: SQLite's integrity check passes and it has a change log.
func checkSQLiteFile(ctx context.Context, path string) (*sqliteFileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, plotline.Errorf(plotline.ENOTFOUND, "%s does not exist", path)
		}
		return nil, err
	}
	head := make([]byte, 16)
	if fh, err := os.Open(path); err == nil {
		_, _ = io.ReadFull(fh, head) // a short file fails the magic check below
		fh.Close()
	}
	if bytes.HasPrefix(head, []byte("PGDMP")) {
		return nil, plotline.Errorf(plotline.EINVALID, "%s is a pg_dump archive: restore it with pg_restore\n%s", path, pgDumpAdvice)
	}
	if !bytes.Equal(head, []byte("SQLite format 3\x00")) {
		return nil, plotline.Errorf(plotline.EINVALID, "%s is not a Plotline backup (not a SQLite database)", path)
	}
	// The driver is registered by internal/sqlite; mode=ro leaves the file untouched.
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&ok); err != nil {
		return nil, plotline.Errorf(plotline.EINVALID, "%s: integrity check failed: %v", path, err)
	}
	if ok != "ok" {
		return nil, plotline.Errorf(plotline.EINVALID, "%s: integrity check failed: %s", path, ok)
	}
	info := &sqliteFileInfo{size: st.Size()}
	if err := db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0) FROM changes`).Scan(&info.changes, &info.last); err != nil {
		return nil, plotline.Errorf(plotline.EINVALID, "%s is not a Plotline database: %v", path, err)
	}
	return info, nil
}

// copyFile copies src to a new file dst and syncs it to disk.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// removeSQLite removes a SQLite file and its WAL and shared-memory files.
func removeSQLite(path string) {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix) //nolint:errcheck // best effort: the file may not exist
	}
}
