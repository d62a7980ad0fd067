package ingest_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
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

// cpuClock sums the process's CPU time (user and system) over the timed
// parts of a benchmark. The machines we measure on are shared: wall-clock
// rows/s moves with everyone else's load, rows per CPU-second much less.
type cpuClock struct {
	total, t0 time.Duration
}

func (c *cpuClock) start() { c.t0 = processCPU() }
func (c *cpuClock) stop()  { c.total += processCPU() - c.t0 }

// reportRows reports rows per wall-clock second (the acceptance figure) and
// rows per CPU-second of the whole process (GC and SQLite included).
func reportRows(b *testing.B, n int, cpu cpuClock) {
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu.total > 0 {
		b.ReportMetric(float64(n)*float64(b.N)/cpu.total.Seconds(), "rows/cpu-s")
	}
}

type readerFunc func(io.Reader) (ingest.Reader, error)

func benchImport(b *testing.B, ds ingest.Dataset, gen func(int) *genReader, open readerFunc) {
	n := benchRows(b)
	var cpu cpuClock
	for b.Loop() {
		b.StopTimer()
		db := openBench(b)
		res := resolve.New(nil, nil)
		cpu.start()
		b.StartTimer()
		r, err := open(gen(n))
		if err != nil {
			b.Fatal(err)
		}
		sum, err := ingest.Run(context.Background(), db, res, ds, r, ingest.Options{File: "synthetic"})
		if err != nil {
			b.Fatal(err)
		}
		if sum.Imported != n {
			b.Fatalf("imported %d of %d", sum.Imported, n)
		}
		b.StopTimer()
		cpu.stop()
		db.Close()
		b.StartTimer()
	}
	reportRows(b, n, cpu)
}

// benchRaw is the baseline: the same CSV rows read with encoding/csv and
// inserted as they are (one TEXT column per field) with one prepared
// statement in one transaction into a fresh SQLite file opened with the
// same pragmas as the store.
func benchRaw(b *testing.B, gen func(int) *genReader) {
	n := benchRows(b)
	var cpu cpuClock
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "raw.db")
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		for _, p := range []string{`PRAGMA temp_store = MEMORY`, `PRAGMA cache_size = -65536`} {
			if _, err := db.Exec(p); err != nil {
				b.Fatal(err)
			}
		}
		cpu.start()
		b.StartTimer()
		cr := csv.NewReader(gen(n))
		cr.ReuseRecord = true
		hdr, err := cr.Read()
		if err != nil {
			b.Fatal(err)
		}
		cols := make([]string, len(hdr))
		for i := range hdr {
			cols[i] = fmt.Sprintf("c%d TEXT", i)
		}
		if _, err := db.Exec(`CREATE TABLE raw (` + strings.Join(cols, ", ") + `)`); err != nil {
			b.Fatal(err)
		}
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		stmt, err := tx.Prepare(`INSERT INTO raw VALUES (?` + strings.Repeat(", ?", len(hdr)-1) + `)`)
		if err != nil {
			b.Fatal(err)
		}
		args := make([]any, len(hdr))
		rows := 0
		for {
			rec, err := cr.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for i, f := range rec {
				args[i] = f
			}
			if _, err := stmt.Exec(args...); err != nil {
				b.Fatal(err)
			}
			rows++
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		if rows != n {
			b.Fatalf("inserted %d of %d", rows, n)
		}
		b.StopTimer()
		cpu.stop()
		db.Close()
		b.StartTimer()
	}
	reportRows(b, n, cpu)
}

func BenchmarkImportGTD(b *testing.B) {
	benchImport(b, gtd.Dataset(), gtdGen, func(r io.Reader) (ingest.Reader, error) { return gtd.NewCSV(r, 0, "") })
}

func BenchmarkRawInsertGTD(b *testing.B) { benchRaw(b, gtdGen) }

func BenchmarkImportACLED(b *testing.B) {
	benchImport(b, acled.Dataset(), acledGen, func(r io.Reader) (ingest.Reader, error) { return acled.New(r, 0, "") })
}

func BenchmarkRawInsertACLED(b *testing.B) { benchRaw(b, acledGen) }

// TestGenerators keeps the synthetic files importable (a cheap guard for
// the benchmarks, which only run under -bench).
func TestGenerators(t *testing.T) {
	for _, tt := range []struct {
		ds   ingest.Dataset
		gen  func(int) *genReader
		open readerFunc
	}{
		{gtd.Dataset(), gtdGen, func(r io.Reader) (ingest.Reader, error) { return gtd.NewCSV(r, 0, "") }},
		{acled.Dataset(), acledGen, func(r io.Reader) (ingest.Reader, error) { return acled.New(r, 0, "") }},
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
