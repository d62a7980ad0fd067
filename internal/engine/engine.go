package engine

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plotline-dev/plotline"
)

// Engine keeps the current index of a Source and answers questions on it.
// It is safe for concurrent use; Refresh swaps in a new index while readers
// finish on the old one.
type Engine struct {
	src Source
	cur atomic.Pointer[Index]

	buildMu sync.Mutex // one build at a time

	recMu  sync.Mutex
	recent []*Index // indexes at past record instants, most recent use last
}

// recordCache is how many record-clock indexes are kept.
const recordCache = 2

// New builds the index of src as it is now.
func New(ctx context.Context, src Source) (*Engine, error) {
	e := &Engine{src: src}
	ix, err := Build(ctx, src, nil)
	if err != nil {
		return nil, err
	}
	e.cur.Store(ix)
	return e, nil
}

// Build reads src at the record instant (nil: now) into a new index.
func Build(ctx context.Context, src Source, recorded *time.Time) (*Index, error) {
	start := time.Now()
	b := newBuilder(src, recorded)
	change, err := src.ScanIndex(ctx, recorded, b)
	if err != nil {
		return nil, fmt.Errorf("build index: %w", err)
	}
	ix := b.finish()
	ix.mk = &markings{}
	ix.change = change
	ix.built = time.Since(start)
	return ix, nil
}

// Refresh rebuilds the index when the store has changed since it was built,
// and reports whether it did.
func (e *Engine) Refresh(ctx context.Context) (bool, error) {
	e.buildMu.Lock()
	defer e.buildMu.Unlock()
	last, err := e.src.LastChange(ctx)
	if err != nil {
		return false, err
	}
	if last == e.cur.Load().change {
		return false, nil
	}
	ix, err := Build(ctx, e.src, nil)
	if err != nil {
		return false, err
	}
	e.cur.Store(ix)
	return true, nil
}

// Index returns the index for the record clock of asOf: the current one, or
// one built (and cached) for a past instant.
func (e *Engine) Index(ctx context.Context, asOf plotline.AsOf) (*Index, error) {
	if asOf.Recorded == nil {
		return e.cur.Load(), nil
	}
	at := asOf.Recorded.UTC()
	e.recMu.Lock()
	for i, ix := range e.recent {
		if ix.recorded.Equal(at) {
			e.recent = append(append(e.recent[:i:i], e.recent[i+1:]...), ix)
			e.recMu.Unlock()
			return ix, nil
		}
	}
	e.recMu.Unlock()
	ix, err := Build(ctx, e.src, &at)
	if err != nil {
		return nil, err
	}
	e.recMu.Lock()
	e.recent = append(e.recent, ix)
	if len(e.recent) > recordCache {
		e.recent = e.recent[len(e.recent)-recordCache:]
	}
	e.recMu.Unlock()
	return ix, nil
}

// indexFor is Index seen at a clearance (Index.View).
func (e *Engine) indexFor(ctx context.Context, asOf plotline.AsOf, clearance string) (*Index, error) {
	ix, err := e.Index(ctx, asOf)
	if err != nil {
		return nil, err
	}
	return ix.View(ctx, clearance)
}

// Stats describes the current index.
func (e *Engine) Stats() Stats { return e.cur.Load().Stats() }

// Match lists the matching incidents.
func (e *Engine) Match(ctx context.Context, req Request) (*Matches, error) {
	ix, err := e.indexFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	m, err := ix.Match(ctx, req)
	if m != nil {
		m.Withheld = ix.withheldPtr()
	}
	return m, err
}

// Count groups and counts (or sums) the matching incidents.
func (e *Engine) Count(ctx context.Context, req Request) (*Table, error) {
	ix, err := e.indexFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	t, err := ix.Count(ctx, req)
	if t != nil {
		t.Withheld = ix.withheldPtr()
	}
	return t, err
}

// Series counts the matching incidents per period.
func (e *Engine) Series(ctx context.Context, req SeriesRequest) (*Series, error) {
	ix, err := e.indexFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	s, err := ix.Series(ctx, req)
	if s != nil {
		s.Withheld = ix.withheldPtr()
	}
	return s, err
}

// Disagreements lists, for the matching incidents, every standing claim
// that names a different unit than a standing official statement.
func (e *Engine) Disagreements(ctx context.Context, req Request) ([]Disagreement, error) {
	ix, err := e.indexFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	return ix.Disagreements(ctx, req)
}

// Projection projects the matching incidents to the end of a period.
func (e *Engine) Projection(ctx context.Context, req ProjectionRequest) (*Projection, error) {
	ix, err := e.indexFor(ctx, req.AsOf, req.Clearance)
	if err != nil {
		return nil, err
	}
	return ix.Projection(ctx, req)
}

// Changes compares two as-of points.
func (e *Engine) Changes(ctx context.Context, req ChangesRequest) (*ChangeSet, error) {
	a, err := e.indexFor(ctx, req.From, req.Clearance)
	if err != nil {
		return nil, err
	}
	b, err := e.indexFor(ctx, req.To, req.Clearance)
	if err != nil {
		return nil, err
	}
	return changes(ctx, a, b, req)
}
