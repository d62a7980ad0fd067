package engine

import (
	"math"
	"slices"

	"github.com/plotline-dev/plotline"
)

// orgIndex precomputes the dated organisation graph per actor as segments
// of days within which the actor's ancestors and home countries do not
// change, so that Under, RollUp, Root and External cost a lookup.
type orgIndex struct {
	segOff  []int32    // actor code c has segments segOff[c]..segOff[c+1]
	segFrom []int32    // first day of each segment (math.MinInt32 for the first)
	anc     [][]int32  // ancestor actor codes, nearest first, the actor itself first
	root    []int32    // topmost ancestor
	hasHome []bool     // some ancestor has home countries
	home    [][]uint32 // that ancestor's home country codes on the segment's days
}

func newOrgIndex(ix *Index) *orgIndex {
	o := &orgIndex{}
	parents := map[string][]plotline.Affiliation{}
	for _, f := range ix.affs {
		parents[f.ChildID] = append(parents[f.ChildID], f)
	}
	byID := map[string]*plotline.Actor{}
	for i := range ix.actors {
		byID[ix.actors[i].ID] = &ix.actors[i]
	}
	for code := 0; code < len(ix.actorD.s); code++ { // ancestors may add codes
		id := ix.actorD.s[code]
		o.segOff = append(o.segOff, int32(len(o.segFrom)))
		// Every day on which an edge or a home period starts or ends,
		// anywhere above the actor.
		var cuts []int32
		seen := map[string]bool{id: true}
		queue := []string{id}
		for len(queue) > 0 {
			cur := queue[0]
			queue = queue[1:]
			if a := byID[cur]; a != nil {
				for _, h := range a.Home {
					cuts = appendCuts(cuts, h.From, h.To)
				}
			}
			for _, f := range parents[cur] {
				cuts = appendCuts(cuts, f.From, f.To)
				if !seen[f.ParentID] {
					seen[f.ParentID] = true
					queue = append(queue, f.ParentID)
				}
			}
		}
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
		froms := append([]int32{math.MinInt32}, cuts...)
		for k, from := range froms {
			rep := from
			if k == 0 {
				rep = 0
				if len(cuts) > 0 {
					rep = cuts[0] - 1
				}
			}
			o.addSegment(ix, byID, code, id, from, plotline.Day(rep))
		}
	}
	o.segOff = append(o.segOff, int32(len(o.segFrom)))
	return o
}

func appendCuts(cuts []int32, from, to plotline.Date) []int32 {
	if from.Known() {
		cuts = append(cuts, int32(from.Start))
	}
	if to.Known() {
		cuts = append(cuts, int32(to.End)+1)
	}
	return cuts
}

func (o *orgIndex) addSegment(ix *Index, byID map[string]*plotline.Actor, code int, id string, from int32, day plotline.Day) {
	_ = code
	ancIDs := ix.g.Ancestors(id, day)
	anc := make([]int32, len(ancIDs))
	for i, a := range ancIDs {
		anc[i] = int32(ix.actorD.code(a))
	}
	root := ix.g.Root(id, day)
	var home []uint32
	has := false
	for _, a := range ancIDs {
		act := byID[a]
		if act == nil || len(act.Home) == 0 {
			continue
		}
		has = true
		for _, h := range act.Home {
			if act.HomeOn(h.Country, day) {
				home = append(home, ix.country.code(h.Country))
			}
		}
		break
	}
	o.segFrom = append(o.segFrom, from)
	o.anc = append(o.anc, anc)
	o.root = append(o.root, int32(ix.actorD.code(root)))
	o.hasHome = append(o.hasHome, has)
	o.home = append(o.home, home)
}

// seg returns the segment of actor code c on day.
func (o *orgIndex) seg(c uint32, day int32) int32 {
	lo, hi := o.segOff[c], o.segOff[c+1]
	if hi-lo == 1 {
		return lo
	}
	s := lo
	for k := lo + 1; k < hi && o.segFrom[k] <= day; k++ {
		s = k
	}
	return s
}

// under reports whether actor c is actor x or a unit under it on day.
func (o *orgIndex) under(c uint32, x int32, day int32) bool {
	return slices.Contains(o.anc[o.seg(c, day)], x)
}

// external reports whether target country code t lies outside the home of
// actor c on day (analysis.Graph.External).
func (o *orgIndex) external(c uint32, t uint32, day int32) bool {
	s := o.seg(c, day)
	if !o.hasHome[s] {
		return true
	}
	return !slices.Contains(o.home[s], t)
}

// underSet returns, for every segment, whether its actor is under x; and
// the actor codes that are under x on some day.
func (o *orgIndex) underSet(x int32) (segs []bool, actors []uint32) {
	segs = make([]bool, len(o.segFrom))
	for c := 0; c+1 < len(o.segOff); c++ {
		any := false
		for s := o.segOff[c]; s < o.segOff[c+1]; s++ {
			if slices.Contains(o.anc[s], x) {
				segs[s], any = true, true
			}
		}
		if any {
			actors = append(actors, uint32(c))
		}
	}
	return segs, actors
}

// rollUp returns, for every segment, the nearest ancestor of the given kind
// (an actor code), or 0 when there is none.
func (o *orgIndex) rollUp(ix *Index, kind string) []uint32 {
	kinds := make([]string, len(ix.actorD.s))
	for _, a := range ix.actors {
		if c, ok := ix.actorD.lookup(a.ID); ok {
			kinds[c] = a.Kind
		}
	}
	out := make([]uint32, len(o.segFrom))
	for s, anc := range o.anc {
		for _, a := range anc {
			if kinds[a] == kind {
				out[s] = uint32(a)
				break
			}
		}
	}
	return out
}
