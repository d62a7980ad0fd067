package httpapi

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
)

// EngineAnalytics answers the API's analytics with the engine's index.
// Before answering it refreshes the index when the store has changed
// (checked at most once per MaxStale, so writes made by the UI or another
// process show within that time); the server's own writes refresh at once.
type EngineAnalytics struct {
	Engine *engine.Engine
	// MaxStale bounds how old the index may be; default 1 s.
	MaxStale time.Duration

	mu      sync.Mutex
	checked time.Time
	// reports caches report answers for the snapshot they were computed
	// on: the dashboard asks the same few questions over and over.
	reportIx *engine.Snapshot
	reports  map[ReportRequest]*analysis.ExternalOpsReport

	// cache keeps the pending drafts' number and the organisation's source
	// markings until the store's next change, for the API and the UI.
	cache ChangeCache
}

var _ ChangeCacher = (*EngineAnalytics)(nil)

// ChangeCache returns the analytics' cache of answers per store change.
func (a *EngineAnalytics) ChangeCache() *ChangeCache { return &a.cache }

// reportCacheSize bounds the cached reports (per index).
const reportCacheSize = 64

var _ Refresher = (*EngineAnalytics)(nil)

// Refresh brings the index up to the store's last change: incrementally
// after a write of incidents and attributions (engine.Engine.Refresh).
func (a *EngineAnalytics) Refresh(ctx context.Context) error {
	a.mu.Lock()
	a.checked = time.Now()
	a.mu.Unlock()
	_, err := a.Engine.Refresh(ctx)
	return err
}

func (a *EngineAnalytics) fresh(ctx context.Context) error {
	stale := a.MaxStale
	if stale <= 0 {
		stale = time.Second
	}
	a.mu.Lock()
	due := time.Since(a.checked) >= stale
	if due {
		a.checked = time.Now()
	}
	a.mu.Unlock()
	if !due {
		return nil
	}
	_, err := a.Engine.Refresh(ctx)
	return err
}

// request turns the API's request into the engine's, parsing the query.
func (a *EngineAnalytics) request(ctx context.Context, req QueryRequest) (engine.Request, error) {
	if err := a.fresh(ctx); err != nil {
		return engine.Request{}, err
	}
	out := engine.Request{AsOf: req.AsOf, Rule: req.Rule, GroupBy: req.By, Limit: req.Limit, Clearance: plotline.Acting(ctx).Clearance}
	if req.Q != "" {
		q, err := query.Parse(req.Q)
		if err != nil {
			return out, queryError(err)
		}
		out.Query = q
	}
	return out, nil
}

// queryError names the API's parameter q in a query language error; the
// message keeps the position and the suggestion.
func queryError(err error) error {
	var se *query.SyntaxError
	if errors.As(err, &se) {
		return &plotline.Error{Code: plotline.EINVALID, Field: "q", Message: strings.TrimPrefix(se.Error(), "query ")}
	}
	return err
}

// renameField gives an engine's field error the API's parameter name.
func renameField(err error, from, to string) error {
	var pe *plotline.Error
	if errors.As(err, &pe) && pe.Field == from {
		e := *pe
		e.Field = to
		return &e
	}
	return queryError(err)
}

// Report runs the external-ops report with the engine selecting incidents.
func (a *EngineAnalytics) Report(ctx context.Context, req ReportRequest) (*analysis.ExternalOpsReport, error) {
	if err := a.fresh(ctx); err != nil {
		return nil, err
	}
	ix, err := a.Engine.Snapshot(ctx, plotline.AsOf{Recorded: req.AsOf.Recorded})
	if err != nil {
		return nil, err
	}
	req.Clearance = plotline.Acting(ctx).Clearance // reports are cached per clearance
	key, cacheable := reportKey(req)
	if cacheable {
		a.mu.Lock()
		rep, ok := a.reports[key]
		if a.reportIx != ix {
			ok = false
		}
		a.mu.Unlock()
		if ok {
			return rep, nil // reports are never modified after they are made
		}
	}
	view, err := ix.View(ctx, req.Clearance)
	if err != nil {
		return nil, err
	}
	// Names resolve in the organisation the clearance sees: an actor
	// withheld from it is no actor at all.
	p, err := ReportParams(view.Graph(), req)
	if err != nil {
		return nil, err
	}
	rep, err := view.ExternalOps(ctx, p)
	if err != nil || !cacheable {
		return rep, err
	}
	a.mu.Lock()
	if a.reportIx != ix || len(a.reports) >= reportCacheSize {
		a.reportIx, a.reports = ix, map[ReportRequest]*analysis.ExternalOpsReport{}
	}
	a.reports[key] = rep
	a.mu.Unlock()
	return rep, nil
}

// Graph returns the organisation graph of the index at asOf's record
// clock, as fresh as the other answers. The web UI draws its organisation
// chart and names actors with it.
func (a *EngineAnalytics) Graph(ctx context.Context, asOf plotline.AsOf) (*analysis.Graph, error) {
	if err := a.fresh(ctx); err != nil {
		return nil, err
	}
	s, err := a.Engine.Snapshot(ctx, plotline.AsOf{Recorded: asOf.Recorded})
	if err != nil {
		return nil, err
	}
	return s.Graph(), nil
}

// reportKey is a comparable form of a request. Requests on the record clock
// are not cached (their index is rebuilt on demand anyway).
func reportKey(req ReportRequest) (ReportRequest, bool) {
	if req.AsOf.Recorded != nil {
		return req, false
	}
	k := req
	if k.AsOf.Stated != nil {
		// The stated day is the report's as-of day, as Today is without
		// it; the pointer itself would not compare by value.
		k.Today = *k.AsOf.Stated
		k.AsOf.Stated = nil
	}
	return k, true
}

// Match lists matching incident IDs.
func (a *EngineAnalytics) Match(ctx context.Context, req QueryRequest, offset, limit int) (*Matches, error) {
	r, err := a.request(ctx, req)
	if err != nil {
		return nil, err
	}
	r.GroupBy, r.Offset, r.Limit = nil, offset, limit
	m, err := a.Engine.Match(ctx, r)
	if err != nil {
		return nil, queryError(err)
	}
	return &Matches{Total: m.Total, IDs: m.IDs, Linked: m.Linked}, nil
}

// Count groups by up to three dimensions.
func (a *EngineAnalytics) Count(ctx context.Context, req QueryRequest) (any, error) {
	r, err := a.request(ctx, req)
	if err != nil {
		return nil, err
	}
	t, err := a.Engine.Count(ctx, r)
	if err != nil {
		return nil, renameField(err, "group_by", "by")
	}
	return t, nil
}

// CrossTabView is the JSON form of a cross-tab.
type CrossTabView struct {
	Rows      string    `json:"rows"`
	Cols      string    `json:"cols"`
	Rule      string    `json:"rule"`
	RowKeys   []string  `json:"row_keys"`
	ColKeys   []string  `json:"col_keys"`
	Cells     [][]int64 `json:"cells"`
	RowTotals []int64   `json:"row_totals"`
	ColTotals []int64   `json:"col_totals"`
	// Total counts each incident once; a cell counts an incident in every
	// group it belongs to, so cells may add up to more.
	Total int `json:"total"`
	// Withheld counts what the clearance withheld from the whole index.
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// CrossTab counts by two dimensions and lays the result out as a matrix.
func (a *EngineAnalytics) CrossTab(ctx context.Context, req QueryRequest) (any, error) {
	r, err := a.request(ctx, req)
	if err != nil {
		return nil, err
	}
	t, err := a.Engine.Count(ctx, r)
	if err != nil {
		return nil, renameField(err, "group_by", "rows")
	}
	x, err := t.Pivot()
	if err != nil {
		return nil, renameField(err, "group_by", "rows")
	}
	v := CrossTabView{Rows: x.RowDim, Cols: x.ColDim, Rule: t.Rule, RowKeys: x.Rows, ColKeys: x.Cols, Cells: x.Cells,
		RowTotals: x.RowTotals, ColTotals: x.ColTotals, Total: t.Total, Withheld: t.Withheld}
	if v.RowKeys == nil {
		v.RowKeys, v.ColKeys, v.Cells, v.RowTotals, v.ColTotals = []string{}, []string{}, [][]int64{}, []int64{}, []int64{}
	}
	return v, nil
}

// Series counts per time bucket.
func (a *EngineAnalytics) Series(ctx context.Context, req QueryRequest) (any, error) {
	r, err := a.request(ctx, req)
	if err != nil {
		return nil, err
	}
	sr := engine.SeriesRequest{Request: r, Interval: req.Every}
	sr.GroupBy = nil
	if req.From != nil {
		sr.From = *req.From
	}
	if req.To != nil {
		sr.To = *req.To
	}
	if len(req.By) > 0 {
		return nil, plotline.FieldError("by", "the engine's series does not split by a dimension; run one series per value with q")
	}
	s, err := a.Engine.Series(ctx, sr)
	if err != nil {
		return nil, renameField(err, "interval", "every")
	}
	return s, nil
}

// Projection projects the period's total.
func (a *EngineAnalytics) Projection(ctx context.Context, req QueryRequest) (any, error) {
	r, err := a.request(ctx, req)
	if err != nil {
		return nil, err
	}
	r.GroupBy = nil
	pr := engine.ProjectionRequest{Request: r, From: *req.From, To: *req.To}
	if len(req.By) == 1 {
		pr.Per = req.By[0]
	} else {
		// engine.Projection reads each group's first key even when no
		// dimension was asked for, and panics on the ungrouped row; ask per
		// kind and drop the groups until that is fixed in the engine.
		pr.Per = "kind"
	}
	p, err := a.Engine.Projection(ctx, pr)
	if err != nil {
		return nil, renameField(err, "group_by", "by")
	}
	if len(req.By) == 0 {
		p.Groups = nil
	}
	return p, nil
}
