package ingest_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/ingest/acled"
	"github.com/plotline-dev/plotline/internal/ingest/gtd"
	"github.com/plotline-dev/plotline/internal/resolve"
	"github.com/plotline-dev/plotline/internal/sqlite"
	_ "modernc.org/sqlite" // the raw baseline opens SQLite directly
)

// genReader produces a synthetic CSV of n rows lazily, so a million rows
// need no file and no memory. Rows are deterministic in their index.
type genReader struct {
	header string
	n, i   int
	row    func(i int, b []byte) []byte
	buf    []byte
}

func (g *genReader) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.i < 0:
			return 0, io.EOF
		case g.i == 0 && g.header != "":
			g.buf = append(g.buf, g.header...)
			g.header = ""
			continue
		case g.i >= g.n:
			g.i = -1
			return 0, io.EOF
		}
		g.buf = g.row(g.i, g.buf[:0])
		g.i++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

var (
	benchCountries = []string{"Iraq", "Afghanistan", "Nigeria", "Syria", "Somalia", "France", "Germany", "Turkey", "Pakistan", "Mali"}
	benchGroups    = []string{"Islamic State of Iraq and the Levant (ISIL)", "Khorasan Chapter of the Islamic State", "Unknown", "Taliban",
		"Boko Haram", "Al-Shabaab", "Islamic State in the Greater Sahara (ISGS)", "Unknown", "Tehrik-i-Taliban Pakistan (TTP)", "Jihadi-inspired extremists"}
)

// gtdRow writes one 135-column GTD row; only the columns the importer
// reads carry values, as in real files most cells are blank.
func gtdHeader() []string {
	f, err := os.Open(filepath.Join("testdata", "gtd-header.csv"))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	h, err := csv.NewReader(f).Read()
	if err != nil {
		panic(err)
	}
	return h
}

func gtdGen(n int) *genReader {
	h := gtdHeader()
	idx := map[string]int{}
	for i, c := range h {
		idx[c] = i
	}
	vals := make([]string, len(h))
	return &genReader{header: strings.Join(h, ",") + "\r\n", n: n, row: func(i int, b []byte) []byte {
		for k := range vals {
			vals[k] = ""
		}
		set := func(c, v string) { vals[idx[c]] = v }
		set("eventid", strconv.Itoa(200001010000+i))
		set("iyear", strconv.Itoa(2000+i%20))
		set("imonth", strconv.Itoa(1+i%12))
		set("iday", strconv.Itoa(i%28))
		set("country_txt", benchCountries[i%len(benchCountries)])
		set("provstate", "Province "+strconv.Itoa(i%7))
		set("city", "City "+strconv.Itoa(i%101))
		set("latitude", strconv.FormatFloat(10+float64(i%5000)/1000, 'f', 4, 64))
		set("longitude", strconv.FormatFloat(20+float64(i%3000)/1000, 'f', 4, 64))
		set("specificity", "1")
		set("summary", "\"Synthetic incident "+strconv.Itoa(i)+": an explosive device detonated near a checkpoint, killing and wounding several people.\"")
		set("success", strconv.Itoa(i%9/8^1))
		set("attacktype1_txt", "Bombing/Explosion")
		set("targtype1_txt", "Military")
		set("weaptype1_txt", "Explosives")
		set("gname", benchGroups[i%len(benchGroups)])
		set("guncertain1", strconv.Itoa(i%5/4))
		set("claimed", strconv.Itoa(i%3/2))
		set("nkill", strconv.Itoa(i%7))
		set("nwound", strconv.Itoa(i%11))
		set("scite1", "\"\"\"Synthetic report "+strconv.Itoa(i)+",\"\" Example Wire, January 1, 2020.\"")
		set("dbsource", "START Primary Collection")
		for k, v := range vals {
			if k > 0 {
				b = append(b, ',')
			}
			b = append(b, v...)
		}
		return append(b, '\r', '\n')
	}}
}

const acledHeader = "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,iso3\n"

var (
	acledActors = []string{"Islamic State (Afghanistan)", "Taliban", "Military Forces of Afghanistan (2014-)", "Unidentified Armed Group (Afghanistan)", "ISKP: Islamic State Khorasan Province"}
	months      = []string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
)

func acledGen(n int) *genReader {
	return &genReader{header: acledHeader, n: n, row: func(i int, b []byte) []byte {
		b = fmt.Appendf(b, "%d,4,AFG%d,%d,%02d %s %d,%d,%d,Battles,Armed clash,%s,,2,%s,,1,12,Caucasus and Central Asia,Afghanistan,Province %d,District %d,,Place %d,%.4f,%.4f,%d,Khaama Press,National,\"On this day, event %d: a clash was reported\nwith casualties on both sides.\",%d,1583771101,AFG\n",
			i, i, i, 1+i%28, months[i%12], 2000+i%20, 2000+i%20, 1+i%3/2, acledActors[i%len(acledActors)], acledActors[(i+2)%len(acledActors)],
			i%30, i%300, i%1000, 31+float64(i%5000)/1000, 62+float64(i%3000)/1000, 1+i%2, i, i%9)
		return b
	}}
}

func benchRows(b *testing.B) int {
	if s := os.Getenv("PLOTLINE_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err == nil {
			return n
		}
	}
	return 1_000_000
}

func openBench(b *testing.B) *sqlite.DB {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// clock sums wall time and the process's CPU time (user and system) over
// the measured parts of a benchmark. The machines we measure on are
// shared: wall-clock rows/s moves with everyone else's load, rows per
// CPU-second much less.
type clock struct {
	wall, cpu time.Duration
	w0        time.Time
	c0        time.Duration
}

func (c *clock) start() { c.w0, c.c0 = time.Now(), processCPU() }
func (c *clock) stop()  { c.wall += time.Since(c.w0); c.cpu += processCPU() - c.c0 }

type readerFunc func(io.Reader) (ingest.Reader, error)

// benchImport imports n synthetic rows into a new store, then makes the
// baseline in the same run: a raw SQLite bulk insert of exactly the rows
// the import stored, into the same tables of another new store. It
// reports, for the import (the acceptance figures) and for the baseline,
// rows per wall-clock second and per CPU-second of the whole process (GC
// and SQLite included), and import CPU over baseline CPU.
func benchImport(b *testing.B, ds ingest.Dataset, gen func(int) *genReader, open readerFunc) {
	n := benchRows(b)
	var imp, raw, floor, mapOnly clock
	for b.Loop() {
		b.StopTimer()
		db := openBench(b)
		res := resolve.New(nil, nil)
		b.StartTimer()
		imp.start()
		r, err := open(gen(n))
		if err != nil {
			b.Fatal(err)
		}
		// A context that can be cancelled, as the CLI's (Ctrl-C) can.
		ctx, cancel := context.WithCancel(context.Background())
		sum, err := ingest.Run(ctx, db, res, ds, r, ingest.Options{File: "synthetic"})
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		if sum.Imported != n {
			b.Fatalf("imported %d of %d", sum.Imported, n)
		}
		imp.stop()
		b.StopTimer()
		rawInsert(b, db, n, &raw)
		floorInsert(b, db, n, &floor)
		db.Close()
		mapInput(b, ds, gen, open, n, &mapOnly)
		b.StartTimer()
	}
	per := func(c time.Duration) float64 { return float64(n) * float64(b.N) / c.Seconds() }
	b.ReportMetric(per(imp.wall), "rows/s")
	b.ReportMetric(per(imp.cpu), "rows/cpu-s")
	b.ReportMetric(per(raw.wall), "raw-rows/s")
	b.ReportMetric(per(raw.cpu), "raw-rows/cpu-s")
	b.ReportMetric(imp.cpu.Seconds()/raw.cpu.Seconds(), "cpu-x-raw")
	b.ReportMetric(per(floor.wall), "floor-rows/s")
	b.ReportMetric(per(floor.cpu), "floor-rows/cpu-s")
	b.ReportMetric(per(mapOnly.cpu), "map-rows/cpu-s")
}

// mapInput measures what the import costs before any store: the same
// synthetic file read, parsed, mapped and its group names resolved, with
// every put discarded. With floorInsert it bounds what any store could
// reach on the machine: SQLite has one writer, so an import can go no
// faster than the floor's wall-clock rate, and its CPU per row is at least
// the map's plus the floor's.
func mapInput(b *testing.B, ds ingest.Dataset, gen func(int) *genReader, open readerFunc, n int, c *clock) {
	c.start()
	defer c.stop()
	r, err := open(gen(n))
	if err != nil {
		b.Fatal(err)
	}
	sum, err := ingest.Run(context.Background(), discardStore{}, resolve.New(nil, nil), ds, r, ingest.Options{File: "synthetic"})
	if err != nil {
		b.Fatal(err)
	}
	if sum.Imported != n {
		b.Fatalf("map only: %d of %d", sum.Imported, n)
	}
}

// discardStore takes every put and keeps nothing.
type discardStore struct{}

func (discardStore) BeginImport(context.Context, string, string) (plotline.ImportTx, error) {
	return discardStore{}, nil
}
func (discardStore) PutSource(context.Context, *plotline.Source) (plotline.PutResult, error) {
	return plotline.PutCreated, nil
}
func (discardStore) PutActor(context.Context, *plotline.Actor) (plotline.PutResult, error) {
	return plotline.PutCreated, nil
}
func (discardStore) PutIncident(context.Context, *plotline.Incident, ...plotline.Source) (plotline.PutResult, error) {
	return plotline.PutCreated, nil
}
func (discardStore) AddPendingName(context.Context, *plotline.PendingName) error { return nil }
func (discardStore) Commit() (*plotline.Change, error)                           { return &plotline.Change{}, nil }
func (discardStore) Rollback() error                                             { return nil }

// floorInsert measures the floor of any layout that keeps each record's
// versions: the import's records copied into bare tables (identity table,
// version table with its key and the JSON data only: no columns for
// queries, no secondary index, no full text), 64 rows per INSERT, one
// transaction. No import into such a schema could be faster than this.
func floorInsert(b *testing.B, src *sqlite.DB, n int, c *clock) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "floor.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	stmts := []string{`PRAGMA page_size = 16384`, `PRAGMA journal_mode = WAL`, `PRAGMA synchronous = NORMAL`, `PRAGMA cache_size = ` + importCacheSize}
	for _, t := range rawTables {
		if t.identity == "" {
			continue
		}
		stmts = append(stmts, `CREATE TABLE `+t.identity+` (id TEXT PRIMARY KEY) WITHOUT ROWID`,
			`CREATE TABLE `+t.name+` (id TEXT NOT NULL, version INTEGER NOT NULL, change_id INTEGER NOT NULL, rec_from INTEGER NOT NULL, data TEXT, PRIMARY KEY (id, version))`)
	}
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	c.start()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	incidents := 0
	for _, t := range rawTables {
		if t.identity == "" {
			continue
		}
		copied, err := copyTable(ctx, c, src.ReadDB(), tx, t, "id", "version", "change_id", "rec_from", "data")
		if err != nil {
			b.Fatalf("%s: %v", t.name, err)
		}
		if t.name == "incident_v" {
			incidents = copied
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	c.stop()
	if incidents != n {
		b.Fatalf("floor: inserted %d incidents of %d", incidents, n)
	}
}

// importCacheSize is the page cache the store's import connection sets
// (internal/sqlite/bulk.go), given to the baseline's connection too.
const importCacheSize = "-65536"

// rawInsert is the baseline: the rows the import stored in src copied,
// table by table in the order it wrote them, with one prepared INSERT per
// table in one transaction, into a new store database (same migrations:
// the same indexes, foreign keys and full-text index; same connection
// pragmas as the import). The clock runs over the inserts and the commit
// only: reading the rows back from src, chunk by chunk, is not measured,
// nor is reading or mapping the input file, so the baseline is what
// SQLite alone costs to store those rows.
//
// The inserts are the fastest plain ones: 64 rows per INSERT statement
// (rawRows), foreign keys not checked row by row (the import checks
// references itself and turns them off too). The baseline also takes the
// import's shortcut for full text: the trigger is dropped for the
// transaction and the index filled by one INSERT … SELECT before commit
// (row by row the trigger costs more than the rest of the insert).
func rawInsert(b *testing.B, src *sqlite.DB, n int, c *clock) {
	ctx := context.Background()
	dst := openBench(b) // the schema
	path := dst.Path
	dst.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=foreign_keys(0)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, p := range []string{`PRAGMA cache_size = ` + importCacheSize} {
		if _, err := db.Exec(p); err != nil {
			b.Fatal(err)
		}
	}
	c.start()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	var trigger string
	if err := tx.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'incident_v_fts'`).Scan(&trigger); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(`DROP TRIGGER incident_v_fts`); err != nil {
		b.Fatal(err)
	}
	var incidents int
	for _, t := range rawTables {
		copied, err := copyTable(ctx, c, src.ReadDB(), tx, t)
		if err != nil {
			b.Fatalf("%s: %v", t.name, err)
		}
		if t.name == "incident_v" {
			incidents = copied
		}
	}
	if _, err := tx.Exec(`INSERT INTO incident_fts (rowid, title, summary)
		SELECT rowid, coalesce(json_extract(data, '$.title'), ''), coalesce(json_extract(data, '$.summary'), '')
		FROM incident_v WHERE deleted = 0`); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(trigger); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	c.stop()
	if incidents != n {
		b.Fatalf("inserted %d incidents of %d", incidents, n)
	}
}

// rawTables are the tables an import writes, in dependency order. A
// version table with an identity table gets the identity row inserted
// just before the record's first version, as the import does.
var rawTables = []struct{ name, identity string }{
	{"changes", ""}, {"source_v", "source"}, {"actor_v", "actor"}, {"incident_v", "incident"},
	{"attribution_v", "attribution"}, {"pending_name", ""},
}

// rawRows is how many rows one INSERT statement of the baseline writes.
const rawRows = 64

// copyTable inserts every row of table from src into tx in rowid order,
// rawRows rows per statement, reading chunks with the clock stopped; only
// the columns named in only, if any. It returns the number of rows copied.
func copyTable(ctx context.Context, c *clock, src *sql.DB, tx *sql.Tx, t struct{ name, identity string }, only ...string) (int, error) {
	c.stop()
	defer c.start()
	var cols []string
	rows, err := src.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) WHERE ? = '' OR instr(?, ','||name||',') > 0 ORDER BY cid`,
		t.name, strings.Join(only, ","), ","+strings.Join(only, ",")+",")
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return 0, err
		}
		cols = append(cols, `"`+c+`"`)
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	ins, err := newMultiInsert(ctx, tx, t.name, cols)
	if err != nil {
		return 0, err
	}
	defer ins.close()
	var ident *multiInsert
	if t.identity != "" {
		if ident, err = newMultiInsert(ctx, tx, t.identity, []string{"id"}); err != nil {
			return 0, err
		}
		defer ident.close()
	}
	const chunk = 10_000
	q := `SELECT rowid, ` + strings.Join(cols, ", ") + ` FROM ` + t.name + ` WHERE rowid > ? ORDER BY rowid LIMIT ?`
	if t.name == "pending_name" { // without rowid, and small
		q = `SELECT ?, ` + strings.Join(cols, ", ") + ` FROM ` + t.name + ` LIMIT ?`
	}
	copied := 0
	for last := int64(0); ; {
		batch, err := readChunk(ctx, src, q, len(cols), last, chunk)
		if err != nil {
			return 0, err
		}
		c.start()
		for _, row := range batch {
			last = row[0].(int64)
			vals := row[1:]
			if ident != nil && vals[1] == int64(1) { // version 1: the record is new
				if err := ident.add(ctx, vals[0]); err != nil {
					return 0, err
				}
			}
			if err := ins.add(ctx, vals...); err != nil {
				return 0, err
			}
		}
		c.stop()
		copied += len(batch)
		if len(batch) < chunk || t.name == "pending_name" {
			c.start()
			defer c.stop()
			if ident != nil {
				if err := ident.flush(ctx); err != nil {
					return 0, err
				}
			}
			return copied, ins.flush(ctx)
		}
	}
}

// multiInsert inserts rows into one table rawRows at a time.
type multiInsert struct {
	tx            *sql.Tx
	width         int
	multi, single *sql.Stmt
	args          []any
}

func newMultiInsert(ctx context.Context, tx *sql.Tx, table string, cols []string) (*multiInsert, error) {
	row := `(?` + strings.Repeat(", ?", len(cols)-1) + `)`
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	m := &multiInsert{tx: tx, width: len(cols)}
	var err error
	if m.single, err = tx.PrepareContext(ctx, head+row); err != nil {
		return nil, err
	}
	if m.multi, err = tx.PrepareContext(ctx, head+row+strings.Repeat(", "+row, rawRows-1)); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *multiInsert) add(ctx context.Context, vals ...any) error {
	m.args = append(m.args, vals...)
	if len(m.args) < m.width*rawRows {
		return nil
	}
	_, err := m.multi.ExecContext(ctx, m.args...)
	m.args = m.args[:0]
	return err
}

// flush inserts the rows of a last, partly filled statement one by one.
func (m *multiInsert) flush(ctx context.Context) error {
	for i := 0; i < len(m.args); i += m.width {
		if _, err := m.single.ExecContext(ctx, m.args[i:i+m.width]...); err != nil {
			return err
		}
	}
	m.args = m.args[:0]
	return nil
}

func (m *multiInsert) close() {
	m.single.Close()
	m.multi.Close()
}

// readChunk reads up to limit rows after rowid last: the rowid, then ncols values.
func readChunk(ctx context.Context, db *sql.DB, q string, ncols int, last int64, limit int) ([][]any, error) {
	rows, err := db.QueryContext(ctx, q, last, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, ncols+1)
		ptrs := make([]any, ncols+1)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

func openGTD(r io.Reader) (ingest.Reader, error)   { return gtd.NewCSV(r, 0, "") }
func openACLED(r io.Reader) (ingest.Reader, error) { return acled.New(r, 0, "") }

func BenchmarkImportGTD(b *testing.B)   { benchImport(b, gtd.Dataset(), gtdGen, openGTD) }
func BenchmarkImportACLED(b *testing.B) { benchImport(b, acled.Dataset(), acledGen, openACLED) }

// TestGenerators keeps the synthetic files importable (a cheap guard for
// the benchmarks, which only run under -bench).
func TestGenerators(t *testing.T) {
	for _, tt := range []struct {
		ds   ingest.Dataset
		gen  func(int) *genReader
		open readerFunc
	}{
		{gtd.Dataset(), gtdGen, openGTD},
		{acled.Dataset(), acledGen, openACLED},
	} {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "g.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		r, err := tt.open(tt.gen(300))
		if err != nil {
			t.Fatal(err)
		}
		sum, err := ingest.Run(context.Background(), db, resolve.New(nil, nil), tt.ds, r, ingest.Options{File: "synthetic"})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Imported != 300 || sum.Rejected != 0 {
			t.Errorf("%s: %+v", tt.ds.Name, sum)
		}
		list, err := db.Incidents(context.Background(), plotline.IncidentFilter{Limit: 1}, plotline.AsOf{})
		if err != nil || len(list) != 1 {
			t.Fatalf("%v %v", list, err)
		}
	}
}
