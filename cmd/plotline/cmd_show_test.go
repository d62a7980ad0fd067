package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
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

// TestReviewDuplicatesRefusesContradictions: a "distinct" on records other
// links keep one incident, and a "same" that would join records decided
// distinct, are refused with what to do; a "same" on a pair that is no
// candidate is kept with a warning.
func TestReviewDuplicatesRefusesContradictions(t *testing.T) {
	db := newDB(t)
	const a, b, c = "2024-01-03-irn-kerman-soleimani-memorial", istanbul, "2024-03-22-rus-crocus-city-hall"
	decide := func(verdict, x, y string) (string, error) {
		t.Helper()
		_, stderr, err := run(t, db, "review", "duplicates", verdict, x, y, "--by", "alice")
		return stderr, err
	}
	if stderr, err := decide("same", a, b); err != nil || !strings.Contains(stderr, "not a duplicate candidate") {
		t.Fatalf("same a b: %v\n%s", err, stderr)
	}
	if _, err := decide("same", b, c); err != nil {
		t.Fatal(err)
	}
	// a and c are one incident through b.
	_, err := decide("distinct", a, c)
	if plotline.ErrorCode(err) != plotline.EINVALID || !strings.Contains(err.Error(), a+" = "+b+" = "+c) {
		t.Errorf("distinct a c: %v; want a refusal naming the path", err)
	}
	// Undoing a direct link is what splits them.
	if _, err := decide("distinct", a, b); err != nil {
		t.Errorf("distinct a b: %v", err)
	}
	// Now a and b are distinct: linking a with c (one with b) would join them.
	_, err = decide("same", a, c)
	if plotline.ErrorCode(err) != plotline.EINVALID || !strings.Contains(err.Error(), "decided distinct") {
		t.Errorf("same a c: %v; want a refusal naming the distinct pair", err)
	}
	out, _, err := run(t, db, "review", "duplicates", "history")
	if err != nil || strings.Count(out, "alice") != 3 {
		t.Errorf("history: %v; want the three decisions recorded, the refused ones not:\n%s", err, out)
	}
}

// TestReviewDuplicatesHidesLinkedPairs: a candidate pair whose records are
// one incident already, through other links, is not proposed again.
func TestReviewDuplicatesHidesLinkedPairs(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	for _, name := range []string{"sheeta", "sheetb", "sheetc"} {
		sheet := filepath.Join(dir, name+".csv")
		mapping := filepath.Join(dir, name+".yaml")
		row := "Case,Date,Country,City,Group,Notes\nr1,2023-05-03,DEU,Testburg,Islamic State,Invented test row\n"
		m := "dataset: " + name + "\nsource:\n  publisher: Example team\n  title: Invented sheet\n  url: https://example.org/" + name +
			"\n  kind: research\ndefaults:\n  kind: attack\n  outcome: completed\ncolumns:\n  id: Case\n  date: Date\n  country: Country\n  place: City\n  group: Group\n  summary: Notes\nattribution:\n  basis: analyst\n  asserted_by: Example team\n"
		if err := os.WriteFile(sheet, []byte(row), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(mapping, []byte(m), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, stderr, err := run(t, db, "import", "csv", sheet, "--mapping", mapping, "--quiet"); err != nil {
			t.Fatalf("import %s: %v\n%s", name, err, stderr)
		}
	}
	list := func() string {
		t.Helper()
		out, _, err := run(t, db, "review", "duplicates")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if out := list(); !strings.Contains(out, "sheeta:r1") || !strings.Contains(out, "sheetc:r1") {
		t.Fatalf("before linking, the three records pair up:\n%s", out)
	}
	for _, p := range [][2]string{{"sheeta:r1", "sheetb:r1"}, {"sheetb:r1", "sheetc:r1"}} {
		if _, stderr, err := run(t, db, "review", "duplicates", "same", p[0], p[1], "--by", "alice"); err != nil {
			t.Fatalf("same %v: %v\n%s", p, err, stderr)
		}
	}
	if out := list(); !strings.Contains(out, "no duplicate candidates") {
		t.Errorf("after linking a with b and b with c, a and c are proposed again:\n%s", out)
	}
}
