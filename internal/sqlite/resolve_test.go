package sqlite_test

import (
	"context"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/storetest"
)

func TestNameDecisionsAreHistory(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	for _, d := range []plotline.NameDecision{
		{Dataset: "acled", Name: "Islamic State (Afghanistan)", Key: "islamic state afghanistan", Verdict: "unsure", By: "bob"},
		{Dataset: "acled", Name: "Islamic State (Afghanistan)", Key: "islamic state afghanistan", Verdict: "match", ActorID: "is-khorasan", By: "alice", Note: "ACLED uses it for IS-K"},
	} {
		if err := db.SaveNameDecision(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []plotline.NameDecision{
		{Dataset: "acled", Name: "x", Key: "x", Verdict: "match", By: "alice"},                    // no actor
		{Dataset: "acled", Name: "x", Key: "x", Verdict: "match", ActorID: "nobody", By: "alice"}, // unknown actor
		{Dataset: "acled", Name: "x", Key: "x", Verdict: "maybe", By: "alice"},                    // bad verdict
		{Dataset: "acled", Name: "x", Key: "x", Verdict: "no-match"},                              // no one
	} {
		if err := db.SaveNameDecision(ctx, &bad); plotline.ErrorCode(err) != plotline.EINVALID {
			t.Errorf("SaveNameDecision(%+v) = %v; want invalid", bad, err)
		}
	}
	all, err := db.NameDecisions(ctx, true)
	if err != nil || len(all) != 2 || all[0].By != "bob" || all[1].At.Before(all[0].At) {
		t.Fatalf("history %+v %v", all, err)
	}
	cur, err := db.NameDecisions(ctx, false)
	if err != nil || len(cur) != 1 || cur[0].By != "alice" || cur[0].ActorID != "is-khorasan" {
		t.Errorf("current %+v %v", cur, err)
	}
}

func TestDuplicateDecisions(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	b := storetest.Fixture()
	twin := b.Incidents[0]
	twin.ID, twin.Attributions = "istanbul-twin", nil
	b.Incidents = append(b.Incidents, twin)
	if _, err := db.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	d := plotline.DuplicateDecision{A: "istanbul-twin", B: "istanbul", Verdict: "same", By: "alice", Score: 0.9}
	if err := db.SaveDuplicateDecision(ctx, &d); err != nil {
		t.Fatal(err)
	}
	if d.A != "istanbul" || d.B != "istanbul-twin" {
		t.Errorf("pair not ordered: %+v", d)
	}
	if err := db.SaveDuplicateDecision(ctx, &plotline.DuplicateDecision{A: "istanbul", B: "istanbul-twin", Verdict: "distinct", By: "bob"}); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveDuplicateDecision(ctx, &plotline.DuplicateDecision{A: "istanbul", B: "nope", Verdict: "same", By: "bob"}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("unknown incident: %v", err)
	}
	all, _ := db.DuplicateDecisions(ctx, true)
	cur, err := db.DuplicateDecisions(ctx, false)
	if err != nil || len(all) != 2 || len(cur) != 1 || cur[0].Verdict != "distinct" {
		t.Errorf("all %+v current %+v %v", all, cur, err)
	}
	// Both incidents stay: nothing is merged.
	if list, err := db.Incidents(ctx, plotline.IncidentFilter{}, plotline.AsOf{}); err != nil || len(list) != 2 {
		t.Errorf("incidents %d %v", len(list), err)
	}
}

func TestImportTxIndexesFullTextAndRollsBack(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	put := func(id, summary string, commit bool) {
		tx, err := db.BeginImport(ctx, "test", "")
		if err != nil {
			t.Fatal(err)
		}
		in := storetest.Fixture().Incidents[0]
		in.ID, in.Summary, in.Attributions = id, summary, nil
		if _, err := tx.PutIncident(ctx, &in); err != nil {
			t.Fatal(err)
		}
		if commit {
			if _, err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		} else if err := tx.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
	put("kept", "zanzibarite committed", true)
	put("dropped", "quokkaesque rolled back", false)
	count := func(q string) int {
		var n int
		if err := db.ReadDB().QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM incident_fts WHERE incident_fts MATCH 'zanzibarite'`); n != 1 {
		t.Errorf("committed import: %d full-text hits; want 1", n)
	}
	if n := count(`SELECT count(*) FROM incident_fts WHERE incident_fts MATCH 'quokkaesque'`); n != 0 {
		t.Errorf("rolled back import: %d full-text hits; want 0", n)
	}
	if n := count(`SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'incident_v_fts'`); n != 1 {
		t.Fatalf("full-text trigger missing after imports")
	}
	// The trigger is back: an ordinary Apply is indexed too.
	b := storetest.Fixture()
	b.Incidents[0].Summary = "wombatish applied"
	if _, err := db.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM incident_fts WHERE incident_fts MATCH 'wombatish'`); n != 1 {
		t.Errorf("apply after import: %d hits; want 1", n)
	}
}
