package web

import (
	"context"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// Analytics answers the pages' questions without reading the whole store:
// the external-ops report (dashboard, map, network), the incidents a filter
// selects (incident table) and the organisation graph (org chart, names,
// pickers). *httpapi.EngineAnalytics implements it over the engine's index;
// plotline serve passes the same value the API answers from, so the UI and
// the API share one index and one report cache.
type Analytics interface {
	Report(ctx context.Context, req httpapi.ReportRequest) (*analysis.ExternalOpsReport, error)
	// Match lists the IDs of the incidents q selects (known on the view's
	// day), ordered by date start then ID: limit of them (0: all) from
	// offset, and the total.
	Match(ctx context.Context, req httpapi.QueryRequest, offset, limit int) (*httpapi.Matches, error)
	Graph(ctx context.Context, asOf plotline.AsOf) (*analysis.Graph, error)
	// Refresh brings the answers up to date after the UI's own writes.
	Refresh(ctx context.Context) error
}

var _ Analytics = (*httpapi.EngineAnalytics)(nil)

// storeAnalytics is the fallback for a store that cannot feed the engine:
// it reads a whole store snapshot per question, and filters the incident
// table with the built-in filter (filter.go). Fine for the curated data,
// not for millions of events.
type storeAnalytics struct {
	store plotline.Store
	cache httpapi.ChangeCache // answers kept per store change
}

// ChangeCache returns the cache of answers per store change (httpapi.ChangeCacher).
func (a *storeAnalytics) ChangeCache() *httpapi.ChangeCache { return &a.cache }

func (a *storeAnalytics) snapshot(ctx context.Context, asOf plotline.AsOf) (*plotline.Snapshot, *analysis.Graph, error) {
	snap, err := a.store.Snapshot(ctx, plotline.AsOf{Recorded: asOf.Recorded})
	if err != nil {
		return nil, nil, err
	}
	snap, _ = plotline.VisibilityFor(ctx, nil).Snapshot(snap) // TLP markings (markings.go)
	return snap, analysis.NewGraph(snap.Actors, snap.Affiliations), nil
}

func (a *storeAnalytics) Report(ctx context.Context, req httpapi.ReportRequest) (*analysis.ExternalOpsReport, error) {
	snap, g, err := a.snapshot(ctx, req.AsOf)
	if err != nil {
		return nil, err
	}
	p, err := httpapi.ReportParams(g, req)
	if err != nil {
		return nil, err
	}
	return analysis.ExternalOps(g, snap.Incidents, p), nil
}

func (a *storeAnalytics) Match(ctx context.Context, req httpapi.QueryRequest, offset, limit int) (*httpapi.Matches, error) {
	snap, g, err := a.snapshot(ctx, req.AsOf)
	if err != nil {
		return nil, err
	}
	f, err := parseFilter(req.Q, g)
	if err != nil {
		return nil, err
	}
	day := req.Today
	if req.AsOf.Stated != nil {
		day = *req.AsOf.Stated
	}
	m := &httpapi.Matches{IDs: []string{}}
	for _, raw := range snap.Incidents { // the store lists incidents by date start, then ID
		in, ok := raw.AsKnownOn(day)
		if !ok || !f.match(g, &in, day) {
			continue
		}
		if m.Total >= offset && (limit <= 0 || len(m.IDs) < limit) {
			m.IDs = append(m.IDs, in.ID)
		}
		m.Total++
	}
	return m, nil
}

func (a *storeAnalytics) Graph(ctx context.Context, asOf plotline.AsOf) (*analysis.Graph, error) {
	rec := plotline.AsOf{Recorded: asOf.Recorded}
	actors, err := a.store.Actors(ctx, rec)
	if err != nil {
		return nil, err
	}
	affs, err := a.store.Affiliations(ctx, rec)
	if err != nil {
		return nil, err
	}
	return analysis.NewGraph(actors, affs), nil
}

func (a *storeAnalytics) Refresh(context.Context) error { return nil }
