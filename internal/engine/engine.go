package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// Engine keeps the current snapshot of a Source and answers questions on
// it. It is safe for concurrent use: readers never wait; Refresh and
// background builds swap in a new snapshot while readers finish on the old.
type Engine struct {
	src Source
	opt Options
	cur atomic.Pointer[Snapshot]

	mu       sync.Mutex // one refresh or install at a time; guards what follows
	building bool       // a background build is running
	buildErr error      // a failed background build, for the next Refresh
	closed   bool

	bg     sync.WaitGroup
	bgCtx  context.Context
	cancel context.CancelFunc

	recMu  sync.Mutex
	recent []*Snapshot // indexes at past record instants, most recent use last
}

// Options tune an Engine's refreshes.
type Options struct {
	// DeltaRows is how many changed incidents incremental refreshes may
	// layer over the full index before it is rebuilt in the background
	// (default: 5% of its incidents, at most 50,000, at least 1,000). A
	// refresh that finds four times as many changes at once rebuilds
	// before it returns.
	DeltaRows int
	// Logger reports background builds; nil: none.
	Logger *slog.Logger
}

// recordCache is how many record-clock indexes are kept.
const recordCache = 2

// New builds the index of src as it is now.
func New(ctx context.Context, src Source) (*Engine, error) {
	return NewWithOptions(ctx, src, Options{})
}

// NewWithOptions is New with options.
func NewWithOptions(ctx context.Context, src Source, opt Options) (*Engine, error) {
	ix, err := Build(ctx, src, nil)
	if err != nil {
		return nil, err
	}
	e := &Engine{src: src, opt: opt}
	e.bgCtx, e.cancel = context.WithCancel(context.WithoutCancel(ctx))
	e.cur.Store(single(ix))
	return e, nil
}

// Close stops a background build and waits for it. The engine keeps
// answering; refreshes are complete rebuilds from then on.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.bg.Wait()
}

// Build reads src at the record instant (nil: now) into a new index.
func Build(ctx context.Context, src Source, recorded *time.Time) (*Index, error) {
	start := time.Now()
	b := newBuilder(src, recorded)
	change, err := src.ScanIndex(ctx, recorded, b)
	if err != nil {
		return nil, fmt.Errorf("build index: %w", err)
	}
	pairs, stamp, err := readLinks(ctx, src, recorded)
	if err != nil {
		return nil, fmt.Errorf("build index: %w", err)
	}
	b.pairs = pairs
	if mr, ok := src.(plotline.MarkingReader); ok && len(pairs) > 0 {
		// The record standing for a linked group is the most widely visible (links.go).
		if b.marks, err = mr.Markings(ctx, plotline.AsOf{Recorded: recorded}); err != nil {
			return nil, fmt.Errorf("build index: %w", err)
		}
	}
	ix := b.finish()
	ix.links.stamp = stamp
	ix.mk = &markings{orgs: &orgViews{}, m: b.marks}
	ix.change = change
	ix.built = time.Since(start)
	return ix, nil
}

// Refresh brings the engine up to the store's last change and reports
// whether it did anything. A store that can list what changed
// (DeltaSource) is read incrementally: only the incidents changed since the
// snapshot, layered over the full index (delta.go), unless actors,
// affiliations or source markings changed or too much changed at once; then,
// and for other stores, the index is rebuilt in full. Concurrent calls
// coalesce: a call whose store change a refresh already covered returns at
// once. A background build that failed since the last call is returned
// (wrapped) after the refresh; the old index kept serving.
func (e *Engine) Refresh(ctx context.Context) (bool, error) {
	last, err := e.src.LastChange(ctx)
	if err != nil {
		return false, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	bgErr := e.buildErr
	e.buildErr = nil
	if bgErr != nil {
		bgErr = fmt.Errorf("background index build: %w", bgErr)
	}
	cur := e.cur.Load()
	relink, err := linkChanged(ctx, e.src, cur.layers[0].ix)
	if err != nil {
		return false, err
	}
	if last <= cur.change && !relink {
		return false, bgErr
	}
	var next *Snapshot
	if ds, ok := e.src.(DeltaSource); ok && !e.closed && !relink {
		s, rebuild, err := e.advance(ctx, cur, ds)
		if err != nil {
			return false, err
		}
		if !rebuild {
			next = s
		}
	}
	if next == nil {
		ix, err := Build(ctx, e.src, nil)
		if err != nil {
			return false, err
		}
		next = single(ix)
	}
	if next == cur {
		return false, bgErr
	}
	e.cur.Store(next)
	if next.deltaSize() > e.deltaRows(next.base().n) {
		e.startBuild()
	}
	return true, bgErr
}

// deltaRows is Options.DeltaRows for a full index of n incidents.
func (e *Engine) deltaRows(n int) int {
	if e.opt.DeltaRows > 0 {
		return e.opt.DeltaRows
	}
	return max(min(n/20, 50_000), 1_000)
}

// advance reads the incidents changed since a layer of cur into a new top
// layer (delta.go: the binary counter picks the layer). It reports rebuild
// when the source says the whole index must be built again.
func (e *Engine) advance(ctx context.Context, cur *Snapshot, ds DeltaSource) (*Snapshot, bool, error) {
	keep, level := len(cur.layers), 0
	for keep > 1 && cur.layers[keep-1].level == level {
		keep--
		level++
	}
	base := cur.layers[0].ix
	start := time.Now()
	b := newDeltaBuilder(e.src, base)
	got, err := ds.ScanChanged(ctx, cur.layers[keep-1].change, 4*e.deltaRows(base.n), b.Parts(1)[0])
	if err != nil {
		return nil, false, fmt.Errorf("refresh index: %w", err)
	}
	if got.Rebuild || base.touchesLinked(got.IDs) {
		return nil, true, nil // a linked group is never split across layers (links.go)
	}
	if got.Change <= cur.change {
		return cur, false, nil
	}
	ix, ok := finishDelta(b, base)
	if !ok {
		return nil, true, nil
	}
	ix.change = got.Change
	ix.built = time.Since(start)
	return cur.withLayer(keep, &layer{ix: ix, change: got.Change, level: level, size: len(got.IDs)}, got.IDs), false, nil
}

// startBuild rebuilds the full index in the background and installs it;
// e.mu is held.
func (e *Engine) startBuild() {
	if e.building || e.closed {
		return
	}
	e.building = true
	e.bg.Add(1)
	go func() {
		defer e.bg.Done()
		start := time.Now()
		ix, err := Build(e.bgCtx, e.src, nil)
		var l *layer
		if err == nil {
			l = &layer{ix: ix, change: ix.change}
			l.rowsByID() // ready for the refreshes to come
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		e.building = false
		if err == nil {
			err = e.install(e.bgCtx, l)
		}
		if err != nil {
			e.buildErr = err
			e.logError("background index build failed; the layered index keeps serving", err)
			return
		}
		if e.opt.Logger != nil {
			e.opt.Logger.Info("analytics index rebuilt in the background", "incidents", ix.n, "change", ix.change, "took", time.Since(start).Round(time.Millisecond))
		}
	}()
}

func (e *Engine) logError(msg string, err error) {
	if e.opt.Logger != nil {
		e.opt.Logger.Error(msg, "err", err)
	}
}

// install makes a full index current, with the changes made since it was
// read layered over it; e.mu is held. An index older than the current base
// is dropped.
func (e *Engine) install(ctx context.Context, l *layer) error {
	cur := e.cur.Load()
	if cur.layers[0].change >= l.change {
		return nil
	}
	s := newSnapshot([]*layer{l}, [][]uint64{nil})
	if cur.change > l.change {
		ds, ok := e.src.(DeltaSource)
		if !ok {
			return nil // cannot catch up; the current snapshot is newer
		}
		next, rebuild, err := e.advance(ctx, s, ds)
		if err != nil {
			return err
		}
		if rebuild {
			return nil // a refresh will rebuild
		}
		s = next
	}
	e.cur.Store(s)
	return nil
}

// Snapshot returns what the engine answers from at asOf's record clock: the
// current snapshot, or one of an index built (and cached) for a past instant.
func (e *Engine) Snapshot(ctx context.Context, asOf plotline.AsOf) (*Snapshot, error) {
	if asOf.Recorded == nil {
		return e.cur.Load(), nil
	}
	at := asOf.Recorded.UTC()
	e.recMu.Lock()
	for i, s := range e.recent {
		if s.base().recorded.Equal(at) {
			e.recent = append(append(e.recent[:i:i], e.recent[i+1:]...), s)
			e.recMu.Unlock()
			return s, nil
		}
	}
	e.recMu.Unlock()
	ix, err := Build(ctx, e.src, &at)
	if err != nil {
		return nil, err
	}
	s := single(ix)
	e.recMu.Lock()
	e.recent = append(e.recent, s)
	if len(e.recent) > recordCache {
		e.recent = e.recent[len(e.recent)-recordCache:]
	}
	e.recMu.Unlock()
	return s, nil
}

// Index returns a full index for the record clock of asOf. When incremental
// refreshes have layered changes over the current one, it builds a full
// index now (and installs it): servers ask the Snapshot instead.
func (e *Engine) Index(ctx context.Context, asOf plotline.AsOf) (*Index, error) {
	s, err := e.Snapshot(ctx, asOf)
	if err != nil {
		return nil, err
	}
	if s.simple() {
		return s.base(), nil
	}
	return e.Compact(ctx)
}

// Compact builds the full index now and makes it current (with any change
// made meanwhile layered over it), returning it.
func (e *Engine) Compact(ctx context.Context) (*Index, error) {
	ix, err := Build(ctx, e.src, nil)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.install(ctx, &layer{ix: ix, change: ix.change}); err != nil {
		return nil, err
	}
	return ix, nil
}

// snapshotFor is Snapshot seen at a clearance (Snapshot.View).
func (e *Engine) snapshotFor(ctx context.Context, asOf plotline.AsOf, clearance string) (*Snapshot, error) {
	s, err := e.Snapshot(ctx, asOf)
	if err != nil {
		return nil, err
	}
	return s.View(ctx, clearance)
}

// Stats describes the current index.
func (e *Engine) Stats() Stats { return e.cur.Load().Stats() }

// ExternalOps runs the external-ops report on the snapshot at asOf's record
// clock, seen at a clearance (as Request.Clearance).
func (e *Engine) ExternalOps(ctx context.Context, recorded *time.Time, clearance string, p analysis.ExternalOpsParams) (*analysis.ExternalOpsReport, error) {
	s, err := e.snapshotFor(ctx, plotline.AsOf{Recorded: recorded}, clearance)
	if err != nil {
		return nil, err
	}
	return s.ExternalOps(ctx, p)
}

// Match lists the matching incidents.
func (e *Engine) Match(ctx context.Context, req Request) (*Matches, error) {
	s, err := e.snapshotFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	m, err := s.Match(ctx, req)
	if m != nil {
		m.Withheld = s.withheldPtr()
	}
	return m, err
}

// Count groups and counts (or sums) the matching incidents.
func (e *Engine) Count(ctx context.Context, req Request) (*Table, error) {
	s, err := e.snapshotFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	t, err := s.Count(ctx, req)
	if t != nil {
		t.Withheld = s.withheldPtr()
	}
	return t, err
}

// Series counts the matching incidents per period.
func (e *Engine) Series(ctx context.Context, req SeriesRequest) (*Series, error) {
	s, err := e.snapshotFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	sr, err := s.Series(ctx, req)
	if sr != nil {
		sr.Withheld = s.withheldPtr()
	}
	return sr, err
}

// Disagreements lists, for the matching incidents, every standing claim
// that names a different unit than a standing official statement.
func (e *Engine) Disagreements(ctx context.Context, req Request) ([]Disagreement, error) {
	s, err := e.snapshotFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	return s.Disagreements(ctx, req)
}

// Projection projects the matching incidents to the end of a period.
func (e *Engine) Projection(ctx context.Context, req ProjectionRequest) (*Projection, error) {
	s, err := e.snapshotFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	return s.Projection(ctx, req)
}

// Changes compares two as-of points.
func (e *Engine) Changes(ctx context.Context, req ChangesRequest) (*ChangeSet, error) {
	a, err := e.snapshotFor(ctx, req.From, req.Clearance)
	if err != nil {
		return nil, err
	}
	b, err := e.snapshotFor(ctx, req.To, req.Clearance)
	if err != nil {
		return nil, err
	}
	return snapshotChanges(ctx, a, b, req)
}
