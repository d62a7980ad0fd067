package httpapi

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// ActorList lists actors. Withheld counts the actors the acting user's
// clearance withheld and the citations it removed from those shown.
type ActorList struct {
	Actors   []plotline.Actor   `json:"actors"`
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// OrgLink is one affiliation seen from one side: the actor at the other end.
type OrgLink struct {
	Affiliation string        `json:"affiliation"`
	Actor       string        `json:"actor"`
	Name        string        `json:"name"`
	Kind        string        `json:"kind"`
	From        plotline.Date `json:"from"`
	To          plotline.Date `json:"to"`
	Sources     []string      `json:"sources"`
}

// ActorDetail is an actor with its place in the organisation graph: every
// affiliation up and down, or only those valid on the requested date.
// Withheld counts the affiliations of the actor and the citations the
// acting user's clearance withheld.
type ActorDetail struct {
	plotline.Actor
	Date     string             `json:"date,omitempty"`
	Parents  []OrgLink          `json:"parents"`
	Children []OrgLink          `json:"children"`
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

func (s *Server) listActors(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "kind")
	asOf := p.asOf()
	kind := p.oneOf("kind", plotline.ActorKinds)
	if p.err != nil {
		return p.err
	}
	list, err := s.store.Actors(r.Context(), asOf)
	if err != nil {
		return err
	}
	var kept []plotline.Actor
	for _, a := range list {
		if kind == "" || a.Kind == kind {
			kept = append(kept, a)
		}
	}
	vis, err := GraphVisibility(r.Context(), s.store, asOf, kept, nil, s.cache())
	if err != nil {
		return err
	}
	seen, _, withheld := NarrowGraph(vis, kept, nil)
	out := ActorList{Actors: []plotline.Actor{}, Withheld: withheldPtr(withheld)}
	out.Actors = append(out.Actors, seen...)
	return writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) getActor(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "date")
	asOf := p.asOf()
	date := p.day("date")
	if p.err != nil {
		return p.err
	}
	id := r.PathValue("id")
	actor, err := s.store.Actor(r.Context(), id, asOf)
	if err != nil {
		return err
	}
	actors, affs, err := s.graphRecords(r, asOf)
	if err != nil {
		return err
	}
	var mine []plotline.Affiliation
	for _, f := range affs {
		if (f.ChildID == id || f.ParentID == id) && (date == nil || f.ValidOn(*date)) {
			mine = append(mine, f)
		}
	}
	vis, err := GraphVisibility(r.Context(), s.store, asOf, slices.Collect(maps.Values(actors)), mine, s.cache())
	if err != nil {
		return err
	}
	seen, ok := vis.Actor(*actor)
	if !ok {
		return notFound(plotline.RecActor, id)
	}
	withheld := plotline.Withheld{Sources: len(actor.Sources) - len(seen.Sources)}
	out := ActorDetail{Actor: seen, Parents: []OrgLink{}, Children: []OrgLink{}}
	if date != nil {
		out.Date = date.String()
	}
	_, mine, w2 := NarrowGraph(vis, nil, mine)
	withheld.Add(w2)
	for _, f := range mine {
		switch id {
		case f.ChildID:
			out.Parents = append(out.Parents, link(f, f.ParentID, actors))
		case f.ParentID:
			out.Children = append(out.Children, link(f, f.ChildID, actors))
		}
	}
	out.Withheld = withheldPtr(withheld)
	return writeJSON(w, r, http.StatusOK, out)
}

func link(f plotline.Affiliation, other string, actors map[string]plotline.Actor) OrgLink {
	a := actors[other]
	return OrgLink{Affiliation: f.ID, Actor: other, Name: a.Name, Kind: a.Kind, From: f.From, To: f.To, Sources: f.Sources}
}

func (s *Server) graphRecords(r *http.Request, asOf plotline.AsOf) (map[string]plotline.Actor, []plotline.Affiliation, error) {
	list, err := s.store.Actors(r.Context(), asOf)
	if err != nil {
		return nil, nil, err
	}
	affs, err := s.store.Affiliations(r.Context(), asOf)
	if err != nil {
		return nil, nil, err
	}
	actors := make(map[string]plotline.Actor, len(list))
	for _, a := range list {
		actors[a.ID] = a
	}
	return actors, affs, nil
}

// visibleGraphRecords is graphRecords narrowed for the acting user, with
// what was withheld; citations removed from shown records are not counted,
// as the answers that use it show no citations.
func (s *Server) visibleGraphRecords(r *http.Request, asOf plotline.AsOf) (map[string]plotline.Actor, []plotline.Affiliation, plotline.Withheld, error) {
	list, affs, vis, err := s.visibleGraph(r.Context(), asOf)
	if err != nil {
		return nil, nil, plotline.Withheld{}, err
	}
	list, affs, w := NarrowGraph(vis, list, affs)
	actors := make(map[string]plotline.Actor, len(list))
	for _, a := range list {
		actors[a.ID] = a
	}
	return actors, affs, plotline.Withheld{Actors: w.Actors, Affiliations: w.Affiliations}, nil
}

// AffiliationList lists affiliations. Withheld counts the affiliations the
// acting user's clearance withheld and the citations it removed from those
// shown.
type AffiliationList struct {
	Affiliations []plotline.Affiliation `json:"affiliations"`
	Withheld     *plotline.Withheld     `json:"withheld,omitempty"`
}

func (s *Server) listAffiliations(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "date", "actor")
	asOf := p.asOf()
	date := p.day("date")
	actor := p.str("actor")
	if p.err != nil {
		return p.err
	}
	_, list, vis, err := s.visibleGraph(r.Context(), asOf)
	if err != nil {
		return err
	}
	if actor != "" && vis.ActorHidden != nil && vis.ActorHidden(actor) {
		// Answered as for an actor that does not exist: no affiliations,
		// none withheld.
		return writeJSON(w, r, http.StatusOK, AffiliationList{Affiliations: []plotline.Affiliation{}})
	}
	var kept []plotline.Affiliation
	for _, f := range list {
		if (date == nil || f.ValidOn(*date)) && (actor == "" || f.ChildID == actor || f.ParentID == actor) {
			kept = append(kept, f)
		}
	}
	_, seen, withheld := NarrowGraph(vis, nil, kept)
	out := AffiliationList{Affiliations: []plotline.Affiliation{}, Withheld: withheldPtr(withheld)}
	out.Affiliations = append(out.Affiliations, seen...)
	return writeJSON(w, r, http.StatusOK, out)
}

// OrgNode is one unit in the organisation tree on a date. A unit under two
// parents on that date appears under both.
type OrgNode struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Kind        string        `json:"kind"`
	Affiliation string        `json:"affiliation,omitempty"` // the link to the parent node
	From        plotline.Date `json:"from"`
	To          plotline.Date `json:"to"`
	Children    []*OrgNode    `json:"children"`
}

// Org is the organisation tree as it stood on one date. Withheld counts
// the actors and affiliations the acting user's clearance withheld from
// the whole graph (not only from the date or root shown).
type Org struct {
	Date     string             `json:"date"`
	Roots    []*OrgNode         `json:"roots"`
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// org answers ?date=D (default today) and optionally root=ID, name or alias.
func (s *Server) org(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "date", "root")
	asOf := p.asOf()
	date := p.day("date")
	root := p.str("root")
	if p.err != nil {
		return p.err
	}
	day := s.today()
	if date != nil {
		day = *date
	}
	actors, affs, withheld, err := s.visibleGraphRecords(r, asOf)
	if err != nil {
		return err
	}
	children := map[string][]plotline.Affiliation{}
	hasParent := map[string]bool{}
	for _, f := range affs {
		if f.ValidOn(day) && existsOn(actors[f.ChildID], day) && existsOn(actors[f.ParentID], day) {
			children[f.ParentID] = append(children[f.ParentID], f)
			hasParent[f.ChildID] = true
		}
	}
	var roots []string
	if root != "" {
		id, ok := resolveActor(actors, root)
		if !ok {
			return plotline.FieldError("root", "no actor is called %q", root)
		}
		roots = []string{id}
	} else {
		for id, a := range actors {
			if !hasParent[id] && existsOn(a, day) {
				roots = append(roots, id)
			}
		}
		slices.Sort(roots)
	}
	out := Org{Date: day.String(), Roots: []*OrgNode{}, Withheld: withheldPtr(withheld)}
	for _, id := range roots {
		out.Roots = append(out.Roots, orgTree(actors, children, plotline.Affiliation{ChildID: id}, nil))
	}
	return writeJSON(w, r, http.StatusOK, out)
}

// existsOn reports whether an actor had been founded and not dissolved on day.
func existsOn(a plotline.Actor, day plotline.Day) bool {
	if a.ID == "" {
		return false
	}
	if a.Founded.Known() && day < a.Founded.Start {
		return false
	}
	return !(a.Dissolved.Known() && day > a.Dissolved.End)
}

func orgTree(actors map[string]plotline.Actor, children map[string][]plotline.Affiliation, via plotline.Affiliation, path []string) *OrgNode {
	a := actors[via.ChildID]
	n := &OrgNode{ID: a.ID, Name: a.Name, Kind: a.Kind, Affiliation: via.ID, From: via.From, To: via.To, Children: []*OrgNode{}}
	if slices.Contains(path, a.ID) {
		return n // a cycle would be a data error; stop rather than loop
	}
	kids := slices.Clone(children[a.ID])
	slices.SortFunc(kids, func(x, y plotline.Affiliation) int {
		return strings.Compare(actors[x.ChildID].Name, actors[y.ChildID].Name)
	})
	for _, f := range kids {
		n.Children = append(n.Children, orgTree(actors, children, f, append(path, a.ID)))
	}
	return n
}

// resolveActor finds an actor by ID, name or strong or weak alias, ignoring case.
func resolveActor(actors map[string]plotline.Actor, name string) (string, bool) {
	if _, ok := actors[name]; ok {
		return name, true
	}
	for _, id := range slices.Sorted(maps.Keys(actors)) {
		a := actors[id]
		if strings.EqualFold(a.Name, name) {
			return id, true
		}
		for _, al := range a.Aliases {
			if strings.EqualFold(al.Name, name) {
				return id, true
			}
		}
	}
	return "", false
}
