package httpapi

import (
	"context"
	"maps"
	"net/http"
	"slices"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/query"
)

// TLP markings in the API. Every handler that returns incidents, statements
// or sources narrows them with plotline.Visibility for the acting user
// (plotline.Acting: a request without a user is anonymous and sees CLEAR
// material only). A record withheld as a whole is answered exactly like a
// missing one (the store's own not_found message); what was withheld from a
// record that is shown is only counted, in its "withheld" field.

// IncidentView is an incident as the acting user may see it, with what was
// withheld from it counted.
type IncidentView struct {
	plotline.Incident
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// notFound is the store's answer for a record that does not exist.
func notFound(kind, id string) error {
	return plotline.Errorf(plotline.ENOTFOUND, "%s %q not found", kind, id)
}

// visibility returns the acting user's visibility over the sources the
// incidents cite (their markings read from the store at asOf's record
// clock). A user cleared to RED sees everything and reads nothing.
func (s *Server) visibility(ctx context.Context, asOf plotline.AsOf, incidents ...*plotline.Incident) (plotline.Visibility, error) {
	return plotline.VisibilityOf(ctx, s.store, asOf, incidents...)
}

// visibleIncident returns in as the acting user may see it; not_found when
// it is withheld as a whole.
func (s *Server) visibleIncident(ctx context.Context, in *plotline.Incident, asOf plotline.AsOf) (*IncidentView, error) {
	vis, err := s.visibility(ctx, asOf, in)
	if err != nil {
		return nil, err
	}
	out, w, ok := vis.Incident(*in)
	if !ok {
		return nil, notFound(plotline.RecIncident, in.ID)
	}
	v := &IncidentView{Incident: out}
	if w.Any() {
		v.Withheld = &w
	}
	return v, nil
}

// visibleIncidents narrows a list of incidents, dropping those withheld as
// a whole, and counts what it withheld.
func (s *Server) visibleIncidents(ctx context.Context, list []plotline.Incident, asOf plotline.AsOf) ([]plotline.Incident, plotline.Withheld, error) {
	ptrs := make([]*plotline.Incident, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	vis, err := s.visibility(ctx, asOf, ptrs...)
	if err != nil || vis.SeesAll() {
		return list, plotline.Withheld{}, err
	}
	var total plotline.Withheld
	out := make([]plotline.Incident, 0, len(list))
	for _, in := range list {
		in, w, ok := vis.Incident(in)
		total.Add(w)
		if ok {
			out = append(out, in)
		}
	}
	return out, total, nil
}

// visibleSource returns src, or not_found when the acting user may not see it.
func visibleSource(ctx context.Context, src *plotline.Source) (*plotline.Source, error) {
	if !plotline.VisibilityFor(ctx, nil).Source(src) {
		return nil, notFound(plotline.RecSource, src.ID)
	}
	return src, nil
}

// visibleVersions narrows a record's history (plotline.VisibleVersions)
// and blanks the notes of the changes that wrote anything the acting user
// may not see, as the audit log does (plotline.ChangeVisibility): a note
// may name what its change wrote.
func (s *Server) visibleVersions(ctx context.Context, kind, id string, vs []plotline.Version) ([]plotline.Version, error) {
	vs, err := plotline.VisibleVersions(ctx, s.store, kind, id, vs)
	if err != nil || plotline.VisibilityFor(ctx, map[string]string{}).SeesAll() {
		return vs, err
	}
	shown := map[int64]bool{} // change → its note may be shown
	wf, ok := s.store.(plotline.Workflow)
	cr, cok := s.store.(plotline.ChangeReader)
	if ok && cok {
		// The changes that wrote this record, drafts included, are few.
		entries, err := wf.Audit(ctx, plotline.AuditFilter{Kind: kind, ID: id, Limit: 10000})
		if err != nil {
			return nil, err
		}
		cv := plotline.NewChangeVisibility(ctx, cr)
		for _, e := range entries {
			seen, _, err := cv.Entry(ctx, e)
			if err != nil {
				return nil, err
			}
			shown[e.ID] = seen.Note == e.Note
		}
	}
	out := slices.Clone(vs)
	for i := range out {
		if !shown[out[i].ChangeID] {
			out[i].Note = ""
		}
	}
	return out, nil
}

// storedIncident reads back a written incident as the acting user may see
// it: nil when the write left it above the user's clearance.
func (s *Server) storedIncident(r *http.Request, id string) (*plotline.Incident, error) {
	in, err := s.store.Incident(r.Context(), id, plotline.AsOf{})
	if err != nil {
		return nil, err
	}
	v, err := s.visibleIncident(r.Context(), in, plotline.AsOf{})
	if plotline.ErrorCode(err) == plotline.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v.Incident, nil
}

// keepWithheldCitations adds to an incident written by a user the sources
// the stored incident cites that the user could not see, so that an edit
// never drops what it could not show.
func keepWithheldCitations(in *plotline.Incident, full *plotline.Incident, seen *IncidentView) {
	for _, id := range full.Sources {
		if !slices.Contains(seen.Sources, id) && !slices.Contains(in.Sources, id) {
			in.Sources = append(in.Sources, id)
		}
	}
}

// Actors and affiliations. An actor or an affiliation stays visible, with
// the citations above the clearance removed, as long as one source it cites
// is visible; an affiliation naming a withheld actor is withheld too. Their
// sources are few (a graph has hundreds of records, not millions), so their
// markings are read one by one rather than listing every source.

// GraphVisibility returns the acting user's visibility over the sources
// actors and affs cite (read from st at asOf's record clock; a source st
// does not have counts as the most restrictive), with ActorHidden set to
// the actors withheld as a whole. A user cleared to RED reads nothing.
// cache, when not nil, keeps the markings read until the store changes.
// The web UI narrows its organisation graph with it too.
func GraphVisibility(ctx context.Context, st plotline.SourceReader, asOf plotline.AsOf, actors []plotline.Actor, affs []plotline.Affiliation, cache *ChangeCache) (plotline.Visibility, error) {
	vis := plotline.VisibilityFor(ctx, map[string]string{})
	if vis.SeesAll() {
		return vis, nil
	}
	var cited []string
	for _, a := range actors {
		cited = append(cited, a.Sources...)
	}
	for _, f := range affs {
		cited = append(cited, f.Sources...)
	}
	if err := cache.markSources(ctx, st, asOf, vis.Marks, cited); err != nil {
		return vis, err
	}
	hidden := map[string]bool{}
	for _, a := range actors {
		if _, ok := vis.Actor(a); !ok {
			hidden[a.ID] = true
		}
	}
	if len(hidden) > 0 {
		vis.ActorHidden = func(id string) bool { return hidden[id] }
	}
	return vis, nil
}

// markSources adds the marking of every source in ids to marks, read
// from st at asOf's record clock; at the present one, through the cache.
func (c *ChangeCache) markSources(ctx context.Context, st plotline.SourceReader, asOf plotline.AsOf, marks map[string]string, ids []string) error {
	if asOf.Recorded != nil {
		return markSources(ctx, st, asOf, marks, ids) // the cache holds the present only
	}
	last, ok, err := c.at(ctx, st)
	if err != nil {
		return err
	}
	if !ok {
		return markSources(ctx, st, asOf, marks, ids)
	}
	var missing []string
	c.mu.Lock()
	for _, id := range ids {
		if t, ok := c.marks[id]; ok {
			marks[id] = t
		} else if _, ok := marks[id]; !ok {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return nil
	}
	read := map[string]string{}
	if err := markSources(ctx, st, plotline.AsOf{}, read, missing); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.change == last {
		if c.marks == nil {
			c.marks = map[string]string{}
		}
		maps.Copy(c.marks, read)
	}
	maps.Copy(marks, read)
	return nil
}

// markSources adds the marking of every source in ids to marks, read from
// st at asOf's record clock.
func markSources(ctx context.Context, st plotline.SourceReader, asOf plotline.AsOf, marks map[string]string, ids []string) error {
	for _, id := range ids {
		if _, ok := marks[id]; ok {
			continue
		}
		src, err := st.Source(ctx, id, plotline.AsOf{Recorded: asOf.Recorded})
		switch {
		case plotline.ErrorCode(err) == plotline.ENOTFOUND:
			marks[id] = "red"
		case err != nil:
			return err
		default:
			marks[id] = src.TLP
		}
	}
	return nil
}

// NarrowGraph applies vis (from GraphVisibility) to actors and affs: it
// returns those the user may see, their citations above the clearance
// removed, and counts what it withheld (citations removed from shown
// records count as sources). The lists given are not modified.
func NarrowGraph(vis plotline.Visibility, actors []plotline.Actor, affs []plotline.Affiliation) ([]plotline.Actor, []plotline.Affiliation, plotline.Withheld) {
	if vis.SeesAll() {
		return actors, affs, plotline.Withheld{}
	}
	var w plotline.Withheld
	outA := make([]plotline.Actor, 0, len(actors))
	for _, a := range actors {
		seen, ok := vis.Actor(a)
		if !ok {
			w.Actors++
			continue
		}
		w.Sources += len(a.Sources) - len(seen.Sources)
		outA = append(outA, seen)
	}
	outF := make([]plotline.Affiliation, 0, len(affs))
	for _, f := range affs {
		seen, ok := vis.Affiliation(f)
		if !ok {
			w.Affiliations++
			continue
		}
		w.Sources += len(f.Sources) - len(seen.Sources)
		outF = append(outF, seen)
	}
	return outA, outF, w
}

// visibleGraph reads every actor and affiliation at asOf and narrows them
// for the acting user.
func (s *Server) visibleGraph(ctx context.Context, asOf plotline.AsOf) ([]plotline.Actor, []plotline.Affiliation, plotline.Visibility, error) {
	actors, err := s.store.Actors(ctx, asOf)
	if err != nil {
		return nil, nil, plotline.Visibility{}, err
	}
	affs, err := s.store.Affiliations(ctx, asOf)
	if err != nil {
		return nil, nil, plotline.Visibility{}, err
	}
	vis, err := GraphVisibility(ctx, s.store, asOf, actors, affs, s.cache())
	if err != nil {
		return nil, nil, vis, err
	}
	return actors, affs, vis, nil
}

// withheldPtr is w for a response: nil when nothing was withheld.
func withheldPtr(w plotline.Withheld) *plotline.Withheld {
	if !w.Any() {
		return nil
	}
	return &w
}

// checkActorNames answers a request naming (by ID, name or alias) an actor
// withheld at the acting user's clearance exactly as one naming no actor:
// the analytics resolve names against the whole graph. fields pairs each
// parameter with the name it gave; empty names are skipped.
func (s *Server) checkActorNames(ctx context.Context, asOf plotline.AsOf, fields ...[2]string) error {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f[1]
	}
	i, err := s.hiddenActorName(ctx, asOf, names)
	if err != nil || i < 0 {
		return err
	}
	return plotline.FieldError(fields[i][0], "no actor is called %q", fields[i][1])
}

// checkQueryActors does the same for the actors a query names: the error
// is the analytics' own for an actor that does not exist. A query that
// does not parse is left to the analytics to refuse.
func (s *Server) checkQueryActors(ctx context.Context, asOf plotline.AsOf, q string) error {
	if q == "" || plotline.VisibilityFor(ctx, map[string]string{}).SeesAll() {
		return nil
	}
	parsed, err := query.Parse(q)
	if err != nil {
		return nil //nolint:nilerr // the analytics report it with its position
	}
	var names []string
	var at []query.Value
	for _, t := range parsed.Terms {
		if t.Field != "actor" {
			continue
		}
		for _, v := range t.Values {
			names = append(names, v.Eq)
			at = append(at, v)
		}
	}
	i, err := s.hiddenActorName(ctx, asOf, names)
	if err != nil || i < 0 {
		return err
	}
	return queryError(query.Errorf(at[i].Pos, "actor", "actor: no actor is called %q", at[i].Eq))
}

// hiddenActorName returns the index of the first name that resolves to an
// actor withheld at the acting user's clearance, or -1.
func (s *Server) hiddenActorName(ctx context.Context, asOf plotline.AsOf, names []string) (int, error) {
	named := false
	for _, n := range names {
		named = named || n != ""
	}
	if !named || plotline.VisibilityFor(ctx, map[string]string{}).SeesAll() {
		return -1, nil
	}
	rec := plotline.AsOf{Recorded: asOf.Recorded}
	actors, err := s.store.Actors(ctx, rec)
	if err != nil {
		return -1, err
	}
	vis, err := GraphVisibility(ctx, s.store, rec, actors, nil, s.cache())
	if err != nil || vis.ActorHidden == nil {
		return -1, err
	}
	g := analysis.NewGraph(actors, nil)
	for i, n := range names {
		if id, ok := g.Resolve(n); ok && n != "" && vis.ActorHidden(id) {
			return i, nil
		}
	}
	return -1, nil
}
