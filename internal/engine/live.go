package engine

import (
	"slices"

	"github.com/plotline-dev/plotline"
)

// The live structures answer the most common questions, asked as known now
// under a rule counting every basis without an order ("any"), without
// reading the statements: per actor the rows where it has such a standing
// statement, and per row its distinct actors (of which plan.units keeps
// the most specific by the organisation when asked: a layer of changes
// gets its base's organisation after it is built). They are derived at
// build from the statements; a plan uses them only when its counted
// statements are exactly theirs (plan.live).
type live struct {
	basisOK []bool    // the counted bases: plotline.Bases
	actor   [][]int32 // per actor code: rows with a standing statement of it (postings["actor"] when every statement stands)
	unit    []uint32  // per row: its one actor (0: none), or liveMany|k for actors many[manyOff[k]:manyOff[k+1]]
	manyOff []uint32
	many    []uint32
}

// liveMany marks a row with several units in live.unit.
const liveMany = 1 << 31

// nowPlan is the plan of rule any, as known now, with no statement term.
func (ix *Index) nowPlan() *plan {
	p := &plan{ix: ix, S: noDay - 1, basisOK: make([]bool, len(ix.basisD.s))}
	for _, b := range plotline.Bases {
		if c, ok := ix.basisD.lookup(b); ok {
			p.basisOK[c] = true
		}
	}
	return p
}

// buildLive derives the live structures (after the statements, postings and
// organisation index).
func (ix *Index) buildLive() {
	p := ix.nowPlan()
	lv := &live{basisOK: p.basisOK, unit: make([]uint32, ix.n), manyOff: []uint32{0}}
	standing := func(a uint32) bool {
		return ix.aStated[a] <= p.S && ix.aStop[a] > p.S && p.basisOK[ix.aBasis[a]]
	}
	// Actors with a statement that does not stand get lists of their own.
	partial := make([]bool, len(ix.actorD.s))
	for a := range uint32(len(ix.aActor)) {
		if !standing(a) {
			partial[ix.aActor[a]] = true
		}
	}
	lv.actor = make([][]int32, len(ix.actorD.s))
	all := ix.postings["actor"]
	for c := range lv.actor {
		if !partial[c] {
			lv.actor[c] = all[c]
		}
	}
	var buf []uint32
	for r := range int32(ix.n) {
		for a := ix.aOff[r]; a < ix.aOff[r+1]; a++ {
			if c := ix.aActor[a]; partial[c] && standing(a) {
				if l := lv.actor[c]; len(l) == 0 || l[len(l)-1] != r {
					lv.actor[c] = append(l, r)
				}
			}
		}
		// The distinct actors: which of them are the most specific
		// depends on the organisation, applied when asked (a layer of
		// changes gets its base's organisation after it is built).
		buf = buf[:0]
		for a := ix.aOff[r]; a < ix.aOff[r+1]; a++ {
			if standing(a) {
				buf = appendDistinct(buf, ix.aActor[a])
			}
		}
		switch len(buf) {
		case 0:
		case 1:
			lv.unit[r] = buf[0]
		default:
			lv.unit[r] = liveMany | uint32(len(lv.manyOff)-1)
			lv.many = append(lv.many, buf...)
			lv.manyOff = append(lv.manyOff, uint32(len(lv.many)))
		}
	}
	for c := range lv.actor {
		if partial[c] && lv.actor[c] == nil {
			lv.actor[c] = []int32{}
		}
	}
	ix.live = lv
}

// live reports whether the plan counts exactly the statements of the live
// structures: as known now, every basis, no order, and statements as built
// (not a view's).
func (p *plan) live() bool {
	ix := p.ix
	return ix.live != nil && ix.view == nil && p.S == noDay-1 && !p.ordered && slices.Equal(p.basisOK, ix.live.basisOK)
}

// liveUnits returns the units of row for a live plan without statement
// terms (plan.units), in buf.
func (ix *Index) liveUnits(row int32, buf []uint32) []uint32 {
	u := ix.live.unit[row]
	switch {
	case u == 0:
		return buf[:0]
	case u&liveMany == 0:
		return append(buf[:0], u)
	}
	k := u &^ liveMany
	buf = append(buf[:0], ix.live.many[ix.live.manyOff[k]:ix.live.manyOff[k+1]]...)
	return ix.mostSpecific(buf, ix.dStart[row])
}
