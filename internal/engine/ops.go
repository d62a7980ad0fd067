package engine

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/query"
)

// rows runs the plan and returns the matching rows, ascending: the chunks'
// rows concatenated in chunk order.
func (p *plan) rows(ctx context.Context) ([]int32, error) {
	if p.unfiltered() {
		out := make([]int32, p.r1-p.r0)
		for i := range out {
			out[i] = p.r0 + int32(i)
		}
		return out, ctx.Err()
	}
	parts := make([][]int32, p.chunks())
	err := p.scanChunks(ctx, func(_, k int, sel []int32) { parts[k] = slices.Clone(sel) })
	if err != nil {
		return nil, err
	}
	return slices.Concat(parts...), nil
}

// unfiltered reports whether every row of r0..r1 matches.
func (p *plan) unfiltered() bool { return len(p.filters) == 0 && p.driver == nil }

// page runs the plan and returns how many rows match and the matching rows
// of ranks lo..hi (ascending; hi < 0: to the end). Each chunk keeps at most
// its first hi rows, so a first page costs a scan without a sort, and an
// unfiltered one not even that.
func (p *plan) page(ctx context.Context, lo, hi int) (rows []int32, total int, err error) {
	if p.unfiltered() {
		total = int(p.r1 - p.r0)
		if hi < 0 || hi > total {
			hi = total
		}
		lo = min(lo, hi)
		rows = make([]int32, hi-lo)
		for i := range rows {
			rows[i] = p.r0 + int32(lo+i)
		}
		return rows, total, ctx.Err()
	}
	n := p.chunks()
	counts := make([]int, n)
	kept := make([][]int32, n)
	err = p.scanChunks(ctx, func(_, k int, sel []int32) {
		counts[k] = len(sel)
		if hi >= 0 && len(sel) > hi {
			sel = sel[:hi]
		}
		kept[k] = slices.Clone(sel)
	})
	if err != nil {
		return nil, 0, err
	}
	rank := 0 // rank of the first row of chunk k
	for k := range n {
		if (hi < 0 || rank < hi) && rank+counts[k] > lo {
			from := max(lo-rank, 0)
			to := len(kept[k])
			if hi >= 0 {
				to = min(to, hi-rank)
			}
			rows = append(rows, kept[k][from:to]...)
		}
		rank += counts[k]
	}
	return rows, rank, nil
}

// idBytes returns the ID of row without copying.
func (ix *Index) idBytes(i int32) []byte { return ix.ids.b[ix.ids.off[i]:ix.ids.off[i+1]] }

// sortByDateID orders rows by date start, then ID, as the store lists them.
// Rows of the index's sorted prefix (ix.sorted) are in that order already:
// ascending rows there need no work.
func (ix *Index) sortByDateID(rows []int32) {
	if len(rows) == 0 || (rows[len(rows)-1] < int32(ix.sorted) && slices.IsSorted(rows)) {
		return
	}
	slices.SortFunc(rows, func(a, b int32) int {
		if c := cmp.Compare(ix.dStart[a], ix.dStart[b]); c != 0 {
			return c
		}
		return bytes.Compare(ix.idBytes(a), ix.idBytes(b))
	})
}

// Match lists the matching incident IDs, ordered by date then ID. The rows
// are laid out in that order (ix.sorted), so only the page is collected.
func (ix *Index) Match(ctx context.Context, req Request) (*Matches, error) {
	p, err := ix.compile(ctx, req.Query, req.Rule, req.AsOf)
	if err != nil {
		return nil, err
	}
	lo, hi := max(req.Offset, 0), -1
	if req.Limit > 0 {
		hi = lo + req.Limit
	}
	var rows []int32
	var total int
	if ix.sorted == ix.n {
		rows, total, err = p.page(ctx, lo, hi)
		if err != nil {
			return nil, err
		}
	} else {
		if rows, err = p.rows(ctx); err != nil {
			return nil, err
		}
		ix.sortByDateID(rows)
		total = len(rows)
		if hi < 0 || hi > total {
			hi = total
		}
		rows = rows[min(lo, hi):hi]
	}
	m := &Matches{Total: total, IDs: make([]string, len(rows))}
	for i, r := range rows {
		m.IDs[i] = ix.ids.get(r)
	}
	m.Linked = ix.linkedOf(m.IDs)
	return m, nil
}

// Dimensions lists the GroupBy dimensions.
var Dimensions = []string{"kind", "outcome", "stage", "precision", "country", "admin1", "place", "locprec", "target", "target_type",
	"event_type", "origin", "documentation", "year", "half", "quarter", "month", "week",
	"unit", "basis", "link", "core", "directorate", "office", "province", "org"}

// dim is a compiled grouping dimension. Incident dimensions give one code
// per row; statement dimensions a set of codes per row.
type dim struct {
	name   string
	card   uint64
	row    func(row int32) uint32
	gather func(sel []int32, keys []uint64)                              // keys[i] = keys[i]*card + code of sel[i]
	set    func(p *plan, row int32, buf []uint32, sc *[]uint32) []uint32 // sc: scratch for statements
	label  func(code uint32) string
	// rank, when set, gives each code's rank among the labels (the same
	// order as comparing labels: dictionary labels are distinct).
	rank func() []int32
}

func (ix *Index) dim(name string) (*dim, error) {
	d := &dim{name: name}
	switch name {
	case "year", "half", "quarter", "month", "week":
		bucket, _, label := interval(name)
		lo, hi := bucket(ix.minDay), bucket(ix.maxDay)
		if ix.n == 0 {
			lo, hi = 0, 0
		}
		d.card = uint64(hi-lo) + 2
		start, end := ix.dStart, ix.dEnd
		d.row = func(r int32) uint32 {
			b := bucket(start[r])
			if bucket(end[r]) != b {
				return 0
			}
			return uint32(b-lo) + 1
		}
		d.label = func(c uint32) string {
			if c == 0 {
				return "~imprecise"
			}
			return label(int64(c) - 1 + lo)
		}
		if div := map[string]int32{"month": 1, "quarter": 3, "half": 6, "year": 12}[name]; div > 0 {
			ms, me, card := ix.mStart, ix.mEnd, d.card
			lo32 := int32(lo)
			d.gather = func(sel []int32, keys []uint64) {
				for i, r := range sel {
					b := ms[r] / div // month numbers are positive for years ≥ 1
					c := uint64(0)
					if me[r]/div == b {
						c = uint64(b-lo32) + 1
					}
					keys[i] = keys[i]*card + c
				}
			}
		}
		return d, nil
	case "unit", "core", "directorate", "office", "province", "org", "basis", "link":
		return ix.statementDim(name), nil
	}
	if !slices.Contains(Dimensions, name) {
		return nil, plotline.FieldError("group_by", "%q is not a dimension (one of %s)", name, strings.Join(Dimensions, ", "))
	}
	c := ix.prec
	if name != "precision" {
		c = *ix.cat[name]
	}
	d.card = uint64(len(c.d.s))
	d.row = c.at
	switch {
	case c.u8 != nil:
		d.gather = gatherCodes(c.u8, d.card)
	case c.u16 != nil:
		d.gather = gatherCodes(c.u16, d.card)
	default:
		d.gather = gatherCodes(c.u32, d.card)
	}
	if name != "origin" { // origin labels code 0 "curated"
		d.rank = c.d.labelRank
	}
	d.label = func(code uint32) string {
		if name == "origin" && code == 0 {
			return "curated"
		}
		return c.d.s[code]
	}
	return d, nil
}

func (ix *Index) statementDim(name string) *dim {
	d := &dim{name: name, card: uint64(len(ix.actorD.s))}
	actorLabel := func(c uint32) string { return ix.actorD.s[c] }
	d.label = actorLabel
	switch name {
	case "basis", "link":
		col, dc := ix.aBasis, ix.basisD
		if name == "link" {
			col, dc = ix.aLink, ix.linkD
		}
		d.card = uint64(len(dc.s))
		d.label = func(c uint32) string { return dc.s[c] }
		d.set = func(p *plan, row int32, buf []uint32, sc *[]uint32) []uint32 {
			out := buf[:0]
			*sc = p.matching(row, *sc)
			for _, a := range *sc {
				out = appendDistinct(out, uint32(col[a]))
			}
			return out
		}
		return d
	}
	var up []uint32 // per segment: the roll-up target
	switch name {
	case "org":
		up = make([]uint32, len(ix.org.root))
		for s, r := range ix.org.root {
			up[s] = uint32(r)
		}
	case "core", "directorate", "office", "province":
		up = ix.org.rollUp(ix, name)
	}
	d.set = func(p *plan, row int32, buf []uint32, sc *[]uint32) []uint32 {
		units := p.units(row, buf, sc)
		if up == nil {
			return units
		}
		out := units[:0]
		day := ix.dStart[row]
		for _, u := range units {
			if t := up[ix.org.seg(u, day)]; t != 0 {
				out = appendDistinct(out, t)
			}
		}
		return out
	}
	return d
}

func gatherCodes[T uint8 | uint16 | uint32](codes []T, card uint64) func([]int32, []uint64) {
	return func(sel []int32, keys []uint64) {
		for i, r := range sel {
			keys[i] = keys[i]*card + uint64(codes[r])
		}
	}
}

func appendDistinct(s []uint32, v uint32) []uint32 {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// units returns the most specific distinct units named by the matching
// counted statements of row (analysis.Graph.MostSpecific), in buf; sc is
// scratch space for the statements.
func (p *plan) units(row int32, buf []uint32, sc *[]uint32) []uint32 {
	ix := p.ix
	if p.liveUnits {
		return ix.liveUnits(row, buf)
	}
	ids := buf[:0]
	if !p.ordered && len(p.attrPos) == 0 {
		// Every counted statement matches: test them inline.
		for a := ix.aOff[row]; a < ix.aOff[row+1]; a++ {
			if ix.aStated[a] <= p.S && ix.aStop[a] > p.S && p.basisOK[ix.aBasis[a]] {
				ids = appendDistinct(ids, ix.aActor[a])
			}
		}
	} else {
		*sc = p.matching(row, *sc)
		for _, a := range *sc {
			ids = appendDistinct(ids, ix.aActor[a])
		}
	}
	return ix.mostSpecific(ids, ix.dStart[row])
}

// mostSpecific drops from ids every unit that another one lies under on
// day (analysis.Graph.MostSpecific), in place.
func (ix *Index) mostSpecific(ids []uint32, day int32) []uint32 {
	if len(ids) < 2 {
		return ids
	}
	// Drop every unit that another one lies under (marked first, so that
	// every comparison sees all units).
	var small [16]bool
	var drop []bool
	if len(ids) > len(small) {
		drop = make([]bool, len(ids))
	} else {
		drop = small[:len(ids)]
	}
	for k, id := range ids {
		for _, other := range ids {
			if other != id && slices.Contains(ix.org.anc[ix.org.seg(other, day)], int32(id)) {
				drop[k] = true
				break
			}
		}
	}
	n := 0
	for k, id := range ids {
		if !drop[k] {
			ids[n] = id
			n++
		}
	}
	return ids[:n]
}

// measure returns the per-row value function of a measure.
func (ix *Index) measure(m string) (func(int32) int64, string, error) {
	switch m {
	case "", "count":
		return func(int32) int64 { return 1 }, "count", nil
	case "sum:killed", "sum:injured", "sum:perpetrators", "sum:arrests":
		vals := ix.num[strings.TrimPrefix(m, "sum:")]
		return func(i int32) int64 { return int64(max(vals[i], 0)) }, m, nil
	}
	return nil, "", plotline.FieldError("measure", "%q is not count, sum:killed, sum:injured, sum:perpetrators or sum:arrests", m)
}

type acc struct{ count, value int64 }

// Count groups the matching incidents by up to three dimensions.
func (ix *Index) Count(ctx context.Context, req Request) (*Table, error) {
	if len(req.GroupBy) > 3 {
		return nil, plotline.FieldError("group_by", "at most three dimensions, got %d", len(req.GroupBy))
	}
	p, err := ix.compile(ctx, req.Query, req.Rule, req.AsOf)
	if err != nil {
		return nil, err
	}
	val, mname, err := ix.measure(req.Measure)
	if err != nil {
		return nil, err
	}
	dims := make([]*dim, len(req.GroupBy))
	space := uint64(1)
	for i, name := range req.GroupBy {
		if dims[i], err = ix.dim(name); err != nil {
			return nil, err
		}
		space *= dims[i].card
	}
	dense := space <= 1<<20
	workers := p.workers()
	type part struct {
		total, sum int64
		dense      []acc
		sparse     map[uint64]acc
		keys       []uint64
	}
	parts := make([]part, workers)
	for w := range parts {
		if dense {
			parts[w].dense = make([]acc, space)
		} else {
			parts[w].sparse = map[uint64]acc{}
		}
	}
	fast := dense
	for _, d := range dims {
		fast = fast && d.gather != nil
	}
	countOnly := mname == "count"
	if countOnly && len(dims) == 0 && len(p.filters) == 0 && p.driver == nil {
		n := int(p.r1 - p.r0)
		t := &Table{Dims: []string{}, Measure: mname, Rule: p.rule.Name, Rows: []Row{}, Total: n, Sum: int64(n)}
		if n > 0 {
			t.Rows = append(t.Rows, Row{Keys: []string{}, Count: n, Value: int64(n)})
		}
		return t, nil
	}
	var vals []int32 // the summed column
	if !countOnly {
		vals = ix.num[strings.TrimPrefix(mname, "sum:")]
	}
	err = p.scan(ctx, func(w int, sel []int32) {
		pt := &parts[w]
		if fast && len(dims) == 0 && countOnly {
			pt.total += int64(len(sel))
			pt.sum += int64(len(sel))
			if len(sel) > 0 {
				pt.dense[0].count += int64(len(sel))
			}
			return
		}
		if fast {
			if cap(pt.keys) < len(sel) {
				pt.keys = make([]uint64, chunkRows)
			}
			keys := pt.keys[:len(sel)]
			clear(keys)
			for _, d := range dims {
				d.gather(sel, keys)
			}
			acc := pt.dense
			if countOnly {
				for _, k := range keys {
					acc[k].count++
				}
				pt.total += int64(len(sel))
				pt.sum += int64(len(sel))
				return
			}
			if vals != nil {
				for i, k := range keys {
					v := int64(max(vals[sel[i]], 0))
					acc[k].count++
					acc[k].value += v
					pt.sum += v
				}
				pt.total += int64(len(sel))
				return
			}
			for i, k := range keys {
				v := val(sel[i])
				acc[k].count++
				acc[k].value += v
				pt.total++
				pt.sum += v
			}
			return
		}
		if dense && len(dims) == 1 && dims[0].row == nil {
			countSet(p, dims[0], sel, vals, pt.dense, &pt.total, &pt.sum)
			return
		}
		sets := make([][]uint32, len(dims))
		var keys []uint64
		var sc []uint32
		for _, r := range sel {
			v := val(r)
			pt.total++
			pt.sum += v
			keys = append(keys[:0], 0)
			for i, d := range dims {
				if d.row != nil {
					c := uint64(d.row(r))
					for k := range keys {
						keys[k] = keys[k]*d.card + c
					}
					continue
				}
				sets[i] = d.set(p, r, sets[i], &sc)
				if len(sets[i]) == 0 {
					sets[i] = append(sets[i], 0)
				}
				n := len(keys)
				for _, c := range sets[i][1:] {
					for k := range n {
						keys = append(keys, keys[k]*d.card+uint64(c))
					}
				}
				for k := range n {
					keys[k] = keys[k]*d.card + uint64(sets[i][0])
				}
			}
			for _, k := range keys {
				if dense {
					pt.dense[k].count++
					pt.dense[k].value += v
				} else {
					a := pt.sparse[k]
					a.count++
					a.value += v
					pt.sparse[k] = a
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	t := &Table{Dims: slices.Clone(req.GroupBy), Measure: mname, Rule: p.rule.Name, Rows: []Row{}}
	if t.Dims == nil {
		t.Dims = []string{}
	}
	// Merge the workers' accumulators, then label each group once per
	// distinct code.
	var keys []uint64
	var accs []acc
	if dense {
		sum := parts[0].dense
		for _, pt := range parts[1:] {
			for k, a := range pt.dense {
				sum[k].count += a.count
				sum[k].value += a.value
			}
		}
		for k, a := range sum {
			if a.count > 0 {
				keys, accs = append(keys, uint64(k)), append(accs, a)
			}
		}
	} else {
		merged := parts[0].sparse
		for _, pt := range parts[1:] {
			for k, a := range pt.sparse {
				m := merged[k]
				merged[k] = acc{m.count + a.count, m.value + a.value}
			}
		}
		for k, a := range merged {
			keys, accs = append(keys, k), append(accs, a)
		}
	}
	for _, pt := range parts {
		t.Total += int(pt.total)
		t.Sum += pt.sum
	}
	t.Rows = groupRows(dims, keys, accs, countOnly, req.Limit)
	return t, nil
}

// countSet counts the rows of sel in the groups of one statement
// dimension d (an incident in each of its groups, "" when none), summing
// vals when set. Units of a live plan are read from the live column without
// a call per row.
func countSet(p *plan, d *dim, sel []int32, vals []int32, acc []acc, total, sum *int64) {
	value := func(r int32) int64 { return 1 }
	if vals != nil {
		value = func(r int32) int64 { return int64(max(vals[r], 0)) }
	}
	if d.name == "unit" && p.liveUnits && vals == nil {
		unit := p.ix.live.unit
		var buf []uint32
		for _, r := range sel {
			if u := unit[r]; u&liveMany == 0 {
				acc[u].count++
				acc[u].value++
				continue
			}
			buf = p.ix.liveUnits(r, buf)
			for _, u := range buf {
				acc[u].count++
				acc[u].value++
			}
		}
		*total += int64(len(sel))
		*sum += int64(len(sel))
		return
	}
	var set, sc []uint32
	for _, r := range sel {
		v := value(r)
		*total++
		*sum += v
		set = d.set(p, r, set, &sc)
		if len(set) == 0 {
			acc[0].count++
			acc[0].value += v
			continue
		}
		for _, c := range set {
			acc[c].count++
			acc[c].value += v
		}
	}
}

// groupRows labels and orders the groups: by value, largest first, then by
// labels. Each distinct code is labelled once and ranked among its
// dimension's labels, so that sorting compares integers; only the rows kept
// (limit) get their labels.
func groupRows(dims []*dim, keys []uint64, accs []acc, countOnly bool, limit int) []Row {
	nd := len(dims)
	codes := make([]uint32, len(keys)*nd) // codes[j*nd+i]: group j, dimension i
	for j, k := range keys {
		for i := nd - 1; i >= 0; i-- {
			codes[j*nd+i] = uint32(k % dims[i].card)
			k /= dims[i].card
		}
	}
	// Per dimension: the distinct codes used, labelled, sorted by label.
	type lc struct {
		code  uint32
		label string
	}
	labels := make([]map[uint32]string, nd)
	rank := make([]int32, len(codes))
	for i, d := range dims {
		if d.rank != nil {
			rk := d.rank()
			for j := range keys {
				rank[j*nd+i] = rk[codes[j*nd+i]]
			}
			continue
		}
		seen := map[uint32]int32{} // code → index in used
		var used []lc
		for j := range keys {
			c := codes[j*nd+i]
			if _, ok := seen[c]; !ok {
				seen[c] = int32(len(used))
				used = append(used, lc{c, d.label(c)})
			}
		}
		slices.SortFunc(used, func(a, b lc) int { return strings.Compare(a.label, b.label) })
		labels[i] = make(map[uint32]string, len(used))
		for r, u := range used {
			seen[u.code] = int32(r)
			labels[i][u.code] = u.label
		}
		for j := range keys {
			rank[j*nd+i] = seen[codes[j*nd+i]]
		}
	}
	value := func(j int) int64 {
		if countOnly {
			return accs[j].count
		}
		return accs[j].value
	}
	order := make([]int32, len(keys))
	for j := range order {
		order[j] = int32(j)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(value(int(b)), value(int(a))); c != 0 {
			return c
		}
		return slices.Compare(rank[int(a)*nd:int(a+1)*nd], rank[int(b)*nd:int(b+1)*nd])
	})
	if limit > 0 && len(order) > limit {
		order = order[:limit]
	}
	strs := make([]string, len(order)*nd)
	rows := make([]Row, len(order))
	for r, j := range order {
		row := strs[r*nd : (r+1)*nd : (r+1)*nd]
		for i := range nd {
			if c := codes[int(j)*nd+i]; labels[i] != nil {
				row[i] = labels[i][c]
			} else {
				row[i] = dims[i].label(c)
			}
		}
		rows[r] = Row{Keys: row, Count: int(accs[j].count), Value: value(int(j))}
	}
	return rows
}

// Pivot lays a two-dimension table out as a matrix, rows and columns in
// order of their totals.
func (t *Table) Pivot() (*CrossTab, error) {
	if len(t.Dims) != 2 {
		return nil, plotline.FieldError("group_by", "a cross-tab needs two dimensions, got %d", len(t.Dims))
	}
	rowTot, colTot := map[string]int64{}, map[string]int64{}
	for _, r := range t.Rows {
		rowTot[r.Keys[0]] += r.Value
		colTot[r.Keys[1]] += r.Value
	}
	order := func(m map[string]int64) []string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			if c := cmp.Compare(m[b], m[a]); c != 0 {
				return c
			}
			return strings.Compare(a, b)
		})
		return keys
	}
	x := &CrossTab{RowDim: t.Dims[0], ColDim: t.Dims[1], Rows: order(rowTot), Cols: order(colTot)}
	ri, ci := map[string]int{}, map[string]int{}
	for i, k := range x.Rows {
		ri[k] = i
		x.RowTotals = append(x.RowTotals, rowTot[k])
	}
	for i, k := range x.Cols {
		ci[k] = i
		x.ColTotals = append(x.ColTotals, colTot[k])
	}
	x.Cells = make([][]int64, len(x.Rows))
	for i := range x.Cells {
		x.Cells[i] = make([]int64, len(x.Cols))
	}
	for _, r := range t.Rows {
		x.Cells[ri[r.Keys[0]]][ci[r.Keys[1]]] = r.Value
	}
	return x, nil
}

// civil returns the year, month and day of day d (proleptic Gregorian).
func civil(d int32) (y, m, dd int32) {
	z := int64(d) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if month > 12 {
		month -= 12
	}
	year := yoe + era*400
	if month <= 2 {
		year++
	}
	return int32(year), int32(month), int32(day)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// interval returns the bucket number of a day, the first day of a bucket,
// and a bucket's label, for week, month, quarter, half or year.
func interval(name string) (bucket func(int32) int64, start func(int64) int32, label func(int64) string) {
	mk := func(y int64, m int64) int32 { return int32(plotline.MakeDay(int(y), timeMonth(m), 1)) }
	switch name {
	case "week":
		return func(d int32) int64 { return floorDiv(int64(d)+3, 7) },
			func(b int64) int32 { return int32(b*7 - 3) },
			func(b int64) string {
				thu := int32(b*7 - 3 + 3)
				y, _, _ := civil(thu)
				jan1 := int32(plotline.MakeDay(int(y), 1, 1))
				return fmt.Sprintf("%04d-W%02d", y, (thu-jan1)/7+1)
			}
	case "month":
		return func(d int32) int64 { y, m, _ := civil(d); return int64(y)*12 + int64(m) - 1 },
			func(b int64) int32 { return mk(floorDiv(b, 12), b-floorDiv(b, 12)*12+1) },
			func(b int64) string { return fmt.Sprintf("%04d-%02d", floorDiv(b, 12), b-floorDiv(b, 12)*12+1) }
	case "quarter":
		return func(d int32) int64 { y, m, _ := civil(d); return int64(y)*4 + int64(m-1)/3 },
			func(b int64) int32 { return mk(floorDiv(b, 4), 3*(b-floorDiv(b, 4)*4)+1) },
			func(b int64) string { return fmt.Sprintf("%04d-Q%d", floorDiv(b, 4), b-floorDiv(b, 4)*4+1) }
	case "half":
		return func(d int32) int64 { y, m, _ := civil(d); return int64(y)*2 + int64(m-1)/6 },
			func(b int64) int32 { return mk(floorDiv(b, 2), 6*(b-floorDiv(b, 2)*2)+1) },
			func(b int64) string { return fmt.Sprintf("%04d-H%d", floorDiv(b, 2), b-floorDiv(b, 2)*2+1) }
	case "year":
		return func(d int32) int64 { y, _, _ := civil(d); return int64(y) },
			func(b int64) int32 { return mk(b, 1) },
			func(b int64) string { return fmt.Sprintf("%04d", b) }
	}
	return nil, nil, nil
}

// Intervals are the Series intervals.
var Intervals = []string{"week", "month", "quarter", "half", "year"}

// Series counts the matching incidents per bucket, strict and possible.
func (ix *Index) Series(ctx context.Context, req SeriesRequest) (*Series, error) {
	bucket, start, label := interval(req.Interval)
	if bucket == nil {
		return nil, plotline.FieldError("interval", "%q is not one of %s", req.Interval, strings.Join(Intervals, ", "))
	}
	p, err := ix.compile(ctx, req.Query, req.Rule, req.AsOf)
	if err != nil {
		return nil, err
	}
	from, to := int32(req.From), int32(req.To)
	if req.From == 0 && req.To == 0 {
		from, to = ix.minDay, ix.maxDay
		if p.dateLo > query.MinDay {
			from = int32(p.dateLo)
		}
		if p.dateHi < query.MaxDay {
			to = int32(p.dateHi)
		}
	}
	if ix.n == 0 || to < from {
		return &Series{Interval: req.Interval, Rule: p.rule.Name, Buckets: []Bucket{}}, nil
	}
	lo, hi := bucket(from), bucket(to)
	nb := int(hi - lo + 1)
	if nb > 100000 {
		return nil, plotline.FieldError("interval", "%d buckets is too many; narrow the dates or widen the interval", nb)
	}
	workers := p.workers()
	strict := make([][]int32, workers)
	possible := make([][]int32, workers)
	for w := range workers {
		strict[w], possible[w] = make([]int32, nb), make([]int32, nb)
	}
	div := int64(map[string]int32{"month": 1, "quarter": 3, "half": 6, "year": 12}[req.Interval])
	err = p.scan(ctx, func(w int, sel []int32) {
		st, po := strict[w], possible[w]
		for _, r := range sel {
			var bs, be int64
			if div > 0 { // month numbers are positive for years ≥ 1
				bs, be = int64(ix.mStart[r])/div, int64(ix.mEnd[r])/div
			} else {
				bs, be = bucket(ix.dStart[r]), bucket(ix.dEnd[r])
			}
			if bs == be && bs >= lo && bs <= hi {
				st[bs-lo]++
			}
			for b := max(bs, lo); b <= min(be, hi); b++ {
				po[b-lo]++
			}
		}
	})
	if err != nil {
		return nil, err
	}
	s := &Series{Interval: req.Interval, Rule: p.rule.Name, Buckets: make([]Bucket, nb)}
	for k := range nb {
		b := lo + int64(k)
		bk := Bucket{Label: label(b), From: plotline.Day(start(b)), To: plotline.Day(start(b+1) - 1)}
		bk.Start, bk.End = bk.From.String(), bk.To.String()
		for w := range workers {
			bk.Strict += int(strict[w][k])
			bk.Possible += int(possible[w][k])
		}
		s.Buckets[k] = bk
	}
	return s, nil
}

// Disagreement is a claim naming a different unit than an official
// (government or court) statement on the same incident.
type Disagreement struct {
	Incident       string `json:"incident"`
	ClaimedUnit    string `json:"claimed_unit"`
	AttributedUnit string `json:"attributed_unit"`
	AttributedBy   string `json:"attributed_by"`
	// Relation is "conflict" when neither unit contains the other, and
	// "unspecified" when one names a level above the other.
	Relation string `json:"relation"`
}

// Disagreements lists, for every matching incident in date order, each
// standing claim against each standing official statement naming another
// unit (the same comparison as the external-ops report).
func (ix *Index) Disagreements(ctx context.Context, req Request) ([]Disagreement, error) {
	p, err := ix.compile(ctx, req.Query, req.Rule, req.AsOf)
	if err != nil {
		return nil, err
	}
	rows, err := p.rows(ctx)
	if err != nil {
		return nil, err
	}
	ix.sortByDateID(rows)
	out := []Disagreement{}
	for _, r := range rows {
		out = rowDisagreements(ix, r, p.S, out)
	}
	return out, nil
}

// rowsOf finds the rows of the given incident IDs in one pass.
func (ix *Index) rowsOf(ids map[string]bool) map[string]int32 {
	out := make(map[string]int32, len(ids))
	for i := range int32(ix.n) {
		if ids[string(ix.idBytes(i))] {
			out[ix.ids.get(i)] = i
		}
	}
	return out
}

func timeMonth(m int64) time.Month { return time.Month(m) }
