package plotline

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

// Markings: what a user may see depends on the TLP 2.0 markings of the
// material and the user's clearance (User.Clearance, the most restrictive
// marking the user may see). Every layer that shows records — the API, the
// web pages, counts, reports and exports — narrows them with a Visibility,
// so the rules below live here and nowhere else.
//
//   - A source is visible when its marking is within the clearance.
//   - A statement (attribution) carries a marking of its own (Attribution.TLP,
//     CLEAR when empty). Its effective marking is the most restrictive of its
//     own and those of every source it cites: a statement is as restricted
//     as the most restricted thing it rests on, because its grading,
//     likelihood and wording may come from any of them. A statement above
//     the clearance is invisible as a whole.
//   - An incident, an actor and an affiliation are facts that several
//     sources may each establish: they stay visible, with the citations
//     above the clearance removed, as long as one cited source is visible.
//     When none is, the record is withheld as a whole (an incident takes its
//     statements with it). A statement naming a withheld actor is withheld.
//   - A marking that is not a TLP 2.0 label counts as the most restrictive.
//
// What is withheld is counted (Withheld), never described: a page or an
// answer may say "2 statements withheld at your clearance", and a request
// for a withheld record is answered exactly like one for a missing record.

// Withheld counts what a clearance hides. It says how much, never what.
type Withheld struct {
	Sources      int `json:"sources,omitempty"` // sources, or citations of them on a shown record
	Actors       int `json:"actors,omitempty"`
	Affiliations int `json:"affiliations,omitempty"`
	Incidents    int `json:"incidents,omitempty"`
	Attributions int `json:"statements,omitempty"`
}

// Any reports whether anything was withheld.
func (w Withheld) Any() bool {
	return w.Sources+w.Actors+w.Affiliations+w.Incidents+w.Attributions > 0
}

// Add adds o to w.
func (w *Withheld) Add(o Withheld) {
	w.Sources += o.Sources
	w.Actors += o.Actors
	w.Affiliations += o.Affiliations
	w.Incidents += o.Incidents
	w.Attributions += o.Attributions
}

// Visibility narrows records to what a user cleared up to Clearance may see.
// The zero value sees only CLEAR material with every source CLEAR.
type Visibility struct {
	Clearance string
	// Marks gives the marking of sources by ID; a source absent from it is
	// CLEAR. Stores list only the sources marked above CLEAR (Markings).
	Marks map[string]string
	// ActorHidden, when set, reports actors withheld at this clearance:
	// statements naming them are withheld too.
	ActorHidden func(id string) bool
}

// VisibilityFor returns the visibility of the acting user of ctx (Acting:
// anonymous callers see CLEAR material only) over sources marked as marks says.
func VisibilityFor(ctx context.Context, marks map[string]string) Visibility {
	return Visibility{Clearance: Acting(ctx).Clearance, Marks: marks}
}

// SourceMarks maps every source of list to its marking.
func SourceMarks(list []Source) map[string]string {
	m := make(map[string]string, len(list))
	for _, s := range list {
		m[s.ID] = s.TLP
	}
	return m
}

// SeesAll reports whether nothing can be withheld: the clearance is RED and
// every known marking is a TLP 2.0 label. Callers use it to skip work.
func (v Visibility) SeesAll() bool {
	if v.Clearance != "red" || v.ActorHidden != nil {
		return false
	}
	for _, t := range v.Marks {
		if !slices.Contains(TLPs, t) {
			return false
		}
	}
	return true
}

// Allows reports whether a marking is within the clearance; "" is CLEAR.
func (v Visibility) Allows(tlp string) bool { return TLPAllows(v.Clearance, label(tlp)) }

// SourceTLP returns a source's marking: CLEAR unless Marks says otherwise.
func (v Visibility) SourceTLP(id string) string {
	if t, ok := v.Marks[id]; ok {
		return t
	}
	return "clear"
}

// SourceVisible reports whether the source with this ID may be seen.
func (v Visibility) SourceVisible(id string) bool { return v.Allows(v.SourceTLP(id)) }

// Source reports whether s may be seen (its own marking decides).
func (v Visibility) Source(s *Source) bool { return v.Allows(s.TLP) }

// StatementTLP returns a statement's effective marking: the most
// restrictive of its own and those of the sources it cites.
func (v Visibility) StatementTLP(a *Attribution) string {
	t := label(a.TLP)
	for _, r := range a.Sources {
		t = MaxTLP(t, label(v.SourceTLP(r.ID)))
	}
	return t
}

// label reads a marking: "" is CLEAR, anything not a TLP 2.0 label RED.
func label(tlp string) string {
	switch {
	case tlp == "":
		return "clear"
	case !slices.Contains(TLPs, tlp):
		return "red"
	}
	return tlp
}

// Statement reports whether a statement may be seen.
func (v Visibility) Statement(a *Attribution) bool {
	if v.ActorHidden != nil && v.ActorHidden(a.ActorID) {
		return false
	}
	return v.Allows(v.StatementTLP(a))
}

// citations returns ids without the sources above the clearance (ids
// itself when nothing is removed) and how many were removed.
func (v Visibility) citations(ids []string) ([]string, int) {
	n := 0
	for _, id := range ids {
		if !v.SourceVisible(id) {
			n++
		}
	}
	if n == 0 {
		return ids, 0
	}
	out := make([]string, 0, len(ids)-n)
	for _, id := range ids {
		if v.SourceVisible(id) {
			out = append(out, id)
		}
	}
	return out, n
}

// Incident returns in as the user may see it: citations above the
// clearance removed, statements above it removed, and what was withheld.
// The third result is false when the incident is withheld as a whole (none
// of its own sources is visible); the counts then say so and nothing else.
func (v Visibility) Incident(in Incident) (Incident, Withheld, bool) {
	var w Withheld
	var removed int
	if in.Sources, removed = v.citations(in.Sources); removed > 0 {
		w.Sources += removed
		if len(in.Sources) == 0 {
			return Incident{}, Withheld{Incidents: 1}, false
		}
	}
	keep := true
	for i := range in.Attributions {
		if !v.Statement(&in.Attributions[i]) {
			keep = false
			break
		}
	}
	if !keep {
		kept := make([]Attribution, 0, len(in.Attributions))
		for _, a := range in.Attributions {
			if v.Statement(&a) {
				kept = append(kept, a)
			} else {
				w.Attributions++
			}
		}
		in.Attributions = kept
	}
	return in, w, true
}

// Actor returns a with the citations above the clearance removed; false
// when none of its sources is visible.
func (v Visibility) Actor(a Actor) (Actor, bool) {
	var removed int
	a.Sources, removed = v.citations(a.Sources)
	return a, removed == 0 || len(a.Sources) > 0
}

// Affiliation returns f with the citations above the clearance removed;
// false when none of its sources is visible or either actor is withheld.
func (v Visibility) Affiliation(f Affiliation) (Affiliation, bool) {
	var removed int
	f.Sources, removed = v.citations(f.Sources)
	if removed > 0 && len(f.Sources) == 0 {
		return f, false
	}
	if v.ActorHidden != nil && (v.ActorHidden(f.ChildID) || v.ActorHidden(f.ParentID)) {
		return f, false
	}
	return f, true
}

// Snapshot returns snap as the user may see it, and what was withheld. It
// does not modify snap; with nothing withheld it returns snap itself.
// v.Marks is filled from the snapshot's sources when nil.
func (v Visibility) Snapshot(snap *Snapshot) (*Snapshot, Withheld) {
	if v.Marks == nil {
		v.Marks = SourceMarks(snap.Sources)
	}
	if v.SeesAll() {
		return snap, Withheld{}
	}
	var w Withheld
	out := &Snapshot{}
	for _, s := range snap.Sources {
		if v.Source(&s) {
			out.Sources = append(out.Sources, s)
		} else {
			w.Sources++
		}
	}
	hidden := map[string]bool{}
	for _, a := range snap.Actors {
		if a, ok := v.Actor(a); ok {
			out.Actors = append(out.Actors, a)
		} else {
			hidden[a.ID] = true
			w.Actors++
		}
	}
	if len(hidden) > 0 {
		prev := v.ActorHidden
		v.ActorHidden = func(id string) bool { return hidden[id] || (prev != nil && prev(id)) }
	}
	for _, f := range snap.Affiliations {
		if f, ok := v.Affiliation(f); ok {
			out.Affiliations = append(out.Affiliations, f)
		} else {
			w.Affiliations++
		}
	}
	for _, in := range snap.Incidents {
		in, iw, ok := v.Incident(in)
		iw.Sources = 0 // counted once above, as sources
		w.Add(iw)
		if ok {
			out.Incidents = append(out.Incidents, in)
		}
	}
	return out, w
}

// Markings is a store's restricted material: the marking of every source
// marked above CLEAR, and every current statement that has a marking of its
// own or cites one of those sources. Everything else is CLEAR.
type Markings struct {
	Sources    map[string]string
	Statements []Attribution
}

// MarkingReader is implemented by stores that can list their restricted
// material without reading every record in full (the analytics engine uses
// it to answer for a clearance below RED).
type MarkingReader interface {
	Markings(ctx context.Context, asOf AsOf) (*Markings, error)
}

// MarkedStatement reports whether the JSON of a stored statement may carry
// a marking of its own or cite one of the restricted sources: a cheap
// prefilter for stores. It never rejects a statement that does (inside JSON
// strings quotes are escaped, so the keys it looks for cannot come from text).
func MarkedStatement(data []byte, restricted map[string]string) bool {
	if bytes.Contains(data, []byte(`"tlp":"`)) {
		return true
	}
	if len(restricted) == 0 {
		return false
	}
	key := []byte(`"id":"`)
	for {
		i := bytes.Index(data, key)
		if i < 0 {
			return false
		}
		data = data[i+len(key):]
		j := bytes.IndexByte(data, '"')
		if j < 0 {
			return false
		}
		if _, ok := restricted[string(data[:j])]; ok {
			return true
		}
		data = data[j:]
	}
}

// SourceReader reads one source; every Store is one.
type SourceReader interface {
	Source(ctx context.Context, id string, asOf AsOf) (*Source, error)
}

// VisibilityOf returns the acting user's visibility (VisibilityFor) over
// the sources the incidents and their statements cite, their markings read
// from st at asOf's record clock; a source st does not have counts as the
// most restrictive. A user cleared to RED reads nothing.
func VisibilityOf(ctx context.Context, st SourceReader, asOf AsOf, incidents ...*Incident) (Visibility, error) {
	vis := VisibilityFor(ctx, map[string]string{})
	if vis.SeesAll() {
		return vis, nil
	}
	mark := func(id string) error {
		if _, ok := vis.Marks[id]; ok {
			return nil
		}
		src, err := st.Source(ctx, id, AsOf{Recorded: asOf.Recorded})
		switch {
		case ErrorCode(err) == ENOTFOUND:
			vis.Marks[id] = "red"
		case err != nil:
			return err
		default:
			vis.Marks[id] = src.TLP
		}
		return nil
	}
	for _, in := range incidents {
		for _, id := range in.Sources {
			if err := mark(id); err != nil {
				return vis, err
			}
		}
		for _, a := range in.Attributions {
			for _, r := range a.Sources {
				if err := mark(r.ID); err != nil {
					return vis, err
				}
			}
		}
	}
	return vis, nil
}

// VisibleVersions narrows a record's history to what the acting user may
// see: not_found (as for a missing record) when the record as it last
// stood is withheld; otherwise every version, with the withheld parts of
// an incident's data removed and the data of a source or statement version
// above the clearance dropped. Actors and affiliations are shown as stored.
func VisibleVersions(ctx context.Context, st SourceReader, kind, id string, vs []Version) ([]Version, error) {
	if VisibilityFor(ctx, nil).SeesAll() {
		return vs, nil
	}
	out := make([]Version, len(vs))
	last := -1 // the last version with data: the record as it last stood
	for i, v := range vs {
		out[i] = v
		if v.Data == nil {
			continue
		}
		last = i
		data, ok, err := visibleData(ctx, st, kind, v.Data)
		if err != nil {
			return nil, err
		}
		out[i].Data = nil
		if ok {
			out[i].Data = data
		}
	}
	if last >= 0 && out[last].Data == nil {
		return nil, Errorf(ENOTFOUND, "%s %q not found", kind, id)
	}
	return out, nil
}

// visibleData redacts one stored version's JSON; false when it is withheld.
func visibleData(ctx context.Context, st SourceReader, kind string, data []byte) ([]byte, bool, error) {
	decode := func(v any) error {
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("decode stored record: %w", err)
		}
		return nil
	}
	switch kind {
	case RecSource:
		var src Source
		if err := decode(&src); err != nil {
			return nil, false, err
		}
		return data, VisibilityFor(ctx, nil).Source(&src), nil
	case RecAttribution:
		var a Attribution
		if err := decode(&a); err != nil {
			return nil, false, err
		}
		vis, err := VisibilityOf(ctx, st, AsOf{}, &Incident{Attributions: []Attribution{a}})
		if err != nil {
			return nil, false, err
		}
		return data, vis.Statement(&a), nil
	case RecIncident:
		var in Incident
		if err := decode(&in); err != nil {
			return nil, false, err
		}
		vis, err := VisibilityOf(ctx, st, AsOf{}, &in)
		if err != nil {
			return nil, false, err
		}
		red, w, ok := vis.Incident(in)
		if !ok || !w.Any() {
			return data, ok, nil
		}
		b, err := json.Marshal(red)
		return b, true, err
	}
	return data, true, nil
}
