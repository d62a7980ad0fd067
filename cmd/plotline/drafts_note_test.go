package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// TestReportAndCountSayDraftsExcluded checks that plotline report and
// plotline query --count say they count published data only, and how many
// drafts awaiting review they leave out, in text and in JSON.
func TestReportAndCountSayDraftsExcluded(t *testing.T) {
	ctx := context.Background()
	path := newDB(t)
	const none = "Published data only; no drafts are awaiting review."
	const one = "Published data only; 1 draft awaiting review is not included."
	count := func() string {
		out, stderr, err := run(t, path, "query", "--count", "target:TUR")
		if err != nil {
			t.Fatalf("query --count: %v\n%s", err, stderr)
		}
		return out
	}
	before := count()
	if !strings.Contains(before, none) || !strings.Contains(before, " incidents (rule any)") {
		t.Errorf("query --count on a store without drafts:\n%s", before)
	}

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	in, err := db.Incident(ctx, istanbul, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	in.TargetCountry = "GRC" // a draft that, published, would move the count
	in.Attributions = nil
	_, err = db.Apply(ctx, &plotline.Batch{By: "alice", Note: "draft", Draft: true, Incidents: []plotline.Incident{*in}})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	after := count()
	if !strings.Contains(after, one) {
		t.Errorf("query --count with one draft lacks %q:\n%s", one, after)
	}
	if first := func(s string) string { return strings.SplitN(s, "\n", 2)[0] }; first(after) != first(before) {
		t.Errorf("the draft moved the count: %q before, %q after", first(before), first(after))
	}
	out, stderr, err := run(t, path, "query", "--count", "--format", "json", "target:TUR")
	var c struct {
		Total   int    `json:"total"`
		Drafts  string `json:"drafts"`
		Pending *int   `json:"drafts_pending"`
	}
	if err != nil || json.Unmarshal([]byte(out), &c) != nil || c.Drafts != "excluded" || c.Pending == nil || *c.Pending != 1 || c.Total == 0 {
		t.Errorf("query --count --format json: %v %s\n%s", err, stderr, out)
	}
	for _, format := range []string{"text", "markdown"} {
		out, stderr, err := run(t, path, "report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30", "--format", format)
		if err != nil || !strings.Contains(out, one) {
			t.Errorf("report --format %s lacks %q: %v %s\n%s", format, one, err, stderr, out)
		}
	}
	out, stderr, err = run(t, path, "report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30", "--format", "json")
	if err != nil || json.Unmarshal([]byte(out), &c) != nil || c.Drafts != "excluded" || c.Pending == nil || *c.Pending != 1 {
		t.Errorf("report --format json: drafts %q pending %v: %v %s", c.Drafts, c.Pending, err, stderr)
	}
	if _, _, err := run(t, path, "query", "--count", "--group-by", "unit"); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("query --count --group-by: %v; want invalid", err)
	}
}
