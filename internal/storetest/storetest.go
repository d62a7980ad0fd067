// Package storetest is the conformance suite every plotline.Store must pass.
// Each backend's tests call Run with a function that opens a fresh, empty store.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
)

// Opener returns a new empty store; it registers its own cleanup.
type Opener func(t *testing.T) plotline.Store

// Run runs every conformance test against stores made by open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s plotline.Store)
	}{
		{"ApplyAndRead", testApplyAndRead},
		{"ReapplyChangesNothing", testReapply},
		{"UpdateMakesVersion", testUpdateVersion},
		{"DeleteIsTombstone", testDeleteTombstone},
		{"AsOfStated", testAsOfStated},
		{"AsOfBothClocks", testAsOfBothClocks},
		{"InvalidBatchWritesNothing", testInvalidBatch},
		{"DanglingReferenceWritesNothing", testDanglingReference},
		{"DeleteReferencedActorRefused", testDeleteReferenced},
		{"IncidentFilter", testIncidentFilter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, open(t)) })
	}
	for _, tt := range workflowTests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			tt.fn(t, s, workflow(t, s))
		})
	}
}

func ptr[T any](v T) *T { return &v }

// Fixture returns a small, valid batch: two actors in a dated hierarchy, two
// sources, and the Istanbul-like incident with a claim and two official
// statements made on different days.
func Fixture() *plotline.Batch {
	src := func(id string) plotline.Source {
		return plotline.Source{ID: id, Publisher: "Example News", Title: "Report " + id, URL: "https://example.org/" + id,
			Kind: "news", TLP: "clear", Published: plotline.MustDate("2024-01-28")}
	}
	return &plotline.Batch{
		By:      "test",
		Note:    "fixture",
		Sources: []plotline.Source{src("s1"), src("s2")},
		Actors: []plotline.Actor{
			{ID: "is", Name: "Islamic State", Kind: "core", Sources: []string{"s1"},
				Home: []plotline.HomeCountry{{Country: "IRQ"}, {Country: "SYR"}}},
			{ID: "is-khorasan", Name: "Islamic State Khorasan Province", Kind: "province", Sources: []string{"s1"},
				Aliases: []plotline.Alias{{Name: "ISKP", Weak: true}, {Name: "ولاية خراسان", Lang: "ar", Script: "Arab"}},
				Home:    []plotline.HomeCountry{{Country: "AFG"}, {Country: "PAK"}}},
			{ID: "is-turkey", Name: "Islamic State Turkey Province", Kind: "province", Sources: []string{"s1"},
				Home: []plotline.HomeCountry{{Country: "TUR"}}},
		},
		Affiliations: []plotline.Affiliation{
			{ID: "is-khorasan-in-is", ChildID: "is-khorasan", ParentID: "is", From: plotline.MustDate("2015-01"), Sources: []string{"s1"}},
			{ID: "is-turkey-in-is", ChildID: "is-turkey", ParentID: "is", From: plotline.MustDate("2019"), Sources: []string{"s1"}},
		},
		Incidents: []plotline.Incident{{
			ID: "istanbul", Title: "Church attack", Kind: "attack", Outcome: "completed", Stage: "execution",
			Date:          plotline.MustDate("2024-01-28"),
			Location:      plotline.Location{Country: "TUR", Place: "Istanbul", Lat: ptr(41.1), Lon: ptr(29.0), Precision: "place"},
			TargetCountry: "TUR", TargetType: "religious",
			Killed:  plotline.Range{Best: ptr(1)},
			Sources: []string{"s1"},
			Attributions: []plotline.Attribution{
				{ID: "istanbul/claim", ActorID: "is-turkey", Basis: "claim", AssertedBy: "Islamic State (Amaq)",
					StatedOn: plotline.MustDate("2024-01-28"), Link: "directed", Sources: []plotline.SourceRef{{ID: "s1"}}},
				{ID: "istanbul/gov-is", ActorID: "is", Basis: "government", AssertedBy: "Turkish Interior Ministry",
					StatedOn: plotline.MustDate("2024-01-29"), Link: "unknown", Sources: []plotline.SourceRef{{ID: "s1"}}},
				{ID: "istanbul/gov-iskp", ActorID: "is-khorasan", Basis: "government", AssertedBy: "Turkish security services",
					StatedOn: plotline.MustDate("2024-02-05"), Link: "directed", Sources: []plotline.SourceRef{{ID: "s2", Reliability: "B", Credibility: "2"}}},
			},
		}},
	}
}

func mustApply(t *testing.T, s plotline.Store, b *plotline.Batch) *plotline.Change {
	t.Helper()
	ch, err := s.Apply(context.Background(), b)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return ch
}

func day(s string) *plotline.Day {
	d, err := plotline.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return &d
}

func testApplyAndRead(t *testing.T, s plotline.Store) {
	ctx := context.Background()
	empty, err := s.Empty(ctx)
	if err != nil || !empty {
		t.Fatalf("Empty() = %v, %v on a new store; want true", empty, err)
	}
	ch := mustApply(t, s, Fixture())
	if ch.Created != 11 || ch.Updated != 0 {
		t.Errorf("change created=%d updated=%d; want 11 created", ch.Created, ch.Updated)
	}
	in, err := s.Incident(ctx, "istanbul", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(in.Attributions); got != 3 {
		t.Fatalf("got %d attributions; want 3", got)
	}
	if got := in.Attributions[2]; got.ActorID != "is-khorasan" || got.Sources[0].Reliability != "B" {
		t.Errorf("third statement = %+v; want the ISKP one graded B", got)
	}
	if in.Date.String() != "2024-01-28" || *in.Location.Lat != 41.1 || *in.Killed.Best != 1 {
		t.Errorf("incident fields not kept: %+v", in)
	}
	a, err := s.Actor(ctx, "is-khorasan", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Aliases) != 2 || a.Aliases[1].Name != "ولاية خراسان" || !a.Aliases[0].Weak {
		t.Errorf("aliases not kept: %+v", a.Aliases)
	}
	if _, err := s.Incident(ctx, "nope", plotline.AsOf{}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("missing incident: err %v; want ENOTFOUND", err)
	}
	snap, err := s.Snapshot(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Actors) != 3 || len(snap.Affiliations) != 2 || len(snap.Sources) != 2 || len(snap.Incidents) != 1 {
		t.Errorf("snapshot sizes %d/%d/%d/%d; want 3/2/2/1", len(snap.Actors), len(snap.Affiliations), len(snap.Sources), len(snap.Incidents))
	}
}

func testReapply(t *testing.T, s plotline.Store) {
	mustApply(t, s, Fixture())
	ch := mustApply(t, s, Fixture())
	if ch.Created+ch.Updated+ch.Deleted != 0 || ch.Unchanged != 11 || ch.ID != 0 {
		t.Errorf("re-apply: %+v; want 11 unchanged, nothing else, and no change recorded", ch)
	}
	if list, err := s.Changes(context.Background(), 10); err != nil || len(list) != 1 {
		t.Errorf("changes after a no-op re-apply: %d, %v; want the first only", len(list), err)
	}
	h, err := s.History(context.Background(), plotline.Ref{Kind: plotline.RecIncident, ID: "istanbul"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 {
		t.Errorf("history has %d versions after a no-op re-apply; want 1", len(h))
	}
	if next := mustApply(t, s, &plotline.Batch{By: "test", Deletes: []plotline.Ref{{Kind: plotline.RecIncident, ID: "istanbul"}}}); next.ID != 2 {
		t.Errorf("the change after a no-op is %d; want 2", next.ID)
	}
}

func testUpdateVersion(t *testing.T, s plotline.Store) {
	ctx := context.Background()
	first := mustApply(t, s, Fixture())
	b := Fixture()
	b.By, b.Note = "editor", "casualty correction"
	b.Incidents[0].Killed = plotline.Range{Low: ptr(1), Best: ptr(1), High: ptr(2)}
	second := mustApply(t, s, b)
	if second.Updated != 1 || second.Created != 0 {
		t.Errorf("update change = %+v; want exactly 1 updated", second)
	}
	if !second.RecordedAt.After(first.RecordedAt) {
		t.Errorf("record clock did not advance: %v then %v", first.RecordedAt, second.RecordedAt)
	}
	h, err := s.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "istanbul"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[1].RecordedBy != "editor" || h[1].Note != "casualty correction" || h[1].Version != 2 {
		t.Fatalf("history = %+v; want 2 versions, the second by editor", h)
	}
	before := first.RecordedAt
	old, err := s.Incident(ctx, "istanbul", plotline.AsOf{Recorded: &before})
	if err != nil {
		t.Fatal(err)
	}
	if old.Killed.High != nil {
		t.Errorf("as recorded at the first change, killed.high = %v; want unset", *old.Killed.High)
	}
	now, err := s.Incident(ctx, "istanbul", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if now.Killed.High == nil || *now.Killed.High != 2 {
		t.Errorf("current killed = %+v; want high 2", now.Killed)
	}
}

func testDeleteTombstone(t *testing.T, s plotline.Store) {
	ctx := context.Background()
	first := mustApply(t, s, Fixture())
	ch := mustApply(t, s, &plotline.Batch{By: "editor", Deletes: []plotline.Ref{{Kind: plotline.RecIncident, ID: "istanbul"}}})
	if ch.Deleted != 4 {
		t.Errorf("deleted %d records; want the incident and its 3 attributions", ch.Deleted)
	}
	if _, err := s.Incident(ctx, "istanbul", plotline.AsOf{}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("after delete: err %v; want ENOTFOUND", err)
	}
	at := first.RecordedAt
	in, err := s.Incident(ctx, "istanbul", plotline.AsOf{Recorded: &at})
	if err != nil {
		t.Fatalf("as recorded before the delete: %v", err)
	}
	if len(in.Attributions) != 3 {
		t.Errorf("as recorded before the delete: %d attributions; want 3", len(in.Attributions))
	}
	h, err := s.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "istanbul"})
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || !h[1].Deleted || h[0].Data == nil {
		t.Errorf("history = %+v; want the original version and a tombstone", h)
	}
	if _, err := s.Apply(ctx, &plotline.Batch{By: "editor", Deletes: []plotline.Ref{{Kind: plotline.RecIncident, ID: "istanbul"}}}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("deleting twice: err %v; want ENOTFOUND", err)
	}
	// Re-creating after a delete is a new version on the same ID.
	ch = mustApply(t, s, Fixture())
	if ch.Created != 4 {
		t.Errorf("re-creating: %+v; want 4 created (incident and 3 attributions)", ch)
	}
}

func testAsOfStated(t *testing.T, s plotline.Store) {
	ctx := context.Background()
	mustApply(t, s, Fixture())
	in, err := s.Incident(ctx, "istanbul", plotline.AsOf{Stated: day("2024-01-30")})
	if err != nil {
		t.Fatal(err)
	}
	var actors []string
	for _, a := range in.Attributions {
		actors = append(actors, a.ActorID)
	}
	if len(actors) != 2 || actors[0] != "is-turkey" || actors[1] != "is" {
		t.Errorf("as of 2024-01-30 statements by %v; want [is-turkey is]", actors)
	}
	if _, err := s.Incident(ctx, "istanbul", plotline.AsOf{Stated: day("2024-01-27")}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("before it happened: err %v; want ENOTFOUND", err)
	}
	list, err := s.Incidents(ctx, plotline.IncidentFilter{}, plotline.AsOf{Stated: day("2024-02-05")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || len(list[0].Attributions) != 3 {
		t.Errorf("as of 2024-02-05: %d incidents; want 1 with 3 statements", len(list))
	}
}

func testAsOfBothClocks(t *testing.T, s plotline.Store) {
	ctx := context.Background()
	b := Fixture()
	b.Incidents[0].Attributions = b.Incidents[0].Attributions[:2]
	first := mustApply(t, s, b)
	second := mustApply(t, s, Fixture()) // records the ISKP statement later
	if second.Created != 1 {
		t.Fatalf("second change created %d; want 1", second.Created)
	}
	at := first.RecordedAt
	cases := []struct {
		name string
		asOf plotline.AsOf
		want int
	}{
		{"now", plotline.AsOf{}, 3},
		{"recorded before the ISKP statement", plotline.AsOf{Recorded: &at}, 2},
		{"stated before it", plotline.AsOf{Stated: day("2024-02-04")}, 2},
		{"both", plotline.AsOf{Stated: day("2024-01-28"), Recorded: &at}, 1},
	}
	for _, c := range cases {
		in, err := s.Incident(ctx, "istanbul", c.asOf)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(in.Attributions) != c.want {
			t.Errorf("%s: %d statements; want %d", c.name, len(in.Attributions), c.want)
		}
	}
	early := first.RecordedAt.Add(-time.Hour)
	list, err := s.Incidents(ctx, plotline.IncidentFilter{}, plotline.AsOf{Recorded: &early})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("before anything was recorded: %d incidents; want 0", len(list))
	}
}

func testInvalidBatch(t *testing.T, s plotline.Store) {
	ctx := context.Background()
	b := Fixture()
	b.Incidents[0].TargetCountry = "XXX"
	_, err := s.Apply(ctx, b)
	var pe *plotline.Error
	if plotline.ErrorCode(err) != plotline.EINVALID {
		t.Fatalf("err %v; want EINVALID", err)
	}
	if !asError(err, &pe) || pe.Field != "incidents[0].target_country" {
		t.Errorf("error field = %q; want incidents[0].target_country", pe.Field)
	}
	assertEmpty(t, s)
}

func testDanglingReference(t *testing.T, s plotline.Store) {
	ctx := context.Background()
	b := Fixture()
	b.Incidents[0].Attributions[1].ActorID = "no-such-actor"
	_, err := s.Apply(ctx, b)
	var pe *plotline.Error
	if !asError(err, &pe) || pe.Code != plotline.EINVALID || pe.Field != "incidents[0].attributions[1].actor" {
		t.Fatalf("err %v; want EINVALID on incidents[0].attributions[1].actor", err)
	}
	assertEmpty(t, s)

	b = Fixture()
	b.Incidents[0].Sources = []string{"s-missing"}
	if _, err := s.Apply(ctx, b); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Fatalf("missing source: err %v; want EINVALID", err)
	}
	assertEmpty(t, s)
}

func testDeleteReferenced(t *testing.T, s plotline.Store) {
	ctx := context.Background()
	mustApply(t, s, Fixture())
	for _, ref := range []plotline.Ref{{Kind: plotline.RecActor, ID: "is-khorasan"}, {Kind: plotline.RecSource, ID: "s2"}} {
		_, err := s.Apply(ctx, &plotline.Batch{By: "editor", Deletes: []plotline.Ref{ref}})
		if plotline.ErrorCode(err) != plotline.ECONFLICT {
			t.Errorf("deleting referenced %s: err %v; want ECONFLICT", ref.Kind, err)
		}
	}
	if _, err := s.Actor(ctx, "is-khorasan", plotline.AsOf{}); err != nil {
		t.Errorf("refused delete still removed the actor: %v", err)
	}
}

func testIncidentFilter(t *testing.T, s plotline.Store) {
	ctx := context.Background()
	b := Fixture()
	plot := b.Incidents[0]
	plot.ID, plot.Kind, plot.Outcome, plot.Date = "plot-march", "plot", "foiled", plotline.MustDate("2024-03")
	plot.Attributions = nil
	b.Incidents = append(b.Incidents, plot)
	mustApply(t, s, b)
	cases := []struct {
		name string
		f    plotline.IncidentFilter
		want []string
	}{
		{"all, by date", plotline.IncidentFilter{}, []string{"istanbul", "plot-march"}},
		{"kind", plotline.IncidentFilter{Kind: "plot"}, []string{"plot-march"}},
		{"month-precision overlaps", plotline.IncidentFilter{From: day("2024-03-31"), To: day("2024-04-30")}, []string{"plot-march"}},
		{"before", plotline.IncidentFilter{To: day("2024-02-29")}, []string{"istanbul"}},
		{"ids", plotline.IncidentFilter{IDs: []string{"plot-march"}}, []string{"plot-march"}},
		{"page", plotline.IncidentFilter{Limit: 1, Offset: 1}, []string{"plot-march"}},
	}
	for _, c := range cases {
		list, err := s.Incidents(ctx, c.f, plotline.AsOf{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var got []string
		for _, in := range list {
			got = append(got, in.ID)
		}
		if len(got) != len(c.want) || (len(got) > 0 && got[0] != c.want[0]) {
			t.Errorf("%s: got %v; want %v", c.name, got, c.want)
		}
	}
}

func assertEmpty(t *testing.T, s plotline.Store) {
	t.Helper()
	ctx := context.Background()
	empty, err := s.Empty(ctx)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := s.Snapshot(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if !empty || len(snap.Actors)+len(snap.Sources)+len(snap.Incidents)+len(snap.Affiliations) != 0 {
		t.Errorf("store not empty after a failed batch: empty=%v, %d actors, %d sources, %d incidents",
			empty, len(snap.Actors), len(snap.Sources), len(snap.Incidents))
	}
}
