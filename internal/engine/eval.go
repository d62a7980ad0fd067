package engine

import (
	"context"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/query"
)

// filter keeps the rows of sel that pass; it may reuse sel's storage.
type filter func(sel []int32) []int32

// rangeFilter appends to out the rows in [lo, hi) that pass: the first
// filter of a scan reads the columns directly, without a selection vector.
type rangeFilter func(lo, hi int32, out []int32) []int32

// attrPred tests statement a of incident row.
type attrPred func(a uint32, row int32) bool

// plan is a compiled query over one index.
type plan struct {
	ix      *Index
	rule    analysis.Rule
	S       int32 // world-clock day: statements stated by S and not stopped by S stand
	basisOK []bool
	rank    []int // basis code → rank in the rule's order (-1: not ranked)
	ordered bool
	r0, r1  int32   // rows to scan (date narrowing)
	driver  []int32 // when set, the candidate rows (sorted), instead of r0..r1
	filters []filter
	first   rangeFilter // when set, replaces filters[0] on row ranges
	attrPos []attrPred
	attrNeg []attrPred
	dateLo  plotline.Day // the query's positive date range, for series defaults
	dateHi  plotline.Day
	// liveUnits: units come from the live structures (plan.live, no
	// statement terms).
	liveUnits bool
}

const chunkRows = 1 << 14

// ruleName picks the counting rule of a request.
func ruleName(rule string, q *query.Query) string {
	if rule != "" {
		return rule
	}
	if q != nil && q.Rule() != "" {
		return q.Rule()
	}
	return "any"
}

// compile turns a query into a plan over ix.
func (ix *Index) compile(ctx context.Context, q *query.Query, rule string, asOf plotline.AsOf) (*plan, error) {
	r, err := analysis.ParseRule(ruleName(rule, q))
	if err != nil {
		return nil, err
	}
	p := &plan{ix: ix, rule: r, S: noDay - 1, r0: 0, r1: int32(ix.n), dateLo: query.MinDay, dateHi: query.MaxDay}
	var ranges []rangeFilter   // the range form of each filter, nil when none
	share := map[int]float64{} // estimated share of rows a filter keeps, when known
	defer func() {
		// Without a driver, the filter with a range form that keeps the
		// fewest rows reads them directly.
		if p.driver != nil {
			return
		}
		best := -1
		for i, rf := range ranges {
			if rf == nil {
				continue
			}
			if best < 0 || shareOr(share, i) < shareOr(share, best) {
				best = i
			}
		}
		if best >= 0 {
			p.filters[0], p.filters[best] = p.filters[best], p.filters[0]
			p.first = ranges[best]
		}
	}()
	p.basisOK = make([]bool, len(ix.basisD.s))
	p.rank = make([]int, len(ix.basisD.s))
	for code, name := range ix.basisD.s {
		p.basisOK[code] = slices.Contains(r.Bases, name)
		p.rank[code] = slices.Index(r.Order, name)
	}
	p.ordered = len(r.Order) > 0
	if asOf.Stated != nil {
		p.S = int32(*asOf.Stated)
		pEnd, S := ix.pEnd, p.S
		fl, rf := intRange(pEnd, math.MinInt32, uint32(int64(S)-math.MinInt32))
		p.filters = append(p.filters, fl)
		ranges = append(ranges, rf)
	}
	if fl := ix.withheldFilter(); fl != nil { // a view for a clearance (markings.go)
		p.filters = append(p.filters, fl)
		ranges = append(ranges, nil)
	}
	if ix.dead != nil { // rows replaced by a delta (delta.go)
		p.filters = append(p.filters, bitsetFilter(ix.dead))
		ranges = append(ranges, nil)
	}
	if q == nil {
		return p, nil
	}
	var cands []cand
	var liveCodes []uint32 // the codes of a positive actor term without subtrees
	for ti := range q.Terms {
		t := &q.Terms[ti]
		f, _ := query.Lookup(t.Field)
		switch {
		case f.Name == "rule":
			continue
		case f.Level == query.LevelAttribution:
			pred, err := ix.attrTerm(t, f)
			if err != nil {
				return nil, err
			}
			if t.Not {
				p.attrNeg = append(p.attrNeg, pred)
			} else {
				p.attrPos = append(p.attrPos, pred)
				if f.Name == "actor" {
					codes := ix.actorCodes(t)
					size := 0
					for _, c := range codes {
						size += len(ix.postings["actor"][c])
					}
					cands = append(cands, cand{size, len(codes), func() []int32 { return ix.union("actor", codes) }, -1})
					if !slices.ContainsFunc(t.Values, func(v query.Value) bool { return v.Subtree }) {
						liveCodes = codes
					}
				}
			}
			continue
		case f.Name == "text":
			rows, err := ix.textRows(ctx, t.Values[0].Eq)
			if err != nil {
				return nil, err
			}
			p.filters = append(p.filters, bitmapFilter(rows, ix.n, t.Not))
			ranges = append(ranges, nil)
			if !t.Not {
				cands = append(cands, cand{len(rows), 1, func() []int32 { return rows }, len(p.filters) - 1})
			}
			continue
		}
		flt, rf, err := ix.incidentTerm(t, f)
		if err != nil {
			return nil, err
		}
		if x, ok := ix.termShare(t, f); ok {
			share[len(p.filters)] = x
		}
		p.filters = append(p.filters, flt)
		ranges = append(ranges, rf)
		if t.Not {
			continue
		}
		switch f.Name {
		case "bbox":
			w, s, e, n := query.BBox(t)
			cells := ix.grid.cells(w, s, e, n)
			size := 0
			for _, c := range cells {
				size += int(ix.grid.off[c+1] - ix.grid.off[c])
			}
			cands = append(cands, cand{size, len(cells), func() []int32 { return ix.gridRows(cells, size) }, -1})
		case "country", "event_type":
			c := ix.cat[f.Name]
			var codes []uint32
			size := 0
			for _, v := range t.Values {
				if code, ok := c.d.lookup(v.Eq); ok {
					codes = append(codes, code)
					size += len(ix.postings[f.Name][code])
				}
			}
			name := f.Name
			cands = append(cands, cand{size, len(codes), func() []int32 { return ix.union(name, codes) }, len(p.filters) - 1})
		case "date", "within":
			lo, hi := plotline.Day(query.MaxDay), plotline.Day(query.MinDay)
			for _, v := range t.Values {
				a, b, _ := query.DateBounds(v) // checked by the parser
				lo, hi = min(lo, a), max(hi, b)
			}
			p.dateLo, p.dateHi = max(p.dateLo, lo), min(p.dateHi, hi)
			first := int64(lo)
			if f.Name == "date" {
				first -= int64(ix.maxSpan)
			}
			r0, _ := slices.BinarySearch(ix.dStart, int32(max(first, math.MinInt32)))
			r1, _ := slices.BinarySearch(ix.dStart, int32(min(int64(hi)+1, math.MaxInt32)))
			p.r0, p.r1 = max(p.r0, int32(r0)), min(p.r1, int32(r1))
		}
	}
	if p.r1 < p.r0 {
		p.r1 = p.r0
	}
	live := p.live()
	p.liveUnits = live && len(p.attrPos) == 0 && len(p.attrNeg) == 0
	liveCand := -1
	if live && len(p.attrPos) == 1 && len(p.attrNeg) == 0 && liveCodes != nil {
		// The rows where the actor has a counted statement: as a driver,
		// they are the statement term itself.
		size := 0
		for _, c := range liveCodes {
			size += len(ix.live.actor[c])
		}
		liveCand = len(cands)
		cands = append(cands, cand{size, len(liveCodes), func() []int32 { return unionLists(ix.live.actor, liveCodes, ix.n) }, -1})
	}
	// Drive from the smallest posting list when it is much smaller than the range.
	// A union of posting lists costs a few times a plain one (a bitmap
	// pass), and a scan reads about four rows in the time a driver row
	// costs.
	best := -1
	for i, c := range cands {
		if best < 0 || c.cost() < cands[best].cost() || (c.cost() == cands[best].cost() && i == liveCand) {
			best = i
		}
	}
	if best >= 0 && (cands[best].cost() < int(p.r1-p.r0)/4 || best == liveCand) {
		rows := cands[best].rows()
		lo, _ := slices.BinarySearch(rows, p.r0)
		hi, _ := slices.BinarySearch(rows, p.r1)
		p.driver = rows[lo:hi]
		if p.driver == nil {
			p.driver = []int32{}
		}
		if k := cands[best].covers; k >= 0 {
			p.filters = slices.Delete(p.filters, k, k+1)
			ranges = slices.Delete(ranges, k, k+1)
		}
	}
	if (len(p.attrPos) > 0 || len(p.attrNeg) > 0) && !(p.driver != nil && best == liveCand) {
		p.filters = append(p.filters, p.attrFilter())
		ranges = append(ranges, nil)
	}
	return p, nil
}

func shareOr(share map[int]float64, i int) float64 {
	if x, ok := share[i]; ok {
		return x
	}
	return 1
}

// termShare estimates the share of rows an incident term keeps: exactly
// for coded columns, from a histogram for small numbers.
func (ix *Index) termShare(t *query.Term, f query.Field) (float64, bool) {
	if ix.n == 0 {
		return 0, false
	}
	var x float64
	switch f.Type {
	case query.TypeEnum, query.TypeString, query.TypeCountry:
		if f.Name == "id" || f.Name == "weapon" || f.Name == "tag" || f.Name == "source" {
			return 0, false
		}
		c := &ix.prec
		if f.Name != "precision" {
			c = ix.cat[f.Name]
		}
		if c.n == nil {
			return 0, false
		}
		k := 0
		for _, v := range t.Values {
			val := v.Eq
			if f.Name == "origin" && val == "curated" {
				val = ""
			}
			if code, ok := c.d.lookup(val); ok {
				k += int(c.n[code])
			}
		}
		x = float64(k) / float64(ix.n)
	case query.TypeInt:
		for _, v := range t.Values {
			lo, hi, _ := query.IntBounds(v)
			x += ix.intShare(f.Name, lo, hi)
		}
	default:
		return 0, false
	}
	x = min(x, 1)
	if t.Not {
		x = 1 - x
	}
	return x, true
}

// cand is a candidate driver of a scan: the rows of some posting lists.
type cand struct {
	size  int // rows in the lists
	lists int
	rows  func() []int32
	// covers is the filter the rows satisfy by construction (the term's
	// own, not needed when they drive the scan), or -1.
	covers int
}

// cost estimates the work of producing the rows.
func (c cand) cost() int {
	if c.lists > 1 {
		return 3 * c.size
	}
	return c.size
}

// union returns the sorted, distinct rows in the posting lists of codes.
func (ix *Index) union(name string, codes []uint32) []int32 {
	return unionLists(ix.postings[name], codes, ix.n)
}

// unionLists returns the sorted, distinct rows in lists[c] for the codes,
// n rows in all.
func unionLists(lists [][]int32, codes []uint32, n int) []int32 {
	switch len(codes) {
	case 0:
		return []int32{}
	case 1:
		return lists[codes[0]]
	}
	bm := make([]uint64, (n+63)/64)
	size := 0
	for _, c := range codes {
		for _, r := range lists[c] {
			bm[r>>6] |= 1 << (r & 63)
		}
		size += len(lists[c])
	}
	return bitmapRows(bm, size)
}

// gridRows returns the sorted rows in the grid cells.
func (ix *Index) gridRows(cells []int32, size int) []int32 {
	bm := make([]uint64, (ix.n+63)/64)
	for _, c := range cells {
		for _, r := range ix.grid.rows[ix.grid.off[c]:ix.grid.off[c+1]] {
			bm[r>>6] |= 1 << (r & 63)
		}
	}
	return bitmapRows(bm, size)
}

func bitmapRows(bm []uint64, hint int) []int32 {
	out := make([]int32, 0, hint)
	for w, word := range bm {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			out = append(out, int32(w*64+b))
			word &= word - 1
		}
	}
	return out
}

func bitmapFilter(rows []int32, n int, not bool) filter {
	bm := make([]uint64, (n+63)/64)
	for _, r := range rows {
		bm[r>>6] |= 1 << (r & 63)
	}
	return func(sel []int32) []int32 {
		out := sel[:0]
		for _, i := range sel {
			if (bm[i>>6]&(1<<(i&63)) != 0) != not {
				out = append(out, i)
			}
		}
		return out
	}
}

// textRows asks the store's full-text index and maps its keys to rows.
func (ix *Index) textRows(ctx context.Context, text string) ([]int32, error) {
	keys, err := ix.src.MatchText(ctx, text, ix.recorded)
	if err != nil {
		return nil, err
	}
	rows := make([]int32, 0, len(keys))
	for _, k := range keys {
		if r, ok := ix.rowOfKey(k); ok {
			rows = append(rows, r)
		}
	}
	slices.Sort(rows)
	return slices.Compact(rows), nil
}

// b2i is 1 for true. The filter constructors below are not inlined: the
// copies of their closures in a caller would call b2i once per row instead
// of inlining it (four times slower).
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// pred builds both forms of a filter from a row predicate (called once per
// row: hot predicates have loops of their own).
//
//go:noinline
func pred(keep func(i int32) bool) (filter, rangeFilter) {
	return func(sel []int32) []int32 {
			n := 0
			for _, i := range sel {
				sel[n] = i
				n += b2i(keep(i))
			}
			return sel[:n]
		}, func(lo, hi int32, out []int32) []int32 {
			n := len(out)
			out = slices.Grow(out, int(hi-lo))[:n+int(hi-lo)]
			for i := lo; i < hi; i++ {
				out[n] = i
				n += b2i(keep(i))
			}
			return out[:n]
		}
}

// catFilter keeps rows whose code is marked in lut (or not, when not).
func catFilter(c *col, lut []bool, not bool) (filter, rangeFilter) {
	if not {
		for i := range lut {
			lut[i] = !lut[i]
		}
	}
	switch {
	case c.u8 != nil:
		return codeFilter(c.u8, lut)
	case c.u16 != nil:
		return codeFilter(c.u16, lut)
	}
	return codeFilter(c.u32, lut)
}

//go:noinline
func codeFilter[T uint8 | uint16 | uint32](codes []T, lut []bool) (filter, rangeFilter) {
	return func(sel []int32) []int32 {
			n := 0
			for _, i := range sel {
				sel[n] = i
				n += b2i(lut[codes[i]])
			}
			return sel[:n]
		}, func(lo, hi int32, out []int32) []int32 {
			n := len(out)
			out = slices.Grow(out, int(hi-lo))[:n+int(hi-lo)]
			for i, c := range codes[lo:hi] {
				out[n] = lo + int32(i)
				n += b2i(lut[c])
			}
			return out[:n]
		}
}

func rowFilter(keep func(i int32) bool, not bool) filter {
	f, _ := pred(func(i int32) bool { return keep(i) != not })
	return f
}

// incidentTerm compiles a term on the incident's own columns; the range
// form is nil when the term has none.
func (ix *Index) incidentTerm(t *query.Term, f query.Field) (filter, rangeFilter, error) {
	switch f.Type {
	case query.TypeEnum, query.TypeString, query.TypeCountry:
		if f.Name == "id" {
			want := map[string]bool{}
			for _, v := range t.Values {
				want[v.Eq] = true
			}
			var rows []int32
			for i := range int32(ix.n) {
				if want[ix.ids.get(i)] {
					rows = append(rows, i)
				}
			}
			return bitmapFilter(rows, ix.n, t.Not), nil, nil
		}
		if f.Name == "weapon" || f.Name == "tag" || f.Name == "source" {
			lut := make([]bool, len(ix.mv.s))
			for _, v := range t.Values {
				if c, ok := ix.mv.lookup(f.Name + "\x00" + v.Eq); ok {
					lut[c] = true
				}
			}
			off, codes := ix.mvOff, ix.mvCodes
			return rowFilter(func(i int32) bool {
				for _, c := range codes[off[i]:off[i+1]] {
					if lut[c] {
						return true
					}
				}
				return false
			}, t.Not), nil, nil
		}
		c := ix.prec
		if f.Name != "precision" {
			c = *ix.cat[f.Name]
		}
		lut := make([]bool, len(c.d.s))
		for _, v := range t.Values {
			val := v.Eq
			if f.Name == "origin" && val == "curated" {
				val = ""
			}
			if code, ok := c.d.lookup(val); ok {
				lut[code] = true
			}
		}
		fl, rf := catFilter(&c, lut, t.Not)
		return fl, rf, nil
	case query.TypeDate:
		return ix.dateTerm(t, f)
	case query.TypeInt:
		type rng struct{ lo, hi int64 }
		var rs []rng
		for _, v := range t.Values {
			lo, hi, _ := query.IntBounds(v) // checked by the parser
			rs = append(rs, rng{lo, hi})
		}
		vals := ix.num[f.Name]
		if len(rs) == 1 && !t.Not {
			// Unknown (-1) never matches: lo is at least 0.
			lo := int32(min(max(rs[0].lo, 0), math.MaxInt32))
			hi := int32(min(max(rs[0].hi, -1), math.MaxInt32))
			if hi < lo {
				fl, rf := pred(func(int32) bool { return false })
				return fl, rf, nil
			}
			if b := ix.num8[f.Name]; b != nil && (hi <= 253 || (lo <= 254 && hi >= ix.numMax[f.Name])) {
				// The byte column answers exactly: values up to 253 are
				// exact, and every row above matches when hi reaches the
				// column's largest value.
				clo, chi := uint8(lo+1), uint8(min(hi, 254)+1)
				fl, rf := byteRange(b, clo, chi-clo)
				return fl, rf, nil
			}
			fl, rf := intRange(vals, lo, uint32(hi-lo))
			return fl, rf, nil
		}
		return rowFilter(func(i int32) bool {
			x := int64(vals[i])
			if x < 0 {
				return false
			}
			for _, r := range rs {
				if x >= r.lo && x <= r.hi {
					return true
				}
			}
			return false
		}, t.Not), nil, nil
	case query.TypeBBox:
		w, s, e, n := query.BBox(t)
		W, S, E, N := float32(w), float32(s), float32(e), float32(n)
		fl, rf := bboxFilter(ix.lat, ix.lon, W, S, E, N, t.Not)
		return fl, rf, nil
	}
	return nil, nil, query.Errorf(t.Pos, f.Name, "%s cannot be used here", f.Name)
}

// dateTerm compiles date, disclosed and within terms.
func (ix *Index) dateTerm(t *query.Term, f query.Field) (filter, rangeFilter, error) {
	type rng struct{ lo, hi int32 }
	var rs []rng
	for _, v := range t.Values {
		lo, hi, _ := query.DateBounds(v) // checked by the parser
		rs = append(rs, rng{int32(lo), int32(hi)})
	}
	start, end := ix.dStart, ix.dEnd
	if f.Name == "disclosed" {
		start, end = ix.pStart, ix.pEnd
	}
	not := t.Not
	if f.Name == "within" {
		fl, rf := pred(func(i int32) bool {
			in := false
			for _, r := range rs {
				in = in || (start[i] >= r.lo && end[i] <= r.hi)
			}
			return in != not
		})
		return fl, rf, nil
	}
	if len(rs) != 1 || not || f.Name != "date" || !ix.endsOrdered {
		fl, rf := pred(func(i int32) bool {
			in := false
			for _, r := range rs {
				in = in || (start[i] <= r.hi && end[i] >= r.lo && end[i] != noDay)
			}
			return in != not
		})
		return fl, rf, nil
	}
	// One range on the date: rows are sorted by start day, and a row that
	// starts inside the range overlaps it (its end is not before its
	// start), so only rows starting before it need their end checked.
	L, H := rs[0].lo, rs[0].hi
	s0, _ := slices.BinarySearch(ix.dStart, L)
	s1, _ := slices.BinarySearch(ix.dStart, int32(min(int64(H)+1, math.MaxInt32)))
	sure0, sure1 := int32(s0), int32(s1)
	overlaps := func(sel []int32) []int32 {
		n := 0
		for _, i := range sel {
			sel[n] = i
			n += b2i((i >= sure0 && i < sure1) || (start[i] <= H && end[i] >= L))
		}
		return sel[:n]
	}
	return func(sel []int32) []int32 {
			if len(sel) > 0 && sel[0] >= sure0 && sel[len(sel)-1] < sure1 {
				return sel
			}
			return overlaps(sel)
		}, func(lo, hi int32, out []int32) []int32 {
			k := len(out)
			out = slices.Grow(out, int(hi-lo))[:k+int(hi-lo)]
			for i := lo; i < hi; i++ {
				out[k] = i
				k += b2i((i >= sure0 && i < sure1) || (start[i] <= H && end[i] >= L))
			}
			return out[:k]
		}, nil
}

func inBox(y, x, W, S, E, N float32, wrap, not bool) bool {
	return (y >= S && y <= N && ((!wrap && x >= W && x <= E) || (wrap && (x >= W || x <= E)))) != not
}

// intRange keeps rows whose value v has 0 <= v-lo <= w (unsigned: one
// comparison).
//
//go:noinline
func intRange(vals []int32, lo int32, w uint32) (filter, rangeFilter) {
	return func(sel []int32) []int32 {
			n := 0
			for _, i := range sel {
				sel[n] = i
				n += b2i(uint32(vals[i]-lo) <= w)
			}
			return sel[:n]
		}, func(lo0, hi int32, out []int32) []int32 {
			k := len(out)
			out = slices.Grow(out, int(hi-lo0))[:k+int(hi-lo0)]
			for i, v := range vals[lo0:hi] {
				out[k] = lo0 + int32(i)
				k += b2i(uint32(v-lo) <= w)
			}
			return out[:k]
		}
}

// byteRange keeps rows whose byte b has 0 <= b-lo <= w (unsigned).
//
//go:noinline
func byteRange(vals []uint8, lo, w uint8) (filter, rangeFilter) {
	return func(sel []int32) []int32 {
			n := 0
			for _, i := range sel {
				sel[n] = i
				n += b2i(vals[i]-lo <= w)
			}
			return sel[:n]
		}, func(lo0, hi int32, out []int32) []int32 {
			k := len(out)
			out = slices.Grow(out, int(hi-lo0))[:k+int(hi-lo0)]
			for i, v := range vals[lo0:hi] {
				out[k] = lo0 + int32(i)
				k += b2i(v-lo <= w)
			}
			return out[:k]
		}
}

// bboxFilter keeps rows inside (or, with not, outside) a box; W > E wraps
// around the antimeridian. Unknown coordinates (NaN) are never inside.
//
//go:noinline
func bboxFilter(lat, lon []float32, W, S, E, N float32, not bool) (filter, rangeFilter) {
	wrap := W > E
	return func(sel []int32) []int32 {
			n := 0
			for _, i := range sel {
				sel[n] = i
				n += b2i(inBox(lat[i], lon[i], W, S, E, N, wrap, not))
			}
			return sel[:n]
		}, func(lo, hi int32, out []int32) []int32 {
			k := len(out)
			out = slices.Grow(out, int(hi-lo))[:k+int(hi-lo)]
			lat, lon := lat[lo:hi], lon[lo:hi]
			for i := range lat {
				out[k] = lo + int32(i)
				k += b2i(inBox(lat[i], lon[i], W, S, E, N, wrap, not))
			}
			return out[:k]
		}
}

// actorCodes resolves an actor term to every actor code it can match on
// some day (for posting lists).
func (ix *Index) actorCodes(t *query.Term) []uint32 {
	var out []uint32
	for _, v := range t.Values {
		id, ok := ix.g.Resolve(v.Eq)
		if !ok {
			continue
		}
		c, ok := ix.actorD.lookup(id)
		if !ok {
			continue
		}
		if v.Subtree {
			_, under := ix.org.underSet(int32(c))
			out = append(out, under...)
		} else {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// attrTerm compiles a term on statements.
func (ix *Index) attrTerm(t *query.Term, f query.Field) (attrPred, error) {
	lutOf := func(d *dict, fold bool) []bool {
		lut := make([]bool, len(d.s))
		for _, v := range t.Values {
			for code, s := range d.s {
				if s == v.Eq || (fold && strings.EqualFold(s, v.Eq)) {
					lut[code] = true
				}
			}
		}
		return lut
	}
	switch f.Name {
	case "actor":
		type alt struct {
			code uint32
			segs []bool
		}
		var alts []alt
		for _, v := range t.Values {
			id, ok := ix.g.Resolve(v.Eq)
			if !ok {
				return nil, query.Errorf(v.Pos, "actor", "actor: no actor is called %q", v.Eq)
			}
			c, ok := ix.actorD.lookup(id) // every graph actor has a code
			if !ok {
				continue
			}
			if v.Subtree {
				segs, _ := ix.org.underSet(int32(c))
				alts = append(alts, alt{c, segs})
			} else {
				alts = append(alts, alt{code: c})
			}
		}
		actor, org, start := ix.aActor, ix.org, ix.dStart
		return func(a uint32, row int32) bool {
			c := actor[a]
			for _, x := range alts {
				if c == x.code || (x.segs != nil && x.segs[org.seg(c, start[row])]) {
					return true
				}
			}
			return false
		}, nil
	case "basis", "link", "likelihood", "confidence":
		col := map[string][]uint8{"basis": ix.aBasis, "link": ix.aLink, "likelihood": ix.aLik, "confidence": ix.aConf}[f.Name]
		d := map[string]*dict{"basis": ix.basisD, "link": ix.linkD, "likelihood": ix.likD, "confidence": ix.confD}[f.Name]
		lut := lutOf(d, false)
		return func(a uint32, _ int32) bool { return lut[col[a]] }, nil
	case "by":
		lut := lutOf(ix.byD, false)
		by := ix.aBy
		return func(a uint32, _ int32) bool { return lut[by[a]] }, nil
	case "stated":
		type rng struct{ lo, hi int32 }
		var rs []rng
		for _, v := range t.Values {
			lo, hi, _ := query.DateBounds(v)
			rs = append(rs, rng{int32(lo), int32(hi)})
		}
		s, e := ix.aSStart, ix.aStated
		return func(a uint32, _ int32) bool {
			for _, r := range rs {
				if s[a] <= r.hi && e[a] >= r.lo && e[a] != noDay {
					return true
				}
			}
			return false
		}, nil
	case "external":
		want := t.Values[0].Eq == "true"
		target := ix.cat["target"]
		actor, org, start := ix.aActor, ix.org, ix.dStart
		return func(a uint32, row int32) bool {
			return org.external(actor[a], target.at(row), start[row]) == want
		}, nil
	}
	return nil, query.Errorf(t.Pos, f.Name, "%s cannot be used here", f.Name)
}

// counted appends to buf the statements of row that count under the plan's
// rule as known on its world-clock day (analysis.Rule.Counted).
func (p *plan) counted(row int32, buf []uint32) []uint32 {
	ix := p.ix
	buf = buf[:0]
	best := -1
	for a := ix.aOff[row]; a < ix.aOff[row+1]; a++ {
		if ix.aStated[a] <= p.S && ix.aStop[a] > p.S && p.basisOK[ix.aBasis[a]] {
			buf = append(buf, a)
			if p.ordered {
				if r := p.rank[ix.aBasis[a]]; r >= 0 && (best < 0 || r < best) {
					best = r
				}
			}
		}
	}
	if !p.ordered || len(buf) == 0 {
		return buf
	}
	out := buf[:0]
	for _, a := range buf {
		if p.rank[ix.aBasis[a]] == best {
			out = append(out, a)
		}
	}
	return out
}

// matching appends the counted statements of row that satisfy every
// positive statement term.
func (p *plan) matching(row int32, buf []uint32) []uint32 {
	buf = p.counted(row, buf)
	if len(p.attrPos) == 0 {
		return buf
	}
	out := buf[:0]
	for _, a := range buf {
		ok := true
		for _, pred := range p.attrPos {
			if !pred(a, row) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, a)
		}
	}
	return out
}

func (p *plan) attrFilter() filter {
	if !p.ordered && len(p.attrNeg) == 0 && len(p.attrPos) == 1 {
		// The common case (one statement term, a rule without an order):
		// the counting test inline, no statement list.
		ix, S, basisOK, pred := p.ix, p.S, p.basisOK, p.attrPos[0]
		aOff, aStated, aStop, aBasis := ix.aOff, ix.aStated, ix.aStop, ix.aBasis
		return func(sel []int32) []int32 {
			// Rows of a driver are scattered: load every row's statement
			// range first (independent loads the CPU overlaps), then test.
			var lo, hi [256]uint32
			n := 0
			for base := 0; base < len(sel); base += len(lo) {
				batch := sel[base:min(len(sel), base+len(lo))]
				for k, row := range batch {
					lo[k], hi[k] = aOff[row], aOff[row+1]
				}
				for k, row := range batch {
					found := false
					for a := lo[k]; a < hi[k] && !found; a++ {
						found = aStated[a] <= S && aStop[a] > S && basisOK[aBasis[a]] && pred(a, row)
					}
					sel[n] = row
					n += b2i(found)
				}
			}
			return sel[:n]
		}
	}
	return func(sel []int32) []int32 {
		var buf []uint32
		out := sel[:0]
		for _, row := range sel {
			buf = p.counted(row, buf)
			if len(p.attrPos) > 0 {
				found := false
				for _, a := range buf {
					ok := true
					for _, pred := range p.attrPos {
						if !pred(a, row) {
							ok = false
							break
						}
					}
					if ok {
						found = true
						break
					}
				}
				if !found {
					continue
				}
			}
			keep := true
			for _, pred := range p.attrNeg {
				for _, a := range buf {
					if pred(a, row) {
						keep = false
						break
					}
				}
				if !keep {
					break
				}
			}
			if keep {
				out = append(out, row)
			}
		}
		return out
	}
}

// scan runs the plan in parallel chunks; fn receives each chunk's matching
// rows (ascending) with the worker's number (0 ≤ w < workers()).
func (p *plan) scan(ctx context.Context, fn func(w int, sel []int32)) error {
	return p.scanChunks(ctx, func(w, _ int, sel []int32) { fn(w, sel) })
}

// chunks returns how many chunks scanChunks splits the rows into.
func (p *plan) chunks() int {
	if p.driver != nil {
		return (len(p.driver) + chunkRows - 1) / chunkRows
	}
	return (int(p.r1-p.r0) + chunkRows - 1) / chunkRows
}

// scanChunks is scan telling fn the chunk k (0 ≤ k < chunks()) as well:
// chunk k's rows all come before chunk k+1's, and fn is called at most once
// per chunk.
func (p *plan) scanChunks(ctx context.Context, fn func(w, k int, sel []int32)) error {
	nchunks := p.chunks()
	workers := min(p.workers(), nchunks)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sel := make([]int32, 0, chunkRows)
			for {
				k := int(next.Add(1) - 1)
				if k >= nchunks || ctx.Err() != nil {
					return
				}
				sel = sel[:0]
				filters := p.filters
				switch {
				case p.driver != nil:
					sel = append(sel, p.driver[k*chunkRows:min(len(p.driver), (k+1)*chunkRows)]...)
				case p.first != nil:
					lo := p.r0 + int32(k*chunkRows)
					sel = p.first(lo, min(p.r1, lo+chunkRows), sel)
					filters = filters[1:]
				default:
					lo := p.r0 + int32(k*chunkRows)
					hi := min(p.r1, lo+chunkRows)
					for i := lo; i < hi; i++ {
						sel = append(sel, i)
					}
				}
				for _, f := range filters {
					if len(sel) == 0 {
						break
					}
					sel = f(sel)
				}
				if len(sel) > 0 {
					fn(w, k, sel)
				}
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

func (p *plan) workers() int { return max(1, runtime.GOMAXPROCS(0)) }
