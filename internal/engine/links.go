package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

// Linked duplicates. A reviewer who decides that two incident records are
// one incident reported twice (plotline review duplicates same A B) links
// them; both records stay in the store. The index counts each linked group
// once: one record of the group, its representative, stands for the group
// and carries the statements of every record of it; the others are dead
// rows (delta.go), left out of every answer. The representative is the
// record visible at the lowest clearance (so that a group is visible to a
// reader whenever one of its records is), then a curated record, then the
// earliest (date, then ID).
//
// A delta layer never holds part of a group: a refresh that would re-read a
// linked incident, or that finds a decision recorded since the index was
// built, rebuilds the index instead (decisions are few and rare).

// LinkSource is a Source that knows which incidents were linked as one.
type LinkSource interface {
	// SameIncidents returns the pairs of incidents whose latest duplicate
	// decision at the record instant (nil: now) is "same".
	SameIncidents(ctx context.Context, recorded *time.Time) ([][2]string, error)
	// LinkStamp changes whenever a duplicate decision is recorded.
	LinkStamp(ctx context.Context) (int64, error)
}

// links is what an index knows of linked incidents.
type links struct {
	stamp int64
	ids   map[string]bool     // every incident of a "same" pair, current or not
	rep   map[int32]int32     // row of another record of a group → the representative's
	byID  map[string][]string // representative ID → the IDs of the other records of its group
}

// linkedOf returns the other records of the groups ids stand for; nil when none.
func (ix *Index) linkedOf(ids []string) map[string][]string {
	if len(ix.links.byID) == 0 {
		return nil
	}
	var out map[string][]string
	for _, id := range ids {
		if others, ok := ix.links.byID[id]; ok {
			if out == nil {
				out = map[string][]string{}
			}
			out[id] = others
		}
	}
	return out
}

// readLinks reads the pairs and the stamp of src at the record instant, if
// src knows links. The stamp is read first: a decision recorded between the
// two reads makes the next refresh rebuild.
func readLinks(ctx context.Context, src Source, recorded *time.Time) (pairs [][2]string, stamp int64, err error) {
	ls, ok := src.(LinkSource)
	if !ok {
		return nil, 0, nil
	}
	if stamp, err = ls.LinkStamp(ctx); err != nil {
		return nil, 0, fmt.Errorf("linked incidents: %w", err)
	}
	if pairs, err = ls.SameIncidents(ctx, recorded); err != nil {
		return nil, 0, fmt.Errorf("linked incidents: %w", err)
	}
	return pairs, stamp, nil
}

// linkChanged reports whether src recorded a duplicate decision since ix was
// built.
func linkChanged(ctx context.Context, src Source, ix *Index) (bool, error) {
	ls, ok := src.(LinkSource)
	if !ok {
		return false, nil
	}
	stamp, err := ls.LinkStamp(ctx)
	if err != nil {
		return false, fmt.Errorf("linked incidents: %w", err)
	}
	return stamp != ix.links.stamp, nil
}

// touchesLinked reports whether any of ids is an incident of a "same" pair.
func (ix *Index) touchesLinked(ids []string) bool {
	if len(ix.links.ids) == 0 {
		return false
	}
	for _, id := range ids {
		if ix.links.ids[id] {
			return true
		}
	}
	return false
}

// mergeLinked groups the rows of linked incidents, moves the statements of
// each group to its representative and marks the other rows dead. It runs
// on a laid-out index, before the structures built from the statements
// (postings, live lists) and before columns share memory.
func (ix *Index) mergeLinked(pairs [][2]string, marks *plotline.Markings) {
	ix.links.ids = make(map[string]bool, 2*len(pairs))
	for _, p := range pairs {
		ix.links.ids[p[0]], ix.links.ids[p[1]] = true, true
	}
	rows := ix.rowsOf(ix.links.ids)
	parent := map[int32]int32{}
	var find func(r int32) int32
	find = func(r int32) int32 {
		p, ok := parent[r]
		if !ok || p == r {
			return r
		}
		root := find(p)
		parent[r] = root
		return root
	}
	for _, p := range pairs {
		a, okA := rows[p[0]]
		b, okB := rows[p[1]]
		if !okA || !okB {
			continue // one of them is not current at this instant
		}
		ra, rb := find(a), find(b)
		if ra == rb {
			continue
		}
		if ix.representsBetter(rb, ra, marks) {
			ra, rb = rb, ra
		}
		parent[rb] = ra
	}
	into := map[int32]int32{} // row → the representative its statements move to
	for r := range parent {
		if root := find(r); root != r {
			into[r] = root
		}
	}
	if len(into) == 0 {
		return
	}
	moved := make([]int32, 0, len(into))
	for r := range into {
		moved = append(moved, r)
	}
	slices.Sort(moved)
	ix.links.rep, ix.links.byID = into, map[string][]string{}
	gained := map[int32][]int32{} // representative → member rows, in row order
	ix.dead = make([]uint64, (ix.n+63)/64)
	for _, r := range moved {
		rep := into[r]
		gained[rep] = append(gained[rep], r)
		repID := ix.ids.get(rep)
		ix.links.byID[repID] = append(ix.links.byID[repID], ix.ids.get(r))
		ix.dead[r>>6] |= 1 << (r & 63)
	}
	ix.relayStatements(gained, into)
}

// representsBetter reports whether row x stands for a group better than y:
// the one visible at a lower clearance, then a curated record, then the
// earlier row (date, then ID).
func (ix *Index) representsBetter(x, y int32, marks *plotline.Markings) bool {
	if ox, oy := ix.clearanceNeeded(x, marks), ix.clearanceNeeded(y, marks); ox != oy {
		return ox < oy
	}
	origin := ix.cat["origin"]
	cx, cy := origin.at(x) == 0, origin.at(y) == 0
	if cx != cy {
		return cx
	}
	return x < y
}

// clearanceNeeded is the rank in plotline.TLPs of the lowest clearance that
// sees row r: a row is withheld when every source it cites is (as a view
// decides, markings.go), so the least restricted of them; 0 when it cites
// none or nothing is marked.
func (ix *Index) clearanceNeeded(r int32, marks *plotline.Markings) int {
	if marks == nil || len(marks.Sources) == 0 {
		return 0
	}
	least, cited := len(plotline.TLPs)-1, false
	for _, c := range ix.mvCodes[ix.mvOff[r]:ix.mvOff[r+1]] {
		id, ok := strings.CutPrefix(ix.mv.s[c], "source\x00")
		if !ok {
			continue
		}
		cited = true
		t, marked := marks.Sources[id]
		if !marked {
			return 0 // CLEAR
		}
		if k := slices.Index(plotline.TLPs, t); k >= 0 {
			least = min(least, k)
		}
	}
	if !cited {
		return 0
	}
	return least
}

// relayStatements lays the statements out again: each representative's own,
// then those of its group's other records; those records keep none.
func (ix *Index) relayStatements(gained map[int32][]int32, into map[int32]int32) {
	m := len(ix.aActor)
	order := make([]uint32, 0, m) // old statement index, in the new order
	off := make([]uint32, ix.n+1)
	for r := range int32(ix.n) {
		if _, gone := into[r]; !gone {
			for a := ix.aOff[r]; a < ix.aOff[r+1]; a++ {
				order = append(order, a)
			}
			for _, g := range gained[r] {
				for a := ix.aOff[g]; a < ix.aOff[g+1]; a++ {
					order = append(order, a)
				}
			}
		}
		off[r+1] = uint32(len(order))
	}
	// The IDs of moved statements are written whole: the suffix form is
	// relative to the record they were stated on.
	full := slices.Clone(ix.aIDFull)
	whole := map[uint32]string{}
	for r := range into {
		for a := ix.aOff[r]; a < ix.aOff[r+1]; a++ {
			if !full[a] {
				whole[a] = ix.attrID(int32(a), r)
				full[a] = true
			}
		}
	}
	var ids arena
	ids.off = make([]uint32, 1, m+1)
	for _, a := range order {
		if id, ok := whole[a]; ok {
			ids.add(id)
		} else {
			ids.addBytes(ix.aIDs.b[ix.aIDs.off[a]:ix.aIDs.off[a+1]])
		}
	}
	ix.aOff = off
	ix.aActor, ix.aBy = reorder(ix.aActor, order), reorder(ix.aBy, order)
	ix.aBasis, ix.aLink, ix.aLik, ix.aConf = reorder(ix.aBasis, order), reorder(ix.aLink, order), reorder(ix.aLik, order), reorder(ix.aConf, order)
	ix.aStated, ix.aSStart, ix.aStop = reorder(ix.aStated, order), reorder(ix.aSStart, order), reorder(ix.aStop, order)
	ix.aHow, ix.aIDFull = reorder(ix.aHow, order), reorder(full, order)
	ix.aIDs = ids
}

// reorder returns in's elements in order.
func reorder[T any](in []T, order []uint32) []T {
	out := make([]T, len(order))
	for i, a := range order {
		out[i] = in[a]
	}
	return out
}

// withLinked adds to each incident read from the store the statements of
// the other records of its linked group, as the index counts them.
func (ix *Index) withLinked(ctx context.Context, incs []plotline.Incident) error {
	return AddLinked(ctx, ix.src, plotline.AsOf{Recorded: ix.recorded}, incs, ix.links.byID)
}

// AddLinked gives each incident of list the statements of the other records
// linked with it as one (linked as in Matches.Linked), read from src at
// asOf: the statements the engine counted for it.
func AddLinked(ctx context.Context, src interface {
	Incidents(context.Context, plotline.IncidentFilter, plotline.AsOf) ([]plotline.Incident, error)
}, asOf plotline.AsOf, list []plotline.Incident, linked map[string][]string) error {
	var want []string
	for _, in := range list {
		want = append(want, linked[in.ID]...)
	}
	if len(want) == 0 {
		return nil
	}
	others, err := src.Incidents(ctx, plotline.IncidentFilter{IDs: want}, asOf)
	if err != nil {
		return err
	}
	byID := make(map[string]*plotline.Incident, len(others))
	for i := range others {
		byID[others[i].ID] = &others[i]
	}
	for i := range list {
		for _, id := range linked[list[i].ID] {
			if o := byID[id]; o != nil {
				list[i].Attributions = append(list[i].Attributions, o.Attributions...)
			}
		}
	}
	return nil
}
