package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// TestShowDuplicateReview: show lists the duplicate-review decisions on an
// incident, the latest per pair, and as they stood at --recorded.
func TestShowDuplicateReview(t *testing.T) {
	db := newDB(t)
	const kerman = "2024-01-03-irn-kerman-soleimani-memorial"
	if out, _, err := run(t, db, "show", istanbul); err != nil || strings.Contains(out, "Duplicate review") {
		t.Fatalf("before any decision: %v\n%s", err, out)
	}
	if _, stderr, err := run(t, db, "review", "duplicates", "same", istanbul, kerman, "--by", "alice", "--note", "one report"); err != nil {
		t.Fatalf("same: %v\n%s", err, stderr)
	}
	out, _, err := run(t, db, "show", istanbul)
	if err != nil || !strings.Contains(out, "the same incident as "+kerman+" (decided by alice") || !strings.Contains(out, "one report") {
		t.Errorf("show after same: %v\n%s", err, out)
	}
	between := time.Now().UTC()
	time.Sleep(10 * time.Millisecond)
	if _, stderr, err := run(t, db, "review", "duplicates", "distinct", kerman, istanbul, "--by", "bob"); err != nil {
		t.Fatalf("distinct: %v\n%s", err, stderr)
	}
	out, _, err = run(t, db, "show", kerman)
	if err != nil || !strings.Contains(out, "a different incident from "+istanbul+" (decided by bob") || strings.Contains(out, "the same incident") {
		t.Errorf("show after distinct: %v\n%s", err, out)
	}
	out, _, err = run(t, db, "show", "--recorded", between.Format(time.RFC3339Nano), kerman)
	if err != nil || !strings.Contains(out, "the same incident as "+istanbul) || strings.Contains(out, "different") {
		t.Errorf("show --recorded before distinct: %v\n%s", err, out)
	}
	out, _, err = run(t, db, "show", "--format", "json", istanbul)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Duplicates []struct{ A, B, Verdict, By string } `json:"duplicate_review"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got.Duplicates) != 1 || got.Duplicates[0].Verdict != "distinct" || got.Duplicates[0].By != "bob" {
		t.Errorf("json: %v %+v", err, got)
	}
}

// TestLinkedCountsOnce: after 'review duplicates same' the two records
// count as one incident in query and report, the listing names both
// records' units, and an export with a query carries both records.
func TestLinkedCountsOnce(t *testing.T) {
	db := newDB(t)
	const tjk, deu = "2024-q1-tjk-vahdat-nowruz-poison-plot", "2024-04-deu-nrw-teenagers-plot"
	total := func() string {
		t.Helper()
		out, _, err := run(t, db, "query", "--count")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(out)[0]
	}
	before := total()
	report := []string{"report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30", "--related-to", "ISKP", "--format", "json"}
	var rep0 struct{ Total, Related int }
	out, _, err := run(t, db, report...)
	if err != nil || json.Unmarshal([]byte(out), &rep0) != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if _, stderr, err := run(t, db, "review", "duplicates", "same", tjk, deu, "--by", "alice"); err != nil {
		t.Fatalf("same: %v\n%s", err, stderr)
	}
	if after := total(); after == before {
		t.Errorf("query --count: %s before linking and after", after)
	}
	var rep1 struct{ Total, Related int }
	out, _, err = run(t, db, report...)
	if err != nil || json.Unmarshal([]byte(out), &rep1) != nil {
		t.Fatalf("report: %v\n%s", err, out)
	}
	if rep1.Total != rep0.Total-1 || rep1.Related != rep0.Related {
		t.Errorf("report: total %d related %d before, %d and %d after; want one fewer in total, the group still related", rep0.Total, rep0.Related, rep1.Total, rep1.Related)
	}
	out, _, err = run(t, db, "query", "--format", "csv", "country:DEU,TJK", "date:2024-01..2024-06")
	if err != nil || strings.Contains(out, deu) || !strings.Contains(out, tjk+",") || !strings.Contains(out, "Islamic State Khorasan Province; Islamic State,") {
		t.Errorf("query listing: %v\n%s", err, out)
	}
	dir := t.TempDir()
	if _, stderr, err := run(t, db, "export", "json", "--out", dir+"/x.json", "country:TJK", "date:2024"); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	b, err := os.ReadFile(dir + "/x.json")
	if err != nil || !strings.Contains(string(b), `"`+deu+`"`) || !strings.Contains(string(b), `"`+tjk+`"`) {
		t.Errorf("export with a query: %v; want both records", err)
	}
}
