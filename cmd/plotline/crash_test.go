package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The crash test kills the real binary with SIGKILL at random points of an
// import or of a stream of API edits, then opens the database and checks
// that it is intact, that every edit the server acknowledged is there with
// its version, that no import is half visible, and that re-running a killed
// import completes.
//
//	go test -run TestCrash ./cmd/plotline                          # 5 runs
//	PLOTLINE_CRASH_RUNS=20 go test -run TestCrash -v ./cmd/plotline # the acceptance figure
//	PLOTLINE_CRASH_SEED=N reproduces a run's delays.
//
// Kills are time-based, so which statement a kill lands on varies from
// machine to machine even with the same seed; the seed fixes the delays.

const (
	crashRows      = 2000 // rows per import file: an import of a second or two
	crashDefRuns   = 5
	crashEditConns = 2 // concurrent API clients in an edit run
)

// crashAck is one edit the server acknowledged with a 2xx answer.
type crashAck struct {
	id      string // incident ID
	change  int64  // change that recorded it
	summary string // the marker the edit wrote
}

type crashStats struct {
	runs, importKills, importDone, editKills, integrityFailures, lostEdits int
	acked                                                                  int
	reimports                                                              int
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary; skipped with -short")
	}
	runs := crashDefRuns
	if s := os.Getenv("PLOTLINE_CRASH_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("PLOTLINE_CRASH_RUNS=%q: want a positive number", s)
		}
		runs = n
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PLOTLINE_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("PLOTLINE_CRASH_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("crash test: %d runs, seed %d (PLOTLINE_CRASH_SEED=%d reproduces the delays)", runs, seed, seed)

	dir := t.TempDir()
	start := time.Now()
	c := &crasher{t: t, dir: dir, bin: buildPlotline(t, dir), db: filepath.Join(dir, "crash.db")}
	t.Logf("go build took %s", time.Since(start).Round(time.Millisecond))
	c.exec(false, "--db", c.db, "dataset", "load")
	c.exec(false, "gen", "--csv", "acled", "--out", filepath.Join(dir, "base.csv"), "--rows", strconv.Itoa(crashRows), "--seed", "1")
	c.readBase(filepath.Join(dir, "base.csv"))

	// A first, complete import sets the expected counts and how long an
	// import takes here, which scales the kill delays.
	start = time.Now()
	out := c.exec(false, "--db", c.db, "import", "acled", c.importFile(0), "--quiet")
	c.importTime = time.Since(start)
	c.expectIncidents, c.expectAttrs = crashRows, c.countImported(0, "attribution")
	if got := c.countImported(0, "incident"); got != crashRows {
		t.Fatalf("first import stored %d incidents, want %d\n%s", got, crashRows, out)
	}
	t.Logf("a complete import of %d rows (%d statements) took %s", crashRows, c.expectAttrs, c.importTime.Round(time.Millisecond))

	var st crashStats
	for r := 1; r <= runs; r++ {
		rng := rand.New(rand.NewPCG(seed, uint64(r)))
		st.runs++
		if r%2 == 1 {
			c.importRun(r, rng, &st)
		} else {
			c.editRun(r, rng, &st)
		}
		if !c.check(r, &st) {
			break // the database is broken: later runs would only repeat it
		}
	}
	st.acked = len(c.acks)
	summary := fmt.Sprintf("crash test: %d runs (seed %d): %d kills mid-import (%d imports finished before their kill), %d kills mid-edit; %d integrity failures, %d lost edits of %d acknowledged; %d killed imports re-run to completion",
		st.runs, seed, st.importKills, st.importDone, st.editKills, st.integrityFailures, st.lostEdits, st.acked, st.reimports)
	t.Log(summary)
	fmt.Fprintln(os.Stderr, summary) // shown without -v too: the figure the issue asks for
	if st.integrityFailures > 0 || st.lostEdits > 0 {
		t.Fail()
	}
	if st.editKills == 0 || st.acked == 0 {
		t.Errorf("no edit run was killed while edits were in flight (%d acknowledged): the test did not test", st.acked)
	}
}

// buildPlotline compiles this command into dir and returns the binary.
func buildPlotline(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "plotline")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type crasher struct {
	t        *testing.T
	dir, bin string
	db       string

	header []string
	rows   [][]string // the generated ACLED rows

	importTime                   time.Duration
	expectIncidents, expectAttrs int

	mu   sync.Mutex
	acks []crashAck // every acknowledged edit of every run
}

// exec runs the binary to completion and returns its stdout; a failure
// fails the test unless mayFail.
func (c *crasher) exec(mayFail bool, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil && !mayFail {
		c.t.Fatalf("plotline %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

func (c *crasher) readBase(path string) {
	f, err := os.Open(path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll()
	if err != nil {
		c.t.Fatal(err)
	}
	c.header, c.rows = all[0], all[1:]
}

// importFile writes the generated rows with event IDs of their own for run
// r (R07X…), so that each run's import writes new records and its presence
// can be counted.
func (c *crasher) importFile(r int) string {
	path := filepath.Join(c.dir, fmt.Sprintf("run%02d.csv", r))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(c.header) //nolint:errcheck // checked by w.Error below
	for _, row := range c.rows {
		row = append([]string(nil), row...)
		row[0] = crashPrefix(r) + row[0]
		w.Write(row) //nolint:errcheck // checked by w.Error below
	}
	w.Flush()
	if err := w.Error(); err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		c.t.Fatal(err)
	}
	return path
}

func crashPrefix(r int) string { return fmt.Sprintf("R%02dX", r) }

// countImported counts the current, live records of kind (incident or
// attribution) that run r's import wrote.
func (c *crasher) countImported(r int, kind string) int {
	c.t.Helper()
	db := c.open()
	defer db.Close()
	var n int
	pattern := "acled:" + strings.ToLower(crashPrefix(r)) + "%"
	q := fmt.Sprintf(`SELECT count(*) FROM %s_v WHERE id LIKE ? AND rec_to IS NULL AND deleted = 0`, kind)
	if err := db.QueryRow(q, pattern).Scan(&n); err != nil {
		c.t.Fatalf("count %s: %v", kind, err)
	}
	return n
}

// open opens the database directly, without the store's migrations; the
// first open after a kill recovers the WAL as any SQLite client does.
func (c *crasher) open() *sql.DB {
	c.t.Helper()
	db, err := sql.Open("sqlite", "file:"+c.db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		c.t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	return db
}

// importRun starts an import and kills it after a random part of the time a
// complete import took, then re-runs it to completion.
func (c *crasher) importRun(r int, rng *rand.Rand, st *crashStats) {
	t := c.t
	file := c.importFile(r)
	// Up to a little past the expected end, so that some kills land in or
	// just after the commit.
	delay := time.Duration(float64(c.importTime) * (0.05 + 1.1*rng.Float64()))
	cmd := exec.Command(c.bin, "--db", c.db, "import", "acled", file, "--quiet")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	killed := false
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run %d: import failed before its kill: %v\n%s", r, err, out.String())
		}
		st.importDone++
	case <-time.After(delay):
		if err := cmd.Process.Kill(); err != nil {
			t.Fatalf("run %d: kill: %v", r, err)
		}
		<-done
		killed = true
		st.importKills++
	}

	// All or nothing: every row of the file or none of them.
	inc, attrs := c.countImported(r, "incident"), c.countImported(r, "attribution")
	committed := inc == c.expectIncidents && attrs == c.expectAttrs
	if !committed && (inc != 0 || attrs != 0) {
		t.Errorf("run %d: a half-written import is visible: %d of %d incidents, %d of %d statements", r, inc, c.expectIncidents, attrs, c.expectAttrs)
		st.integrityFailures++
	}
	t.Logf("run %d: import killed=%v after %s: %s", r, killed, delay.Round(time.Millisecond), map[bool]string{true: "committed", false: "nothing visible"}[committed])
	if !killed {
		return
	}

	// Re-running the killed import completes with the expected counts.
	start := time.Now()
	res := c.exec(false, "--db", c.db, "import", "acled", file, "--quiet")
	took := time.Since(start)
	st.reimports++
	m := regexp.MustCompile(`read (\d+), imported (\d+), updated (\d+), unchanged (\d+), rejected (\d+)`).FindStringSubmatch(res)
	if m == nil {
		t.Fatalf("run %d: re-run import printed no summary:\n%s", r, res)
	}
	want := fmt.Sprintf("read %d, imported %d, updated 0, unchanged %d, rejected 0", crashRows,
		map[bool]int{true: 0, false: crashRows}[committed], map[bool]int{true: crashRows, false: 0}[committed])
	if m[0] != want {
		t.Errorf("run %d: re-run import: got %q, want %q", r, m[0], want)
	}
	if inc, attrs := c.countImported(r, "incident"), c.countImported(r, "attribution"); inc != c.expectIncidents || attrs != c.expectAttrs {
		t.Errorf("run %d: after the re-run: %d incidents, %d statements; want %d and %d", r, inc, attrs, c.expectIncidents, c.expectAttrs)
	}
	if !committed {
		c.importTime = took // a full import: keeps the delays in step with the machine's load
	}
}

// editRun starts the server, sends edits from crashEditConns clients and
// kills the server after a random delay.
func (c *crasher) editRun(r int, rng *rand.Rand, st *crashStats) {
	t := c.t
	cmd := exec.Command(c.bin, "--db", c.db, "serve", "--addr", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	var logs bytes.Buffer
	var logMu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			logMu.Lock()
			logs.WriteString(sc.Text() + "\n")
			logMu.Unlock()
			if m := servingAddr.FindStringSubmatch(sc.Text()); m != nil {
				addr <- "http://" + m[1]
			}
		}
	}()
	var base string
	select {
	case base = <-addr:
	case <-time.After(60 * time.Second): // a hang guard, not a timing assertion
		cmd.Process.Kill() //nolint:errcheck // failing anyway
		cmd.Wait()         //nolint:errcheck // failing anyway
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("run %d: serve did not start:\n%s", r, logs.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := &http.Client{}
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	acked := make(chan struct{})
	var once sync.Once
	for w := range crashEditConns {
		wg.Go(func() { c.editLoop(ctx, client, base, r, w, &inFlight, func() { once.Do(func() { close(acked) }) }) })
	}
	// The random delay runs from the run's first acknowledged edit, so that
	// every run has an edit to lose however slow the machine is.
	select {
	case <-acked:
	case <-time.After(60 * time.Second): // a hang guard, not a timing assertion
		cmd.Process.Kill() //nolint:errcheck // failing anyway
		cmd.Wait()         //nolint:errcheck // failing anyway
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("run %d: no edit was acknowledged:\n%s", r, logs.String())
	}
	delay := time.Duration(rng.IntN(1500)) * time.Millisecond
	time.Sleep(delay)
	busy := inFlight.Load() > 0
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("run %d: kill: %v", r, err)
	}
	cmd.Wait() //nolint:errcheck // killed: the error is the signal
	cancel()
	wg.Wait()
	if busy {
		st.editKills++
	}
	c.mu.Lock()
	n := len(c.acks)
	c.mu.Unlock()
	t.Logf("run %d: serve killed %s after the first acknowledged edit (requests in flight: %v); %d edits acknowledged so far", r, delay.Round(time.Millisecond), busy, n)
}

// editLoop edits until ctx ends or the server dies: client 0 replaces the
// summary of existing incidents (PUT), the others create incidents with two
// statements each (POST, one batch). Only 2xx answers are recorded.
func (c *crasher) editLoop(ctx context.Context, client *http.Client, base string, r, w int, inFlight *atomic.Int64, onAck func()) {
	tmpl, err := crashJSON(ctx, client, "GET", base+"/api/v1/incidents/2024-01-28-tur-istanbul-church", nil)
	if err != nil {
		return
	}
	targets := []string{"2024-01-28-tur-istanbul-church", "2024-03-22-rus-crocus-city-hall"}
	for k := 0; ctx.Err() == nil; k++ {
		marker := fmt.Sprintf("crash run %d client %d edit %d", r, w, k)
		var (
			method, path string
			body         map[string]any
		)
		if w == 0 {
			id := targets[k%len(targets)]
			cur, err := crashJSON(ctx, client, "GET", base+"/api/v1/incidents/"+url.PathEscape(id), nil)
			if err != nil {
				return
			}
			delete(cur, "attributions") // leave the statements as they are
			cur["summary"] = marker
			method, path, body = "PUT", "/api/v1/incidents/"+url.PathEscape(id), cur
		} else {
			in := map[string]any{}
			for k, v := range tmpl {
				in[k] = v
			}
			id := fmt.Sprintf("crash-r%02d-c%d-e%d", r, w, k)
			in["id"], in["title"], in["summary"] = id, "Crash test "+id, marker
			var list []any
			for _, a := range tmpl["attributions"].([]any)[:2] {
				m := map[string]any{}
				for k, v := range a.(map[string]any) {
					m[k] = v
				}
				delete(m, "id")
				m["incident"] = id
				list = append(list, m)
			}
			in["attributions"] = list
			method, path, body = "POST", "/api/v1/incidents", in
		}
		inFlight.Add(1)
		res, err := crashJSON(ctx, client, method, base+path, body)
		inFlight.Add(-1)
		if err != nil {
			return // the server is gone (or the answer was not 2xx)
		}
		change := int64(res["change"].(map[string]any)["id"].(float64))
		id := res["record"].(map[string]any)["id"].(string)
		c.mu.Lock()
		c.acks = append(c.acks, crashAck{id: id, change: change, summary: marker})
		c.mu.Unlock()
		onAck()
	}
}

// crashJSON sends a request and decodes a 2xx JSON answer; anything else is
// an error.
func crashJSON(ctx context.Context, client *http.Client, method, url string, body any) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d %s", method, url, res.StatusCode, b)
	}
	var out map[string]any
	return out, json.Unmarshal(b, &out)
}

// check opens the database after a kill: SQLite's own checks, the store's
// version invariants, and every acknowledged edit of every run so far.
func (c *crasher) check(r int, st *crashStats) bool {
	t := c.t
	db := c.open()
	defer db.Close()
	ok := true
	fail := func(format string, args ...any) {
		t.Errorf("run %d: "+format, append([]any{r}, args...)...)
		ok = false
	}
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		fail("integrity_check: %q %v", res, err)
	}
	if n := crashRowCount(t, db, `PRAGMA foreign_key_check`); n != 0 {
		fail("foreign_key_check: %d violations", n)
	}
	if _, err := db.Exec(`INSERT INTO incident_fts(incident_fts) VALUES ('integrity-check')`); err != nil {
		fail("full-text index integrity-check: %v", err)
	}
	for _, kind := range []string{"source", "actor", "affiliation", "incident", "attribution"} {
		// Each record has exactly one current version (a tombstone counts).
		if n := crashRowCount(t, db, fmt.Sprintf(`SELECT id FROM %[1]s WHERE id NOT IN (SELECT id FROM %[1]s_v WHERE rec_to IS NULL)`, kind)); n != 0 {
			fail("%d %s records without a current version", n, kind)
		}
		if n := crashRowCount(t, db, fmt.Sprintf(`SELECT id FROM %s_v WHERE rec_to IS NULL GROUP BY id HAVING count(*) > 1`, kind)); n != 0 {
			fail("%d %s records with more than one current version", n, kind)
		}
	}
	// A created incident and its statements are one batch.
	if n := crashRowCount(t, db, `SELECT i.id FROM incident_v i WHERE i.id LIKE 'crash-%' AND i.rec_to IS NULL AND i.deleted = 0
		AND (SELECT count(*) FROM attribution_v a WHERE a.incident_id = i.id AND a.rec_to IS NULL AND a.deleted = 0) != 2`); n != 0 {
		fail("%d created incidents without both their statements (a half-written batch)", n)
	}
	if !ok {
		st.integrityFailures++
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range c.acks {
		var data string
		err := db.QueryRow(`SELECT data FROM incident_v WHERE id = ? AND change_id = ?`, a.id, a.change).Scan(&data)
		if err != nil {
			t.Errorf("run %d: acknowledged edit lost: %s in change %d (%s): %v", r, a.id, a.change, a.summary, err)
			st.lostEdits++
			continue
		}
		var in struct{ Summary string }
		if err := json.Unmarshal([]byte(data), &in); err != nil || in.Summary != a.summary {
			t.Errorf("run %d: %s in change %d: summary %q, want %q (%v)", r, a.id, a.change, in.Summary, a.summary, err)
			st.lostEdits++
		}
	}
	return ok
}

func crashRowCount(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
