package engine

import (
	"cmp"
	"hash/maphash"
	"math"
	"slices"
	"time"

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
}

func newDict() *dict { return &dict{m: map[string]uint32{"": 0}, s: []string{""}} }

func (d *dict) code(s string) uint32 {
	if c, ok := d.m[s]; ok {
		return c
	}
	c := uint32(len(d.s))
	d.m[s] = c
	d.s = append(d.s, s)
	return c
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

func (a *arena) get(i int32) string { return string(a.b[a.off[i]:a.off[i+1]]) }

func (a *arena) eq(i int32, s string) bool { return string(a.b[a.off[i]:a.off[i+1]]) == s }

// col is a dictionary-coded column, narrowed after loading to the smallest
// code width that fits.
type col struct {
	d   *dict
	u8  []uint8
	u16 []uint16
	u32 []uint32
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

	n        int
	ids      arena
	keys     []int64 // version key per row
	keySort  []int64 // keys sorted, with the row of each
	keyRow   []int32
	dStart   []int32 // incident date, sorted ascending (the row order)
	dEnd     []int32
	pStart   []int32 // public from (disclosed, else date)
	pEnd     []int32
	mStart   []int32 // month number (year*12 + month-1) of dStart and dEnd
	mEnd     []int32
	maxSpan  int32
	minDay   int32
	maxDay   int32
	prec     col
	cat      map[string]*col // kind, outcome, stage, country, target, admin1, ...
	lat, lon []float32
	num      map[string][]int32 // killed, injured, perpetrators, arrests; -1 unknown
	mvOff    []uint32           // weapons, tags and sources of row i: mvCodes[mvOff[i]:mvOff[i+1]]
	mvCodes  []uint32
	mv       *dict // "weapon\x00x", "tag\x00x", "source\x00x"
	country  *dict // shared by country and target

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
}

// catNames are the dictionary-coded incident columns.
var catNames = []string{"kind", "outcome", "stage", "country", "target", "admin1", "place", "locprec", "target_type", "event_type", "origin", "documentation"}

var numNames = []string{"killed", "injured", "perpetrators", "arrests"}

// builder loads rows in source order, then sorts them into an Index.
type builder struct {
	ix     *Index
	seed   maphash.Seed
	byHash map[uint64]int32
	byID   map[string]int32 // hash collisions
	catL   [12][]uint32     // in catNames order
	dictL  [12]*dict
	numL   [4][]int32 // in numNames order
	prec   []uint32
	precD  *dict
	lat    []float32
	lon    []float32
	mv     [][]uint32
	ids    arena
	keys   []int64
	ds, de []int32
	ps, pe []int32

	aInc    []int32 // load index of the incident
	aID     []string
	aActor  []uint32
	aBasis  []uint8
	aLink   []uint8
	aLik    []uint8
	aConf   []uint8
	aStated []int32
	aSStart []int32
	aStop   []int32
	aHow    []uint8
	aBy     []uint32
}

func newBuilder(src Source, recorded *time.Time) *builder {
	ix := &Index{src: src, recorded: recorded, actorD: newDict(), basisD: newDict(), linkD: newDict(),
		likD: newDict(), confD: newDict(), byD: newDict(), mv: newDict(), country: newDict()}
	for _, b := range plotline.Bases {
		ix.basisD.code(b)
	}
	b := &builder{ix: ix, seed: maphash.MakeSeed(), byHash: map[uint64]int32{}, byID: map[string]int32{},
		precD: newDict()}
	for k, n := range catNames {
		b.dictL[k] = newDict()
		if n == "country" || n == "target" {
			b.dictL[k] = ix.country
		}
	}
	return b
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

func (b *builder) Grow(n, m int) {
	for k := range b.catL {
		b.catL[k] = slices.Grow(b.catL[k], n)
	}
	for k := range b.numL {
		b.numL[k] = slices.Grow(b.numL[k], n)
	}
	b.keys = slices.Grow(b.keys, n)
	b.ds, b.de, b.ps, b.pe = slices.Grow(b.ds, n), slices.Grow(b.de, n), slices.Grow(b.ps, n), slices.Grow(b.pe, n)
	b.lat, b.lon, b.prec = slices.Grow(b.lat, n), slices.Grow(b.lon, n), slices.Grow(b.prec, n)
	b.ids.off = slices.Grow(b.ids.off, n+1)
	b.ids.b = slices.Grow(b.ids.b, n*16)
	b.aInc, b.aID, b.aActor = slices.Grow(b.aInc, m), slices.Grow(b.aID, m), slices.Grow(b.aActor, m)
	b.aBasis, b.aLink, b.aLik, b.aConf = slices.Grow(b.aBasis, m), slices.Grow(b.aLink, m), slices.Grow(b.aLik, m), slices.Grow(b.aConf, m)
	b.aStated, b.aSStart, b.aStop, b.aHow, b.aBy = slices.Grow(b.aStated, m), slices.Grow(b.aSStart, m), slices.Grow(b.aStop, m), slices.Grow(b.aHow, m), slices.Grow(b.aBy, m)
}

func dayOr(d plotline.Date, unknown int32) (start, end int32) {
	if !d.Known() {
		return unknown, unknown
	}
	return int32(d.Start), int32(d.End)
}

func (b *builder) Incident(r *IncidentRow) {
	i := int32(len(b.keys))
	h := maphash.String(b.seed, r.ID)
	if _, taken := b.byHash[h]; taken {
		b.byID[r.ID] = i
	} else {
		b.byHash[h] = i
	}
	b.ids.add(r.ID)
	b.keys = append(b.keys, r.Key)
	vals := [...]string{r.Kind, r.Outcome, r.Stage, r.Country, r.Target, r.Admin1, r.Place, r.LocPrecision, r.TargetType, r.EventType, r.Origin, r.Doc}
	for k, v := range vals {
		b.catL[k] = append(b.catL[k], b.dictL[k].code(v))
	}
	for k, v := range [...]int64{r.Killed, r.Injured, r.Perpetrators, r.Arrests} {
		b.numL[k] = append(b.numL[k], int32(min(max(v, -1), math.MaxInt32)))
	}
	s, e := dayOr(r.Date, 0)
	b.ds, b.de = append(b.ds, s), append(b.de, e)
	pub := r.Disclosed
	if !pub.Known() {
		pub = r.Date
	}
	s, e = dayOr(pub, noDay)
	b.ps, b.pe = append(b.ps, s), append(b.pe, e)
	b.prec = append(b.prec, b.precD.code(string(r.Date.Precision)))
	if r.HasLatLon {
		b.lat, b.lon = append(b.lat, float32(r.Lat)), append(b.lon, float32(r.Lon))
	} else {
		b.lat, b.lon = append(b.lat, float32(math.NaN())), append(b.lon, float32(math.NaN()))
	}
	var mv []uint32
	for _, x := range r.Weapons {
		mv = append(mv, b.ix.mv.code("weapon\x00"+x))
	}
	for _, x := range r.Tags {
		mv = append(mv, b.ix.mv.code("tag\x00"+x))
	}
	for _, x := range r.Sources {
		mv = append(mv, b.ix.mv.code("source\x00"+x))
	}
	if mv != nil || b.mv != nil {
		for len(b.mv) < int(i) {
			b.mv = append(b.mv, nil)
		}
		b.mv = append(b.mv, mv)
	}
}

func (b *builder) incident(id string) (int32, bool) {
	if i, ok := b.byID[id]; ok {
		return i, true
	}
	i, ok := b.byHash[maphash.String(b.seed, id)]
	if !ok || !b.ids.eq(i, id) {
		return 0, false
	}
	return i, true
}

func (b *builder) Attribution(r *AttributionRow) {
	inc, ok := b.incident(r.IncidentID)
	if !ok {
		return // a statement about an incident not current at this instant
	}
	b.aInc = append(b.aInc, inc)
	b.aID = append(b.aID, r.ID)
	b.aActor = append(b.aActor, b.ix.actorD.code(r.ActorID))
	b.aBasis = append(b.aBasis, uint8(b.ix.basisD.code(r.Basis)))
	b.aLink = append(b.aLink, uint8(b.ix.linkD.code(r.Link)))
	b.aLik = append(b.aLik, uint8(b.ix.likD.code(r.Likelihood)))
	b.aConf = append(b.aConf, uint8(b.ix.confD.code(r.Confidence)))
	b.aBy = append(b.aBy, b.ix.byD.code(r.AssertedBy))
	ss, se := dayOr(r.StatedOn, noDay)
	b.aStated = append(b.aStated, se)
	b.aSStart = append(b.aSStart, ss)
	_, sup := dayOr(r.SupersededOn, noDay)
	_, ret := dayOr(r.RetractedOn, noDay)
	stop, how := int32(noDay), uint8(0)
	if sup != noDay {
		stop, how = sup, 1
	}
	if ret < stop {
		stop, how = ret, 2
	}
	b.aStop = append(b.aStop, stop)
	b.aHow = append(b.aHow, how)
}

// finish sorts rows by date and lays out the index.
func (b *builder) finish() *Index {
	ix := b.ix
	n := len(b.keys)
	ix.n = n
	// Counting sort by start day; load order (the source's key order) breaks ties.
	perm := make([]int32, n)
	if n > 0 {
		lo, hi := slices.Min(b.ds), slices.Max(b.ds)
		if int64(hi)-int64(lo) < 1<<24 {
			cnt := make([]int32, int(hi-lo)+2)
			for _, d := range b.ds {
				cnt[d-lo+1]++
			}
			for i := 1; i < len(cnt); i++ {
				cnt[i] += cnt[i-1]
			}
			for i, d := range b.ds {
				perm[cnt[d-lo]] = int32(i)
				cnt[d-lo]++
			}
		} else {
			for i := range perm {
				perm[i] = int32(i)
			}
			slices.SortStableFunc(perm, func(x, y int32) int { return cmp.Compare(b.ds[x], b.ds[y]) })
		}
	}
	rowOf := make([]int32, n)
	for r, p := range perm {
		rowOf[p] = int32(r)
	}
	ix.dStart, ix.dEnd = permute(b.ds, perm), permute(b.de, perm)
	ix.pStart, ix.pEnd = permute(b.ps, perm), permute(b.pe, perm)
	ix.keys = permute(b.keys, perm)
	ix.lat, ix.lon = permute(b.lat, perm), permute(b.lon, perm)
	ix.prec = narrow(b.prec, perm, b.precD)
	ix.cat = map[string]*col{}
	for k, name := range catNames {
		c := narrow(b.catL[k], perm, b.dictL[k])
		ix.cat[name] = &c
		b.catL[k] = nil
	}
	ix.num = map[string][]int32{}
	for k, name := range numNames {
		ix.num[name] = permute(b.numL[k], perm)
		b.numL[k] = nil
	}
	ix.ids.off = make([]uint32, 1, n+1)
	ix.ids.b = make([]byte, 0, len(b.ids.b))
	for _, p := range perm {
		ix.ids.add(string(b.ids.b[b.ids.off[p]:b.ids.off[p+1]]))
	}
	ix.mvOff = make([]uint32, n+1)
	for r, p := range perm {
		if int(p) < len(b.mv) {
			ix.mvCodes = append(ix.mvCodes, b.mv[p]...)
		}
		ix.mvOff[r+1] = uint32(len(ix.mvCodes))
	}
	ix.mStart, ix.mEnd = make([]int32, n), make([]int32, n)
	for i := range n {
		y, m, _ := civil(ix.dStart[i])
		ix.mStart[i] = y*12 + m - 1
		y, m, _ = civil(ix.dEnd[i])
		ix.mEnd[i] = y*12 + m - 1
	}
	ix.minDay, ix.maxDay = math.MaxInt32, math.MinInt32
	for i := range n {
		ix.maxSpan = max(ix.maxSpan, ix.dEnd[i]-ix.dStart[i])
		ix.minDay = min(ix.minDay, ix.dStart[i])
		ix.maxDay = max(ix.maxDay, ix.dEnd[i])
	}
	ix.keySort = slices.Clone(ix.keys)
	ix.keyRow = make([]int32, n)
	order := make([]int32, n)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return cmp.Compare(ix.keys[x], ix.keys[y]) })
	for i, r := range order {
		ix.keySort[i], ix.keyRow[i] = ix.keys[r], r
	}
	b.layoutStatements(rowOf)
	ix.g = analysis.NewGraph(ix.actors, ix.affs)
	ix.org = newOrgIndex(ix)
	ix.buildPostings()
	return ix
}

// layoutStatements places the statements in incident row order (CSR).
func (b *builder) layoutStatements(rowOf []int32) {
	ix := b.ix
	m := len(b.aInc)
	ix.aOff = make([]uint32, ix.n+1)
	for _, inc := range b.aInc {
		ix.aOff[rowOf[inc]+1]++
	}
	for i := 1; i <= ix.n; i++ {
		ix.aOff[i] += ix.aOff[i-1]
	}
	pos := make([]int32, m) // final position of each loaded statement
	next := slices.Clone(ix.aOff[:ix.n])
	for j, inc := range b.aInc {
		r := rowOf[inc]
		pos[j] = int32(next[r])
		next[r]++
	}
	ix.aActor = scatter(b.aActor, pos)
	ix.aBasis = scatter(b.aBasis, pos)
	ix.aLink = scatter(b.aLink, pos)
	ix.aLik = scatter(b.aLik, pos)
	ix.aConf = scatter(b.aConf, pos)
	ix.aStated = scatter(b.aStated, pos)
	ix.aSStart = scatter(b.aSStart, pos)
	ix.aStop = scatter(b.aStop, pos)
	ix.aHow = scatter(b.aHow, pos)
	ix.aBy = scatter(b.aBy, pos)
	inv := make([]int32, m)
	for j, p := range pos {
		inv[p] = int32(j)
	}
	ix.aIDFull = make([]bool, m)
	ix.aIDs.off = make([]uint32, 1, m+1)
	row := int32(0)
	for p := range m {
		for ix.aOff[row+1] <= uint32(p) {
			row++
		}
		id := b.aID[inv[p]]
		incID := ix.ids.b[ix.ids.off[row]:ix.ids.off[row+1]]
		if len(id) > len(incID) && id[:len(incID)] == string(incID) {
			ix.aIDs.add(id[len(incID):])
		} else {
			ix.aIDFull[p] = true
			ix.aIDs.add(id)
		}
	}
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
