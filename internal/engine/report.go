package engine

import (
	"context"
	"math"
	"slices"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// ExternalOps runs the external-operations report of internal/analysis with
// the index choosing the incidents: only those that may appear in it (dated
// into the period, with a standing statement naming a unit of the
// organisation) are read from the store; coverage figures over every
// incident come from the index. The result is the report analysis.ExternalOps
// computes over the whole store.
func (ix *Index) ExternalOps(ctx context.Context, p analysis.ExternalOpsParams) (*analysis.ExternalOpsReport, error) {
	org := p.Org
	if org == "" && p.RelatedTo != "" {
		org = ix.g.Root(p.RelatedTo, p.To)
	}
	if org == "" {
		org = "is"
	}
	S := int32(p.AsOf)
	orgCode, hasOrg := ix.actorD.lookup(org)
	var segs []bool
	if hasOrg {
		segs, _ = ix.org.underSet(int32(orgCode))
	}
	var ids []string
	known, first, last, origins := ix.coverage(S)
	from, to := int32(p.From), int32(p.To)
	if hasOrg {
		// Only rows that may overlap the period: rows are sorted by start.
		r0, _ := slices.BinarySearch(ix.dStart, int32(max(int64(from)-int64(ix.maxSpan), math.MinInt32)))
		r1, _ := slices.BinarySearch(ix.dStart, int32(min(int64(to)+1, math.MaxInt32)))
		for r := int32(r0); r < int32(r1); r++ {
			if ix.pEnd[r] > S || ix.dEnd[r] < from || ix.rowWithheld(r) || isDead(ix.dead, r) {
				continue
			}
			for a := ix.aOff[r]; a < ix.aOff[r+1]; a++ {
				if ix.aStated[a] <= S && ix.aStop[a] > S && segs[ix.org.seg(ix.aActor[a], ix.dStart[r])] {
					ids = append(ids, ix.ids.get(r))
					break
				}
			}
		}
	}
	var incs []plotline.Incident
	if len(ids) > 0 {
		var err error
		incs, err = ix.src.Incidents(ctx, plotline.IncidentFilter{IDs: ids}, plotline.AsOf{Recorded: ix.recorded})
		if err != nil {
			return nil, err
		}
		if err := ix.withLinked(ctx, incs); err != nil {
			return nil, err
		}
		incs = ix.redact(incs)
	}
	rep := analysis.ExternalOps(ix.g, incs, p)
	rep.Withheld = ix.withheldPtr()
	c := &rep.Coverage
	c.IncidentsKnown = known
	c.First, c.Last = "", ""
	if known > 0 {
		c.First, c.Last = plotline.Day(first).String(), plotline.Day(last).String()
	}
	c.Origins = origins
	return rep, nil
}

// coverage counts the incidents public by day S, their first and last days
// and their origins (sorted), in parallel chunks.
func (ix *Index) coverage(S int32) (known int, first, last int32, origins []string) {
	origin := ix.cat["origin"]
	type part struct {
		known       int
		first, last int32
		seen        []bool
	}
	chunks := (ix.n + chunkRows - 1) / chunkRows
	parts := make([]part, chunks)
	tasks := make([]func(), chunks)
	for k := range chunks {
		tasks[k] = func() {
			pt := part{first: noDay, last: -noDay, seen: make([]bool, len(origin.d.s))}
			for r := int32(k * chunkRows); r < int32(min(ix.n, (k+1)*chunkRows)); r++ {
				if ix.pEnd[r] > S || ix.rowWithheld(r) || isDead(ix.dead, r) {
					continue
				}
				pt.known++
				pt.first, pt.last = min(pt.first, ix.dStart[r]), max(pt.last, ix.dEnd[r])
				pt.seen[origin.at(r)] = true
			}
			parts[k] = pt
		}
	}
	parallel(tasks)
	first, last = noDay, -noDay
	seen := make([]bool, len(origin.d.s))
	for _, pt := range parts {
		known += pt.known
		first, last = min(first, pt.first), max(last, pt.last)
		for c, ok := range pt.seen {
			seen[c] = seen[c] || ok
		}
	}
	origins = []string{}
	for c, ok := range seen {
		if ok {
			o := origin.d.s[c]
			if o == "" {
				o = "curated"
			}
			origins = append(origins, o)
		}
	}
	slices.Sort(origins)
	return known, first, last, origins
}
