package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// TestWorkflowCommands drives drafts, show, return, publish, audit and
// revert against a database holding the curated dataset and one draft.
func TestWorkflowCommands(t *testing.T) {
	ctx := context.Background()
	path := newDB(t)
	if _, stderr, err := run(t, path, "audit"); err != nil {
		t.Fatalf("audit on a new database: %v\n%s", err, stderr)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	in, err := db.Incident(ctx, istanbul, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	in.Title = "Santa Maria church attack (draft title)"
	in.Attributions = nil
	d, err := db.Apply(ctx, &plotline.Batch{By: "alice", Note: "clearer title", Draft: true, Incidents: []plotline.Incident{*in}})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(d.ID, 10)

	// Reports say that drafts are left out.
	out, _, err := run(t, path, "report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30", "--format", "json")
	var rep struct{ Drafts string }
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || rep.Drafts != "excluded" {
		t.Errorf("report JSON: drafts %q, %v; want excluded", rep.Drafts, err)
	}
	if out, _, err = run(t, path, "report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30"); err != nil || !strings.Contains(out, "Drafts excluded") {
		t.Errorf("report text does not say drafts are excluded: %v\n%s", err, out)
	}
	out, _, err = run(t, path, "workflow", "drafts")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "alice") || !strings.Contains(out, "incident "+istanbul) {
		t.Fatalf("workflow drafts: %v\n%s", err, out)
	}
	out, _, err = run(t, path, "workflow", "show", id)
	if err != nil || !strings.Contains(out, `title: "`) || !strings.Contains(out, "(draft title)") || !strings.Contains(out, "changes version 1") {
		t.Errorf("workflow show: %v\n%s", err, out)
	}
	if _, _, err := run(t, path, "workflow", "return", id); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("return without --note: %v; want invalid", err)
	}
	if _, _, err := run(t, path, "workflow", "return", id, "--by", "rita", "--note", "cite the page"); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, path, "workflow", "drafts", "--status", "returned", "--format", "json")
	var list []plotline.Draft
	if err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 1 || list[0].Reviews[0].Note != "cite the page" {
		t.Errorf("returned drafts: %v\n%s", err, out)
	}
	out, _, err = run(t, path, "workflow", "publish", id, "--by", "rita", "--note", "page found")
	if err != nil || !strings.Contains(out, "publish of draft "+id) {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	out, _, err = run(t, path, "show", istanbul)
	if err != nil || !strings.Contains(out, "(draft title)") {
		t.Errorf("show after publish: %v\n%s", err, out)
	}

	out, _, err = run(t, path, "audit", "--kind", "incident", "--id", istanbul, "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// The publish, the draft, the curated dataset.
	if len(rows) != 4 || rows[1][3] != "publish" || rows[1][2] != "rita" || rows[2][3] != "draft" || rows[3][3] != "edit" {
		t.Fatalf("audit CSV = %q", rows)
	}
	publish := rows[1][0]
	out, _, err = run(t, path, "audit", "--by", "rita")
	if err != nil || !strings.Contains(out, "return") || !strings.Contains(out, "publish") || strings.Contains(out, "alice") {
		t.Errorf("audit --by rita: %v\n%s", err, out)
	}
	if _, _, err := run(t, path, "audit", "--action", "nope"); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("audit --action nope: %v", err)
	}

	out, _, err = run(t, path, "revert", publish, "--by", "rita", "--note", "premature")
	if err != nil || !strings.Contains(out, "reverted change "+publish) {
		t.Fatalf("revert: %v\n%s", err, out)
	}
	out, _, err = run(t, path, "show", istanbul)
	if err != nil || strings.Contains(out, "(draft title)") {
		t.Errorf("show after revert: %v\n%s", err, out)
	}
	if _, _, err := run(t, path, "revert", "1", "--by", "rita"); plotline.ErrorCode(err) != plotline.ECONFLICT {
		t.Errorf("revert of the curated dataset after later edits: %v; want conflict", err)
	}
	if _, _, err := run(t, path, "revert", "x"); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("revert x: %v; want invalid", err)
	}
}
