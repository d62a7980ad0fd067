package main

import (
	"encoding/json"
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
