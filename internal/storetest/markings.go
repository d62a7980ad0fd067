package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
)

// MarkedFixture is Fixture with restricted material on the Istanbul attack:
// a TLP:RED source cited by the ISKP statement (next to its CLEAR one) and
// by the incident, a TLP:GREEN source nobody cites, and the Interior
// Ministry's statement marked AMBER on its own.
func MarkedFixture() *Batch {
	b := Fixture()
	b.Sources = append(b.Sources,
		plotline.Source{ID: "s-red", Publisher: "Partner service", Title: "Liaison note on the Istanbul attack",
			URL: "https://example.org/liaison", Kind: "government", TLP: "red", Published: plotline.MustDate("2024-02-05")},
		plotline.Source{ID: "s-green", Publisher: "Example News", Title: "Background", URL: "https://example.org/background",
			Kind: "news", TLP: "green", Published: plotline.MustDate("2024-02-01")})
	in := &b.Incidents[0]
	in.Sources = append(in.Sources, "s-red")
	in.Attributions[1].TLP = "amber"
	in.Attributions[2].Sources = append(in.Attributions[2].Sources, plotline.SourceRef{ID: "s-red"})
	return b
}

// MarkedCurated adds to the curated dataset (actors is, is-khorasan) a plot cited by a CLEAR and a
// TLP:RED source, carrying a CLEAR statement, an AMBER statement and one
// resting on the RED source; and a plot known only from the RED source.
// Every restricted text holds "XYZZY", and nothing else does.
func MarkedCurated() *plotline.Batch {
	ref := func(id string) []plotline.SourceRef { return []plotline.SourceRef{{ID: id}} }
	return &plotline.Batch{By: "test", Note: "markings",
		Sources: []plotline.Source{
			{ID: "test-marked-clear", Publisher: "Open Newspaper", Title: "Plot foiled in Hamburg", URL: "https://example.org/open",
				Kind: "news", TLP: "clear", Published: plotline.MustDate("2024-03-11")},
			{ID: "test-marked-red", Publisher: "Partner service XYZZY", Title: "Liaison note XYZZY", URL: "https://example.org/xyzzy-red",
				Kind: "government", TLP: "red", Published: plotline.MustDate("2024-03-12")},
		},
		Incidents: []plotline.Incident{
			{ID: "test-marked", Title: "Plot foiled in Hamburg", Kind: "plot", Outcome: "foiled", Date: plotline.MustDate("2024-03-10"),
				Location: plotline.Location{Country: "DEU", Place: "Hamburg"}, TargetCountry: "DEU",
				Sources: []string{"test-marked-clear", "test-marked-red"},
				Attributions: []plotline.Attribution{
					{ID: "test-marked/open", ActorID: "is", Basis: "media", AssertedBy: "Open Newspaper", StatedOn: plotline.MustDate("2024-03-11"),
						Link: "unknown", Sources: ref("test-marked-clear")},
					{ID: "test-marked/amber", ActorID: "is-khorasan", Basis: "government", AssertedBy: "Agency XYZZY", StatedOn: plotline.MustDate("2024-03-12"),
						Link: "directed", TLP: "amber", Sources: ref("test-marked-clear")},
					{ID: "test-marked/red", ActorID: "is-khorasan", Basis: "government", AssertedBy: "Service XYZZY", StatedOn: plotline.MustDate("2024-03-12"),
						Link: "guided", Sources: ref("test-marked-red")},
				}},
			{ID: "test-secret", Title: "Plot XYZZY", Kind: "plot", Outcome: "foiled", Date: plotline.MustDate("2024-04-02"),
				Location: plotline.Location{Country: "AUT"}, TargetCountry: "AUT", Sources: []string{"test-marked-red"},
				Attributions: []plotline.Attribution{{ID: "test-secret/gov", ActorID: "is-khorasan", Basis: "government", AssertedBy: "Service XYZZY",
					StatedOn: plotline.MustDate("2024-04-03"), Link: "directed", Sources: ref("test-marked-red")}}},
		},
	}
}

// Batch is plotline.Batch (so callers need not import both names).
type Batch = plotline.Batch

// Markings checks a store's plotline.MarkingReader: restricted sources by
// marking, the statements marked or citing them, and the record clock.
func Markings(t *testing.T, s plotline.Store) {
	mr, ok := s.(plotline.MarkingReader)
	if !ok {
		t.Skip("the store does not list its markings")
	}
	ctx := context.Background()
	mustApply(t, s, Fixture())
	before := time.Now()
	m, err := mr.Markings(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Sources) != 0 || len(m.Statements) != 0 {
		t.Errorf("CLEAR fixture: markings %+v; want none", m)
	}
	time.Sleep(time.Millisecond) // the record clock must move past before
	mustApply(t, s, MarkedFixture())
	m, err = mr.Markings(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"s-red": "red", "s-green": "green"}; len(m.Sources) != 2 || m.Sources["s-red"] != "red" || m.Sources["s-green"] != "green" {
		t.Errorf("sources %v; want %v", m.Sources, want)
	}
	var ids []string
	for _, a := range m.Statements {
		ids = append(ids, a.ID)
		if a.ID == "istanbul/gov-is" && a.TLP != "amber" {
			t.Errorf("the AMBER statement reads back marked %q", a.TLP)
		}
	}
	slices.Sort(ids)
	if want := []string{"istanbul/gov-is", "istanbul/gov-iskp"}; !slices.Equal(ids, want) {
		t.Errorf("statements %v; want %v", ids, want)
	}
	old, err := mr.Markings(ctx, plotline.AsOf{Recorded: &before})
	if err != nil {
		t.Fatal(err)
	}
	if len(old.Sources) != 0 || len(old.Statements) != 0 {
		t.Errorf("markings as recorded before the marked batch: %+v; want none", old)
	}
}

// Plugh is in every text, ID and URL of GraphMarked's restricted material,
// and nowhere else.
const Plugh = "plugh"

// GraphMarked adds to the curated dataset (actors is, is-khorasan):
//
//   - a TLP:RED source, test-plugh, cited by exactly one affiliation
//     (test-graz-cell → is-turkey) and one statement (on test-graz-plot), both
//     therefore withheld below RED;
//   - a second RED source cited by an actor known from it alone
//     (test-plugh-net, withheld, taking its CLEAR-sourced affiliation with
//     it) and, beside a CLEAR source, by test-graz-cell (shown, the
//     citation removed);
//   - the CLEAR material around them: the cell, its affiliation under
//     is-khorasan and a plot with a statement naming the cell.
//
// The cell's RED citation comes in its second version, so its history has
// something to redact. The API and web tests of markings share it.
func GraphMarked() []*plotline.Batch {
	open := []string{"test-cell-open"}
	// The cell's second version adds the RED citation.
	cell := &plotline.Batch{By: "test", Note: "the cell's second source", Actors: []plotline.Actor{
		{ID: "test-graz-cell", Name: "Graz cell", Kind: plotline.ActorCell, Founded: plotline.MustDate("2023"),
			Sources: []string{"test-cell-open", "test-plugh-2"}}}}
	return []*plotline.Batch{{By: "test", Note: "graph markings",
		Sources: []plotline.Source{
			{ID: "test-cell-open", Publisher: "Open Monitor", Title: "Cell arrested in Graz", URL: "https://example.org/graz",
				Kind: "news", TLP: "clear", Published: plotline.MustDate("2024-05-02")},
			{ID: "test-plugh", Publisher: "Liaison PLUGH", Title: "Note PLUGH on the Graz cell", URL: "https://example.org/plugh-note",
				Kind: "government", TLP: "red", Published: plotline.MustDate("2024-05-03")},
			{ID: "test-plugh-2", Publisher: "Service PLUGH", Title: "Roster PLUGH", URL: "https://example.org/plugh-roster",
				Kind: "government", TLP: "red", Published: plotline.MustDate("2024-05-03")},
		},
		Actors: []plotline.Actor{
			{ID: "test-graz-cell", Name: "Graz cell", Kind: plotline.ActorCell, Founded: plotline.MustDate("2023"), Sources: open},
			{ID: "test-plugh-net", Name: "Network PLUGH", Kind: plotline.ActorNetwork, Founded: plotline.MustDate("2022"),
				Sources: []string{"test-plugh-2"}},
		},
		Affiliations: []plotline.Affiliation{
			{ID: "test-graz-cell/open", ChildID: "test-graz-cell", ParentID: "is-khorasan", From: plotline.MustDate("2023"), Sources: open},
			{ID: "test-graz-cell/plugh", ChildID: "test-graz-cell", ParentID: "is-turkey", From: plotline.MustDate("2023"), Sources: []string{"test-plugh"}},
			{ID: "test-plugh-net/is", ChildID: "test-plugh-net", ParentID: "is", From: plotline.MustDate("2022"), Sources: open},
		},
		Incidents: []plotline.Incident{
			{ID: "test-graz-plot", Title: "Plot foiled in Graz", Kind: "plot", Outcome: "foiled", Date: plotline.MustDate("2024-05-01"),
				Location: plotline.Location{Country: "AUT", Place: "Graz"}, TargetCountry: "AUT", Sources: open,
				Attributions: []plotline.Attribution{
					{ID: "test-graz-plot/open", ActorID: "test-graz-cell", Basis: "media", AssertedBy: "Open Monitor",
						StatedOn: plotline.MustDate("2024-05-02"), Link: "unknown", Sources: []plotline.SourceRef{{ID: "test-cell-open"}}},
					{ID: "test-graz-plot/plugh", ActorID: "is-khorasan", Basis: "government", AssertedBy: "Liaison PLUGH",
						StatedOn: plotline.MustDate("2024-05-03"), Link: "directed", Sources: []plotline.SourceRef{{ID: "test-plugh"}}},
				}},
		},
	}, cell}
}
