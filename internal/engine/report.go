package engine

import (
	"context"
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
	var known int
	first, last := int32(noDay), int32(-noDay)
	origins := map[string]bool{}
	origin := ix.cat["origin"]
	from, to := int32(p.From), int32(p.To)
	for r := range int32(ix.n) {
		if ix.pEnd[r] > S || ix.rowWithheld(r) {
			continue
		}
		known++
		first, last = min(first, ix.dStart[r]), max(last, ix.dEnd[r])
		o := origin.d.s[origin.at(r)]
		if o == "" {
			o = "curated"
		}
		origins[o] = true
		if !hasOrg || ix.dStart[r] > to || ix.dEnd[r] < from {
			continue
		}
		for a := ix.aOff[r]; a < ix.aOff[r+1]; a++ {
			if ix.aStated[a] <= S && ix.aStop[a] > S && segs[ix.org.seg(ix.aActor[a], ix.dStart[r])] {
				ids = append(ids, ix.ids.get(r))
				break
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
	c.Origins = c.Origins[:0]
	for o := range origins {
		c.Origins = append(c.Origins, o)
	}
	slices.Sort(c.Origins)
	return rep, nil
}
