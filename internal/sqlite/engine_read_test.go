package sqlite

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/gen"
)

// captured is what a scan fed, as comparable lines.
type captured struct {
	mu        sync.Mutex
	parts     int
	incidents []string
	statement []string
}

func (c *captured) Organisation([]plotline.Actor, []plotline.Affiliation) {}

func (c *captured) Parts(n int) []engine.PartLoader {
	c.parts += n
	out := make([]engine.PartLoader, n)
	for i := range out {
		out[i] = &capturedPart{c: c, seen: map[string]bool{}}
	}
	return out
}

type capturedPart struct {
	c    *captured
	seen map[string]bool // incidents of this part
}

func (p *capturedPart) Grow(int, int) {}

func (p *capturedPart) Incident(r *engine.IncidentRow) {
	p.seen[r.ID] = true
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.c.incidents = append(p.c.incidents, fmt.Sprintf("%+v", *r))
}

func (p *capturedPart) Attribution(r *engine.AttributionRow) {
	if !p.seen[r.IncidentID] {
		return // the part contract: statements of other parts' incidents are dropped
	}
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	p.c.statement = append(p.c.statement, fmt.Sprintf("%+v", *r))
}

func (c *captured) sorted() *captured {
	slices.Sort(c.incidents)
	slices.Sort(c.statement)
	return c
}

// TestScanIndexFastEqualsTables checks that the parallel scan of the engine
// indexes feeds exactly what the column-by-column scan of the tables feeds:
// with updated, deleted and pre-0002 (legacy) versions, a text holding the
// separators, and statements about deleted incidents.
func TestScanIndexFastEqualsTables(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "scan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := gen.Write(ctx, db, gen.Config{Seed: 3, Rows: 1500}, 500, nil); err != nil {
		t.Fatal(err)
	}
	// Update one incident (a new version), delete another, put separators
	// into a third's text columns.
	for _, c := range []struct {
		id     string
		change func(*plotline.Incident)
	}{
		{gen.IncidentID(10), func(in *plotline.Incident) { in.Outcome = "failed" }},
		{gen.IncidentID(700), func(in *plotline.Incident) { in.Location.Admin1 = "North\x1eSouth"; in.Location.Place = "a\x1db" }},
	} {
		in, err := db.Incident(ctx, c.id, plotline.AsOf{})
		if err != nil {
			t.Fatal(err)
		}
		c.change(in)
		if _, err := db.Apply(ctx, &plotline.Batch{By: "test", Incidents: []plotline.Incident{*in}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Apply(ctx, &plotline.Batch{By: "test", Deletes: []plotline.Ref{{Kind: "incident", ID: gen.IncidentID(20)}}}); err != nil {
		t.Fatal(err)
	}
	// A version as written before migration 0002: engine columns unset.
	if _, err := db.write.ExecContext(ctx, `UPDATE incident_v SET eng = NULL WHERE id = ? AND rec_to IS NULL`, gen.IncidentID(30)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.write.ExecContext(ctx, `UPDATE attribution_v SET eng = NULL WHERE incident_id = ? AND rec_to IS NULL`, gen.IncidentID(31)); err != nil {
		t.Fatal(err)
	}
	fast := &captured{}
	change, err := db.ScanIndex(ctx, nil, fast)
	if err != nil {
		t.Fatal(err)
	}
	last, err := db.LastChange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if change != last {
		t.Errorf("scan change %d, last change %d", change, last)
	}
	if fast.parts < 2 {
		t.Errorf("%d parts: the test does not exercise the split", fast.parts)
	}
	now := time.Now()
	slow := &captured{}
	if _, err := db.ScanIndex(ctx, &now, slow); err != nil {
		t.Fatal(err)
	}
	fast.sorted()
	slow.sorted()
	if len(fast.incidents) != 1499 || len(slow.statement) < 1499 {
		t.Fatalf("fast scan: %d incidents, table scan %d statements", len(fast.incidents), len(slow.statement))
	}
	if !reflect.DeepEqual(fast.incidents, slow.incidents) {
		t.Errorf("incidents differ: %v", firstDiff(fast.incidents, slow.incidents))
	}
	if !reflect.DeepEqual(fast.statement, slow.statement) {
		t.Errorf("attributions differ: %v", firstDiff(fast.statement, slow.statement))
	}
	if !slices.ContainsFunc(fast.incidents, func(s string) bool { return strings.Contains(s, "North\x1eSouth") }) {
		t.Error("the incident with separators in its text is missing")
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("at %d:\n fast  %s\n table %s", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}

// TestEngineScanUsesIndex checks that the scan's expressions are the
// indexed ones of migration 0004, so that SQLite reads them from the index
// and never seeks the table rows (a difference in spelling would silently
// make the scan ten times slower).
func TestEngineScanUsesIndex(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	body, err := fs.ReadFile(migrations, "migrations/0004_engine_scan.sql")
	if err != nil {
		t.Fatal(err)
	}
	squash := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	for _, q := range []struct{ name, sql string }{
		{"incident_v_engine", incidentScanSQL(`id >= ? AND id < ?`)},
		{"attribution_v_engine", attributionScanSQL(`incident_id >= ? AND incident_id < ?`)},
	} {
		cols := incidentScanCols
		if q.name == "attribution_v_engine" {
			cols = attributionScanCols
		}
		if !strings.Contains(squash(string(body)), squash(scanExpr(cols))) {
			t.Errorf("%s: the migration does not index the expression the scan reads", q.name)
		}
		// The bytecode reads columns only through the index cursor: the
		// table cursor is opened for a deferred seek that never happens.
		rows, err := db.read.QueryContext(ctx, `EXPLAIN `+q.sql, "", "")
		if err != nil {
			t.Fatal(err)
		}
		cursors := map[int64]string{} // cursor → index or table
		var columns []int64
		for rows.Next() {
			var addr, p1, p2, p3 int64
			var op string
			var p4, p5, comment any
			if err := rows.Scan(&addr, &op, &p1, &p2, &p3, &p4, &p5, &comment); err != nil {
				t.Fatal(err)
			}
			switch op {
			case "OpenRead":
				var name string
				if err := db.read.QueryRowContext(ctx, `SELECT name FROM sqlite_master WHERE rootpage = ?`, p2).Scan(&name); err != nil {
					t.Fatal(err)
				}
				cursors[p1] = name
			case "Column":
				columns = append(columns, p1)
			case "SorterOpen", "OpenEphemeral":
				t.Errorf("%s: the scan sorts (%s): the index no longer gives the ID order", q.name, op)
			}
		}
		rows.Close()
		if len(columns) == 0 {
			t.Fatalf("%s: no Column op in the plan", q.name)
		}
		for _, c := range columns {
			if cursors[c] != q.name {
				t.Errorf("%s: the scan reads a column through %q", q.name, cursors[c])
			}
		}
	}
}
