package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// run drives the whole program as a user would, against a database in dir.
func run(t *testing.T, db string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := NewMain(&out, &errb, func(string) string { return "" })
	m.Now = func() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) }
	err = m.Run(context.Background(), append([]string{"--db", db}, args...))
	return out.String(), errb.String(), err
}

func newDB(t *testing.T) string { return filepath.Join(t.TempDir(), "plotline.db") }

const istanbul = "2024-01-28-tur-istanbul-church"

func TestReportOnCuratedDataset(t *testing.T) {
	db := newDB(t)
	out, stderr, err := run(t, db, "report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30", "--related-to", "ISKP", "--format", "json")
	if err != nil {
		t.Fatalf("report: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr, "loaded the curated dataset") {
		t.Errorf("first start did not say it loaded the curated dataset: %q", stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report JSON: %v\n%s", err, out)
	}
	for _, key := range []string{"total", "related", "unrelated", "by_unit", "disagreements", "rule", "as_of"} {
		if _, ok := r[key]; !ok {
			t.Errorf("report JSON lacks %q", key)
		}
	}
	total, related, unrelated := r["total"].(float64), r["related"].(float64), r["unrelated"].(float64)
	if total < 15 || related+unrelated != total || related == 0 || unrelated == 0 {
		t.Errorf("total %v related %v unrelated %v; want ≥ 15 split both ways", total, related, unrelated)
	}
	found := false
	for _, d := range r["disagreements"].([]any) {
		m := d.(map[string]any)
		if m["incident"] == istanbul && m["claimed_unit"] == "is-turkey" && m["attributed_unit"] == "is-khorasan" {
			found = true
		}
	}
	if !found {
		t.Errorf("Istanbul's Turkey-province claim vs the ISKP attribution is not among the disagreements: %v", r["disagreements"])
	}
	// Second start: the dataset is not loaded again.
	_, stderr, err = run(t, db, "report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30")
	if err != nil || strings.Contains(stderr, "loaded the curated dataset") {
		t.Errorf("second start: err %v, stderr %q; want no reload", err, stderr)
	}
}

func TestShowIstanbulAsOf(t *testing.T) {
	db := newDB(t)
	out, _, err := run(t, db, "show", istanbul)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"claim", "Islamic State Turkey Province", "Islamic State Khorasan Province", "Sources", "TLP:CLEAR"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, db, "show", "--as-of", "2024-01-30", istanbul)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Islamic State Turkey Province") {
		t.Errorf("as of 2024-01-30 the claim naming the Turkey province must be there:\n%s", out)
	}
	timeline := out[strings.Index(out, "Attribution timeline"):strings.Index(out, "Sources\n")]
	if strings.Contains(timeline, "Khorasan") {
		t.Errorf("as of 2024-01-30 the ISKP attribution must not exist yet:\n%s", timeline)
	}
	if _, _, err := run(t, db, "show", "no-such-incident"); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("unknown incident: err %v; want ENOTFOUND", err)
	}
}

func TestReportBadInput(t *testing.T) {
	db := newDB(t)
	for _, args := range [][]string{
		{"report", "external-ops", "--from", "2024-13-01", "--to", "2024-06-30"},
		{"report", "external-ops", "--from", "2024-06-30", "--to", "2024-01-01"},
		{"report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30", "--rule", "gossip"},
		{"report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30", "--related-to", "Narnia Province"},
		{"report", "internal-ops", "--from", "2024-01-01", "--to", "2024-06-30"},
	} {
		if _, _, err := run(t, db, args...); plotline.ErrorCode(err) != plotline.EINVALID {
			t.Errorf("%v: err %v; want EINVALID", args, err)
		}
	}
}

func TestDatasetCheckAndLoadBadFile(t *testing.T) {
	dir := t.TempDir()
	bad := "sources:\n  - {id: s1, publisher: P, title: T, url: https://example.org, kind: news}\n" +
		"incidents:\n  - id: x\n    title: X\n    kind: attack\n    outcome: completed\n    date: \"2024-02-30\"\n" +
		"    location: {country: TUR}\n    target_country: TUR\n    sources: [s1]\n"
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	db := newDB(t)
	_, stderr, err := run(t, db, "dataset", "check", dir)
	if plotline.ErrorCode(err) != plotline.EINVALID {
		t.Fatalf("check: err %v; want EINVALID", err)
	}
	if !strings.Contains(stderr, "bad.yaml:8: incidents[0].date:") {
		t.Errorf("error does not name file, line and field:\n%s", stderr)
	}
	// Loading the bad directory into an existing database writes nothing.
	if _, _, err := run(t, db, "query"); err != nil {
		t.Fatal(err)
	}
	before := changeCount(t, db)
	if _, _, err := run(t, db, "dataset", "load", dir); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Fatalf("load: err %v; want EINVALID", err)
	}
	if after := changeCount(t, db); after != before {
		t.Errorf("a rejected load wrote %d changes", after-before)
	}
	out, _, err := run(t, db, "dataset", "check")
	if err != nil || !strings.Contains(out, "ok") {
		t.Errorf("embedded dataset check: %v %s", err, out)
	}
	// Re-loading the embedded dataset changes nothing.
	out, _, err = run(t, db, "dataset", "load")
	if err != nil || !strings.Contains(out, " 0 created, 0 updated") {
		t.Errorf("re-load: %v %s; want nothing created or updated", err, out)
	}
}

func changeCount(t *testing.T, path string) int {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ch, err := db.Changes(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return len(ch)
}

func TestProjectToYearEnd(t *testing.T) {
	db := newDB(t)
	out, stderr, err := run(t, db, "project", "--from", "2024-01-01", "--to", "2024-12-31", "--as-of", "2024-06-30", "--per", "unit", "--format", "json", "actor:is+")
	if err != nil {
		t.Fatalf("project: %v\n%s", err, stderr)
	}
	var p struct {
		Total struct {
			Observed, ObservedDays, RemainDays int
			Expected                           float64 `json:"expected_total"`
			Low                                int     `json:"total_low"`
			High                               int     `json:"total_high"`
		} `json:"total"`
		Groups []struct {
			Key      string `json:"key"`
			Observed int    `json:"observed"`
		} `json:"groups"`
		Earlier []struct{ Count int } `json:"earlier"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	tot := p.Total
	if tot.Observed == 0 || float64(tot.Low) > tot.Expected || tot.Expected > float64(tot.High) || tot.Low < tot.Observed {
		t.Errorf("projection %+v: want observed > 0 and observed ≤ low ≤ expected ≤ high", tot)
	}
	groups := 0
	for _, g := range p.Groups {
		groups += g.Observed
	}
	if groups < tot.Observed || len(p.Groups) < 2 || len(p.Earlier) != 3 {
		t.Errorf("groups %+v and %d earlier years; want per-unit groups covering the total and 3 earlier years", p.Groups, len(p.Earlier))
	}
	if _, _, err := run(t, db, "project", "--from", "2024-12-31", "--to", "2024-01-01"); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("inverted period: err %v; want EINVALID", err)
	}
}

// Without --per the projection answers the total only (it once indexed an
// empty group key and panicked).
func TestProjectTotalOnly(t *testing.T) {
	db := newDB(t)
	out, stderr, err := run(t, db, "project", "--from", "2024-01-01", "--to", "2024-12-31", "--as-of", "2024-06-30", "--format", "json")
	if err != nil {
		t.Fatalf("project: %v\n%s", err, stderr)
	}
	var p struct {
		Total struct {
			Observed int `json:"observed"`
		} `json:"total"`
		Groups []json.RawMessage `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if p.Total.Observed == 0 || len(p.Groups) != 0 {
		t.Errorf("total %d with %d groups; want a positive total and no groups", p.Total.Observed, len(p.Groups))
	}
}

func TestBadFlagIsUsageError(t *testing.T) {
	db := newDB(t)
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"import", "acled", "x.csv", "--bogus"}, "-bogus"},
		{[]string{"import", "acled", "x.csv", "--rejects"}, "-rejects"},
		{[]string{"export", "json", "--bogus"}, "-bogus"},
		{[]string{"query", "--bogus"}, "-bogus"},
		{[]string{"review", "duplicates", "--km", "abc"}, "-km"},
	} {
		_, _, err := run(t, db, tc.args...)
		if got := plotline.ErrorCode(err); got != plotline.EINVALID {
			t.Errorf("%v: code %q (err %v); want %q", tc.args, got, err, plotline.EINVALID)
		}
		if got := plotline.ErrorMessage(err); !strings.Contains(got, tc.flag) {
			t.Errorf("%v: message %q does not name %s", tc.args, got, tc.flag)
		}
		if got := exitCode(err); got != 2 {
			t.Errorf("%v: exit %d; want 2", tc.args, got)
		}
	}
	if _, _, err := run(t, db, "query", "--help"); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("query --help: err %v; want flag.ErrHelp", err)
	}
}
