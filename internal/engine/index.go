package engine

import (
	"bytes"
	"cmp"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// noDay marks an unknown date in int32 day columns: later than any day, so
// "known by S" (end <= S) is false for it.
const noDay = math.MaxInt32

// dict is a dictionary of strings; code 0 is always "".
type dict struct {
	m map[string]uint32
	s []string

	last     string // the last code looked up, for runs of one value
	lastCode uint32

	rank atomic.Pointer[[]int32] // labelRank, for the dictionary's size when computed
}

// labelRank returns each code's rank among the dictionary's strings in
// byte order, so that grouping sorts integers instead of labels. It is
// computed again when the dictionary has grown since.
func (d *dict) labelRank() []int32 {
	if r := d.rank.Load(); r != nil && len(*r) == len(d.s) {
		return *r
	}
	order := make([]int32, len(d.s))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(d.s[a], d.s[b]) })
	rank := make([]int32, len(d.s))
	for r, c := range order {
		rank[c] = int32(r)
	}
	d.rank.Store(&rank)
	return rank
}

func newDict() *dict { return &dict{m: map[string]uint32{"": 0}, s: []string{""}} }

// code returns the code of s, adding it (a copy: s may point into a row
// the source reuses) when new.
func (d *dict) code(s string) uint32 {
	if s == d.last {
		return d.lastCode
	}
	if c, ok := d.m[s]; ok {
		d.last, d.lastCode = d.s[c], c
		return c
	}
	s = strings.Clone(s)
	c := uint32(len(d.s))
	d.m[s] = c
	d.s = append(d.s, s)
	return c
}

// code2 is code(prefix + s) without building the string when it is known.
func (d *dict) code2(prefix, s string) uint32 {
	var buf [64]byte
	if len(prefix)+len(s) <= len(buf) {
		k := append(append(buf[:0], prefix...), s...)
		if c, ok := d.m[string(k)]; ok {
			return c
		}
	}
	return d.code(prefix + s)
}

// lookup returns the code of s, or false when s never occurs.
func (d *dict) lookup(s string) (uint32, bool) {
	c, ok := d.m[s]
	return c, ok
}

// arena keeps many short strings in one allocation.
type arena struct {
	b   []byte
	off []uint32 // len = count+1
}

func (a *arena) add(s string) {
	if len(a.off) == 0 {
		a.off = append(a.off, 0)
	}
	a.b = append(a.b, s...)
	a.off = append(a.off, uint32(len(a.b)))
}

func (a *arena) addBytes(s []byte) {
	if len(a.off) == 0 {
		a.off = append(a.off, 0)
	}
	a.b = append(a.b, s...)
	a.off = append(a.off, uint32(len(a.b)))
}

func (a *arena) get(i int32) string { return string(a.b[a.off[i]:a.off[i+1]]) }

// str returns string i without copying; it is valid while a is not grown.
func (a *arena) str(i int32) string {
	return unsafe.String(unsafe.SliceData(a.b[a.off[i]:]), int(a.off[i+1]-a.off[i]))
}

// col is a dictionary-coded column, narrowed after loading to the smallest
// code width that fits.
type col struct {
	d   *dict
	u8  []uint8
	u16 []uint16
	u32 []uint32
	n   []int32 // rows per code, for the planner's estimates
}

// counted fills c.n.
func (c *col) counted(rows int) {
	c.n = make([]int32, len(c.d.s))
	for i := range int32(rows) {
		c.n[c.at(i)]++
	}
}

func (c *col) at(i int32) uint32 {
	switch {
	case c.u8 != nil:
		return uint32(c.u8[i])
	case c.u16 != nil:
		return uint32(c.u16[i])
	}
	return c.u32[i]
}

// narrow converts the loading column (codes in load order) to the final row
// order perm and the smallest width.
func narrow(codes []uint32, perm []int32, d *dict) col {
	c := col{d: d}
	switch n := len(d.s); {
	case n <= 1<<8:
		c.u8 = make([]uint8, len(perm))
		for i, p := range perm {
			c.u8[i] = uint8(codes[p])
		}
	case n <= 1<<16:
		c.u16 = make([]uint16, len(perm))
		for i, p := range perm {
			c.u16[i] = uint16(codes[p])
		}
	default:
		c.u32 = make([]uint32, len(perm))
		for i, p := range perm {
			c.u32[i] = codes[p]
		}
	}
	return c
}

func permute[T any](in []T, perm []int32) []T {
	out := make([]T, len(perm))
	for i, p := range perm {
		out[i] = in[p]
	}
	return out
}

// Index is an immutable snapshot of the store, in columns. Every method is
// safe for concurrent use.
type Index struct {
	src      Source
	recorded *time.Time
	change   int64
	built    time.Duration

	g      *analysis.Graph
	actors []plotline.Actor
	affs   []plotline.Affiliation
	org    *orgIndex

	n           int
	ids         arena
	keyBase     int64   // rowOfKey: keyDense[k-keyBase] is the row of version key k (-1: none)
	keyDense    []int32 //
	keySort     []int64 // or, when keys are sparse, the keys sorted, with the row of each
	keyRow      []int32
	dStart      []int32 // incident date, sorted ascending (the row order)
	sorted      int     // rows 0..sorted-1 are ordered by date, then ID (all rows of a built index)
	dEnd        []int32
	pStart      []int32 // public from (disclosed, else date)
	pEnd        []int32
	mStart      []int32 // month number (year*12 + month-1) of dStart and dEnd
	mEnd        []int32
	maxSpan     int32
	endsOrdered bool // every row's end day is on or after its start day
	minDay      int32
	maxDay      int32
	prec        col
	cat         map[string]*col // kind, outcome, stage, country, target, admin1, ...
	lat, lon    []float32
	num         map[string][]int32 // killed, injured, perpetrators, arrests; -1 unknown
	mvOff       []uint32           // weapons, tags and sources of row i: mvCodes[mvOff[i]:mvOff[i+1]]
	mvCodes     []uint32
	mv          *dict // "weapon\x00x", "tag\x00x", "source\x00x"
	country     *dict // shared by country and target

	// Statements, grouped by incident row: row i has aOff[i]..aOff[i+1].
	aOff     []uint32
	aActor   []uint32 // code in actorD
	aBasis   []uint8  // code in basisD
	aLink    []uint8
	aLik     []uint8
	aConf    []uint8
	aStated  []int32 // stated_on end; noDay unknown
	aSStart  []int32 // stated_on start
	aStop    []int32 // earliest end of superseded_on / retracted_on; noDay none
	aHow     []uint8 // 1 superseded, 2 retracted (whichever ends first)
	aBy      []uint32
	aIDs     arena // attribution ID, or its suffix after the incident ID when aIDFull is false
	aIDFull  []bool
	actorD   *dict
	basisD   *dict
	linkD    *dict
	likD     *dict
	confD    *dict
	byD      *dict
	postings map[string][][]int32 // country, event_type, actor: code → incident rows
	grid     grid                 // rows by one-degree cell, for bounding boxes
	numHist  map[string][]int32   // per number column: rows unknown, then per value 0..255, then above
	// num8 narrows each number column to a byte: 0 unknown, v+1 for
	// 0 ≤ v ≤ 253, 255 above (numMax is the largest value), so that range
	// filters read a quarter of the memory.
	num8   map[string][]uint8
	numMax map[string]int32

	mk   *markings // restricted material and views by clearance (markings.go); nil in a view
	view *view     // in a view: what it withholds

	live *live // statements as known now under rule any, derived for speed (live.go)

	// dead marks rows superseded by a later delta (delta.go), and the
	// records of a linked group other than its representative (links.go);
	// nil when none.
	dead  []uint64
	links links
}

// buildStats counts rows per code and per small number, for the planner.
func (ix *Index) buildStats() {
	for _, c := range ix.cat {
		c.counted(ix.n)
	}
	ix.prec.counted(ix.n)
	ix.numHist = map[string][]int32{}
	ix.num8 = map[string][]uint8{}
	ix.numMax = map[string]int32{}
	for name, vals := range ix.num {
		h := make([]int32, 258)
		b := make([]uint8, len(vals))
		m := int32(-1)
		for i, v := range vals {
			h[min(max(v, -1), 256)+1]++
			b[i] = uint8(min(max(v, -1), 254) + 1)
			m = max(m, v)
		}
		ix.numHist[name] = h
		ix.num8[name] = b
		ix.numMax[name] = m
	}
}

// intShare estimates the share of rows whose column name lies in [lo, hi].
func (ix *Index) intShare(name string, lo, hi int64) float64 {
	h := ix.numHist[name]
	if ix.n == 0 || h == nil {
		return 1
	}
	k := 0
	for v := max(lo, 0); v <= min(hi, 256); v++ {
		k += int(h[v+1])
	}
	return float64(k) / float64(ix.n)
}

// grid lists the rows with coordinates by one-degree cell (CSR, rows
// ascending within a cell); rows with coordinates outside the globe are in
// the last cell, which every box includes.
type grid struct {
	off  []int32 // cell c holds rows[off[c]:off[c+1]]
	rows []int32
}

const (
	gridLat  = 181 // latitude -90..90, one row per degree (90 alone in the last)
	gridLon  = 361
	gridOdd  = gridLat * gridLon // the cell of coordinates out of range
	gridSize = gridOdd + 1
)

// gridCell returns the cell of a point, or -1 without coordinates.
func gridCell(lat, lon float32) int32 {
	if lat != lat || lon != lon { // NaN: unknown
		return -1
	}
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return gridOdd
	}
	return int32(math.Floor(float64(lat))+90)*gridLon + int32(math.Floor(float64(lon))+180)
}

func (ix *Index) buildGrid() {
	g := &ix.grid
	g.off = make([]int32, gridSize+1)
	cells := make([]int32, ix.n)
	for i := range ix.n {
		c := gridCell(ix.lat[i], ix.lon[i])
		cells[i] = c
		if c >= 0 {
			g.off[c+1]++
		}
	}
	for c := 1; c <= gridSize; c++ {
		g.off[c] += g.off[c-1]
	}
	g.rows = make([]int32, g.off[gridSize])
	next := slices.Clone(g.off[:gridSize])
	for i, c := range cells {
		if c >= 0 {
			g.rows[next[c]] = int32(i)
			next[c]++
		}
	}
}

// cells returns the grid cells a box touches (the odd cell included).
func (g *grid) cells(w, s, e, n float64) []int32 {
	clampLat := func(x float64) int32 { return int32(min(max(math.Floor(x), -90), 90) + 90) }
	clampLon := func(x float64) int32 { return int32(min(max(math.Floor(x), -180), 180) + 180) }
	out := []int32{gridOdd}
	if s > n {
		return out
	}
	var lons [][2]int32
	if w <= e {
		lons = [][2]int32{{clampLon(w), clampLon(e)}}
	} else {
		lons = [][2]int32{{clampLon(w), gridLon - 1}, {0, clampLon(e)}}
	}
	for y := clampLat(s); y <= clampLat(n); y++ {
		for _, r := range lons {
			for x := r[0]; x <= r[1]; x++ {
				out = append(out, y*gridLon+x)
			}
		}
	}
	return out
}

// catNames are the dictionary-coded incident columns.
var catNames = []string{"kind", "outcome", "stage", "country", "target", "admin1", "place", "locprec", "target_type", "event_type", "origin", "documentation"}

var numNames = []string{"killed", "injured", "perpetrators", "arrests"}

// Statement dictionaries of a part, in this order.
const (
	sActor = iota
	sBasis
	sLink
	sLik
	sConf
	sBy
	nStmtDicts
)

// precCol is the date precision's slot after the catNames columns.
const precCol = 12

// The slots of country and target in catNames.
const (
	countryCol = 3
	targetCol  = 4
)

// builder collects the parts of a scan, then merges them into an Index.
type builder struct {
	ix    *Index
	parts []*part
	pairs [][2]string        // incidents linked as one (links.go)
	marks *plotline.Markings // the sources' markings, read when there are pairs
}

func newBuilder(src Source, recorded *time.Time) *builder {
	ix := &Index{src: src, recorded: recorded, actorD: newDict(), basisD: newDict(), linkD: newDict(),
		likD: newDict(), confD: newDict(), byD: newDict(), mv: newDict(), country: newDict()}
	for _, b := range plotline.Bases {
		ix.basisD.code(b)
	}
	return &builder{ix: ix}
}

func (b *builder) Organisation(actors []plotline.Actor, affs []plotline.Affiliation) {
	b.ix.actors, b.ix.affs = actors, affs
	for _, a := range actors {
		b.ix.actorD.code(a.ID)
		for _, h := range a.Home {
			b.ix.country.code(h.Country)
		}
	}
}

func (b *builder) Parts(n int) []PartLoader {
	out := make([]PartLoader, n)
	for k := range out {
		p := newPart()
		b.parts = append(b.parts, p)
		out[k] = p
	}
	return out
}

// part holds the rows of one part of a scan in load order, coded with the
// part's own dictionaries (parts load concurrently; finish merges them).
type part struct {
	ids    arena
	keys   []int64
	ds, de []int32
	ps, pe []int32
	cat    [precCol + 1][]uint32 // catNames, then precision
	dict   [precCol + 1]*dict
	num    [4][]int32 // in numNames order
	lat    []float32
	lon    []float32
	mvOff  []uint32 // weapons, tags and sources of row i: mvCodes[mvOff[i]:mvOff[i+1]]
	mvCode []uint32
	mv     *dict

	ordered bool  // incident IDs arrived in ascending order
	cursor  int32 // merge position for statements ordered by incident
	byID    map[string]int32

	aInc    []int32 // part row of the incident
	aCode   [nStmtDicts][]uint32
	aDict   [nStmtDicts]*dict
	aStated []int32
	aSStart []int32
	aStop   []int32
	aHow    []uint8
	aIDs    arena // attribution ID, or its suffix after the incident ID when aIDFull is false
	aIDFull []bool
}

func newPart() *part {
	p := &part{ordered: true, mv: newDict(), mvOff: []uint32{0}}
	for k := range p.dict {
		p.dict[k] = newDict()
	}
	// Country and target share a dictionary (as in the index): the target
	// is mostly the country, found then without a map lookup.
	p.dict[targetCol] = p.dict[countryCol]
	for k := range p.aDict {
		p.aDict[k] = newDict()
	}
	return p
}

func (p *part) Grow(n, m int) {
	if n > 0 {
		for k := range p.cat {
			p.cat[k] = slices.Grow(p.cat[k], n)
		}
		for k := range p.num {
			p.num[k] = slices.Grow(p.num[k], n)
		}
		p.keys = slices.Grow(p.keys, n)
		p.ds, p.de, p.ps, p.pe = slices.Grow(p.ds, n), slices.Grow(p.de, n), slices.Grow(p.ps, n), slices.Grow(p.pe, n)
		p.lat, p.lon = slices.Grow(p.lat, n), slices.Grow(p.lon, n)
		p.mvOff = slices.Grow(p.mvOff, n)
		p.ids.off = slices.Grow(p.ids.off, n+1)
		p.ids.b = slices.Grow(p.ids.b, 16*n)
	}
	if m > 0 {
		p.aInc = slices.Grow(p.aInc, m)
		for k := range p.aCode {
			p.aCode[k] = slices.Grow(p.aCode[k], m)
		}
		p.aStated, p.aSStart, p.aStop = slices.Grow(p.aStated, m), slices.Grow(p.aSStart, m), slices.Grow(p.aStop, m)
		p.aHow, p.aIDFull = slices.Grow(p.aHow, m), slices.Grow(p.aIDFull, m)
		p.aIDs.off = slices.Grow(p.aIDs.off, m+1)
		p.aIDs.b = slices.Grow(p.aIDs.b, 4*m)
	}
}

func dayOr(d plotline.Date, unknown int32) (start, end int32) {
	if !d.Known() {
		return unknown, unknown
	}
	return int32(d.Start), int32(d.End)
}

func (p *part) Incident(r *IncidentRow) {
	if n := len(p.keys); n > 0 && p.ordered && !(p.ids.str(int32(n-1)) < r.ID) {
		p.ordered = false
	}
	p.ids.add(r.ID)
	p.keys = append(p.keys, r.Key)
	vals := [...]string{r.Kind, r.Outcome, r.Stage, r.Country, r.Target, r.Admin1, r.Place, r.LocPrecision, r.TargetType, r.EventType, r.Origin, r.Doc, string(r.Date.Precision)}
	for k, v := range vals {
		p.cat[k] = append(p.cat[k], p.dict[k].code(v))
	}
	for k, v := range [...]int64{r.Killed, r.Injured, r.Perpetrators, r.Arrests} {
		p.num[k] = append(p.num[k], int32(min(max(v, -1), math.MaxInt32)))
	}
	s, e := dayOr(r.Date, 0)
	p.ds, p.de = append(p.ds, s), append(p.de, e)
	pub := r.Disclosed
	if !pub.Known() {
		pub = r.Date
	}
	s, e = dayOr(pub, noDay)
	p.ps, p.pe = append(p.ps, s), append(p.pe, e)
	if r.HasLatLon {
		p.lat, p.lon = append(p.lat, float32(r.Lat)), append(p.lon, float32(r.Lon))
	} else {
		p.lat, p.lon = append(p.lat, float32(math.NaN())), append(p.lon, float32(math.NaN()))
	}
	for _, x := range r.Weapons {
		p.mvCode = append(p.mvCode, p.mv.code2("weapon\x00", x))
	}
	for _, x := range r.Tags {
		p.mvCode = append(p.mvCode, p.mv.code2("tag\x00", x))
	}
	for _, x := range r.Sources {
		p.mvCode = append(p.mvCode, p.mv.code2("source\x00", x))
	}
	p.mvOff = append(p.mvOff, uint32(len(p.mvCode)))
}

// incident finds the part row of an incident ID: by merging when both the
// incidents and the statements arrive ordered by incident ID (the SQLite
// scan), else by a map.
func (p *part) incident(id string) (int32, bool) {
	n := int32(len(p.keys))
	if p.ordered {
		if p.cursor < n && p.ids.str(p.cursor) > id {
			p.cursor = 0 // statements out of order: start over
		}
		if p.cursor < n && p.ids.str(p.cursor) != id && p.cursor+1 < n && p.ids.str(p.cursor+1) == id {
			p.cursor++ // the next incident: the usual step
		}
		if p.cursor < n && p.ids.str(p.cursor) != id {
			// Galloping would be faster for sparse statements; a binary
			// search from the cursor is simple and O(log n).
			lo, hi := p.cursor, n
			for lo < hi {
				m := int32(uint32(lo+hi) >> 1)
				if p.ids.str(m) < id {
					lo = m + 1
				} else {
					hi = m
				}
			}
			p.cursor = lo
		}
		if p.cursor < n && p.ids.str(p.cursor) == id {
			return p.cursor, true
		}
		return 0, false
	}
	if p.byID == nil {
		p.byID = make(map[string]int32, n)
		for i := range n {
			p.byID[p.ids.get(i)] = i
		}
	}
	i, ok := p.byID[id]
	return i, ok
}

func (p *part) Attribution(r *AttributionRow) {
	inc, ok := p.incident(r.IncidentID)
	if !ok {
		return // a statement about an incident not current at this instant
	}
	p.aInc = append(p.aInc, inc)
	for k, v := range [nStmtDicts]string{r.ActorID, r.Basis, r.Link, r.Likelihood, r.Confidence, r.AssertedBy} {
		p.aCode[k] = append(p.aCode[k], p.aDict[k].code(v))
	}
	if incID := p.ids.str(inc); len(r.ID) > len(incID) && r.ID[:len(incID)] == incID {
		p.aIDs.add(r.ID[len(incID):])
		p.aIDFull = append(p.aIDFull, false)
	} else {
		p.aIDs.add(r.ID)
		p.aIDFull = append(p.aIDFull, true)
	}
	ss, se := dayOr(r.StatedOn, noDay)
	p.aStated = append(p.aStated, se)
	p.aSStart = append(p.aSStart, ss)
	_, sup := dayOr(r.SupersededOn, noDay)
	_, ret := dayOr(r.RetractedOn, noDay)
	stop, how := int32(noDay), uint8(0)
	if sup != noDay {
		stop, how = sup, 1
	}
	if ret < stop {
		stop, how = ret, 2
	}
	p.aStop = append(p.aStop, stop)
	p.aHow = append(p.aHow, how)
}

// remaps returns, per part, the global code of each of its codes in dict d.
func remaps(parts []*part, local func(*part) *dict, global *dict) [][]uint32 {
	out := make([][]uint32, len(parts))
	for i, p := range parts {
		d := local(p)
		out[i] = make([]uint32, len(d.s))
		for c, s := range d.s {
			out[i][c] = global.code(s)
		}
	}
	return out
}

// gather concatenates one column of every part, in part order.
func gather[T any](parts []*part, n int, col func(*part) []T) []T {
	out := make([]T, 0, n)
	for _, p := range parts {
		out = append(out, col(p)...)
	}
	return out
}

// gatherCoded concatenates one coded column of every part, in global codes.
func gatherCoded(parts []*part, n int, col func(*part) []uint32, remap [][]uint32) []uint32 {
	out := make([]uint32, 0, n)
	for i, p := range parts {
		m := remap[i]
		for _, c := range col(p) {
			out = append(out, m[c])
		}
	}
	return out
}

// finish merges the parts, sorts rows by date and lays out the index. The
// columns are independent: they are laid out in parallel.
func (b *builder) finish() *Index {
	ix := b.ix
	parts := b.parts
	n, m := 0, 0
	for _, p := range parts {
		n += len(p.keys)
		m += len(p.aInc)
	}
	ix.n = n
	ds := gather(parts, n, func(p *part) []int32 { return p.ds })
	perm := dateOrder(ds)
	b.orderTies(ds, perm)
	ix.sorted = n
	rowOf := make([]int32, n)
	for r, p := range perm {
		rowOf[p] = int32(r)
	}
	ix.dStart = permute(ds, perm)
	ds = nil
	int32Col := func(dst *[]int32, col func(*part) []int32) func() {
		return func() { *dst = permute(gather(parts, n, col), perm) }
	}
	tasks := []func(){
		int32Col(&ix.dEnd, func(p *part) []int32 { return p.de }),
		int32Col(&ix.pStart, func(p *part) []int32 { return p.ps }),
		int32Col(&ix.pEnd, func(p *part) []int32 { return p.pe }),
		func() { ix.lat = permute(gather(parts, n, func(p *part) []float32 { return p.lat }), perm) },
		func() { ix.lon = permute(gather(parts, n, func(p *part) []float32 { return p.lon }), perm) },
		func() { b.layoutIDs(perm) },
		func() { b.layoutMulti(perm) },
		func() { ix.indexKeys(gather(parts, n, func(p *part) []int64 { return p.keys }), rowOf) },
		func() { b.layoutStatements(rowOf, m) },
	}
	cols := make([]col, precCol+1)
	for k := 0; k <= precCol; k++ {
		if k < precCol && catNames[k] == "target" {
			continue // with country: they share a dictionary
		}
		tasks = append(tasks, func() {
			for _, k := range []int{k, slices.Index(catNames, "target")} {
				global := newDict()
				if k < precCol && (catNames[k] == "country" || catNames[k] == "target") {
					global = ix.country
				}
				remap := remaps(parts, func(p *part) *dict { return p.dict[k] }, global)
				cols[k] = narrow(gatherCoded(parts, n, func(p *part) []uint32 { return p.cat[k] }, remap), perm, global)
				if k >= precCol || catNames[k] != "country" {
					break
				}
			}
		})
	}
	nums := make([][]int32, len(numNames))
	for k := range numNames {
		tasks = append(tasks, int32Col(&nums[k], func(p *part) []int32 { return p.num[k] }))
	}
	parallel(tasks)
	ix.prec = cols[precCol]
	ix.cat = map[string]*col{}
	for k, name := range catNames {
		ix.cat[name] = &cols[k]
	}
	ix.num = map[string][]int32{}
	for k, name := range numNames {
		ix.num[name] = nums[k]
	}
	b.parts = nil
	if len(b.pairs) > 0 {
		ix.mergeLinked(b.pairs, b.marks)
	}
	ix.share()
	parallel([]func(){
		func() {
			ix.mStart, ix.mEnd = monthNumbers(ix.dStart), monthNumbers(ix.dEnd)
			if slices.Equal(ix.dStart, ix.dEnd) {
				ix.mEnd = ix.mStart
			}
		},
		func() {
			ix.minDay, ix.maxDay = math.MaxInt32, math.MinInt32
			ix.endsOrdered = true
			for i := range n {
				ix.endsOrdered = ix.endsOrdered && ix.dEnd[i] >= ix.dStart[i]
				ix.maxSpan = max(ix.maxSpan, ix.dEnd[i]-ix.dStart[i])
				ix.minDay = min(ix.minDay, ix.dStart[i])
				ix.maxDay = max(ix.maxDay, ix.dEnd[i])
			}
		},
		func() {
			ix.g = analysis.NewGraph(ix.actors, ix.affs)
			ix.org = newOrgIndex(ix)
		},
	})
	parallel([]func(){ix.buildPostings, ix.buildGrid, ix.buildStats})
	ix.buildLive()
	return ix
}

// share lets columns that equal another use its memory: most incidents have
// no disclosure date apart from their date, most statements a day-precise
// stated date.
func (ix *Index) share() {
	if slices.Equal(ix.pStart, ix.dStart) {
		ix.pStart = ix.dStart
	}
	if slices.Equal(ix.pEnd, ix.dEnd) {
		ix.pEnd = ix.dEnd
	}
	if slices.Equal(ix.dEnd, ix.dStart) {
		ix.dEnd = ix.dStart
	}
	if slices.Equal(ix.aSStart, ix.aStated) {
		ix.aSStart = ix.aStated
	}
	// Number columns that are all unknown (or otherwise equal) share one.
	for i, a := range numNames {
		for _, b := range numNames[:i] {
			if slices.Equal(ix.num[a], ix.num[b]) {
				ix.num[a] = ix.num[b]
				break
			}
		}
	}
}

// monthNumbers returns year*12 + month-1 of each day.
func monthNumbers(days []int32) []int32 {
	out := make([]int32, len(days))
	for i, d := range days {
		if i > 0 && d == days[i-1] {
			out[i] = out[i-1]
			continue
		}
		y, m, _ := civil(d)
		out[i] = y*12 + m - 1
	}
	return out
}

// parallel runs the tasks on up to GOMAXPROCS goroutines.
func parallel(tasks []func()) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(len(tasks), max(1, runtime.GOMAXPROCS(0))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(tasks) {
					return
				}
				tasks[k]()
			}
		}()
	}
	wg.Wait()
}

// dateOrder returns the load indexes ordered by start day; load order
// breaks ties.
func dateOrder(ds []int32) []int32 {
	n := len(ds)
	perm := make([]int32, n)
	if n == 0 {
		return perm
	}
	lo, hi := slices.Min(ds), slices.Max(ds)
	if int64(hi)-int64(lo) >= 1<<24 {
		for i := range perm {
			perm[i] = int32(i)
		}
		slices.SortStableFunc(perm, func(x, y int32) int { return cmp.Compare(ds[x], ds[y]) })
		return perm
	}
	cnt := make([]int32, int(hi-lo)+2)
	for _, d := range ds {
		cnt[d-lo+1]++
	}
	for i := 1; i < len(cnt); i++ {
		cnt[i] += cnt[i-1]
	}
	for i, d := range ds {
		perm[cnt[d-lo]] = int32(i)
		cnt[d-lo]++
	}
	return perm
}

// orderTies orders the rows of perm that start on the same day by ID, so
// that the row order is the listing order (date, then ID). Parts that
// arrived in ID order, one ID range after another (the SQLite scan), are
// in that order already.
func (b *builder) orderTies(ds []int32, perm []int32) {
	inOrder := true
	var last []byte
	for _, p := range b.parts {
		if len(p.keys) == 0 {
			continue
		}
		first := p.ids.b[p.ids.off[0]:p.ids.off[1]]
		inOrder = inOrder && p.ordered && (last == nil || bytes.Compare(last, first) < 0)
		last = p.ids.b[p.ids.off[len(p.keys)-1]:p.ids.off[len(p.keys)]]
	}
	if inOrder {
		return
	}
	where := b.loadIndex()
	id := func(g int32) []byte {
		p, i := where(g)
		return p.ids.b[p.ids.off[i]:p.ids.off[i+1]]
	}
	for lo := 0; lo < len(perm); {
		hi := lo + 1
		for hi < len(perm) && ds[perm[hi]] == ds[perm[lo]] {
			hi++
		}
		if hi-lo > 1 {
			slices.SortFunc(perm[lo:hi], func(x, y int32) int { return bytes.Compare(id(x), id(y)) })
		}
		lo = hi
	}
}

// layoutIDs places the incident IDs in row order.
func (b *builder) layoutIDs(perm []int32) {
	ix := b.ix
	size := 0
	for _, p := range b.parts {
		size += len(p.ids.b)
	}
	ix.ids.off = make([]uint32, 1, ix.n+1)
	ix.ids.b = make([]byte, 0, size)
	where := b.loadIndex()
	for _, g := range perm {
		p, i := where(g)
		ix.ids.b = append(ix.ids.b, p.ids.b[p.ids.off[i]:p.ids.off[i+1]]...)
		ix.ids.off = append(ix.ids.off, uint32(len(ix.ids.b)))
	}
}

// loadIndex returns a function mapping a global load index to its part
// and the row within it.
func (b *builder) loadIndex() func(g int32) (*part, int32) {
	starts := make([]int32, len(b.parts)+1)
	for k, p := range b.parts {
		starts[k+1] = starts[k] + int32(len(p.keys))
	}
	return func(g int32) (*part, int32) {
		k, found := slices.BinarySearch(starts, g)
		if !found {
			k--
		}
		for starts[k+1] == g { // skip empty parts
			k++
		}
		return b.parts[k], g - starts[k]
	}
}

// layoutMulti places weapons, tags and sources in row order, in global codes.
func (b *builder) layoutMulti(perm []int32) {
	ix := b.ix
	remap := remaps(b.parts, func(p *part) *dict { return p.mv }, ix.mv)
	index := make(map[*part]int, len(b.parts))
	total := 0
	for k, p := range b.parts {
		index[p] = k
		total += len(p.mvCode)
	}
	ix.mvOff = make([]uint32, ix.n+1)
	if total == 0 {
		return
	}
	ix.mvCodes = make([]uint32, 0, total)
	where := b.loadIndex()
	for r, g := range perm {
		p, i := where(g)
		m := remap[index[p]]
		for _, c := range p.mvCode[p.mvOff[i]:p.mvOff[i+1]] {
			ix.mvCodes = append(ix.mvCodes, m[c])
		}
		ix.mvOff[r+1] = uint32(len(ix.mvCodes))
	}
}

// indexKeys prepares rowOfKey: a dense table when the keys are compact
// (SQLite rowids mostly are), else the keys sorted with their rows.
func (ix *Index) indexKeys(keys []int64, rowOf []int32) {
	if len(keys) == 0 {
		return
	}
	lo, hi := slices.Min(keys), slices.Max(keys)
	if hi-lo < int64(4*len(keys)+1024) {
		ix.keyBase = lo
		ix.keyDense = make([]int32, hi-lo+1)
		for i := range ix.keyDense {
			ix.keyDense[i] = -1
		}
		for g, k := range keys {
			ix.keyDense[k-lo] = rowOf[g]
		}
		return
	}
	order := make([]int32, len(keys))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return cmp.Compare(keys[x], keys[y]) })
	ix.keySort = make([]int64, len(keys))
	ix.keyRow = make([]int32, len(keys))
	for i, g := range order {
		ix.keySort[i], ix.keyRow[i] = keys[g], rowOf[g]
	}
}

// layoutStatements places the statements in incident row order (CSR), in
// global codes.
func (b *builder) layoutStatements(rowOf []int32, m int) {
	ix := b.ix
	parts := b.parts
	// Global load index of each statement's incident.
	inc := make([]int32, 0, m)
	base := int32(0)
	for _, p := range parts {
		for _, i := range p.aInc {
			inc = append(inc, base+i)
		}
		base += int32(len(p.keys))
	}
	ix.aOff = make([]uint32, ix.n+1)
	for _, g := range inc {
		ix.aOff[rowOf[g]+1]++
	}
	for i := 1; i <= ix.n; i++ {
		ix.aOff[i] += ix.aOff[i-1]
	}
	pos := make([]int32, m) // final position of each loaded statement
	next := slices.Clone(ix.aOff[:ix.n])
	for j, g := range inc {
		r := rowOf[g]
		pos[j] = int32(next[r])
		next[r]++
	}
	inc, next = nil, nil
	globals := [nStmtDicts]*dict{ix.actorD, ix.basisD, ix.linkD, ix.likD, ix.confD, ix.byD}
	var coded [nStmtDicts][]uint32
	for k, global := range globals {
		remap := remaps(parts, func(p *part) *dict { return p.aDict[k] }, global)
		coded[k] = scatter(gatherCoded(parts, m, func(p *part) []uint32 { return p.aCode[k] }, remap), pos)
	}
	ix.aActor, ix.aBy = coded[sActor], coded[sBy]
	ix.aBasis, ix.aLink, ix.aLik, ix.aConf = narrow8(coded[sBasis]), narrow8(coded[sLink]), narrow8(coded[sLik]), narrow8(coded[sConf])
	ix.aStated = scatter(gather(parts, m, func(p *part) []int32 { return p.aStated }), pos)
	ix.aSStart = scatter(gather(parts, m, func(p *part) []int32 { return p.aSStart }), pos)
	ix.aStop = scatter(gather(parts, m, func(p *part) []int32 { return p.aStop }), pos)
	ix.aHow = scatter(gather(parts, m, func(p *part) []uint8 { return p.aHow }), pos)
	ix.aIDFull = scatter(gather(parts, m, func(p *part) []bool { return p.aIDFull }), pos)
	// IDs: every part's arena in load order, then placed.
	var ids arena
	for _, p := range parts {
		for j := range int32(len(p.aIDFull)) {
			ids.addBytes(p.aIDs.b[p.aIDs.off[j]:p.aIDs.off[j+1]])
		}
	}
	inv := make([]int32, m)
	for j, q := range pos {
		inv[q] = int32(j)
	}
	ix.aIDs.off = make([]uint32, 1, m+1)
	ix.aIDs.b = make([]byte, 0, len(ids.b))
	for _, j := range inv {
		ix.aIDs.addBytes(ids.b[ids.off[j]:ids.off[j+1]])
	}
}

// narrow8 narrows codes known to be small (statement enums) to uint8.
func narrow8(codes []uint32) []uint8 {
	out := make([]uint8, len(codes))
	for i, c := range codes {
		out[i] = uint8(c)
	}
	return out
}

func scatter[T any](in []T, pos []int32) []T {
	out := make([]T, len(in))
	for j, p := range pos {
		out[p] = in[j]
	}
	return out
}

// attrID returns statement a's ID.
func (ix *Index) attrID(a int32, row int32) string {
	if ix.aIDFull[a] {
		return ix.aIDs.get(a)
	}
	return ix.ids.get(row) + ix.aIDs.get(a)
}

// buildPostings lists the rows of each country, event type and actor.
func (ix *Index) buildPostings() {
	ix.postings = map[string][][]int32{}
	for _, name := range []string{"country", "event_type"} {
		c := ix.cat[name]
		counts := make([]int32, len(c.d.s))
		for i := range ix.n {
			counts[c.at(int32(i))]++
		}
		lists := make([][]int32, len(c.d.s))
		for code, k := range counts {
			lists[code] = make([]int32, 0, k)
		}
		for i := range ix.n {
			code := c.at(int32(i))
			lists[code] = append(lists[code], int32(i))
		}
		ix.postings[name] = lists
	}
	lists := make([][]int32, len(ix.actorD.s))
	for i := range ix.n {
		for a := ix.aOff[i]; a < ix.aOff[i+1]; a++ {
			code := ix.aActor[a]
			if l := lists[code]; len(l) == 0 || l[len(l)-1] != int32(i) {
				lists[code] = append(lists[code], int32(i))
			}
		}
	}
	ix.postings["actor"] = lists
}

// rowOfKey maps a version key to its row.
func (ix *Index) rowOfKey(k int64) (int32, bool) {
	if ix.keyDense != nil {
		if k < ix.keyBase || k-ix.keyBase >= int64(len(ix.keyDense)) {
			return 0, false
		}
		r := ix.keyDense[k-ix.keyBase]
		return r, r >= 0
	}
	i, ok := slices.BinarySearch(ix.keySort, k)
	if !ok {
		return 0, false
	}
	return ix.keyRow[i], true
}

// Graph returns the organisation graph the index was built with.
func (ix *Index) Graph() *analysis.Graph { return ix.g }

// Stats describes the index.
func (ix *Index) Stats() Stats {
	return Stats{Incidents: ix.n, Attributions: len(ix.aActor), Actors: len(ix.actorD.s) - 1, Change: ix.change,
		BuildTime: ix.built, Recorded: ix.recorded}
}
