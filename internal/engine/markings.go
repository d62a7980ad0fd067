package engine

import (
	"context"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/plotline-dev/plotline"
)

// TLP markings in the engine. An index holds everything; a user cleared
// below RED is answered from a view of it (Index.View) in which
//
//   - a statement whose effective marking is above the clearance, or that
//     names an actor withheld at it, is never stated (its stated day is
//     noDay), so no count, filter, dimension, disagreement, change or
//     report sees it;
//   - an incident none of whose sources is visible is not a row any plan
//     scans (a bitmap filter in compile; ExternalOps skips it too);
//   - reports read incidents from the store redacted by plotline.Visibility.
//
// The rules themselves are plotline.Visibility's (markings.go in the root
// package); the view only applies them to columns. The restricted material
// comes from the store (plotline.MarkingReader), read once per index and
// only when a clearance below RED asks. The view's organisation graph and
// its dated segments hold only the actors and affiliations the clearance
// keeps (view_graph.go), so ACTOR+, roll-ups, "connected to" and the
// report's related split follow only what the user may see.

// markings caches an index's restricted material and its views.
type markings struct {
	mu    sync.Mutex
	m     *plotline.Markings
	views map[string]*Index
	orgs  *orgViews // shared by a full index and its layers; nil: not shared
}

// orgViews caches the organisation of each clearance's view. A full index
// and the layers over it share one: layers carry their base's actors,
// affiliations and source markings (a change to any of them rebuilds in
// full), so a clearance sees the same organisation in each.
type orgViews struct {
	mu sync.Mutex
	m  map[string]*orgView
}

// orgFor is viewOrg, cached per clearance when the index shares a cache.
func (ix *Index) orgFor(clearance string, vis *plotline.Visibility) *orgView {
	c := ix.mk.orgs
	if c == nil {
		return ix.viewOrg(vis)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.m[clearance]; ok {
		return o
	}
	o := ix.viewOrg(vis)
	if c.m == nil {
		c.m = map[string]*orgView{}
	}
	c.m[clearance] = o
	return o
}

// view is what a view of an index withholds.
type view struct {
	vis      plotline.Visibility
	hidden   []uint64 // rows withheld as a whole; nil when none
	withheld plotline.Withheld
}

// View returns the index as a user cleared to clearance sees it. "" and
// "red" see everything (every stored marking is a TLP 2.0 label: the stores
// validate them) and get ix itself; so does an index without restricted
// material. A store that cannot list its markings cannot answer below RED.
func (ix *Index) View(ctx context.Context, clearance string) (*Index, error) {
	if clearance == "" || clearance == "red" || ix.mk == nil {
		return ix, nil
	}
	if !slices.Contains(plotline.TLPs, clearance) {
		clearance = "clear" // an unknown clearance sees the least
	}
	ix.mk.mu.Lock()
	defer ix.mk.mu.Unlock()
	if v, ok := ix.mk.views[clearance]; ok {
		return v, nil
	}
	if ix.mk.m == nil {
		mr, ok := ix.src.(plotline.MarkingReader)
		if !ok {
			return nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "this store cannot list its TLP markings, so analytics are available at clearance RED only")
		}
		m, err := mr.Markings(ctx, plotline.AsOf{Recorded: ix.recorded})
		if err != nil {
			return nil, err
		}
		ix.mk.m = m
	}
	v := ix.buildView(ix.mk.m, clearance)
	if ix.mk.views == nil {
		ix.mk.views = map[string]*Index{}
	}
	ix.mk.views[clearance] = v
	return v, nil
}

// Withheld returns what the view withholds (zero for a whole index).
func (ix *Index) Withheld() plotline.Withheld {
	if ix.view == nil {
		return plotline.Withheld{}
	}
	return ix.view.withheld
}

// withheldPtr is Withheld for results: nil when nothing is withheld.
func (ix *Index) withheldPtr() *plotline.Withheld {
	if ix.view == nil || !ix.view.withheld.Any() {
		return nil
	}
	w := ix.view.withheld
	return &w
}

// buildView applies a clearance to a copy of ix's statement stated days
// and a bitmap of withheld rows; every other column is shared. With
// nothing to withhold it returns ix.
func (ix *Index) buildView(m *plotline.Markings, clearance string) *Index {
	vw := &view{vis: plotline.Visibility{Clearance: clearance, Marks: m.Sources}}
	vis := &vw.vis
	w := &vw.withheld
	for _, t := range m.Sources {
		if !vis.Allows(t) {
			w.Sources++
		}
	}
	hiddenActors := map[string]bool{}
	for _, a := range ix.actors {
		if _, ok := vis.Actor(a); !ok {
			hiddenActors[a.ID] = true
			w.Actors++
		}
	}
	if len(hiddenActors) > 0 {
		vis.ActorHidden = func(id string) bool { return hiddenActors[id] }
	}
	org := ix.orgFor(clearance, vis)
	w.Affiliations = len(ix.affs) - len(org.affs)

	// Rows whose every cited source is withheld.
	var hiddenSrc []bool // mv code → a withheld source
	for code, s := range ix.mv.s {
		if id, ok := strings.CutPrefix(s, "source\x00"); ok && !vis.SourceVisible(id) {
			if hiddenSrc == nil {
				hiddenSrc = make([]bool, len(ix.mv.s))
			}
			hiddenSrc[code] = true
		}
	}
	if hiddenSrc != nil {
		for r := range int32(ix.n) {
			cited, withheld := 0, 0
			for _, c := range ix.mvCodes[ix.mvOff[r]:ix.mvOff[r+1]] {
				if strings.HasPrefix(ix.mv.s[c], "source\x00") {
					cited++
					if hiddenSrc[c] {
						withheld++
					}
				}
			}
			if cited > 0 && cited == withheld {
				if vw.hidden == nil {
					vw.hidden = make([]uint64, (ix.n+63)/64)
				}
				vw.hidden[r>>6] |= 1 << (r & 63)
			}
		}
	}

	// Statements above the clearance, or naming a withheld actor.
	hideStmt := map[uint32]bool{}
	if len(m.Statements) > 0 {
		want := map[string]bool{}
		for _, a := range m.Statements {
			if !vis.Statement(&a) {
				want[a.IncidentID] = true
			}
		}
		rows := ix.rowsOf(want)
		for _, a := range m.Statements {
			r, ok := rows[a.IncidentID]
			if !ok || vis.Statement(&a) {
				continue
			}
			if rep, ok := ix.links.rep[r]; ok {
				r = rep // stated on a linked record: laid out under its group's (links.go)
			}
			for s := ix.aOff[r]; s < ix.aOff[r+1]; s++ {
				if ix.attrID(int32(s), r) == a.ID {
					hideStmt[s] = true
				}
			}
		}
	}
	if len(hiddenActors) > 0 {
		for s, c := range ix.aActor {
			if hiddenActors[ix.actorD.s[c]] {
				hideStmt[uint32(s)] = true
			}
		}
	}
	if vw.hidden != nil {
		for _, word := range vw.hidden {
			w.Incidents += bits.OnesCount64(word)
		}
	}
	if len(hideStmt) == 0 && vw.hidden == nil && !w.Any() {
		return ix
	}
	v := *ix
	v.mk, v.view = nil, vw
	v.actors, v.affs, v.g, v.org = org.actors, org.affs, org.g, org.org
	if len(hideStmt) > 0 {
		v.aStated = slices.Clone(ix.aStated)
		for r := range int32(ix.n) {
			for s := ix.aOff[r]; s < ix.aOff[r+1]; s++ {
				if hideStmt[s] {
					v.aStated[s] = noDay
					if !v.rowWithheld(r) {
						w.Attributions++ // those of withheld incidents go with them
					}
				}
			}
		}
	}
	return &v
}

// rowWithheld reports whether the view withholds row r as a whole.
func (ix *Index) rowWithheld(r int32) bool {
	return ix.view != nil && ix.view.hidden != nil && ix.view.hidden[r>>6]&(1<<(r&63)) != 0
}

// withheldFilter drops the rows a view withholds; nil when it withholds none.
func (ix *Index) withheldFilter() filter {
	if ix.view == nil || ix.view.hidden == nil {
		return nil
	}
	bm := ix.view.hidden
	return func(sel []int32) []int32 {
		out := sel[:0]
		for _, i := range sel {
			if bm[i>>6]&(1<<(i&63)) == 0 {
				out = append(out, i)
			}
		}
		return out
	}
}

// redact applies the view's visibility to incidents read from the store.
func (ix *Index) redact(list []plotline.Incident) []plotline.Incident {
	if ix.view == nil {
		return list
	}
	out := list[:0]
	for _, in := range list {
		if in, _, ok := ix.view.vis.Incident(in); ok {
			out = append(out, in)
		}
	}
	return out
}
