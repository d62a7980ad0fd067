package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// importIncidents puts n copies of the fixture's incident as prefix000 …,
// each with the fixture's attributions less the last drop ones.
func importIncidents(t *testing.T, tx plotline.ImportTx, prefix string, n, drop int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		in := storetest.Fixture().Incidents[0]
		in.ID = fmt.Sprintf("%s%03d", prefix, i)
		in.Summary = fmt.Sprintf("%s number %d", prefix, i)
		in.Attributions = in.Attributions[:len(in.Attributions)-drop]
		for j := range in.Attributions {
			in.Attributions[j].ID = fmt.Sprintf("%s/%d", in.ID, j)
			in.Attributions[j].IncidentID = ""
		}
		if _, err := tx.PutIncident(ctx, &in); err != nil {
			t.Fatalf("put %s: %v", in.ID, err)
		}
	}
}

// importSteps runs the same imports on any store: a first import into a new
// namespace (buffered), a rolled-back one, a newer release with fewer
// statements beside new records, an invalid put in the middle of an import
// (refused, the import goes on), a repeat, and an import that changes
// nothing. It returns the changes.
func importSteps(t *testing.T, s plotline.ImportStore) []*plotline.Change {
	t.Helper()
	ctx := context.Background()
	var out []*plotline.Change
	step := func(fn func(tx plotline.ImportTx)) {
		t.Helper()
		tx, err := s.BeginImport(ctx, "test", "")
		if err != nil {
			t.Fatal(err)
		}
		fn(tx)
		ch, err := tx.Commit()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ch)
	}
	step(func(tx plotline.ImportTx) { importIncidents(t, tx, "bulk:", 30, 0) })

	tx, err := s.BeginImport(ctx, "test", "")
	if err != nil {
		t.Fatal(err)
	}
	importIncidents(t, tx, "gone:", 20, 0)
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}

	step(func(tx plotline.ImportTx) {
		importIncidents(t, tx, "more:", 40, 0)
		importIncidents(t, tx, "bulk:", 30, 1)
		bad := storetest.Fixture().Incidents[0]
		bad.ID = "more:bad"
		bad.Attributions = bad.Attributions[:1]
		bad.Attributions[0].ID, bad.Attributions[0].IncidentID, bad.Attributions[0].ActorID = "more:bad/0", "", "nobody"
		if _, err := tx.PutIncident(ctx, &bad); plotline.ErrorCode(err) != plotline.EINVALID {
			t.Errorf("statement naming an unknown actor: %v; want invalid", err)
		}
		again := storetest.Fixture().Incidents[0]
		again.ID, again.Attributions = "more:007", nil
		if _, err := tx.PutIncident(ctx, &again); plotline.ErrorCode(err) != plotline.ECONFLICT {
			t.Errorf("an incident twice in one import: %v; want conflict", err)
		}
		importIncidents(t, tx, "late:", 3, 0)
	})
	step(func(tx plotline.ImportTx) {
		importIncidents(t, tx, "bulk:", 30, 1)
		if err := tx.AddPendingName(ctx, &plotline.PendingName{Dataset: "gtd", Key: "nobody", Name: "Nobody", ActorID: "is-khorasan"}); err != nil {
			t.Fatal(err)
		}
	})
	return out
}

// TestImportMatchesSQLite runs the same imports on both stores: the same
// counts, the same records and versions.
func TestImportMatchesSQLite(t *testing.T) {
	ctx := context.Background()
	pg := MustOpenDB(t)
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "lite.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	var changes [2][]*plotline.Change
	for i, s := range []interface {
		plotline.Store
		plotline.ImportStore
	}{lite, pg} {
		if _, err := s.Apply(ctx, storetest.Fixture()); err != nil {
			t.Fatal(err)
		}
		changes[i] = importSteps(t, s)
	}
	for i := range changes[0] {
		want, got := *changes[0][i], *changes[1][i]
		if got.Created != want.Created || got.Updated != want.Updated || got.Deleted != want.Deleted || got.Unchanged != want.Unchanged || (got.ID == 0) != (want.ID == 0) {
			t.Errorf("import %d: postgres %+v, sqlite %+v", i, got, want)
		}
	}
	if c := changes[1][0]; c.Created != 30*4 {
		t.Errorf("first import created %d; want 120", c.Created)
	}
	if c := changes[1][1]; c.Created != 43*4 || c.Deleted != 30 {
		t.Errorf("second import: %+v; want 172 created, 30 deleted", c)
	}
	if c := changes[1][2]; c.ID != 0 || c.Unchanged == 0 {
		t.Errorf("an import that changes nothing: %+v; want no change", c)
	}
	if last, err := pg.LastChange(ctx); err != nil || last != changes[1][1].ID {
		t.Errorf("last change after an empty import: %d %v; want %d", last, err, changes[1][1].ID)
	}
	versions := func(s plotline.HistoryExporter) []string {
		var out []string
		err := s.ExportHistory(ctx, func(plotline.HistoryChange) error { return nil }, func(v plotline.HistoryVersion) error {
			out = append(out, fmt.Sprintf("%s %s v%d deleted=%v %s", v.Kind, v.ID, v.Version, v.Deleted, v.Data))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got, want := versions(pg), versions(lite); !reflect.DeepEqual(got, want) {
		t.Errorf("postgres holds %d versions, sqlite %d; first difference %q", len(got), len(want), firstDiff(got, want))
	}
	in, err := pg.Incident(ctx, "bulk:017", plotline.AsOf{})
	if err != nil || len(in.Attributions) != 2 {
		t.Fatalf("bulk:017 after the newer release: %+v %v; want 2 statements", in, err)
	}
	if _, err := pg.Incident(ctx, "gone:001", plotline.AsOf{}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("rolled back import: %v; want not found", err)
	}
	keys, err := pg.MatchText(ctx, "more: number 39", nil)
	if err != nil || len(keys) != 1 {
		t.Errorf("text search of an imported summary: %v %v; want one version", keys, err)
	}
	pending, err := pg.PendingNames(ctx, "")
	if err != nil || len(pending) != 1 || pending[0].Name != "Nobody" {
		t.Errorf("pending names %+v %v", pending, err)
	}
}

func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] + " | " + b[i]
		}
	}
	return fmt.Sprintf("lengths %d, %d", len(a), len(b))
}

func TestImportIntoEmptyKindWithoutNamespace(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	b := storetest.Fixture()
	b.Incidents = nil // no incident or attribution stored yet
	if _, err := db.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	run := func(n int, dup bool) (*plotline.Change, error) {
		tx, err := db.BeginImport(ctx, "test", "")
		if err != nil {
			t.Fatal(err)
		}
		importIncidents(t, tx, "plain-", n, 0)
		if dup {
			in := storetest.Fixture().Incidents[0]
			in.ID, in.Attributions = "plain-000", nil
			if _, err := tx.PutIncident(ctx, &in); plotline.ErrorCode(err) != plotline.ECONFLICT {
				t.Errorf("the same incident twice in one import: %v; want ECONFLICT", err)
			}
		}
		return tx.Commit()
	}
	ch, err := run(5, true)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Created != 5*4 {
		t.Errorf("first import created %d; want 20", ch.Created)
	}
	ch, err = run(5, false)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Created+ch.Updated+ch.Deleted != 0 || ch.Unchanged != 5*4 {
		t.Errorf("re-import: %+v; want 20 unchanged", ch)
	}
}

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
}
