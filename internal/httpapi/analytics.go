package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// Analytics answers the aggregate questions of the API. internal/engine
// provides the full implementation (cmd/plotline adapts it);
// SnapshotAnalytics is the fallback that needs nothing but a store.
//
// Results other than the report are encoded as JSON as they are returned,
// so the engine's own result types define those answers' shape.
type Analytics interface {
	// Report is the external-operations report, the same JSON as
	// `plotline report external-ops --format json`.
	Report(ctx context.Context, req ReportRequest) (*analysis.ExternalOpsReport, error)
	// Match lists the IDs of the incidents a query selects, ordered by date
	// start then ID: limit of them (0: all) from offset, and the total.
	Match(ctx context.Context, req QueryRequest, offset, limit int) (*Matches, error)
	Count(ctx context.Context, req QueryRequest) (any, error)
	CrossTab(ctx context.Context, req QueryRequest) (any, error)
	Series(ctx context.Context, req QueryRequest) (any, error)
	Projection(ctx context.Context, req QueryRequest) (any, error)
}

// ReportRequest are the external-ops report's inputs, as the user wrote them.
type ReportRequest struct {
	From, To  plotline.Day
	RelatedTo string // actor ID, name or alias; "" = no split
	Org       string // actor ID, name or alias; "" = the root of RelatedTo
	Rule      string // counting rule; "" = any
	AsOf      plotline.AsOf
	Today     plotline.Day // the world-clock day when AsOf.Stated is nil
	// Clearance is the acting user's (plotline.Acting), filled in by the
	// analytics from the request's context; it keys cached reports.
	Clearance string
}

// QueryRequest is one analytics question in the query language.
type QueryRequest struct {
	Q     string        // the query language; "" selects everything
	AsOf  plotline.AsOf // both clocks
	Today plotline.Day  // the world-clock day when AsOf.Stated is nil
	Rule  string        // counting rule for actor-level questions; "" = the query's or any
	By    []string      // count: up to three dimensions; crosstab: rows then columns
	Every string        // series: week, month, quarter, half or year
	From  *plotline.Day // series and projection: the period
	To    *plotline.Day
	Limit int // top-N where the answer is ranked; 0 = the implementation's default
}

// Matches is a page of incident IDs and the number of all matches.
type Matches struct {
	Total int
	IDs   []string
	// Linked: the other records of a listed incident's linked group
	// (engine.Matches.Linked), counted with it; not sent to clients as is.
	Linked map[string][]string
}

// Refresher is implemented by analytics that keep an index of the store:
// the server calls Refresh after its own writes, so that a client reads
// what it just wrote.
type Refresher interface {
	Refresh(ctx context.Context) error
}

// SnapshotAnalytics answers the report from a store snapshot (kept until
// the store records a new change, when the store can tell) and returns
// not_implemented for what needs the engine.
type SnapshotAnalytics struct {
	Store plotline.Store

	mu     sync.Mutex
	change int64 // the store's last change when snap was read; -1 = no cache
	snap   *plotline.Snapshot
	graph  *analysis.Graph
	cache  ChangeCache
}

// snapshot returns the current snapshot and its graph, re-reading only when
// the store changed. Snapshots at a recorded time are never cached.
func (a *SnapshotAnalytics) snapshot(ctx context.Context, asOf plotline.AsOf) (*plotline.Snapshot, *analysis.Graph, error) {
	rec := plotline.AsOf{Recorded: asOf.Recorded}
	cn, canCache := a.Store.(plotline.ChangeNotifier)
	canCache = canCache && rec.Recorded == nil
	var last int64
	if canCache {
		var err error
		if last, err = cn.LastChange(ctx); err != nil {
			return nil, nil, err
		}
		a.mu.Lock()
		snap, g, ok := a.snap, a.graph, a.snap != nil && a.change == last
		a.mu.Unlock()
		if ok {
			return snap, g, nil
		}
	}
	snap, err := a.Store.Snapshot(ctx, rec)
	if err != nil {
		return nil, nil, err
	}
	g := analysis.NewGraph(snap.Actors, snap.Affiliations)
	if canCache {
		a.mu.Lock()
		a.snap, a.graph, a.change = snap, g, last
		a.mu.Unlock()
	}
	return snap, g, nil
}

// Report computes the external-ops report.
func (a *SnapshotAnalytics) Report(ctx context.Context, req ReportRequest) (*analysis.ExternalOpsReport, error) {
	snap, g, err := a.snapshot(ctx, req.AsOf)
	if err != nil {
		return nil, err
	}
	p, err := ReportParams(g, req)
	if err != nil {
		return nil, err
	}
	seen, withheld := plotline.VisibilityFor(ctx, nil).Snapshot(snap)
	rep := analysis.ExternalOps(g, seen.Incidents, p)
	if withheld.Any() {
		rep.Withheld = &withheld
	}
	return rep, nil
}

// ReportParams resolves a request's names against the graph.
func ReportParams(g *analysis.Graph, req ReportRequest) (analysis.ExternalOpsParams, error) {
	p := analysis.ExternalOpsParams{From: req.From, To: req.To, AsOf: req.Today}
	if req.AsOf.Stated != nil {
		p.AsOf = *req.AsOf.Stated
	}
	var err error
	if p.Rule, err = analysis.ParseRule(req.Rule); err != nil {
		return p, err
	}
	for _, x := range []struct {
		field, val string
		dst        *string
	}{{"related_to", req.RelatedTo, &p.RelatedTo}, {"org", req.Org, &p.Org}} {
		if x.val == "" {
			continue
		}
		id, ok := g.Resolve(x.val)
		if !ok {
			return p, plotline.FieldError(x.field, "no actor is called %q", x.val)
		}
		*x.dst = id
	}
	return p, nil
}

// Match needs the engine unless the query is empty.
func (a *SnapshotAnalytics) Match(ctx context.Context, req QueryRequest, offset, limit int) (*Matches, error) {
	if req.Q != "" {
		return nil, needsEngine("q")
	}
	snap, _, err := a.snapshot(ctx, req.AsOf)
	if err != nil {
		return nil, err
	}
	snap, _ = plotline.VisibilityFor(ctx, nil).Snapshot(snap)
	m := &Matches{IDs: []string{}}
	for i := range snap.Incidents { // the store lists incidents by date start, then ID
		in := &snap.Incidents[i]
		if req.AsOf.Stated != nil && !in.PublicOn().KnownBy(*req.AsOf.Stated) {
			continue
		}
		if m.Total >= offset && (limit <= 0 || len(m.IDs) < limit) {
			m.IDs = append(m.IDs, in.ID)
		}
		m.Total++
	}
	return m, nil
}

// Count needs the engine.
func (a *SnapshotAnalytics) Count(context.Context, QueryRequest) (any, error) {
	return nil, needsEngine("")
}

// CrossTab needs the engine.
func (a *SnapshotAnalytics) CrossTab(context.Context, QueryRequest) (any, error) {
	return nil, needsEngine("")
}

// Series needs the engine.
func (a *SnapshotAnalytics) Series(context.Context, QueryRequest) (any, error) {
	return nil, needsEngine("")
}

// Projection needs the engine.
func (a *SnapshotAnalytics) Projection(context.Context, QueryRequest) (any, error) {
	return nil, needsEngine("")
}

func needsEngine(field string) error {
	return &plotline.Error{Code: plotline.ENOTIMPLEMENTED, Field: field,
		Message: "this server runs without the analytics engine; only the report and unfiltered lists are available"}
}

// page returns limit IDs after the cursor (from the start when nil), the
// total, and the cursor of the page after, "" when this is the last.
func page(ctx context.Context, a Analytics, req QueryRequest, after *cursor, limit int) (*Matches, string, error) {
	offset := 0
	if after != nil {
		// Fetch one item before the page: if it is still the last item sent,
		// nothing moved; otherwise find that item again.
		m, err := a.Match(ctx, req, after.Offset-1, limit+1)
		if err != nil {
			return nil, "", err
		}
		if len(m.IDs) > 0 && m.IDs[0] == after.Last {
			m.IDs = m.IDs[1:]
			offset = after.Offset
			return m, nextCursor(m, offset, limit), nil
		}
		all, err := a.Match(ctx, req, 0, 0)
		if err != nil {
			return nil, "", err
		}
		offset = min(after.Offset, all.Total)
		if i := slices.Index(all.IDs, after.Last); i >= 0 {
			offset = i + 1
		}
	}
	m, err := a.Match(ctx, req, offset, limit)
	if err != nil {
		return nil, "", err
	}
	return m, nextCursor(m, offset, limit), nil
}

func nextCursor(m *Matches, offset, limit int) string {
	if len(m.IDs) > limit {
		m.IDs = m.IDs[:limit]
	}
	if len(m.IDs) == 0 || offset+len(m.IDs) >= m.Total {
		return ""
	}
	return cursor{Offset: offset + len(m.IDs), Last: m.IDs[len(m.IDs)-1]}.String()
}

// Drafts. Analytics read published versions only (the engine indexes the
// current published version of each record; a draft is never current in
// record time, see workflow.go in the root package), and every analytics
// answer says so: "drafts": "excluded", and for a user who may see drafts
// (analysts and up) "drafts_pending", the number of drafts awaiting review
// that the answer leaves out. Readers are not told how many drafts wait.

// DraftsExcluded is the "drafts" member of every analytics answer.
const DraftsExcluded = "excluded"

// DraftsNote says what an analytics answer leaves out of the review workflow.
type DraftsNote struct {
	Drafts string `json:"drafts"` // always DraftsExcluded
	// Pending counts the drafts awaiting review; nil for users who may not
	// see drafts and for stores without a review workflow.
	Pending *int `json:"drafts_pending,omitempty"`
}

// Text is the note as a line for people.
func (n DraftsNote) Text() string {
	switch {
	case n.Pending == nil:
		return "Published data only."
	case *n.Pending == 0:
		return "Published data only; no drafts are awaiting review."
	case *n.Pending == 1:
		return "Published data only; 1 draft awaiting review is not included."
	}
	return fmt.Sprintf("Published data only; %d drafts awaiting review are not included.", *n.Pending)
}

// DraftsNoteFor returns the note for the acting user of ctx: with the
// number of pending drafts for analysts and up. cache, when not nil, keeps
// that number until the store records a new change.
func DraftsNoteFor(ctx context.Context, st plotline.Store, cache *ChangeCache) (DraftsNote, error) {
	if !plotline.SeesDrafts(plotline.Acting(ctx)) {
		return DraftsNote{Drafts: DraftsExcluded}, nil
	}
	last, ok, err := cache.at(ctx, st)
	if err != nil {
		return DraftsNote{}, err
	}
	if !ok {
		return CountDrafts(ctx, st)
	}
	cache.mu.Lock()
	note := cache.drafts
	cache.mu.Unlock()
	if note != nil {
		return *note, nil
	}
	n, err := CountDrafts(ctx, st)
	if err != nil {
		return n, err
	}
	cache.mu.Lock()
	if cache.change == last {
		cache.drafts = &n
	}
	cache.mu.Unlock()
	return n, nil
}

// CountDrafts returns the note with the number of pending drafts, for
// callers that may see drafts (the CLI's operator); Pending is nil when
// the store keeps no drafts.
func CountDrafts(ctx context.Context, st plotline.Store) (DraftsNote, error) {
	note := DraftsNote{Drafts: DraftsExcluded}
	wf, ok := st.(plotline.Workflow)
	if !ok {
		return note, nil
	}
	// Listing drafts reads each one (a few queries per draft): with none
	// ever made, which is single-user mode's usual case, one cheap look
	// at the log answers.
	if ever, err := wf.Audit(ctx, plotline.AuditFilter{Action: plotline.ActionDraft, Limit: 1}); err != nil {
		return note, err
	} else if len(ever) == 0 {
		note.Pending = new(int)
		return note, nil
	}
	list, err := wf.Drafts(ctx, plotline.DraftFilter{Status: plotline.StatusDraft, Limit: math.MaxInt32})
	if err != nil {
		return note, err
	}
	n := len(list)
	note.Pending = &n
	return note, nil
}

// ChangeCache keeps what answers derive from the store, at the present
// record clock, until the store records a new change
// (plotline.ChangeNotifier; with a store that cannot tell, nothing is
// kept): the number of pending drafts (every draft, publish and return is
// a change, so it cannot go stale) and the markings of the sources the
// organisation graph cites (GraphVisibility). The zero value is ready; a
// nil *ChangeCache keeps nothing. It is safe for concurrent use.
type ChangeCache struct {
	mu     sync.Mutex
	change int64 // the store's last change the entries below are for
	valid  bool
	drafts *DraftsNote
	marks  map[string]string // source ID → marking
}

// at reads the store's last change, emptying the cache when it moved on;
// false when the cache cannot be used for it (nil cache, a store that
// cannot tell, or a request that read an older change than another).
func (c *ChangeCache) at(ctx context.Context, st any) (int64, bool, error) {
	cn, ok := st.(plotline.ChangeNotifier)
	if c == nil || !ok {
		return 0, false, nil
	}
	last, err := cn.LastChange(ctx)
	if err != nil {
		return 0, false, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.valid || last > c.change {
		c.change, c.valid, c.drafts, c.marks = last, true, nil, nil
	}
	return last, c.change == last, nil
}

// ChangeCacher is implemented by analytics that keep a ChangeCache: the
// server and the UI read it through the analytics they share.
type ChangeCacher interface {
	ChangeCache() *ChangeCache
}

// ChangeCacheOf returns a's ChangeCache, or nil (keep nothing).
func ChangeCacheOf(a any) *ChangeCache {
	if c, ok := a.(ChangeCacher); ok {
		return c.ChangeCache()
	}
	return nil
}

// ChangeCache returns the analytics' cache of answers per store change.
func (a *SnapshotAnalytics) ChangeCache() *ChangeCache { return &a.cache }

// WithDrafts returns answer (a value that encodes as a JSON object, such
// as the engine's results) with the note's members added to the object.
func WithDrafts(answer any, note DraftsNote) json.Marshaler {
	return drafted{answer: answer, note: note}
}

type drafted struct {
	answer any
	note   DraftsNote
}

// MarshalJSON appends the note's members to the answer's object.
func (d drafted) MarshalJSON() ([]byte, error) {
	body, err := jsonBody(d.answer)
	if err != nil {
		return nil, err
	}
	note, err := jsonBody(d.note)
	if err != nil {
		return nil, err
	}
	body, note = bytes.TrimSpace(body), bytes.TrimSpace(note)
	if len(body) < 2 || body[0] != '{' || body[len(body)-1] != '}' {
		return nil, fmt.Errorf("analytics answer %T is not a JSON object", d.answer)
	}
	out := make([]byte, 0, len(body)+len(note))
	out = append(out, body[:len(body)-1]...)
	if len(bytes.TrimSpace(body[1:len(body)-1])) > 0 {
		out = append(out, ',')
	}
	out = append(out, note[1:]...)
	return out, nil
}

// ReportAnswer is the external-ops report as the API answers it: the
// report (whose "drafts" member already says "excluded") and, for users
// who may see drafts, the number awaiting review.
type ReportAnswer struct {
	analysis.ExternalOpsReport
	DraftsPending *int `json:"drafts_pending,omitempty"`
}
