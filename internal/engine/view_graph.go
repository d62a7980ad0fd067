package engine

import (
	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// The organisation as a clearance sees it. A view answers ACTOR+, the
// roll-ups (unit, org, province, ...), "connected to" and the report's
// related/external split from a graph of the actors and affiliations
// plotline.Visibility keeps, so that an affiliation withheld from a user
// relates nothing in the user's counts: otherwise a count would tell what
// the answer to /api/v1/affiliations withholds.

// orgView is the organisation of a view.
type orgView struct {
	actors []plotline.Actor       // those shown, citations above the clearance removed
	affs   []plotline.Affiliation // likewise
	g      *analysis.Graph
	org    *orgIndex
}

// viewOrg applies vis (its ActorHidden set to the actors it withholds) to
// ix's organisation. With nothing withheld it is ix's own; with actors
// withheld but every affiliation kept, the dated segments are ix's own
// too: a withheld actor is then nobody's ancestor, and statements naming
// it are never stated in the view.
func (ix *Index) viewOrg(vis *plotline.Visibility) *orgView {
	actors := make([]plotline.Actor, 0, len(ix.actors))
	for _, a := range ix.actors {
		if a, ok := vis.Actor(a); ok {
			actors = append(actors, a)
		}
	}
	affs := make([]plotline.Affiliation, 0, len(ix.affs))
	for _, f := range ix.affs {
		if f, ok := vis.Affiliation(f); ok {
			affs = append(affs, f)
		}
	}
	o := &orgView{actors: ix.actors, affs: ix.affs, g: ix.g, org: ix.org}
	if len(actors) == len(ix.actors) && len(affs) == len(ix.affs) {
		return o // citations removed change no edge
	}
	o.actors, o.affs = actors, affs
	o.g = analysis.NewGraph(actors, affs)
	if len(affs) == len(ix.affs) {
		return o
	}
	// newOrgIndex codes the ancestors it finds in the index's dictionaries;
	// it gets copies, which it never grows (every actor it meets here is
	// one ix's organisation met), so that ix's stay read-only once built.
	tmp := &Index{actors: actors, affs: affs, g: o.g, actorD: cloneDict(ix.actorD), country: cloneDict(ix.country)}
	o.org = newOrgIndex(tmp)
	return o
}
