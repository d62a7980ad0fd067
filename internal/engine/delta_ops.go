package engine

import (
	"bytes"
	"cmp"
	"context"
	"math"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/query"
)

// The questions of an Index asked of a Snapshot: a one-index snapshot asks
// its index; a layered one merges the answers of its layers, or, where an
// answer cannot be merged (disagreements, changes, the report), runs the
// index's per-row logic over the live rows of every layer.

// rowRef is a row of one layer of a snapshot.
type rowRef struct {
	ix  *Index
	row int32
}

func (r rowRef) id() string { return r.ix.ids.get(r.row) }

// compareRefs orders rows by date then ID, as Index.sortByDateID does.
func compareRefs(a, b rowRef) int {
	if c := cmp.Compare(a.ix.dStart[a.row], b.ix.dStart[b.row]); c != 0 {
		return c
	}
	return bytes.Compare(a.ix.idBytes(a.row), b.ix.idBytes(b.row))
}

// plans compiles the query over every layer.
func (s *Snapshot) plans(ctx context.Context, q *query.Query, rule string, asOf plotline.AsOf) ([]*plan, error) {
	out := make([]*plan, len(s.ixs))
	for i, ix := range s.ixs {
		p, err := ix.compile(ctx, q, rule, asOf)
		if err != nil {
			return nil, err
		}
		out[i] = p
	}
	return out, nil
}

// sortedRows are the matching rows of one layer, by date then ID.
type sortedRows struct {
	ix   *Index
	rows []int32
}

// matched runs the plans and returns the matching rows of every layer,
// ordered by date then ID.
func matched(ctx context.Context, plans []*plan) ([]rowRef, error) {
	lists, _, err := matchedLists(ctx, plans)
	if err != nil {
		return nil, err
	}
	return mergeFirst(lists, -1), nil
}

// matchedLists runs the plans: each layer's rows, sorted, and their number.
func matchedLists(ctx context.Context, plans []*plan) ([]sortedRows, int, error) {
	lists := make([]sortedRows, 0, len(plans))
	total := 0
	for _, p := range plans {
		rows, err := p.rows(ctx)
		if err != nil {
			return nil, 0, err
		}
		p.ix.sortByDateID(rows)
		lists = append(lists, sortedRows{p.ix, rows})
		total += len(rows)
	}
	return lists, total, nil
}

// mergeFirst merges the lists and returns the first n rows (n < 0: all).
// There are few lists: a linear pick per row.
func mergeFirst(lists []sortedRows, n int) []rowRef {
	total := 0
	for _, l := range lists {
		total += len(l.rows)
	}
	if n < 0 || n > total {
		n = total
	}
	out := make([]rowRef, 0, n)
	pos := make([]int, len(lists))
	for len(out) < n {
		best := -1
		var bestRef rowRef
		for k, l := range lists {
			if pos[k] == len(l.rows) {
				continue
			}
			r := rowRef{l.ix, l.rows[pos[k]]}
			if best < 0 || compareRefs(r, bestRef) < 0 {
				best, bestRef = k, r
			}
		}
		out = append(out, bestRef)
		pos[best]++
	}
	return out
}

// Match lists the matching incident IDs, ordered by date then ID.
func (s *Snapshot) Match(ctx context.Context, req Request) (*Matches, error) {
	if s.simple() {
		return s.base().Match(ctx, req)
	}
	plans, err := s.plans(ctx, req.Query, req.Rule, req.AsOf)
	if err != nil {
		return nil, err
	}
	lists, total, err := matchedLists(ctx, plans)
	if err != nil {
		return nil, err
	}
	m := &Matches{Total: total, IDs: []string{}}
	lo := min(max(req.Offset, 0), total)
	hi := total
	if req.Limit > 0 {
		hi = min(hi, lo+req.Limit)
	}
	for _, r := range mergeFirst(lists, hi)[lo:] {
		m.IDs = append(m.IDs, r.id())
	}
	m.Linked = s.base().linkedOf(m.IDs) // groups live in the base only (links.go)
	return m, nil
}

// Count groups and counts (or sums) the matching incidents: every layer's
// groups, summed by their keys, ordered and cut to the limit afterwards.
func (s *Snapshot) Count(ctx context.Context, req Request) (*Table, error) {
	if s.simple() {
		return s.base().Count(ctx, req)
	}
	all := req
	all.Limit = 0
	var out *Table
	type group struct {
		keys         []string
		count, value int64
	}
	groups := map[string]*group{}
	var order []*group
	for _, ix := range s.ixs {
		t, err := ix.Count(ctx, all)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &Table{Dims: t.Dims, Measure: t.Measure, Rule: t.Rule}
		}
		out.Total += t.Total
		out.Sum += t.Sum
		for _, r := range t.Rows {
			k := strings.Join(r.Keys, "\x00")
			g := groups[k]
			if g == nil {
				g = &group{keys: r.Keys}
				groups[k] = g
				order = append(order, g)
			}
			g.count += int64(r.Count)
			g.value += r.Value
		}
	}
	slices.SortFunc(order, func(a, b *group) int {
		if c := cmp.Compare(b.value, a.value); c != 0 {
			return c
		}
		return slices.Compare(a.keys, b.keys)
	})
	if req.Limit > 0 && len(order) > req.Limit {
		order = order[:req.Limit]
	}
	out.Rows = make([]Row, len(order))
	for k, g := range order {
		out.Rows[k] = Row{Keys: g.keys, Count: int(g.count), Value: g.value}
	}
	return out, nil
}

// Series counts the matching incidents per bucket: every layer over the
// same buckets (the snapshot's extent when none are asked), summed.
func (s *Snapshot) Series(ctx context.Context, req SeriesRequest) (*Series, error) {
	if s.simple() {
		return s.base().Series(ctx, req)
	}
	if req.From == 0 && req.To == 0 {
		if s.live == 0 {
			// Nothing to count: the index's own answer (errors included).
			req.From, req.To = 1, 0
		} else {
			lo, hi := queryDates(req.Query)
			req.From, req.To = plotline.Day(s.minDay), plotline.Day(s.maxDay)
			if lo > query.MinDay {
				req.From = lo
			}
			if hi < query.MaxDay {
				req.To = hi
			}
			if req.From == 0 && req.To == 0 {
				req.To = -1 // an empty range, not "the extent"
			}
		}
	}
	var out *Series
	for _, ix := range s.ixs {
		if ix.n == 0 && out != nil {
			continue
		}
		sr, err := ix.Series(ctx, req)
		if err != nil {
			return nil, err
		}
		if s.live == 0 {
			sr.Buckets = []Bucket{}
		}
		if out == nil {
			out = sr
			continue
		}
		if len(sr.Buckets) == 0 { // an empty layer
			continue
		}
		if len(out.Buckets) == 0 {
			out.Buckets = sr.Buckets
			continue
		}
		for k := range out.Buckets {
			out.Buckets[k].Strict += sr.Buckets[k].Strict
			out.Buckets[k].Possible += sr.Buckets[k].Possible
		}
	}
	return out, nil
}

// queryDates is the positive date range of a query's date and within terms
// (compile's plan.dateLo and dateHi), for series defaults.
func queryDates(q *query.Query) (lo, hi plotline.Day) {
	lo, hi = query.MinDay, query.MaxDay
	if q == nil {
		return lo, hi
	}
	for _, t := range q.Terms {
		f, _ := query.Lookup(t.Field)
		if t.Not || (f.Name != "date" && f.Name != "within") {
			continue
		}
		tlo, thi := plotline.Day(query.MaxDay), plotline.Day(query.MinDay)
		for _, v := range t.Values {
			a, b, _ := query.DateBounds(v)
			tlo, thi = min(tlo, a), max(thi, b)
		}
		lo, hi = max(lo, tlo), min(hi, thi)
	}
	return lo, hi
}

// Disagreements lists, for every matching incident in date order, each
// standing claim against each standing official statement naming another
// unit.
func (s *Snapshot) Disagreements(ctx context.Context, req Request) ([]Disagreement, error) {
	if s.simple() {
		return s.base().Disagreements(ctx, req)
	}
	plans, err := s.plans(ctx, req.Query, req.Rule, req.AsOf)
	if err != nil {
		return nil, err
	}
	refs, err := matched(ctx, plans)
	if err != nil {
		return nil, err
	}
	S := plans[0].S
	out := []Disagreement{}
	for _, r := range refs {
		out = rowDisagreements(r.ix, r.row, S, out)
	}
	return out, nil
}

// rowDisagreements appends the disagreements of one row: every standing
// claim naming a different unit than a standing official statement.
func rowDisagreements(ix *Index, r int32, S int32, out []Disagreement) []Disagreement {
	claim, _ := ix.basisD.lookup(plotline.BasisClaim)
	gov, _ := ix.basisD.lookup(plotline.BasisGovernment)
	court, _ := ix.basisD.lookup(plotline.BasisCourt)
	stands := func(a uint32) bool { return ix.aStated[a] <= S && ix.aStop[a] > S }
	day := ix.dStart[r]
	for c := ix.aOff[r]; c < ix.aOff[r+1]; c++ {
		if uint32(ix.aBasis[c]) != claim || !stands(c) {
			continue
		}
		for o := ix.aOff[r]; o < ix.aOff[r+1]; o++ {
			b := uint32(ix.aBasis[o])
			if (b != gov && b != court) || !stands(o) || ix.aActor[o] == ix.aActor[c] {
				continue
			}
			rel := "conflict"
			if ix.org.under(ix.aActor[c], int32(ix.aActor[o]), day) || ix.org.under(ix.aActor[o], int32(ix.aActor[c]), day) {
				rel = "unspecified"
			}
			out = append(out, Disagreement{Incident: ix.ids.get(r), ClaimedUnit: ix.actorD.s[ix.aActor[c]],
				AttributedUnit: ix.actorD.s[ix.aActor[o]], AttributedBy: ix.byD.s[ix.aBy[o]], Relation: rel})
		}
	}
	return out
}

// Projection projects the matching incidents to the end of a period
// (Index.Projection, counting over the snapshot).
func (s *Snapshot) Projection(ctx context.Context, req ProjectionRequest) (*Projection, error) {
	if s.simple() {
		return s.base().Projection(ctx, req)
	}
	return projectWith(ctx, req, s.Count)
}

// snapshotChanges compares the matches and statements of two as-of points,
// over the live rows of every layer.
func snapshotChanges(ctx context.Context, a, b *Snapshot, req ChangesRequest) (*ChangeSet, error) {
	pa, err := a.plans(ctx, req.Query, req.Rule, req.From)
	if err != nil {
		return nil, err
	}
	pb, err := b.plans(ctx, req.Query, req.Rule, req.To)
	if err != nil {
		return nil, err
	}
	ra, err := matched(ctx, pa)
	if err != nil {
		return nil, err
	}
	rb, err := matched(ctx, pb)
	if err != nil {
		return nil, err
	}
	inA := make(map[string]bool, len(ra))
	for _, r := range ra {
		inA[r.id()] = true
	}
	inB := make(map[string]bool, len(rb))
	for _, r := range rb {
		inB[r.id()] = true
	}
	cs := &ChangeSet{NewIncidents: []string{}, DroppedIncidents: []string{}, NewStatements: []StatementChange{}, Ended: []StatementChange{}}
	for _, r := range rb {
		if !inA[r.id()] {
			cs.NewIncidents = append(cs.NewIncidents, r.id())
		}
	}
	for _, r := range ra {
		if !inB[r.id()] {
			cs.DroppedIncidents = append(cs.DroppedIncidents, r.id())
		}
	}
	want := make(map[string]bool, len(inA)+len(inB))
	for id := range inA {
		want[id] = true
	}
	for id := range inB {
		want[id] = true
	}
	type st struct {
		p   *plan // of the statement's layer
		a   uint32
		row int32
	}
	statements := func(s *Snapshot, plans []*plan) map[string]st {
		out := map[string]st{}
		for id := range want {
			for i, p := range plans {
				r, ok := s.layers[i].rowsByID().row(p.ix, id)
				if !ok || isDead(p.ix.dead, r) {
					continue
				}
				for x := p.ix.aOff[r]; x < p.ix.aOff[r+1]; x++ {
					out[p.ix.attrID(int32(x), r)] = st{p, x, r}
				}
				break
			}
		}
		return out
	}
	sa, sb := statements(a, pa), statements(b, pb)
	standing := func(s st) bool {
		ix := s.p.ix
		return ix.aStated[s.a] <= s.p.S && ix.aStop[s.a] > s.p.S && s.p.basisOK[ix.aBasis[s.a]]
	}
	change := func(s st, how string) StatementChange {
		ix := s.p.ix
		return StatementChange{Incident: ix.ids.get(s.row), ID: ix.attrID(int32(s.a), s.row), Actor: ix.actorD.s[ix.aActor[s.a]],
			Basis: ix.basisD.s[ix.aBasis[s.a]], AssertedBy: ix.byD.s[ix.aBy[s.a]], How: how}
	}
	for _, s := range sb {
		if !standing(s) {
			continue
		}
		if old, ok := sa[s.p.ix.attrID(int32(s.a), s.row)]; ok && old.p.ix.aStated[old.a] <= old.p.S {
			continue
		}
		cs.NewStatements = append(cs.NewStatements, change(s, "stated"))
	}
	for id, s := range sa {
		if !standing(s) {
			continue
		}
		nb, ok := sb[id]
		switch {
		case !ok:
			cs.Ended = append(cs.Ended, change(s, "deleted"))
		case nb.p.ix.aStop[nb.a] <= nb.p.S:
			how := "superseded"
			if nb.p.ix.aHow[nb.a] == 2 {
				how = "retracted"
			}
			cs.Ended = append(cs.Ended, change(nb, how))
		}
	}
	byKey := func(x, y StatementChange) int {
		return cmp.Or(strings.Compare(x.Incident, y.Incident), strings.Compare(x.ID, y.ID))
	}
	slices.SortFunc(cs.NewStatements, byKey)
	slices.SortFunc(cs.Ended, byKey)
	return cs, nil
}

// ExternalOps runs the external-operations report (Index.ExternalOps over
// the live rows of every layer).
func (s *Snapshot) ExternalOps(ctx context.Context, p analysis.ExternalOpsParams) (*analysis.ExternalOpsReport, error) {
	if s.simple() {
		return s.base().ExternalOps(ctx, p)
	}
	base := s.base()
	org := p.Org
	if org == "" && p.RelatedTo != "" {
		org = base.g.Root(p.RelatedTo, p.To)
	}
	if org == "" {
		org = "is"
	}
	S := int32(p.AsOf)
	from, to := int32(p.From), int32(p.To)
	var ids []string
	for _, ix := range s.ixs {
		code, ok := ix.actorD.lookup(org)
		if !ok {
			continue
		}
		segs, _ := ix.org.underSet(int32(code))
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
		incs, err = base.src.Incidents(ctx, plotline.IncidentFilter{IDs: ids}, plotline.AsOf{Recorded: base.recorded})
		if err != nil {
			return nil, err
		}
		if err := base.withLinked(ctx, incs); err != nil {
			return nil, err
		}
		for _, ix := range s.ixs {
			if ix.view != nil { // every layer's view has the same visibility
				incs = ix.redact(incs)
				break
			}
		}
	}
	rep := analysis.ExternalOps(base.g, incs, p)
	rep.Withheld = s.withheldPtr()
	c := &rep.Coverage
	known, first, last := 0, int32(noDay), int32(-noDay)
	seen := map[string]bool{}
	for _, ix := range s.ixs {
		origin := ix.cat["origin"]
		for r := range int32(ix.n) {
			if ix.pEnd[r] > S || ix.rowWithheld(r) || isDead(ix.dead, r) {
				continue
			}
			known++
			first, last = min(first, ix.dStart[r]), max(last, ix.dEnd[r])
			seen[origin.d.s[origin.at(r)]] = true
		}
	}
	c.IncidentsKnown = known
	c.First, c.Last = "", ""
	if known > 0 {
		c.First, c.Last = plotline.Day(first).String(), plotline.Day(last).String()
	}
	c.Origins = []string{}
	for o := range seen {
		if o == "" {
			o = "curated"
		}
		c.Origins = append(c.Origins, o)
	}
	slices.Sort(c.Origins)
	return rep, nil
}
