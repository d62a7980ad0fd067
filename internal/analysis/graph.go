// Package analysis holds Plotline's derived notions: the dated organisation
// graph ("connected to X", roll-up, "external"), counting rules, and the
// reports built on them. Nothing here is stored; everything is computed from
// a snapshot of the store.
package analysis

import (
	"slices"

	"github.com/plotline-dev/plotline"
)

// Graph is the dated organisation graph: actors and their affiliations.
type Graph struct {
	actors  map[string]*plotline.Actor
	parents map[string][]plotline.Affiliation
	alias   map[string]string // lower-case name or alias → actor ID (strong names only)
	list    []plotline.Actor
	affs    []plotline.Affiliation
}

// NewGraph indexes actors and affiliations.
func NewGraph(actors []plotline.Actor, affs []plotline.Affiliation) *Graph {
	g := &Graph{actors: map[string]*plotline.Actor{}, parents: map[string][]plotline.Affiliation{}, alias: map[string]string{},
		list: actors, affs: affs}
	for i := range actors {
		a := &actors[i]
		g.actors[a.ID] = a
	}
	for _, f := range affs {
		g.parents[f.ChildID] = append(g.parents[f.ChildID], f)
	}
	for i := range actors {
		a := &actors[i]
		g.alias[fold(a.ID)] = a.ID
		g.alias[fold(a.Name)] = a.ID
	}
	// Aliases second, so an actor's own ID or name wins over another's alias.
	for i := range actors {
		for _, al := range actors[i].Aliases {
			if _, taken := g.alias[fold(al.Name)]; !taken {
				g.alias[fold(al.Name)] = actors[i].ID
			}
		}
	}
	return g
}

// Actors returns the actors the graph was built from, in their order. They
// are shared: callers must not modify them.
func (g *Graph) Actors() []plotline.Actor { return g.list }

// Affiliations returns the affiliations the graph was built from, in their
// order. They are shared: callers must not modify them.
func (g *Graph) Affiliations() []plotline.Affiliation { return g.affs }

// Actor returns the actor with the given ID, or nil.
func (g *Graph) Actor(id string) *plotline.Actor { return g.actors[id] }

// Name returns the actor's name, or the ID itself when unknown.
func (g *Graph) Name(id string) string {
	if a := g.actors[id]; a != nil {
		return a.Name
	}
	return id
}

// Resolve finds an actor by ID, name or alias (case-insensitive). Weak
// aliases (acronyms) resolve too, because a user typing "ISKP" at a prompt
// means the unit; importers must not rely on this.
func (g *Graph) Resolve(name string) (string, bool) {
	id, ok := g.alias[fold(name)]
	return id, ok
}

// Ancestors returns the actor and every unit above it on day, nearest
// first, each once (the graph is a DAG: a unit may sit under two parents).
func (g *Graph) Ancestors(id string, day plotline.Day) []string {
	out := []string{id}
	for i := 0; i < len(out); i++ {
		for _, f := range g.parents[out[i]] {
			if f.ValidOn(day) && !slices.Contains(out, f.ParentID) {
				out = append(out, f.ParentID)
			}
		}
	}
	return out
}

// Under reports whether actor id is ancestor or one of its units on day.
func (g *Graph) Under(id, ancestor string, day plotline.Day) bool {
	return slices.Contains(g.Ancestors(id, day), ancestor)
}

// Root returns the topmost ancestor of id on day (the organisation).
func (g *Graph) Root(id string, day plotline.Day) string {
	anc := g.Ancestors(id, day)
	for _, a := range anc {
		if len(g.validParents(a, day)) == 0 {
			return a
		}
	}
	return id
}

func (g *Graph) validParents(id string, day plotline.Day) []string {
	var out []string
	for _, f := range g.parents[id] {
		if f.ValidOn(day) {
			out = append(out, f.ParentID)
		}
	}
	return out
}

// RollUp returns the nearest unit of the given kind at or above id on day
// (e.g. the office a province reported to), or "" if none.
func (g *Graph) RollUp(id, kind string, day plotline.Day) string {
	for _, a := range g.Ancestors(id, day) {
		if act := g.actors[a]; act != nil && act.Kind == kind {
			return a
		}
	}
	return ""
}

// External reports whether an operation by unit id against country on day
// lies outside the unit's home countries. A unit without home countries of
// its own (a directorate, an office) inherits its nearest ancestor's.
func (g *Graph) External(id, country string, day plotline.Day) bool {
	for _, a := range g.Ancestors(id, day) {
		act := g.actors[a]
		if act == nil || len(act.Home) == 0 {
			continue
		}
		return !act.HomeOn(country, day)
	}
	return true
}

// MostSpecific drops every unit that is an ancestor of another unit in ids
// on day: a statement naming only "Islamic State" adds nothing to one that
// names its Iraq province, while two provinces both stand.
func (g *Graph) MostSpecific(ids []string, day plotline.Day) []string {
	var out []string
	for _, id := range ids {
		covered := false
		for _, other := range ids {
			if other != id && g.Under(other, id, day) {
				covered = true
				break
			}
		}
		if !covered {
			out = append(out, id)
		}
	}
	return out
}
