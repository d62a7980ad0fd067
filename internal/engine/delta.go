package engine

import (
	"context"
	"hash/maphash"
	"math"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// Incremental refresh. A Snapshot is what the engine answers from: a full
// index (the base) and, after incremental refreshes, layers over it, each
// an index of the incidents changed after the layer below was read. A row
// whose incident a later layer re-read (or found deleted) is dead: a bitset
// per layer, applied by every plan (compile: bitsetFilter). Every incident
// is live in at most one layer, so an answer over the snapshot merges the
// layers' answers: tables by group, series by bucket, matches by date and
// ID; it equals the answer of a full index built at the same change.
//
// Layers merge like a binary counter: a refresh reads the incidents changed
// since the top layer into a new layer of level 0, but when the top layer
// has the level the new one would have, the refresh reads since the layer
// below it instead and replaces both (level + 1). A snapshot holds at most
// about log2(refreshes) layers, and an incident is re-read O(log) times.

// bitsetFilter drops the rows set in bm.
func bitsetFilter(bm []uint64) filter {
	return func(sel []int32) []int32 {
		out := sel[:0]
		for _, i := range sel {
			if bm[i>>6]&(1<<(i&63)) == 0 {
				out = append(out, i)
			}
		}
		return out
	}
}

// layer is one index of a snapshot, shared by every snapshot holding it.
type layer struct {
	ix     *Index // as built (dead rows: only the merged records of linked groups, links.go); its clearance views are cached in it
	change int64  // the store change it was read at
	level  int    // binary-counter level (delta layers)
	size   int    // incidents it re-read (fed or deleted)

	idsOnce sync.Once
	ids     *idTable
}

// rowsByID returns the layer's table of rows by incident ID, built once.
func (l *layer) rowsByID() *idTable {
	l.idsOnce.Do(func() { l.ids = newIDTable(l.ix) })
	return l.ids
}

// loadMarkings gives a layer the restricted material its views apply,
// without reading every statement of the store as Index.View would (once
// per layer, so once per refresh): the sources' markings are base's (a
// change of them rebuilds), and the statements are those of the layer's
// incidents, read with them. Unmarked statements among them hide nothing.
func (l *layer) loadMarkings(ctx context.Context, base *Index) error {
	if base.mk == nil || l.ix.mk == nil {
		return nil
	}
	base.mk.mu.Lock()
	bm := base.mk.m
	base.mk.mu.Unlock()
	if bm == nil {
		return nil // Index.View reads them
	}
	mk := l.ix.mk
	mk.mu.Lock()
	defer mk.mu.Unlock()
	if mk.m != nil {
		return nil
	}
	m := &plotline.Markings{Sources: bm.Sources}
	if l.ix.n > 0 {
		ids := make([]string, l.ix.n)
		for r := range int32(l.ix.n) {
			ids[r] = l.ix.ids.get(r)
		}
		incs, err := l.ix.src.Incidents(ctx, plotline.IncidentFilter{IDs: ids}, plotline.AsOf{})
		if err != nil {
			return err
		}
		for _, in := range incs {
			for _, a := range in.Attributions {
				a.IncidentID = in.ID
				m.Statements = append(m.Statements, a)
			}
		}
	}
	mk.m = m
	return nil
}

// idTable finds a row by incident ID: open addressing over row numbers.
type idTable struct {
	seed  maphash.Seed
	mask  uint64
	slots []int32 // row + 1; 0 empty
}

func newIDTable(ix *Index) *idTable {
	size := uint64(1) << max(4, bits.Len64(uint64(ix.n)*4/3+1))
	t := &idTable{seed: maphash.MakeSeed(), mask: size - 1, slots: make([]int32, size)}
	for r := range int32(ix.n) {
		h := maphash.Bytes(t.seed, ix.idBytes(r)) & t.mask
		for t.slots[h] != 0 {
			h = (h + 1) & t.mask
		}
		t.slots[h] = r + 1
	}
	return t
}

func (t *idTable) row(ix *Index, id string) (int32, bool) {
	h := maphash.String(t.seed, id) & t.mask
	for {
		s := t.slots[h]
		if s == 0 {
			return 0, false
		}
		if string(ix.idBytes(s-1)) == id {
			return s - 1, true
		}
		h = (h + 1) & t.mask
	}
}

// newDeltaBuilder starts an index of changed incidents over base. The
// organisation is base's: its dictionaries of actors and countries are
// copied, so that the codes of every actor and home country are base's,
// and finishDelta lends it base's graph and organisation index instead of
// building them again (the larger part of a small layer's cost).
func newDeltaBuilder(src Source, base *Index) *builder {
	b := newBuilder(src, nil)
	b.ix.actorD, b.ix.country = cloneDict(base.actorD), cloneDict(base.country)
	return b
}

// finishDelta lays out the layer and gives it base's organisation. It
// reports false when a statement names an actor base does not know (an
// organisation change the source did not report): then rebuild.
func finishDelta(b *builder, base *Index) (*Index, bool) {
	ix := b.finish()
	if len(ix.actorD.s) != len(base.actorD.s) || len(base.org.segOff) != len(base.actorD.s)+1 {
		return nil, false
	}
	ix.g, ix.org, ix.actors, ix.affs = base.g, base.org, base.actors, base.affs
	ix.mk = &markings{}
	if base.mk != nil {
		ix.mk.orgs = base.mk.orgs // the same organisation per clearance
	}
	return ix, true
}

func cloneDict(d *dict) *dict {
	c := &dict{m: make(map[string]uint32, len(d.m)), s: slices.Clone(d.s)}
	for k, v := range d.m {
		c.m[k] = v
	}
	return c
}

// Snapshot is the engine's state at one store change: a full index, or
// after incremental refreshes a full index with layers of changed incidents
// over it. It answers exactly as a full index built at that change would.
// Immutable and safe for concurrent use.
type Snapshot struct {
	layers []*layer
	dead   [][]uint64 // per layer: rows a later layer replaced (nil: none)
	ixs    []*Index   // per layer: the index answered from (the clearance's view), dead rows applied
	change int64

	live, liveStmts int   // incidents and statements alive
	minDay, maxDay  int32 // date extent of the live rows (as Index.minDay, maxDay)

	withheld plotline.Withheld // in a view: what the clearance withholds
	isView   bool
	text     *textMemo // layered: the text searches of its layers; nil for one index

	mu    sync.Mutex
	views map[string]*Snapshot
}

// single wraps a full index.
func single(ix *Index) *Snapshot {
	return newSnapshot([]*layer{{ix: ix, change: ix.change}}, []([]uint64){nil})
}

// newSnapshot lays out the answering indexes of layers with their dead rows.
func newSnapshot(layers []*layer, dead [][]uint64) *Snapshot {
	if dead[0] == nil {
		dead[0] = layers[0].ix.dead // the base's merged records (links.go)
	}
	s := &Snapshot{layers: layers, dead: dead, change: layers[len(layers)-1].change}
	if len(layers) > 1 || dead[0] != nil {
		s.text = &textMemo{Source: layers[0].ix.src}
	}
	s.ixs = make([]*Index, len(layers))
	for i, l := range layers {
		s.ixs[i] = s.answering(l.ix, i)
	}
	s.extent()
	return s
}

// answering returns ix (layer i, or its view) as the snapshot answers from
// it: with the layer's dead rows, asking the snapshot's text memo. A
// one-index snapshot answers from the index itself.
func (s *Snapshot) answering(ix *Index, i int) *Index {
	if s.text == nil {
		return ix
	}
	c := *ix
	c.dead = s.dead[i]
	c.src = s.text
	return &c
}

// textMemo answers a layered snapshot's text searches once for all its
// layers (each compiles the query and asks for the same keys). A stored
// version never changes, and the layers ignore the keys of versions written
// after them, so an answer holds for the snapshot's life.
type textMemo struct {
	Source
	mu   sync.Mutex
	text []string
	keys [][]int64
}

// textMemoSize bounds the texts a memo keeps.
const textMemoSize = 8

func (m *textMemo) MatchText(ctx context.Context, text string, recorded *time.Time) ([]int64, error) {
	if recorded != nil {
		return m.Source.MatchText(ctx, text, recorded)
	}
	m.mu.Lock()
	if i := slices.Index(m.text, text); i >= 0 {
		keys := m.keys[i]
		m.mu.Unlock()
		return keys, nil
	}
	m.mu.Unlock()
	keys, err := m.Source.MatchText(ctx, text, nil)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.text) == textMemoSize {
		m.text, m.keys = m.text[1:], m.keys[1:]
	}
	m.text, m.keys = append(m.text, text), append(m.keys, keys)
	return keys, nil
}

// simple reports whether the snapshot is one full index: then every answer
// is the index's own.
func (s *Snapshot) simple() bool { return len(s.ixs) == 1 && s.dead[0] == nil }

// base is the full index (its organisation is every layer's).
func (s *Snapshot) base() *Index { return s.ixs[0] }

func isDead(dead []uint64, r int32) bool { return dead != nil && dead[r>>6]&(1<<(r&63)) != 0 }

// extent counts the live rows and statements and their date extent.
func (s *Snapshot) extent() {
	s.minDay, s.maxDay = math.MaxInt32, math.MinInt32
	for i, ix := range s.ixs {
		dead := s.dead[i]
		s.live += ix.n
		s.liveStmts += len(ix.aActor)
		if dead == nil {
			if ix.n > 0 {
				s.minDay, s.maxDay = min(s.minDay, ix.minDay), max(s.maxDay, ix.maxDay)
			}
			continue
		}
		for k, word := range dead {
			for word != 0 {
				r := int32(k*64 + bits.TrailingZeros64(word))
				word &= word - 1
				s.live--
				s.liveStmts -= int(ix.aOff[r+1] - ix.aOff[r])
			}
		}
		// Rows are sorted by start: the first live one has the least.
		first, last := int32(math.MaxInt32), int32(math.MinInt32)
		for r := range int32(ix.n) {
			if !isDead(dead, r) {
				first = ix.dStart[r]
				break
			}
		}
		// Backwards: a row ends at most maxSpan days after it starts.
		for r := int32(ix.n) - 1; r >= 0 && int64(ix.dStart[r])+int64(ix.maxSpan) >= int64(last); r-- {
			if !isDead(dead, r) {
				last = max(last, ix.dEnd[r])
			}
		}
		s.minDay, s.maxDay = min(s.minDay, first), max(s.maxDay, last)
	}
}

// deltaSize is how many incidents the layers over the base re-read.
func (s *Snapshot) deltaSize() int {
	n := 0
	for _, l := range s.layers[1:] {
		n += l.size
	}
	return n
}

// Layers is the number of indexes the snapshot answers from: 1 for a full
// index, more after incremental refreshes.
func (s *Snapshot) Layers() int { return len(s.layers) }

// Change is the store change the snapshot is at.
func (s *Snapshot) Change() int64 { return s.change }

// Graph returns the organisation graph.
func (s *Snapshot) Graph() *analysis.Graph { return s.base().g }

// Stats describes the snapshot: live incidents and statements, the base's
// build time.
func (s *Snapshot) Stats() Stats {
	st := s.base().Stats()
	st.Incidents, st.Attributions, st.Change = s.live, s.liveStmts, s.change
	return st
}

// Withheld returns what the view withholds (zero for a whole snapshot).
func (s *Snapshot) Withheld() plotline.Withheld {
	if s.simple() {
		return s.base().Withheld()
	}
	return s.withheld
}

func (s *Snapshot) withheldPtr() *plotline.Withheld {
	if w := s.Withheld(); w.Any() {
		return &w
	}
	return nil
}

// View returns the snapshot as a user cleared to clearance sees it
// (Index.View applied to every layer).
func (s *Snapshot) View(ctx context.Context, clearance string) (*Snapshot, error) {
	if clearance == "" || clearance == "red" || s.isView {
		return s, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.views[clearance]; ok {
		return v, nil
	}
	views := make([]*Index, len(s.layers))
	for i, l := range s.layers {
		if i > 0 {
			if err := l.loadMarkings(ctx, s.layers[0].ix); err != nil {
				return nil, err
			}
		}
		v, err := l.ix.View(ctx, clearance)
		if err != nil {
			return nil, err
		}
		views[i] = v
	}
	v := &Snapshot{layers: s.layers, dead: s.dead, change: s.change, isView: true,
		live: s.live, liveStmts: s.liveStmts, minDay: s.minDay, maxDay: s.maxDay}
	v.text = s.text
	v.ixs = make([]*Index, len(views))
	for i, ix := range views {
		v.ixs[i] = v.answering(ix, i)
	}
	v.withheld = viewWithheld(s.layers, views, s.dead)
	if s.views == nil {
		s.views = map[string]*Snapshot{}
	}
	s.views[clearance] = v
	return v, nil
}

// viewWithheld sums what the layers' views withhold among live rows. A
// view hides a statement by making it never stated (markings.go): stored
// statements always have a stated day, so a hidden one is told by its
// stated day in the view against the layer's own.
func viewWithheld(layers []*layer, views []*Index, dead [][]uint64) plotline.Withheld {
	var w plotline.Withheld
	for i, v := range views {
		lw := v.Withheld()
		// Sources, actors and affiliations are counted over the whole store:
		// every layer reads the same markings.
		w.Sources, w.Actors, w.Affiliations = max(w.Sources, lw.Sources), max(w.Actors, lw.Actors), max(w.Affiliations, lw.Affiliations)
		w.Incidents += lw.Incidents
		w.Attributions += lw.Attributions
		if v.view == nil || dead[i] == nil {
			continue
		}
		own := layers[i].ix
		for k, word := range dead[i] {
			for word != 0 {
				r := int32(k*64 + bits.TrailingZeros64(word))
				word &= word - 1
				if v.rowWithheld(r) {
					w.Incidents--
					continue
				}
				for a := v.aOff[r]; a < v.aOff[r+1]; a++ {
					if v.aStated[a] == noDay && own.aStated[a] != noDay {
						w.Attributions--
					}
				}
			}
		}
	}
	return w
}

// withLayer returns the snapshot with a new top layer that re-read ids:
// the layers from keep on are dropped (their incidents are among ids), and
// the rows of ids in the layers below die.
func (s *Snapshot) withLayer(keep int, top *layer, ids []string) *Snapshot {
	layers := append(slices.Clone(s.layers[:keep]), top)
	dead := make([][]uint64, len(layers))
	copy(dead, s.dead[:keep])
	for i, l := range layers[:keep] {
		t := l.rowsByID()
		var bm []uint64
		for _, id := range ids {
			r, ok := t.row(l.ix, id)
			if !ok || isDead(dead[i], r) {
				continue
			}
			if bm == nil {
				bm = make([]uint64, (l.ix.n+63)/64)
				copy(bm, dead[i])
			}
			bm[r>>6] |= 1 << (r & 63)
		}
		if bm != nil {
			dead[i] = bm
		}
	}
	return newSnapshot(layers, dead)
}
