package httpapi_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// newEngineServer serves the curated dataset with the analytics engine.
func newEngineServer(t *testing.T) *testServer {
	t.Helper()
	var ea *httpapi.EngineAnalytics
	ts := newTestServer(t, func(c *httpapi.Config) {
		eng, err := engine.New(context.Background(), c.Store.(engine.Source))
		if err != nil {
			t.Fatal(err)
		}
		ea = &httpapi.EngineAnalytics{Engine: eng}
		c.Analytics = ea
	})
	return ts
}

func TestEngineEndpoints(t *testing.T) {
	t.Parallel()
	ts := newEngineServer(t)
	tests := []struct {
		path string
		want []string
	}{
		{"/api/v1/incidents?q=kind:attack%20target:TUR", []string{istanbul, `"total":`}},
		{"/api/v1/query?q=actor:ISKP%2B%20basis:government", []string{istanbul}},
		{"/api/v1/count?q=date:2024-01..2024-06&by=unit", []string{`"dims":["unit"]`, `"keys":["is-khorasan"]`}},
		{"/api/v1/crosstab?q=date:2024-01..2024-06&rows=unit&cols=target&rule=official", []string{`"rows":"unit"`, `"cols":"target"`, `"row_keys":[`, `"rule":"official"`}},
		{"/api/v1/series?q=date:2024&every=quarter&from=2024-01-01&to=2024-12-31", []string{`"interval":"quarter"`, `"strict":`, `"possible":`}},
		{"/api/v1/projection?from=2024-01-01&to=2024-12-31&as_of=2024-06-30", []string{`"total":{`, `"expected_total":`}},
	}
	for _, tt := range tests {
		res := ts.do(t, "GET", tt.path, nil)
		if res.status != 200 {
			t.Errorf("%s: got %d %s", tt.path, res.status, res.body)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(string(res.body), w) {
				t.Errorf("%s: body lacks %s:\n%.800s", tt.path, w, res.body)
			}
		}
	}
	for path, field := range map[string]string{
		"/api/v1/incidents?q=knd:plot":     "q",
		"/api/v1/count?by=colour":          "by",
		"/api/v1/crosstab?rows=unit&cols=": "cols",
		"/api/v1/count?q=actor:Nobody":     "q",
	} {
		res := ts.do(t, "GET", path, nil)
		if e := res.errorBody(t); res.status != 400 || e.Field != field {
			t.Errorf("%s: got %d %+v, want 400 about %s", path, res.status, e, field)
		}
	}
}

// TestEngineReportEqualsFallback: the engine's report is the one computed
// over the whole store.
func TestEngineReportEqualsFallback(t *testing.T) {
	t.Parallel()
	withEngine := newEngineServer(t)
	without := newTestServer(t, nil)
	for _, q := range []string{
		"from=2024-01-01&to=2024-06-30&related_to=ISKP&as_of=2025-01-01",
		"from=2024-01-01&to=2024-12-31&rule=official&as_of=2025-06-30",
		"from=2024-07-01&to=2024-12-31&rule=claims",
	} {
		var a, b any
		if err := json.Unmarshal(withEngine.do(t, "GET", "/api/v1/report/external-ops?"+q, nil).body, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(without.do(t, "GET", "/api/v1/report/external-ops?"+q, nil).body, &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: engine and fallback reports differ", q)
		}
	}
}

// TestEngineSeesAPIWrites: an incident created through the API is counted
// by the next analytics request.
func TestEngineSeesAPIWrites(t *testing.T) {
	t.Parallel()
	ts := newEngineServer(t)
	count := func() int {
		var m httpapi.QueryResult
		ts.do(t, "GET", "/api/v1/query?q=target:AUT", nil).json(t, &m)
		return m.Total
	}
	report := func() int {
		var r analysis.ExternalOpsReport
		ts.do(t, "GET", "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&as_of=2025-01-01", nil).json(t, &r)
		return r.Total
	}
	before, reportBefore := count(), report()
	body := newIncident("2024-05-01-aut-engine-test")
	body["attributions"] = []map[string]any{{"actor": "is", "basis": "government", "asserted_by": "Austrian Interior Ministry",
		"stated_on": "2024-06-01", "link": "unknown", "sources": []map[string]any{{"id": "h1-winep-pw3904"}}}}
	if res := ts.do(t, "POST", "/api/v1/incidents", body); res.status != 201 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	if after := count(); after != before+1 {
		t.Fatalf("got %d AUT incidents after a create, want %d", after, before+1)
	}
	if after := report(); after != reportBefore+1 {
		t.Fatalf("report total %d after a create, want %d (a stale cached report?)", after, reportBefore+1)
	}
}

// BenchmarkDashboardEngine is BenchmarkDashboard with the engine, plus the
// series and cross-tab behind the dashboard's chart and table.
func BenchmarkDashboardEngine(b *testing.B) {
	ts := newTestServer(b, func(c *httpapi.Config) {
		eng, err := engine.New(context.Background(), c.Store.(engine.Source))
		if err != nil {
			b.Fatal(err)
		}
		c.Analytics = &httpapi.EngineAnalytics{Engine: eng}
	})
	benchPaths(b, ts, append(dashboardPaths[:len(dashboardPaths):len(dashboardPaths)],
		struct{ name, path string }{"series", "/api/v1/series?q=date:2024-01..2024-06&every=month&from=2024-01-01&to=2024-06-30"},
		struct{ name, path string }{"crosstab", "/api/v1/crosstab?q=date:2024-01..2024-06&rows=unit&cols=target"},
	))
}

// countingStore counts the reads a ChangeCache saves: drafts listed and
// sources read one by one.
type countingStore struct {
	*sqlite.DB
	drafts, sources atomic.Int64
}

func (s *countingStore) Drafts(ctx context.Context, f plotline.DraftFilter) ([]plotline.Draft, error) {
	s.drafts.Add(1)
	return s.DB.Drafts(ctx, f)
}

func (s *countingStore) Source(ctx context.Context, id string, asOf plotline.AsOf) (*plotline.Source, error) {
	s.sources.Add(1)
	return s.DB.Source(ctx, id, asOf)
}

// TestEngineAnalyticsCachePerChange checks that the engine adapter keeps a
// ChangeCache, as plotline serve uses it: the pending drafts are listed and
// the organisation's source markings read once per store change, not per
// request, and both follow changes written by others.
func TestEngineAnalyticsCachePerChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var st *countingStore
	ts := newTestServer(t, func(c *httpapi.Config) {
		st = &countingStore{DB: c.Store.(*sqlite.DB)}
		for _, b := range graphMarked() {
			if _, err := st.Apply(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		eng, err := engine.New(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		ea := &httpapi.EngineAnalytics{Engine: eng}
		if httpapi.ChangeCacheOf(ea) == nil {
			t.Fatal("EngineAnalytics keeps no ChangeCache")
		}
		c.Store, c.Analytics = st, ea
		c.Auth = headerAuth{"analyst": &greenAnalyst, "reader": &reader}
	})
	draft := func(id string) { // a later draft of the same record replaces an earlier one
		t.Helper()
		in, err := ts.db.Incident(ctx, id, plotline.AsOf{})
		if err != nil {
			t.Fatal(err)
		}
		in.Summary += " (draft)"
		if _, err := ts.db.Apply(ctx, &plotline.Batch{By: "other", Note: "draft", Draft: true, Incidents: []plotline.Incident{*in}}); err != nil {
			t.Fatal(err)
		}
	}
	pending := func() int {
		t.Helper()
		res := ts.do(t, "GET", "/api/v1/query?q=target:AUT", nil, "X-Test-User", "analyst")
		var q struct {
			Pending *int `json:"drafts_pending"`
		}
		res.json(t, &q)
		if res.status != 200 || q.Pending == nil {
			t.Fatalf("query: %d %.300s", res.status, res.body)
		}
		return *q.Pending
	}
	draft(istanbul)
	for i := range 3 {
		if n := pending(); n != 1 {
			t.Fatalf("request %d: %d drafts pending; want 1", i, n)
		}
	}
	if n := st.drafts.Load(); n != 1 {
		t.Errorf("drafts listed %d times for 3 requests at one change; want 1", n)
	}
	draft("test-graz-plot")
	if n := pending(); n != 2 {
		t.Errorf("after another writer's draft: %d pending; want 2", n)
	}
	if n := st.drafts.Load(); n != 2 {
		t.Errorf("drafts listed %d times over two changes; want 2", n)
	}

	cellShown := func() bool {
		t.Helper()
		res := ts.do(t, "GET", "/api/v1/actors?kind=cell", nil, "X-Test-User", "reader")
		if res.status != 200 {
			t.Fatalf("actors: %d %.300s", res.status, res.body)
		}
		return strings.Contains(string(res.body), `"test-graz-cell"`)
	}
	if !cellShown() {
		t.Fatal("the reader does not see the Graz cell, known from a CLEAR source")
	}
	read := st.sources.Load()
	if read == 0 {
		t.Fatal("no source read for the reader's organisation: the test proves nothing")
	}
	for range 2 {
		cellShown()
	}
	if n := st.sources.Load(); n != read {
		t.Errorf("sources read %d times for 3 requests at one change; want %d, as for the first", n, read)
	}
	src, err := ts.db.Source(ctx, "test-cell-open", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	src.TLP = "red"
	if _, err := ts.db.Apply(ctx, &plotline.Batch{By: "other", Note: "raise", Sources: []plotline.Source{*src}}); err != nil {
		t.Fatal(err)
	}
	if cellShown() {
		t.Error("the reader still sees the Graz cell after its last visible source was marked RED")
	}
}
