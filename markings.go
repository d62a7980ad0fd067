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

// RecordReader reads what the visibility of a stored version depends on:
// the sources it cites and, for an affiliation, its two actors. Every
// Store is one.
type RecordReader interface {
	SourceReader
	Actor(ctx context.Context, id string, asOf AsOf) (*Actor, error)
}

// VisibleVersions narrows a record's history to what the acting user may
// see: not_found (as for a missing record) when the record as it last
// stood is withheld; otherwise every version, with the withheld parts of
// its data removed (an incident's statements and citations, an actor's or
// an affiliation's citations above the clearance) and the data of a
// version withheld as a whole dropped (a source or statement above the
// clearance, an actor or affiliation citing no visible source, an
// affiliation naming an actor withheld now). Markings are read as they
// are now.
func VisibleVersions(ctx context.Context, st RecordReader, kind, id string, vs []Version) ([]Version, error) {
	return newVersionFilter(ctx, st).versions(ctx, kind, id, vs)
}

// versionFilter narrows stored versions for one user, keeping the
// markings it reads (the sources', and which actors are withheld now) for
// its lifetime: one request.
type versionFilter struct {
	st     RecordReader
	vis    Visibility      // Marks fills as sources are read; ActorHidden unset
	hidden map[string]bool // actors withheld now, by ID, as read
}

func newVersionFilter(ctx context.Context, st RecordReader) *versionFilter {
	return &versionFilter{st: st, vis: VisibilityFor(ctx, map[string]string{}), hidden: map[string]bool{}}
}

// seesAll reports whether the user sees every version as stored.
func (f *versionFilter) seesAll() bool { return f.vis.SeesAll() }

// mark reads the marking of every source in ids not read yet; a source the
// store does not have counts as the most restrictive.
func (f *versionFilter) mark(ctx context.Context, ids ...string) error {
	for _, id := range ids {
		if _, ok := f.vis.Marks[id]; ok {
			continue
		}
		src, err := f.st.Source(ctx, id, AsOf{})
		switch {
		case ErrorCode(err) == ENOTFOUND:
			f.vis.Marks[id] = "red"
		case err != nil:
			return err
		default:
			f.vis.Marks[id] = src.TLP
		}
	}
	return nil
}

// actorHidden reports whether the actor is withheld now (as the API's
// graph: a deleted actor is not withheld, it is gone).
func (f *versionFilter) actorHidden(ctx context.Context, id string) (bool, error) {
	if h, ok := f.hidden[id]; ok {
		return h, nil
	}
	a, err := f.st.Actor(ctx, id, AsOf{})
	if ErrorCode(err) == ENOTFOUND {
		f.hidden[id] = false
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := f.mark(ctx, a.Sources...); err != nil {
		return false, err
	}
	_, ok := f.vis.Actor(*a)
	f.hidden[id] = !ok
	return !ok, nil
}

// versions is VisibleVersions with the filter's markings.
func (f *versionFilter) versions(ctx context.Context, kind, id string, vs []Version) ([]Version, error) {
	out, _, err := f.versionsWithheld(ctx, kind, id, vs)
	return out, err
}

// versionsWithheld is versions with what was withheld from each version
// shown (the parts removed from its data; nothing for a version withheld
// as a whole, whose data is dropped).
func (f *versionFilter) versionsWithheld(ctx context.Context, kind, id string, vs []Version) ([]Version, []Withheld, error) {
	ws := make([]Withheld, len(vs))
	if f.seesAll() {
		return vs, ws, nil
	}
	out := make([]Version, len(vs))
	last := -1 // the last version with data: the record as it last stood
	for i, v := range vs {
		out[i] = v
		if v.Data == nil {
			continue
		}
		last = i
		data, w, ok, err := f.data(ctx, kind, v.Data)
		if err != nil {
			return nil, nil, err
		}
		out[i].Data = nil
		if ok {
			out[i].Data, ws[i] = data, w
		}
	}
	if last >= 0 && out[last].Data == nil {
		return nil, nil, Errorf(ENOTFOUND, "%s %q not found", kind, id)
	}
	return out, ws, nil
}

// data redacts one stored version's JSON and counts what it removed
// (citations count as sources); false when it is withheld as a whole.
func (f *versionFilter) data(ctx context.Context, kind string, data []byte) ([]byte, Withheld, bool, error) {
	decode := func(v any) error {
		if err := json.Unmarshal(data, v); err != nil {
			return fmt.Errorf("decode stored %s: %w", kind, err)
		}
		return nil
	}
	// redacted re-encodes rec when w counts anything: data itself otherwise.
	redacted := func(rec any, ok bool, w Withheld) ([]byte, Withheld, bool, error) {
		if !ok {
			return nil, Withheld{}, false, nil
		}
		if !w.Any() {
			return data, w, true, nil
		}
		b, err := json.Marshal(rec)
		return b, w, err == nil, err
	}
	switch kind {
	case RecSource:
		var src Source
		if err := decode(&src); err != nil {
			return nil, Withheld{}, false, err
		}
		return data, Withheld{}, f.vis.Source(&src), nil
	case RecAttribution:
		var a Attribution
		if err := decode(&a); err != nil {
			return nil, Withheld{}, false, err
		}
		for _, r := range a.Sources {
			if err := f.mark(ctx, r.ID); err != nil {
				return nil, Withheld{}, false, err
			}
		}
		return data, Withheld{}, f.vis.Statement(&a), nil
	case RecIncident:
		var in Incident
		if err := decode(&in); err != nil {
			return nil, Withheld{}, false, err
		}
		if err := f.mark(ctx, in.Sources...); err != nil {
			return nil, Withheld{}, false, err
		}
		for _, a := range in.Attributions {
			for _, r := range a.Sources {
				if err := f.mark(ctx, r.ID); err != nil {
					return nil, Withheld{}, false, err
				}
			}
		}
		red, w, ok := f.vis.Incident(in)
		return redacted(red, ok, w)
	case RecActor:
		var a Actor
		if err := decode(&a); err != nil {
			return nil, Withheld{}, false, err
		}
		if err := f.mark(ctx, a.Sources...); err != nil {
			return nil, Withheld{}, false, err
		}
		cited := len(a.Sources)
		a, ok := f.vis.Actor(a)
		return redacted(a, ok, Withheld{Sources: cited - len(a.Sources)})
	case RecAffiliation:
		var af Affiliation
		if err := decode(&af); err != nil {
			return nil, Withheld{}, false, err
		}
		if err := f.mark(ctx, af.Sources...); err != nil {
			return nil, Withheld{}, false, err
		}
		vis := f.vis
		hidden := false
		for _, id := range []string{af.ChildID, af.ParentID} {
			h, err := f.actorHidden(ctx, id)
			if err != nil {
				return nil, Withheld{}, false, err
			}
			hidden = hidden || h
		}
		vis.ActorHidden = func(string) bool { return hidden }
		cited := len(af.Sources)
		af, ok := vis.Affiliation(af)
		return redacted(af, ok, Withheld{Sources: cited - len(af.Sources)})
	}
	return data, Withheld{}, true, nil
}

// ChangeReader reads what narrowing the change log needs: every Store
// that keeps the review workflow is one.
type ChangeReader interface {
	RecordReader
	History(ctx context.Context, ref Ref) ([]Version, error)
	Draft(ctx context.Context, change int64) (*Draft, error)
}

// ChangeVisibility narrows the change log (audit entries, drafts, the list
// of changes) for the acting user. A change names a record it wrote only
// when the user may see both the version it wrote and the record as it
// last stood (whose history would otherwise be not found); the records
// withheld are counted by kind, never named, and so are the parts withheld
// from a version shown (citations count as sources). The note of a change
// that wrote anything withheld is blanked, since its author may have named
// what it wrote; so is the note of a change that wrote more records than
// an audit entry lists, when the store holds anything above the clearance,
// since those records cannot be checked one by one. A publication and a
// return concern their draft's records: a return's note, a comment on the
// draft, is blanked with them.
//
// It keeps what it reads (markings, histories, drafts): make one per request.
type ChangeVisibility struct {
	st         ChangeReader
	f          *versionFilter
	histories  map[Ref]*visibleHistory
	drafts     map[int64]*visibleDraft
	restricted *bool // anything above the clearance in the store, once asked
}

// visibleHistory is a record's stored history beside its narrowed one and
// what was withheld from each version; narrowed is nil when the record is
// withheld as a whole.
type visibleHistory struct {
	stored, narrowed []Version
	withheld         []Withheld
}

// visibleDraft is a draft's records as the user may see them (nil when
// withheld) and what was withheld of them, whole records and parts.
type visibleDraft struct {
	records  map[Ref]*draftSeen
	withheld Withheld
}

// NewChangeVisibility returns the acting user's view of the change log of st.
func NewChangeVisibility(ctx context.Context, st ChangeReader) *ChangeVisibility {
	return &ChangeVisibility{st: st, f: newVersionFilter(ctx, st), histories: map[Ref]*visibleHistory{}, drafts: map[int64]*visibleDraft{}}
}

// SeesAll reports whether the user sees the change log as stored.
func (c *ChangeVisibility) SeesAll() bool { return c.f.seesAll() }

// countRecord adds one record of kind to w.
func countRecord(w *Withheld, kind string) {
	switch kind {
	case RecSource:
		w.Sources++
	case RecActor:
		w.Actors++
	case RecAffiliation:
		w.Affiliations++
	case RecIncident:
		w.Incidents++
	case RecAttribution:
		w.Attributions++
	}
}

// Entry returns an audit entry as the user may see it: the records it
// lists narrowed, its note blanked when it must be, and what was withheld
// of the records it lists (for a return, of its draft's).
func (c *ChangeVisibility) Entry(ctx context.Context, e AuditEntry) (AuditEntry, Withheld, error) {
	if c.SeesAll() {
		return e, Withheld{}, nil
	}
	var d *visibleDraft
	var err error
	switch e.Action {
	case ActionDraft:
		d, err = c.draft(ctx, e.ID)
	case ActionPublish, ActionReturn:
		d, err = c.draft(ctx, e.Target)
	}
	if err != nil {
		return e, Withheld{}, err
	}
	var w Withheld
	kept := make([]Ref, 0, len(e.Records))
	for _, ref := range e.Records {
		var ok bool
		var part Withheld
		if e.Action == ActionDraft && d != nil {
			// Draft versions are in no history: the draft has them.
			if r := d.records[ref]; r != nil {
				ok, part = true, r.withheld
			}
		} else if ok, part, err = c.wrote(ctx, ref, e.ID); err != nil {
			return e, Withheld{}, err
		}
		if !ok {
			countRecord(&w, ref.Kind)
			continue
		}
		w.Add(part)
		kept = append(kept, ref)
	}
	blank := w.Any()
	unlisted := e.Count > len(e.Records)
	switch {
	case e.Action == ActionReturn && d != nil:
		w.Add(d.withheld) // a return writes nothing
		blank = w.Any()
	case (e.Action == ActionReturn || unlisted) && d == nil:
		if !blank {
			if blank, err = c.anyRestricted(ctx); err != nil {
				return e, Withheld{}, err
			}
		}
	case unlisted:
		blank = blank || d.withheld.Any()
	}
	e.Records = kept
	if blank {
		e.Note = ""
	}
	return e, w, nil
}

// MayReview refuses (EFORBIDDEN) publishing, returning or reverting a
// change that wrote material above the user's clearance: one may not act
// on what one cannot see. Below RED, a change with more records than its
// audit entry lists is refused when anything restricted is stored, since
// the unlisted ones cannot be checked. A change that does not exist is
// left to the action to report.
func (c *ChangeVisibility) MayReview(ctx context.Context, wf Workflow, change int64) error {
	if c.SeesAll() {
		return nil
	}
	list, err := wf.Audit(ctx, AuditFilter{Change: change, Limit: 1})
	if err != nil || len(list) == 0 {
		return err
	}
	e := list[0]
	_, w, err := c.Entry(ctx, e)
	if err != nil {
		return err
	}
	restricted := w.Any()
	if !restricted && e.Count > len(e.Records) {
		if restricted, err = c.anyRestricted(ctx); err != nil {
			return err
		}
	}
	if restricted {
		return Errorf(EFORBIDDEN, "change %d wrote material above your clearance; a reviewer cleared for it must decide", change)
	}
	return nil
}

// wrote reports whether the user may see that change wrote ref (the
// version it wrote and the record as it last stood are both visible), and
// what was withheld from that version. A version the record's history does
// not list cannot be checked: no.
func (c *ChangeVisibility) wrote(ctx context.Context, ref Ref, change int64) (bool, Withheld, error) {
	h, ok := c.histories[ref]
	if !ok {
		h = &visibleHistory{}
		vs, err := c.st.History(ctx, ref)
		if err != nil && ErrorCode(err) != ENOTFOUND {
			return false, Withheld{}, err
		}
		if err == nil {
			h.stored = vs
			h.narrowed, h.withheld, err = c.f.versionsWithheld(ctx, ref.Kind, ref.ID, vs)
			if err != nil && ErrorCode(err) != ENOTFOUND {
				return false, Withheld{}, err
			}
		}
		c.histories[ref] = h
	}
	if h.narrowed == nil {
		return false, Withheld{}, nil
	}
	for i, v := range h.stored {
		if v.ChangeID == change {
			return v.Data == nil || h.narrowed[i].Data != nil, h.withheld[i], nil
		}
	}
	return false, Withheld{}, nil
}

// anyRestricted reports whether the store holds anything above the
// clearance: without a MarkingReader to ask, it assumes so.
func (c *ChangeVisibility) anyRestricted(ctx context.Context) (bool, error) {
	if c.restricted != nil {
		return *c.restricted, nil
	}
	r := true
	if mr, ok := c.st.(MarkingReader); ok && c.f.vis.Allows("clear") {
		m, err := mr.Markings(ctx, AsOf{})
		if err != nil {
			return false, err
		}
		vis := Visibility{Clearance: c.f.vis.Clearance, Marks: m.Sources}
		r = false
		for _, t := range m.Sources {
			r = r || !vis.Allows(t)
		}
		for i := range m.Statements {
			r = r || !vis.Statement(&m.Statements[i])
		}
	}
	c.restricted = &r
	return r, nil
}

// draftSeen is one record of a draft as the user may see it.
type draftSeen struct {
	DraftRecord
	withheld Withheld
}

// draft reads and narrows one draft, once; nil when change is not a draft.
func (c *ChangeVisibility) draft(ctx context.Context, change int64) (*visibleDraft, error) {
	if d, ok := c.drafts[change]; ok {
		return d, nil
	}
	full, err := c.st.Draft(ctx, change)
	switch ErrorCode(err) {
	case "":
	case ENOTFOUND, EINVALID:
		c.drafts[change] = nil
		return nil, nil
	default:
		return nil, err
	}
	d := &visibleDraft{records: make(map[Ref]*draftSeen, len(full.Records))}
	for _, rec := range full.Records {
		ref := Ref{Kind: rec.Kind, ID: rec.ID}
		seen, w, ok, err := c.DraftRecord(ctx, rec)
		if err != nil {
			return nil, err
		}
		if !ok {
			d.records[ref] = nil
			countRecord(&d.withheld, rec.Kind)
			continue
		}
		d.records[ref] = &draftSeen{DraftRecord: seen, withheld: w}
		d.withheld.Add(w)
	}
	c.drafts[change] = d
	return d, nil
}

// DraftRecord returns one record of a draft as the user may see it, its
// proposed and published data narrowed, and what was withheld from them;
// false when either is withheld as a whole (then nothing of it may be
// shown).
func (c *ChangeVisibility) DraftRecord(ctx context.Context, rec DraftRecord) (DraftRecord, Withheld, bool, error) {
	if c.SeesAll() {
		return rec, Withheld{}, true, nil
	}
	var w Withheld
	for _, p := range []*json.RawMessage{&rec.Data, &rec.Current} {
		if *p == nil {
			continue
		}
		data, part, ok, err := c.f.data(ctx, rec.Kind, *p)
		if err != nil || !ok {
			return DraftRecord{}, Withheld{}, false, err
		}
		*p = data
		// The same citation removed from both counts once.
		w.Sources = max(w.Sources, part.Sources)
		w.Attributions = max(w.Attributions, part.Attributions)
	}
	return rec, w, true, nil
}

// Draft returns a draft as the user may see it: its records withheld left
// out and counted, those shown with their data narrowed (a draft listed
// without data stays so) and what was withheld from them counted, and the
// notes of the draft and its reviews blanked when anything was withheld.
func (c *ChangeVisibility) Draft(ctx context.Context, d Draft) (Draft, Withheld, error) {
	if c.SeesAll() {
		return d, Withheld{}, nil
	}
	vd, err := c.draft(ctx, d.Change.ID)
	if err != nil {
		return d, Withheld{}, err
	}
	var w Withheld
	kept := make([]DraftRecord, 0, len(d.Records))
	for _, rec := range d.Records {
		var seen *draftSeen
		if vd != nil {
			seen = vd.records[Ref{Kind: rec.Kind, ID: rec.ID}]
		}
		if seen == nil {
			countRecord(&w, rec.Kind)
			continue
		}
		w.Add(seen.withheld)
		if rec.Data != nil {
			rec.Data = seen.Data
		}
		if rec.Current != nil {
			rec.Current = seen.Current
		}
		kept = append(kept, rec)
	}
	d.Records = kept
	if w.Any() || vd == nil || vd.withheld.Any() {
		d.Change.Note = ""
		d.Reviews = slices.Clone(d.Reviews)
		for i := range d.Reviews {
			d.Reviews[i].Note = ""
		}
	}
	return d, w, nil
}
