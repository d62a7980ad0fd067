package plotline_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/plotline-dev/plotline"
)

// markedIncident has a CLEAR and a RED source on the incident, a CLEAR
// statement, an AMBER statement, a statement citing the RED source next to
// a CLEAR one, and one with an unknown marking.
func markedIncident() plotline.Incident {
	ref := func(ids ...string) []plotline.SourceRef {
		var out []plotline.SourceRef
		for _, id := range ids {
			out = append(out, plotline.SourceRef{ID: id})
		}
		return out
	}
	return plotline.Incident{ID: "x", Sources: []string{"clear-src", "red-src"}, Attributions: []plotline.Attribution{
		{ID: "x/open", ActorID: "a", Sources: ref("clear-src")},
		{ID: "x/amber", ActorID: "a", TLP: "amber", Sources: ref("clear-src")},
		{ID: "x/mixed", ActorID: "b", Sources: ref("clear-src", "red-src")},
		{ID: "x/odd", ActorID: "a", TLP: "purple", Sources: ref("clear-src")},
	}}
}

var marks = map[string]string{"clear-src": "clear", "red-src": "red", "green-src": "green"}

func statementIDs(in plotline.Incident) []string {
	var out []string
	for _, a := range in.Attributions {
		out = append(out, a.ID)
	}
	return out
}

func TestVisibilityIncident(t *testing.T) {
	tests := []struct {
		clearance    string
		wantStmts    []string
		wantSources  []string
		wantWithheld plotline.Withheld
	}{
		{"clear", []string{"x/open"}, []string{"clear-src"}, plotline.Withheld{Sources: 1, Attributions: 3}},
		{"green", []string{"x/open"}, []string{"clear-src"}, plotline.Withheld{Sources: 1, Attributions: 3}},
		{"amber", []string{"x/open", "x/amber"}, []string{"clear-src"}, plotline.Withheld{Sources: 1, Attributions: 2}},
		{"amber+strict", []string{"x/open", "x/amber"}, []string{"clear-src"}, plotline.Withheld{Sources: 1, Attributions: 2}},
		// An unknown marking is the most restrictive: even RED sees it, as RED.
		{"red", []string{"x/open", "x/amber", "x/mixed", "x/odd"}, []string{"clear-src", "red-src"}, plotline.Withheld{}},
		// An unknown clearance sees nothing marked, not even CLEAR.
		{"", nil, nil, plotline.Withheld{Incidents: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.clearance, func(t *testing.T) {
			in := markedIncident()
			got, w, ok := plotline.Visibility{Clearance: tt.clearance, Marks: marks}.Incident(in)
			if ok != (tt.wantSources != nil) {
				t.Fatalf("visible %v; want %v", ok, tt.wantSources != nil)
			}
			if !slices.Equal(statementIDs(got), tt.wantStmts) {
				t.Errorf("statements %v; want %v", statementIDs(got), tt.wantStmts)
			}
			if !slices.Equal(got.Sources, tt.wantSources) {
				t.Errorf("sources %v; want %v", got.Sources, tt.wantSources)
			}
			if w != tt.wantWithheld {
				t.Errorf("withheld %+v; want %+v", w, tt.wantWithheld)
			}
			if len(in.Attributions) != 4 || len(in.Sources) != 2 {
				t.Errorf("the input was modified: %+v", in)
			}
		})
	}
}

func TestVisibilityIncidentOnlyOnRestrictedSources(t *testing.T) {
	in := plotline.Incident{ID: "y", Sources: []string{"red-src"}, Attributions: []plotline.Attribution{
		{ID: "y/a", Sources: []plotline.SourceRef{{ID: "clear-src"}}}}}
	got, w, ok := plotline.Visibility{Clearance: "amber+strict", Marks: marks}.Incident(in)
	if ok || got.ID != "" || w != (plotline.Withheld{Incidents: 1}) {
		t.Errorf("got %+v, %+v, %v; want the whole incident withheld, counted once", got, w, ok)
	}
}

func TestStatementTLP(t *testing.T) {
	v := plotline.Visibility{Marks: marks}
	for _, tt := range []struct {
		own     string
		sources []string
		want    string
	}{
		{"", []string{"clear-src"}, "clear"},
		{"", []string{"unlisted"}, "clear"}, // absent from Marks: CLEAR
		{"green", []string{"clear-src"}, "green"},
		{"", []string{"clear-src", "green-src"}, "green"},
		{"amber", []string{"green-src"}, "amber"},
		{"clear", []string{"red-src", "green-src"}, "red"},
		{"purple", []string{"clear-src"}, "red"},
	} {
		a := plotline.Attribution{TLP: tt.own}
		for _, s := range tt.sources {
			a.Sources = append(a.Sources, plotline.SourceRef{ID: s})
		}
		if got := v.StatementTLP(&a); got != tt.want {
			t.Errorf("own %q on %v: %q; want %q", tt.own, tt.sources, got, tt.want)
		}
	}
}

func TestVisibilitySnapshot(t *testing.T) {
	snap := &plotline.Snapshot{
		Sources: []plotline.Source{{ID: "clear-src", TLP: "clear"}, {ID: "red-src", TLP: "red"}, {ID: "green-src", TLP: "green"}},
		Actors: []plotline.Actor{{ID: "a", Sources: []string{"clear-src"}}, {ID: "b", Sources: []string{"green-src"}},
			{ID: "c", Sources: []string{"clear-src", "red-src"}}},
		Affiliations: []plotline.Affiliation{{ID: "b-in-a", ChildID: "b", ParentID: "a", Sources: []string{"clear-src"}},
			{ID: "c-in-a", ChildID: "c", ParentID: "a", Sources: []string{"red-src"}}},
		Incidents: []plotline.Incident{markedIncident(), {ID: "z", Sources: []string{"green-src"}}},
	}
	got, w := plotline.Visibility{Clearance: "clear"}.Snapshot(snap)
	want := plotline.Withheld{Sources: 2, Actors: 1, Affiliations: 2, Incidents: 1, Attributions: 3}
	if w != want {
		t.Errorf("withheld %+v; want %+v", w, want)
	}
	if len(got.Sources) != 1 || len(got.Actors) != 2 || got.Actors[1].ID != "c" || len(got.Actors[1].Sources) != 1 ||
		len(got.Affiliations) != 0 || len(got.Incidents) != 1 {
		t.Errorf("snapshot %+v", got)
	}
	if same, w := (plotline.Visibility{Clearance: "red"}).Snapshot(snap); same != snap || w.Any() {
		t.Errorf("RED: got a copy or withheld %+v; want the snapshot itself", w)
	}
}

func TestVisibilityFor(t *testing.T) {
	ctx := context.Background()
	if v := plotline.VisibilityFor(ctx, nil); v.Clearance != "clear" {
		t.Errorf("anonymous clearance %q; want clear", v.Clearance)
	}
	u := &plotline.User{Name: "r", Role: plotline.RoleReader, Clearance: "green"}
	if v := plotline.VisibilityFor(plotline.WithUser(ctx, u), nil); v.Clearance != "green" {
		t.Errorf("reader clearance %q; want green", v.Clearance)
	}
}

func TestAttributionTLPValidated(t *testing.T) {
	a := plotline.Attribution{ID: "x/a", ActorID: "a", Basis: "claim", AssertedBy: "A", StatedOn: plotline.MustDate("2024"),
		Link: "unknown", Sources: []plotline.SourceRef{{ID: "s"}}, TLP: "white"}
	errs := a.Validate()
	if len(errs) != 1 || errs[0].Field != "tlp" {
		t.Errorf("errors %v; want one on tlp", errs)
	}
	a.TLP = "amber+strict"
	if errs := a.Validate(); len(errs) != 0 {
		t.Errorf("errors %v; want none", errs)
	}
}

func TestMarkedStatement(t *testing.T) {
	restricted := map[string]string{"red-src": "red"}
	for _, tt := range []struct {
		a    plotline.Attribution
		want bool
	}{
		{plotline.Attribution{ID: "x/a", Sources: []plotline.SourceRef{{ID: "clear-src"}}}, false},
		{plotline.Attribution{ID: "x/a", Sources: []plotline.SourceRef{{ID: "clear-src"}, {ID: "red-src"}}}, true},
		{plotline.Attribution{ID: "x/a", TLP: "green", Sources: []plotline.SourceRef{{ID: "clear-src"}}}, true},
		// Text that spells the keys is escaped in JSON and never matches.
		{plotline.Attribution{ID: "x/a", Note: `"tlp":"red" "id":"red-src"`, Sources: []plotline.SourceRef{{ID: "clear-src"}}}, false},
		{plotline.Attribution{ID: "red-src-2", Sources: []plotline.SourceRef{{ID: "red-src-3"}}}, false},
	} {
		data, err := json.Marshal(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		if got := plotline.MarkedStatement(data, restricted); got != tt.want {
			t.Errorf("%s: %v; want %v", data, got, tt.want)
		}
	}
}
