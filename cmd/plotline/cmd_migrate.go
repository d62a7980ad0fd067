package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx": migrate-store's table copy
	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// migrateStore copies a whole store, history included (every change and
// every version, same IDs and record times), into a new empty one, then
// reads the copy back and compares row counts and checksums per table.
func (m *Main) migrateStore(ctx context.Context, args []string) error {
	f := m.newFlags("migrate-store", "FROM TO   (each a SQLite file or a postgres:// URL; TO must be empty)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "migrate-store takes FROM and TO")
	}
	from, to := pos[0], pos[1]
	if from == to {
		return plotline.Errorf(plotline.EINVALID, "FROM and TO are the same database")
	}
	src, err := openExisting(ctx, from)
	if err != nil {
		return fmt.Errorf("open %s: %w", redact(from), err)
	}
	defer src.Close()
	dst, err := openBackend(ctx, to)
	if err != nil {
		return fmt.Errorf("open %s: %w", redact(to), err)
	}
	defer dst.Close()
	sums, err := copyHistory(ctx, src, dst)
	if err != nil {
		return err
	}
	sessions, err := copyTables(ctx, from, to, src, dst, sums)
	if err != nil {
		return fmt.Errorf("%w\n(the history was copied and verified; the accounts and review decisions were not: start again from a new, empty TO)", err)
	}
	fmt.Fprintf(m.Stdout, "copied %s → %s\n", redact(from), redact(to))
	sums.write(m.Stdout)
	fmt.Fprintln(m.Stdout, "verified: every table's row count and checksum match")
	if sessions > 0 {
		fmt.Fprintf(m.Stderr, "plotline: %d login sessions were not copied: users sign in again on the new store\n", sessions)
	}
	return nil
}

// copyHistory streams src's whole history into dst (which must be empty) in
// one transaction, then re-reads dst and checks it against what was sent.
func copyHistory(ctx context.Context, src, dst plotline.Store) (*historySums, error) {
	exp, ok := src.(plotline.HistoryExporter)
	if !ok {
		return nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "the source store cannot export its history")
	}
	imp, ok := dst.(plotline.HistoryImporter)
	if !ok {
		return nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "the target store cannot import a history")
	}
	ld, err := imp.ImportHistory(ctx)
	if err != nil {
		return nil, err
	}
	defer ld.Rollback(ctx) //nolint:errcheck // a no-op after Commit; the copy's error is the one to report
	sent := newHistorySums()
	err = exp.ExportHistory(ctx,
		func(c plotline.HistoryChange) error { sent.change(c); return ld.AddChange(ctx, c) },
		func(v plotline.HistoryVersion) error { sent.version(v); return ld.AddVersion(ctx, v) })
	if err != nil {
		return nil, fmt.Errorf("copy history: %w", err)
	}
	if err := ld.Commit(ctx); err != nil {
		return nil, fmt.Errorf("copy history: %w", err)
	}
	got, err := sumHistory(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("verify copy: %w", err)
	}
	if diff := sent.diff(got); diff != "" {
		return nil, plotline.Errorf(plotline.EINTERNAL, "the copy differs from the source: %s", diff)
	}
	return sent, nil
}

// sumHistory reads a store's whole history and returns its checksums.
func sumHistory(ctx context.Context, s plotline.Store) (*historySums, error) {
	exp, ok := s.(plotline.HistoryExporter)
	if !ok {
		return nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "the store cannot export its history")
	}
	sums := newHistorySums()
	err := exp.ExportHistory(ctx,
		func(c plotline.HistoryChange) error { sums.change(c); return nil },
		func(v plotline.HistoryVersion) error { sums.version(v); return nil })
	if err != nil {
		return nil, err
	}
	return sums, nil
}

// historySums holds a row count and a SHA-256 per table, over a canonical,
// backend-independent encoding of each row in export order. Identity tables
// (one row per record ID) are summed over the IDs the versions carry.
type historySums struct {
	tables []string
	rows   map[string]int64
	hashes map[string]hash.Hash
	lastID map[string]string
	buf    []byte
}

func newHistorySums() *historySums {
	s := &historySums{tables: []string{"changes"}, rows: map[string]int64{}, hashes: map[string]hash.Hash{}, lastID: map[string]string{}}
	for _, k := range plotline.RecKinds {
		s.tables = append(s.tables, k, k+"_v")
	}
	for _, t := range s.tables {
		s.hashes[t] = sha256.New()
	}
	return s
}

func (s *historySums) add(table string, fields ...any) {
	b := s.buf[:0]
	for _, f := range fields {
		switch v := f.(type) {
		case int64:
			b = binary.AppendVarint(b, v)
		case bool:
			if v {
				b = append(b, 1)
			} else {
				b = append(b, 0)
			}
		case string:
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case []byte: // nil (a tombstone's data) differs from empty
			if v == nil {
				b = append(b, 0)
				continue
			}
			b = append(b, 1)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		}
	}
	s.buf = b
	s.hashes[table].Write(b)
	s.rows[table]++
}

func (s *historySums) change(c plotline.HistoryChange) {
	s.add("changes", c.ID, c.RecordedAt, c.RecordedBy, c.Note, cmp.Or(c.Action, plotline.ActionEdit), c.Target)
}

func (s *historySums) version(v plotline.HistoryVersion) {
	if _, ok := s.hashes[v.Kind]; !ok {
		return // not a record kind; the importer rejects it
	}
	if s.rows[v.Kind] == 0 || s.lastID[v.Kind] != v.ID {
		s.lastID[v.Kind] = v.ID
		s.add(v.Kind, v.ID)
	}
	s.add(v.Kind+"_v", v.ID, int64(v.Version), v.ChangeID, v.RecFrom, v.RecTo, v.Deleted, v.Data, cmp.Or(v.Status, plotline.StatusPublished))
}

func (s *historySums) sum(table string) string {
	h, ok := s.hashes[table]
	if !ok {
		h = sha256.New()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// register adds a table beyond the history's (listed after them).
func (s *historySums) register(table string) {
	if _, ok := s.hashes[table]; !ok {
		s.tables = append(s.tables, table)
		s.hashes[table] = sha256.New()
	}
}

// addRow adds a row of normalised values (readTable), each tagged with its
// type so that NULL, 0 and "" differ.
func (s *historySums) addRow(table string, vals []any) {
	b := s.buf[:0]
	for _, v := range vals {
		switch v := v.(type) {
		case nil:
			b = append(b, 'n')
		case int64:
			b = binary.AppendVarint(append(b, 'i'), v)
		case bool:
			if v {
				b = append(b, 't')
			} else {
				b = append(b, 'f')
			}
		case float64:
			b = binary.BigEndian.AppendUint64(append(b, 'r'), math.Float64bits(v))
		case string:
			b = append(binary.AppendUvarint(append(b, 's'), uint64(len(v))), v...)
		case []byte:
			b = append(binary.AppendUvarint(append(b, 'b'), uint64(len(v))), v...)
		}
	}
	s.buf = b
	s.hashes[table].Write(b)
	s.rows[table]++
}

// diffTable is diff for one table.
func (s *historySums) diffTable(o *historySums, t string) string {
	if s.rows[t] != o.rows[t] {
		return fmt.Sprintf("table %s has %d rows in the copy, %d in the source", t, o.rows[t], s.rows[t])
	}
	if s.sum(t) != o.sum(t) {
		return fmt.Sprintf("table %s: checksum %s in the copy, %s in the source", t, o.sum(t)[:16], s.sum(t)[:16])
	}
	return ""
}

// diff describes the first table whose count or checksum differs, "" when none does.
func (s *historySums) diff(o *historySums) string {
	for _, t := range s.tables {
		if d := s.diffTable(o, t); d != "" {
			return d
		}
	}
	return ""
}

func (s *historySums) write(w io.Writer) {
	fmt.Fprintf(w, "  %-18s %9s  %s\n", "table", "rows", "sha256")
	for _, t := range s.tables {
		fmt.Fprintf(w, "  %-18s %9d  %s\n", t, s.rows[t], s.sum(t))
	}
}

// Tables outside the versioned history that migrate-store copies too, rows
// verbatim (IDs kept: tokens and decisions point at accounts and records),
// each verified by count and checksum like the history. Login sessions are
// not copied.
var auxTables = []auxTable{
	{name: "account", key: "id", identity: true, cols: []auxCol{{"id", colInt}, {"name", colText}, {"role", colText},
		{"clearance", colText}, {"password", colText}, {"disabled", colBool}, {"created_at", colInt}}},
	{name: "api_token", key: "id", identity: true, cols: []auxCol{{"id", colInt}, {"account_id", colInt}, {"label", colText},
		{"hash", colBytes}, {"created_at", colInt}, {"used_at", colInt}, {"revoked_at", colInt}, {"expires_at", colInt}}},
	{name: "name_decision", key: "id", identity: true, cols: []auxCol{{"id", colInt}, {"dataset", colText}, {"name_key", colText},
		{"name", colText}, {"verdict", colText}, {"actor_id", colText}, {"decided_by", colText}, {"decided_at", colInt}, {"note", colText}}},
	{name: "pending_name", key: "dataset, name_key", cols: []auxCol{{"dataset", colText}, {"name_key", colText}, {"name", colText},
		{"actor_id", colText}, {"example", colText}, {"suggestion", colText}, {"reason", colText}, {"first_seen", colInt}, {"last_seen", colInt}}},
	{name: "duplicate_decision", key: "id", identity: true, cols: []auxCol{{"id", colInt}, {"incident_a", colText}, {"incident_b", colText},
		{"verdict", colText}, {"score", colFloat}, {"reason", colText}, {"decided_by", colText}, {"decided_at", colInt}, {"note", colText}}},
}

type auxTable struct {
	name     string
	key      string // ORDER BY: the same order on both backends
	identity bool   // PostgreSQL: an identity column id, whose sequence must pass the copied IDs
	cols     []auxCol
}

type auxCol struct {
	name string
	typ  colType
}

// colType is a column's backend-independent type: values are read into
// it (SQLite keeps booleans as integers, PostgreSQL as booleans).
type colType int

const (
	colInt colType = iota
	colText
	colBool
	colBytes
	colFloat
)

// tableDB reaches a store's tables through database/sql: the SQLite file
// through the modernc driver the sqlite package registers, PostgreSQL
// through pgx's database/sql driver.
type tableDB struct {
	*sql.DB
	pg bool
}

// openTables opens a second handle on the database dsn names (whose store
// st is open: its migrations have run).
func openTables(dsn string, st plotline.Store) (*tableDB, error) {
	if isPostgres(dsn) {
		db, err := sql.Open("pgx", dsn)
		return &tableDB{DB: db, pg: true}, err
	}
	path := dsn
	if lite, ok := st.(*sqlite.DB); ok {
		path = lite.Path
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	return &tableDB{DB: db}, err
}

func (t *tableDB) placeholders(n int) string {
	p := make([]string, n)
	for i := range p {
		p[i] = "?"
		if t.pg {
			p[i] = "$" + strconv.Itoa(i+1)
		}
	}
	return strings.Join(p, ", ")
}

// readTable reads every row of tb in key order, each value normalised to
// nil, int64, string, bool, []byte or float64.
func readTable(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, tb auxTable) ([][]any, error) {
	names := make([]string, len(tb.cols))
	for i, c := range tb.cols {
		names[i] = c.name
	}
	rows, err := q.QueryContext(ctx, `SELECT `+strings.Join(names, ", ")+` FROM `+tb.name+` ORDER BY `+tb.key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", tb.name, err)
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		raw := make([]any, len(tb.cols))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("read %s: %w", tb.name, err)
		}
		for i, c := range tb.cols {
			v, err := normalise(raw[i], c.typ)
			if err != nil {
				return nil, fmt.Errorf("read %s.%s: %w", tb.name, c.name, err)
			}
			raw[i] = v
		}
		out = append(out, raw)
	}
	return out, rows.Err()
}

func normalise(v any, typ colType) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case colInt:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case colText:
		switch s := v.(type) {
		case string:
			return s, nil
		case []byte:
			return string(s), nil
		}
	case colBool:
		switch b := v.(type) {
		case bool:
			return b, nil
		case int64:
			return b != 0, nil
		}
	case colBytes:
		switch b := v.(type) {
		case []byte:
			return bytes.Clone(b), nil
		case string:
			return []byte(b), nil
		}
	case colFloat:
		switch f := v.(type) {
		case float64:
			return f, nil
		case int64:
			return float64(f), nil
		}
	}
	return nil, fmt.Errorf("unexpected value %T", v)
}

// copyTables copies the auxTables of the database from (store src) into the
// database to (store dst, whose history copyHistory has just written), in
// one transaction, then reads them back and checks counts and checksums;
// sums gets their rows. A table missing on either side (a store older than
// the migration creating it) is skipped. It returns how many login sessions
// the source held (not copied).
func copyTables(ctx context.Context, from, to string, src, dst plotline.Store, sums *historySums) (sessions int64, err error) {
	in, err := openTables(from, src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := openTables(to, dst)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	opts := &sql.TxOptions{ReadOnly: true} // a SQLite read transaction is a snapshot
	if in.pg {
		opts.Isolation = sql.LevelRepeatableRead
	}
	rtx, err := in.BeginTx(ctx, opts)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", redact(from), err)
	}
	defer rtx.Rollback() //nolint:errcheck // read-only
	if hasTable(ctx, rtx, in.pg, "session") {
		if err := rtx.QueryRowContext(ctx, `SELECT count(*) FROM session`).Scan(&sessions); err != nil {
			return 0, fmt.Errorf("read %s: %w", redact(from), err)
		}
	}
	tx, err := out.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", redact(to), err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var copied []auxTable
	for _, tb := range auxTables {
		if !hasTable(ctx, rtx, in.pg, tb.name) || !hasTable(ctx, tx, out.pg, tb.name) {
			continue
		}
		rows, err := readTable(ctx, rtx, tb)
		if err != nil {
			return 0, err
		}
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+tb.name).Scan(&n); err != nil {
			return 0, fmt.Errorf("write %s: %w", tb.name, err)
		}
		if n > 0 {
			return 0, plotline.Errorf(plotline.ECONFLICT, "table %s of %s is not empty", tb.name, redact(to))
		}
		names := make([]string, len(tb.cols))
		for i, c := range tb.cols {
			names[i] = c.name
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO `+tb.name+` (`+strings.Join(names, ", ")+`) VALUES (`+out.placeholders(len(names))+`)`)
		if err != nil {
			return 0, fmt.Errorf("write %s: %w", tb.name, err)
		}
		sums.register(tb.name)
		for _, r := range rows {
			if _, err := ins.ExecContext(ctx, r...); err != nil {
				ins.Close()
				return 0, fmt.Errorf("write %s: %w", tb.name, err)
			}
			sums.addRow(tb.name, r)
		}
		ins.Close()
		if out.pg && tb.identity && len(rows) > 0 {
			if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, 'id'), (SELECT max(id) FROM `+tb.name+`))`, tb.name); err != nil {
				return 0, fmt.Errorf("write %s: %w", tb.name, err)
			}
		}
		copied = append(copied, tb)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("write %s: %w", redact(to), err)
	}
	got := newHistorySums()
	for _, tb := range copied {
		rows, err := readTable(ctx, out, tb)
		if err != nil {
			return 0, fmt.Errorf("verify copy: %w", err)
		}
		got.register(tb.name)
		for _, r := range rows {
			got.addRow(tb.name, r)
		}
		if d := sums.diffTable(got, tb.name); d != "" {
			return 0, plotline.Errorf(plotline.EINTERNAL, "the copy differs from the source: %s", d)
		}
	}
	return sessions, nil
}

// hasTable reports whether the schema q reads has table name.
func hasTable(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, pg bool, name string) bool {
	query := `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	if pg {
		query = `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`
	}
	var n int
	return q.QueryRowContext(ctx, query, name).Scan(&n) == nil && n > 0
}

// sumTables adds the auxTables of the database dsn (store st) to sums: row
// counts and checksums of what migrate-store and backup carry beside the
// history. A table the store does not have is skipped.
func sumTables(ctx context.Context, dsn string, st plotline.Store, sums *historySums) error {
	tables, err := openTables(dsn, st)
	if err != nil {
		return err
	}
	defer tables.Close()
	for _, tb := range auxTables {
		if !hasTable(ctx, tables, tables.pg, tb.name) {
			continue
		}
		rows, err := readTable(ctx, tables, tb)
		if err != nil {
			return err
		}
		sums.register(tb.name)
		for _, r := range rows {
			sums.addRow(tb.name, r)
		}
	}
	return nil
}
