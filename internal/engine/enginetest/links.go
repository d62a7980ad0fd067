package enginetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// LinkStore is a Store that keeps duplicate decisions and gives them to the
// engine.
type LinkStore interface {
	Store
	plotline.ResolveStore
	engine.LinkSource
}

// RunLinks runs the tests of incidents linked as one (engine.LinkSource) on
// a new store from open.
func RunLinks(t *testing.T, open func(t *testing.T) LinkStore) {
	t.Run("LinkedCountOnce", func(t *testing.T) { linkedCountOnce(t, open(t)) })
}

// linkedCountOnce: two records of one incident count once after a "same"
// decision, the group carrying both records' statements; not as recorded
// before the decision, nor after a later "distinct"; and an engine that
// refreshes answers as a full build at every step.
func linkedCountOnce(t *testing.T, db LinkStore) {
	ctx := context.Background()
	b := storetest.Fixture()
	gtd := deltaIncident("gtd:1", "2024-03-01")
	gtd.Origin, gtd.Attributions = "gtd", gtd.Attributions[1:] // the claim for the Turkey province
	gtd.Attributions[0].Sources = []plotline.SourceRef{{ID: "s-amber"}}
	acled := deltaIncident("acled:1", "2024-03-01")
	acled.Origin = "acled"
	acled.Attributions = []plotline.Attribution{{ID: "acled:1/gov", ActorID: "is-khorasan", Basis: "government", AssertedBy: "Ministry",
		StatedOn: plotline.MustDate("2024-03-02"), Link: "unknown", Sources: []plotline.SourceRef{{ID: "s1"}}}}
	b.Sources = append(b.Sources, plotline.Source{ID: "s-amber", Publisher: "Agency", Title: "Briefing", URL: "https://example.org/briefing",
		Kind: "government", TLP: "amber", Published: plotline.MustDate("2024-03-02")})
	b.Incidents = append(b.Incidents, gtd, acled)
	eng := applyAndServe(t, db, b)
	count := func(q string, asOf plotline.AsOf) int {
		t.Helper()
		var parsed *query.Query
		if q != "" {
			parsed = mustParse(t, q)
		}
		got, err := eng.Count(ctx, engine.Request{Query: parsed, AsOf: asOf, GroupBy: []string{"unit"}})
		if err != nil {
			t.Fatal(err)
		}
		full, err := engine.Build(ctx, db, asOf.Recorded)
		if err != nil {
			t.Fatal(err)
		}
		want, err := full.Count(ctx, engine.Request{Query: parsed, AsOf: asOf, GroupBy: []string{"unit"}})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: the engine answered %+v, a full build %+v", q, got, want)
		}
		return got.Total
	}
	refresh := func(want bool) {
		t.Helper()
		did, err := eng.Refresh(ctx)
		if err != nil || did != want {
			t.Fatalf("refresh: %v, %v; want %v", did, err, want)
		}
	}
	decide := func(verdict string) {
		t.Helper()
		if err := db.SaveDuplicateDecision(ctx, &plotline.DuplicateDecision{A: "gtd:1", B: "acled:1", Verdict: verdict, By: "alice"}); err != nil {
			t.Fatal(err)
		}
	}
	const day = "date:2024-03-01"
	all, iskp, both := count("", plotline.AsOf{}), count(day+" actor:is-khorasan", plotline.AsOf{}), count(day, plotline.AsOf{})
	if both != 2 || iskp != 1 {
		t.Fatalf("before linking: %d incidents on the day, %d tied to ISKP; want 2 and 1", both, iskp)
	}
	before := time.Now()
	time.Sleep(2 * time.Millisecond)
	decide(plotline.DuplicateSame)
	refresh(true)
	if got := count("", plotline.AsOf{}); got != all-1 {
		t.Errorf("linked: %d incidents in all, want %d", got, all-1)
	}
	if got := count(day, plotline.AsOf{}); got != 1 {
		t.Errorf("linked: %d incidents on the day, want 1", got)
	}
	// The group carries both records' statements: tied to ISKP by the ACLED
	// record's statement and to the Turkey province by the GTD record's.
	if got := count(day+" actor:is-khorasan", plotline.AsOf{}); got != 1 {
		t.Errorf("linked: %d incidents tied to ISKP, want 1", got)
	}
	if got := count(day+" actor:is-turkey", plotline.AsOf{}); got != 1 {
		t.Errorf("linked: %d incidents tied to the Turkey province, want 1", got)
	}
	// At clearance GREEN the GTD record's statement (an AMBER source) is
	// withheld although it now stands on the group's row, the ACLED record's.
	green, err := eng.Count(ctx, engine.Request{Query: mustParse(t, day+" actor:is-turkey"), Clearance: "green"})
	if err != nil || green.Total != 0 {
		t.Errorf("linked, at clearance green: %+v, %v; want no incident tied to the Turkey province", green, err)
	}
	m, err := eng.Match(ctx, engine.Request{Query: mustParse(t, day)})
	if err != nil || m.Total != 1 || !slices.Equal(m.IDs, []string{"acled:1"}) || !slices.Equal(m.Linked["acled:1"], []string{"gtd:1"}) { // the earlier ID of the day stands for the group
		t.Errorf("linked: matched %+v, %v", m, err)
	}
	// The report reads the group's records from the store: one incident,
	// related to ISKP, where the claim and the government disagree.
	rule, err := analysis.ParseRule("any")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := eng.ExternalOps(ctx, nil, "", analysis.ExternalOpsParams{From: plotline.MakeDay(2024, 3, 1), To: plotline.MakeDay(2024, 3, 31),
		RelatedTo: "is-khorasan", Rule: rule, AsOf: plotline.MakeDay(2024, 12, 31)})
	if err != nil || rep.Total != 1 || rep.Related != 1 || len(rep.Disagreements) != 1 {
		t.Errorf("linked, report: %v; total %d, related %d, disagreements %+v", err, rep.Total, rep.Related, rep.Disagreements)
	}
	// As recorded before the decision: two.
	if got := count(day, plotline.AsOf{Recorded: &before}); got != 2 {
		t.Errorf("as recorded before the decision: %d incidents on the day, want 2", got)
	}
	// A new version of a linked record: the refresh rebuilds, the group holds.
	acled.Title = "Attack, revised"
	if _, err := db.Apply(ctx, &plotline.Batch{By: "test", Incidents: []plotline.Incident{acled}}); err != nil {
		t.Fatal(err)
	}
	refresh(true)
	if got := count(day, plotline.AsOf{}); got != 1 {
		t.Errorf("after an update of a linked record: %d incidents on the day, want 1", got)
	}
	if s, err := eng.Snapshot(ctx, plotline.AsOf{}); err != nil || s.Layers() != 1 {
		t.Errorf("a linked record re-read in a layer: %v", err)
	}
	// Decided distinct after all: two again.
	decide(plotline.DuplicateDistinct)
	refresh(true)
	if got := count(day, plotline.AsOf{}); got != 2 {
		t.Errorf("distinct: %d incidents on the day, want 2", got)
	}
	refresh(false)
}

func mustParse(t *testing.T, q string) *query.Query {
	t.Helper()
	parsed, err := query.Parse(q)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}
