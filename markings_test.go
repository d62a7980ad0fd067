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

// historyStore is a ChangeReader over records given as JSON versions.
type historyStore struct {
	sources   map[string]plotline.Source
	actors    map[string]plotline.Actor
	histories map[plotline.Ref][]plotline.Version
	drafts    map[int64]*plotline.Draft
	markings  *plotline.Markings // nil: not a MarkingReader
}

func (s *historyStore) Source(_ context.Context, id string, _ plotline.AsOf) (*plotline.Source, error) {
	if src, ok := s.sources[id]; ok {
		return &src, nil
	}
	return nil, plotline.Errorf(plotline.ENOTFOUND, "source %q not found", id)
}

func (s *historyStore) Actor(_ context.Context, id string, _ plotline.AsOf) (*plotline.Actor, error) {
	if a, ok := s.actors[id]; ok {
		return &a, nil
	}
	return nil, plotline.Errorf(plotline.ENOTFOUND, "actor %q not found", id)
}

func (s *historyStore) History(_ context.Context, ref plotline.Ref) ([]plotline.Version, error) {
	if vs, ok := s.histories[ref]; ok {
		return vs, nil
	}
	return nil, plotline.Errorf(plotline.ENOTFOUND, "%s %q not found", ref.Kind, ref.ID)
}

func (s *historyStore) Draft(_ context.Context, change int64) (*plotline.Draft, error) {
	if d, ok := s.drafts[change]; ok {
		return d, nil
	}
	return nil, plotline.Errorf(plotline.EINVALID, "change %d is not a draft", change)
}

// markingStore is a historyStore that lists its restricted material.
type markingStore struct{ *historyStore }

func (s markingStore) Markings(context.Context, plotline.AsOf) (*plotline.Markings, error) {
	return s.markings, nil
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// graphHistory: actor "cell" cites clear-src, then clear-src and red-src;
// actor "ghost" cites red-src only; affiliation "cell/up" first rests on
// red-src alone, then on clear-src; affiliation "ghost/up" names the ghost.
// Change 1 writes the first versions, change 2 the second ones.
func graphHistory(t *testing.T) *historyStore {
	cell1 := plotline.Actor{ID: "cell", Name: "Cell", Sources: []string{"clear-src"}}
	cell2 := plotline.Actor{ID: "cell", Name: "Cell", Sources: []string{"clear-src", "red-src"}}
	ghost := plotline.Actor{ID: "ghost", Name: "Ghost", Sources: []string{"red-src"}}
	up1 := plotline.Affiliation{ID: "cell/up", ChildID: "cell", ParentID: "up", Sources: []string{"red-src"}}
	up2 := plotline.Affiliation{ID: "cell/up", ChildID: "cell", ParentID: "up", Sources: []string{"clear-src"}}
	gup := plotline.Affiliation{ID: "ghost/up", ChildID: "ghost", ParentID: "up", Sources: []string{"clear-src"}}
	v := func(kind, id string, n int, change int64, rec any) plotline.Version {
		return plotline.Version{Kind: kind, ID: id, Version: n, ChangeID: change, Data: mustJSON(t, rec)}
	}
	return &historyStore{
		sources: map[string]plotline.Source{"clear-src": {ID: "clear-src", TLP: "clear"}, "red-src": {ID: "red-src", TLP: "red"}},
		actors:  map[string]plotline.Actor{"cell": cell2, "ghost": ghost, "up": {ID: "up", Sources: []string{"clear-src"}}},
		histories: map[plotline.Ref][]plotline.Version{
			{Kind: plotline.RecActor, ID: "cell"}:           {v(plotline.RecActor, "cell", 1, 1, cell1), v(plotline.RecActor, "cell", 2, 2, cell2)},
			{Kind: plotline.RecActor, ID: "ghost"}:          {v(plotline.RecActor, "ghost", 1, 1, ghost)},
			{Kind: plotline.RecAffiliation, ID: "cell/up"}:  {v(plotline.RecAffiliation, "cell/up", 1, 1, up1), v(plotline.RecAffiliation, "cell/up", 2, 2, up2)},
			{Kind: plotline.RecAffiliation, ID: "ghost/up"}: {v(plotline.RecAffiliation, "ghost/up", 1, 1, gup)},
			{Kind: plotline.RecSource, ID: "red-src"}:       {v(plotline.RecSource, "red-src", 1, 1, plotline.Source{ID: "red-src", TLP: "red"})},
		},
	}
}

func greenCtx() context.Context {
	return plotline.WithUser(context.Background(), &plotline.User{Name: "g", Role: plotline.RoleAdmin, Clearance: "green"})
}

func redCtx() context.Context {
	return plotline.WithUser(context.Background(), &plotline.User{Name: "r", Role: plotline.RoleAdmin, Clearance: "red"})
}

// TestVisibleVersionsGraph checks actors' and affiliations' histories below
// RED: citations above the clearance removed from each version, a version
// resting on withheld sources alone dropped, a record withheld as it last
// stood (or naming an actor withheld now) not found; at RED, as stored.
func TestVisibleVersionsGraph(t *testing.T) {
	st := graphHistory(t)
	hist := func(kind, id string) []plotline.Version { return st.histories[plotline.Ref{Kind: kind, ID: id}] }
	sources := func(data []byte) []string {
		var rec struct{ Sources []string }
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatal(err)
		}
		return rec.Sources
	}

	got, err := plotline.VisibleVersions(greenCtx(), st, plotline.RecActor, "cell", hist(plotline.RecActor, "cell"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !slices.Equal(sources(got[0].Data), []string{"clear-src"}) || !slices.Equal(sources(got[1].Data), []string{"clear-src"}) {
		t.Errorf("cell's history below RED: %s / %s; want both citing clear-src only", got[0].Data, got[1].Data)
	}
	got, err = plotline.VisibleVersions(greenCtx(), st, plotline.RecAffiliation, "cell/up", hist(plotline.RecAffiliation, "cell/up"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Data != nil || got[1].Data == nil {
		t.Errorf("cell/up below RED: %q / %q; want the first version's data dropped, the second shown", got[0].Data, got[1].Data)
	}
	for _, ref := range []plotline.Ref{{Kind: plotline.RecActor, ID: "ghost"}, {Kind: plotline.RecAffiliation, ID: "ghost/up"}, {Kind: plotline.RecSource, ID: "red-src"}} {
		if _, err := plotline.VisibleVersions(greenCtx(), st, ref.Kind, ref.ID, hist(ref.Kind, ref.ID)); plotline.ErrorCode(err) != plotline.ENOTFOUND {
			t.Errorf("%s %s below RED: %v; want not found", ref.Kind, ref.ID, err)
		}
		got, err := plotline.VisibleVersions(redCtx(), st, ref.Kind, ref.ID, hist(ref.Kind, ref.ID))
		if err != nil || !slices.EqualFunc(got, hist(ref.Kind, ref.ID), func(a, b plotline.Version) bool { return string(a.Data) == string(b.Data) }) {
			t.Errorf("%s %s at RED: %v, %v; want as stored", ref.Kind, ref.ID, got, err)
		}
	}
}

// TestChangeVisibilityEntry checks audit entries below RED: records
// withheld as a whole are counted by kind and not named, parts withheld
// from a version shown are counted, and the notes of such changes blanked;
// a change listing fewer records than it wrote keeps its note only when
// the store holds nothing above the clearance.
func TestChangeVisibilityEntry(t *testing.T) {
	st := graphHistory(t)
	ref := func(kind, id string) plotline.Ref { return plotline.Ref{Kind: kind, ID: id} }
	first := plotline.AuditEntry{Change: plotline.Change{ID: 1, Note: "names red-src", Action: plotline.ActionEdit},
		Records: []plotline.Ref{ref(plotline.RecSource, "red-src"), ref(plotline.RecActor, "cell"), ref(plotline.RecActor, "ghost"),
			ref(plotline.RecAffiliation, "cell/up"), ref(plotline.RecAffiliation, "ghost/up")}, Count: 5}
	second := plotline.AuditEntry{Change: plotline.Change{ID: 2, Note: "cites red-src", Action: plotline.ActionEdit},
		Records: []plotline.Ref{ref(plotline.RecActor, "cell"), ref(plotline.RecAffiliation, "cell/up")}, Count: 2}
	tests := []struct {
		name     string
		e        plotline.AuditEntry
		st       plotline.ChangeReader
		wantIDs  []string
		wantW    plotline.Withheld
		wantNote string
	}{
		// cell/up's first version rests on red-src alone: withheld, though
		// the record as it stands now is shown.
		{"whole records", first, st, []string{"cell"},
			plotline.Withheld{Sources: 1, Actors: 1, Affiliations: 2}, ""},
		{"a citation", second, st, []string{"cell", "cell/up"}, plotline.Withheld{Sources: 1}, ""},
		{"unlisted, restricted unknown", plotline.AuditEntry{Change: plotline.Change{ID: 2, Note: "n"}, Records: second.Records[1:], Count: 9},
			st, []string{"cell/up"}, plotline.Withheld{}, ""},
		{"unlisted, restricted", plotline.AuditEntry{Change: plotline.Change{ID: 2, Note: "n"}, Records: second.Records[1:], Count: 9},
			markingStore{st}, []string{"cell/up"}, plotline.Withheld{}, ""},
		{"unlisted, nothing restricted", plotline.AuditEntry{Change: plotline.Change{ID: 2, Note: "n"}, Records: second.Records[1:], Count: 9},
			markingStore{&historyStore{sources: st.sources, actors: st.actors, histories: st.histories, markings: &plotline.Markings{}}},
			[]string{"cell/up"}, plotline.Withheld{}, "n"},
	}
	st.markings = &plotline.Markings{Sources: map[string]string{"red-src": "red"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, w, err := plotline.NewChangeVisibility(greenCtx(), tt.st).Entry(context.Background(), tt.e)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range got.Records {
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, tt.wantIDs) || w != tt.wantW || got.Note != tt.wantNote {
				t.Errorf("records %v, withheld %+v, note %q; want %v, %+v, %q", ids, w, got.Note, tt.wantIDs, tt.wantW, tt.wantNote)
			}
			same, w, err := plotline.NewChangeVisibility(redCtx(), tt.st).Entry(context.Background(), tt.e)
			if err != nil || w.Any() || same.Note != tt.e.Note || len(same.Records) != len(tt.e.Records) {
				t.Errorf("at RED: %+v, withheld %+v, %v; want the entry as stored", same, w, err)
			}
		})
	}
}

// TestChangeVisibilityDraft checks drafts below RED: a record proposing
// or replacing something withheld is left out and counted, a shown
// record's data narrowed, and the notes of the draft and its reviews
// blanked; a draft with nothing withheld is left alone. A draft's entry
// and its return's (which writes nothing) say the same.
func TestChangeVisibilityDraft(t *testing.T) {
	st := graphHistory(t)
	cell := plotline.Actor{ID: "cell", Name: "Cell", Sources: []string{"clear-src", "red-src"}}
	st.drafts = map[int64]*plotline.Draft{
		7: {Change: plotline.Change{ID: 7, Note: "adds red-src", Action: plotline.ActionDraft}, Status: plotline.StatusReturned,
			Records: []plotline.DraftRecord{
				{Kind: plotline.RecSource, ID: "red-2", Data: mustJSON(t, plotline.Source{ID: "red-2", TLP: "red"})},
				{Kind: plotline.RecActor, ID: "cell", Data: mustJSON(t, cell), Current: mustJSON(t, cell)},
			},
			Reviews: []plotline.Change{{ID: 8, Note: "why red-2?", Action: plotline.ActionReturn, Target: 7}}},
		9: {Change: plotline.Change{ID: 9, Note: "clear", Action: plotline.ActionDraft}, Status: plotline.StatusDraft,
			Records: []plotline.DraftRecord{{Kind: plotline.RecSource, ID: "s", Data: mustJSON(t, plotline.Source{ID: "s", TLP: "clear"})}}},
	}
	cv := plotline.NewChangeVisibility(greenCtx(), st)
	ctx := context.Background()
	d, w, err := cv.Draft(ctx, *st.drafts[7])
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Records) != 1 || d.Records[0].ID != "cell" || d.Change.Note != "" || d.Reviews[0].Note != "" ||
		w != (plotline.Withheld{Sources: 2}) {
		t.Errorf("draft 7 below RED: %+v, withheld %+v; want cell only, notes blank, 2 sources withheld", d, w)
	}
	var a plotline.Actor
	if err := json.Unmarshal(d.Records[0].Data, &a); err != nil || !slices.Equal(a.Sources, []string{"clear-src"}) {
		t.Errorf("cell as drafted below RED: %s; want citing clear-src only", d.Records[0].Data)
	}
	if st.drafts[7].Reviews[0].Note != "why red-2?" {
		t.Error("Draft modified the draft it was given")
	}
	if d, w, err := cv.Draft(ctx, *st.drafts[9]); err != nil || w.Any() || d.Change.Note != "clear" || len(d.Records) != 1 {
		t.Errorf("draft 9 below RED: %+v, withheld %+v, %v; want as stored", d, w, err)
	}
	for _, e := range []plotline.AuditEntry{
		{Change: plotline.Change{ID: 7, Note: "adds red-src", Action: plotline.ActionDraft},
			Records: []plotline.Ref{{Kind: plotline.RecActor, ID: "cell"}, {Kind: plotline.RecSource, ID: "red-2"}}, Count: 2},
		{Change: plotline.Change{ID: 8, Note: "why red-2?", Action: plotline.ActionReturn, Target: 7}, Records: []plotline.Ref{}},
	} {
		got, w, err := cv.Entry(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if got.Note != "" || w != (plotline.Withheld{Sources: 2}) || len(got.Records) > 1 {
			t.Errorf("%s entry below RED: %+v, withheld %+v; want no note, 2 sources withheld, red-2 not named", e.Action, got, w)
		}
	}
}
