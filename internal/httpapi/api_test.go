package httpapi_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

const istanbul = "2024-01-28-tur-istanbul-church"

// newIncident is a valid incident citing a curated source.
func newIncident(id string) map[string]any {
	return map[string]any{
		"id": id, "title": "Test plot against a concert", "kind": "plot", "outcome": "foiled",
		"date": "2024-05", "location": map[string]any{"country": "AUT", "precision": "country"},
		"target_country": "AUT", "sources": []string{"h1-winep-pw3904"},
	}
}

func TestReadRoutes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	in, err := ts.db.Incident(context.Background(), istanbul, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	attr := url.PathEscape(in.Attributions[0].ID)
	tests := []struct {
		path string
		want []string // substrings of the body
	}{
		{"/api/v1/", []string{`"openapi":"/api/v1/openapi.json"`}},
		{"/api/v1/incidents", []string{`"incidents":[`, `"total":`, istanbul}},
		{"/api/v1/incidents/" + istanbul, []string{`"id":"` + istanbul + `"`, `"attributions":[`, `"basis":"claim"`}},
		{"/api/v1/incidents/" + istanbul + "?as_of=2024-01-29", []string{`"basis":"claim"`}},
		{"/api/v1/incidents/" + istanbul + "/history", []string{`"version":1`, `"recorded_by":"dataset"`}},
		{"/api/v1/incidents/" + istanbul + "/diff", []string{`"changes":[]`}},
		{"/api/v1/attributions?incident=" + istanbul, []string{`"attributions":[`, `"incident":"` + istanbul + `"`}},
		{"/api/v1/attributions?basis=claim&limit=2", []string{`"basis":"claim"`, `"next_cursor":`}},
		{"/api/v1/attributions/" + attr, []string{`"incident":"` + istanbul + `"`}},
		{"/api/v1/attributions/" + attr + "/history", []string{`"kind":"attribution"`}},
		{"/api/v1/attributions/" + attr + "/diff", []string{`"changes":[]`}},
		{"/api/v1/sources", []string{`"sources":[`, `h1-winep-pw3904`}},
		{"/api/v1/sources?kind=research&tlp=clear", []string{`h1-winep-pw3904`}},
		{"/api/v1/sources/h1-winep-pw3904", []string{`"publisher":"The Washington Institute for Near East Policy"`}},
		{"/api/v1/sources/h1-winep-pw3904/history", []string{`"kind":"source"`}},
		{"/api/v1/sources/h1-winep-pw3904/diff", []string{`"changes":[]`}},
		{"/api/v1/actors", []string{`"id":"is-khorasan"`}},
		{"/api/v1/actors?kind=province", []string{`"id":"is-khorasan"`}},
		{"/api/v1/actors/is-khorasan?date=2024-06-30", []string{`"name":"Islamic State Khorasan Province"`, `"parents":[{`}},
		{"/api/v1/actors/is-khorasan/history", []string{`"kind":"actor"`}},
		{"/api/v1/affiliations?actor=is-khorasan", []string{`"child":"is-khorasan"`}},
		{"/api/v1/org?date=2024-06-30", []string{`"date":"2024-06-30"`, `"id":"is"`, `"id":"is-khorasan"`}},
		{"/api/v1/org?date=2024-06-30&root=ISKP", []string{`"roots":[{"id":"is-khorasan"`}},
		{"/api/v1/changes", []string{`"recorded_by":"dataset"`}},
		{"/api/v1/query", []string{`"total":`, istanbul}},
		{"/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&related_to=ISKP&as_of=2025-01-01", []string{`"related_to":"is-khorasan"`, istanbul}},
		{"/api/v1/openapi.json", []string{`"openapi":"3.1.0"`}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := ts.do(t, "GET", tt.path, nil)
			if res.status != 200 {
				t.Fatalf("got %d %s", res.status, res.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("got Content-Type %q", ct)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(res.body), w) {
					t.Errorf("body lacks %s:\n%.1500s", w, res.body)
				}
			}
		})
	}
}

func TestIncidentPaging(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	var all httpapi.IncidentList
	ts.do(t, "GET", "/api/v1/incidents?limit=1000", nil).json(t, &all)
	if all.Total < 10 || len(all.Incidents) != all.Total || all.NextCursor != "" {
		t.Fatalf("got %d of %d incidents, cursor %q", len(all.Incidents), all.Total, all.NextCursor)
	}
	var seen []string
	next := "/api/v1/incidents?limit=7"
	for pages := 0; next != ""; pages++ {
		if pages > all.Total {
			t.Fatal("paging does not end")
		}
		var page httpapi.IncidentList
		ts.do(t, "GET", next, nil).json(t, &page)
		for _, in := range page.Incidents {
			seen = append(seen, in.ID)
		}
		next = ""
		if page.NextCursor != "" {
			next = "/api/v1/incidents?limit=7&cursor=" + page.NextCursor
		}
	}
	if len(seen) != len(all.Incidents) {
		t.Fatalf("paged through %d incidents, want %d", len(seen), len(all.Incidents))
	}
	for i := range seen {
		if seen[i] != all.Incidents[i].ID {
			t.Fatalf("item %d: got %s, want %s (same order as one page)", i, seen[i], all.Incidents[i].ID)
		}
	}
}

func TestReportMatchesAnalysis(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	var got analysis.ExternalOpsReport
	res := ts.do(t, "GET", "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&related_to=ISKP&rule=official&as_of=2025-01-01", nil)
	res.json(t, &got)

	snap, err := ts.db.Snapshot(context.Background(), plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	g := analysis.NewGraph(snap.Actors, snap.Affiliations)
	rule, _ := analysis.ParseRule("official")
	want := analysis.ExternalOps(g, snap.Incidents, analysis.ExternalOpsParams{
		From: plotline.MakeDay(2024, 1, 1), To: plotline.MakeDay(2024, 6, 30), RelatedTo: "is-khorasan",
		Rule: rule, AsOf: plotline.MakeDay(2025, 1, 1)})
	if got.Total != want.Total || got.Related != want.Related || got.Unrelated != want.Unrelated || len(got.Incidents) != len(want.Incidents) {
		t.Fatalf("got total %d related %d unrelated %d, want %d %d %d", got.Total, got.Related, got.Unrelated, want.Total, want.Related, want.Unrelated)
	}
	if got.Total == 0 {
		t.Fatal("empty report; the check proves nothing")
	}
	// The seed's Istanbul case: under "official" it is ISKP's (under
	// "claims" the Turkey province's, at home, so not external).
	for rule, unit := range map[string]string{"official": "is-khorasan"} {
		var r analysis.ExternalOpsReport
		ts.do(t, "GET", "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&as_of=2025-01-01&rule="+rule, nil).json(t, &r)
		found := false
		for _, line := range r.Incidents {
			if line.ID == istanbul {
				found = true
				if len(line.Units) != 1 || line.Units[0] != unit {
					t.Errorf("rule %s: Istanbul counted for %v, want [%s]", rule, line.Units, unit)
				}
			}
		}
		if !found {
			t.Errorf("rule %s: Istanbul not counted", rule)
		}
	}
}

func TestIncidentLifecycle(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	body := newIncident("")
	body["attributions"] = []map[string]any{{"actor": "is", "basis": "government", "asserted_by": "Austrian Interior Ministry",
		"stated_on": "2024-06-01", "link": "unknown", "sources": []map[string]any{{"id": "h1-winep-pw3904"}}}}
	res := ts.do(t, "POST", "/api/v1/incidents", body)
	if res.status != 201 {
		t.Fatalf("create: got %d %s", res.status, res.body)
	}
	var created httpapi.WriteResult[plotline.Incident]
	res.json(t, &created)
	id := created.Record.ID
	if id != "2024-05-01-aut-test-plot-against-a-concert" || res.header.Get("Location") != "/api/v1/incidents/"+id {
		t.Fatalf("got ID %q, Location %q", id, res.header.Get("Location"))
	}
	if created.Change.RecordedBy != "api" || len(created.Record.Attributions) != 1 {
		t.Fatalf("got change %+v and %d attributions", created.Change, len(created.Record.Attributions))
	}
	if res := ts.do(t, "POST", "/api/v1/incidents", newIncident(id)); res.status != 409 {
		t.Fatalf("create over an existing ID: got %d, want 409", res.status)
	}

	get := ts.do(t, "GET", "/api/v1/incidents/"+id, nil)
	tag := get.header.Get("ETag")
	upd := newIncident(id)
	upd["title"] = "Test plot against a concert in Vienna"
	upd["killed"] = map[string]any{"best": 0}
	if res := ts.do(t, "PUT", "/api/v1/incidents/"+id, upd, "If-Match", `W/"stale"`); res.status != 412 {
		t.Fatalf("update with a stale If-Match: got %d, want 412", res.status)
	}
	if res := ts.do(t, "PUT", "/api/v1/incidents/"+id, upd, "If-Match", tag); res.status != 200 {
		t.Fatalf("update: got %d %s", res.status, res.body)
	}
	var hist httpapi.History
	ts.do(t, "GET", "/api/v1/incidents/"+id+"/history", nil).json(t, &hist)
	if len(hist.Versions) != 2 || hist.Versions[1].RecordedBy != "api" {
		t.Fatalf("got %d versions, want 2 recorded by api", len(hist.Versions))
	}
	var diff httpapi.Diff
	ts.do(t, "GET", "/api/v1/incidents/"+id+"/diff?from=1&to=2", nil).json(t, &diff)
	paths := map[string]httpapi.FieldChange{}
	for _, c := range diff.Changes {
		paths[c.Path] = c
	}
	if c, ok := paths["title"]; !ok || c.To != "Test plot against a concert in Vienna" || len(diff.Changes) != 2 {
		t.Fatalf("got diff %+v, want title and killed.best", diff.Changes)
	}
	// Without "attributions" in the body, the statements stay.
	in, _ := ts.db.Incident(context.Background(), id, plotline.AsOf{})
	if len(in.Attributions) != 1 {
		t.Fatalf("update without attributions dropped statements: %d left", len(in.Attributions))
	}
	// With an empty list, they go.
	upd["attributions"] = []any{}
	if res := ts.do(t, "PUT", "/api/v1/incidents/"+id, upd); res.status != 200 {
		t.Fatalf("update: got %d %s", res.status, res.body)
	}
	in, _ = ts.db.Incident(context.Background(), id, plotline.AsOf{})
	if len(in.Attributions) != 0 {
		t.Fatalf("got %d statements after replacing them with none", len(in.Attributions))
	}
	if res := ts.do(t, "DELETE", "/api/v1/incidents/"+id, nil); res.status != 200 {
		t.Fatalf("delete: got %d %s", res.status, res.body)
	}
	if res := ts.do(t, "GET", "/api/v1/incidents/"+id, nil); res.status != 404 {
		t.Fatalf("after delete: got %d, want 404", res.status)
	}
	ts.do(t, "GET", "/api/v1/incidents/"+id+"/history", nil).json(t, &hist)
	// The last PUT changed only the statements, so: create, update, delete.
	if n := len(hist.Versions); n != 3 || !hist.Versions[n-1].Deleted {
		t.Fatalf("history after delete: %d versions, want 3 ending in a tombstone", n)
	}
}

func TestAttributionAndSourceWrites(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	src := map[string]any{"id": "test-src-1", "publisher": "Example", "title": "A report", "url": "https://example.org/r",
		"kind": "news", "tlp": "clear", "published": "2024-06-02"}
	if res := ts.do(t, "POST", "/api/v1/sources", src); res.status != 201 {
		t.Fatalf("create source: got %d %s", res.status, res.body)
	}
	src["title"] = "A report, corrected"
	if res := ts.do(t, "PUT", "/api/v1/sources/test-src-1", src); res.status != 200 {
		t.Fatalf("update source: got %d %s", res.status, res.body)
	}
	a := map[string]any{"incident": istanbul, "actor": "is-khorasan", "basis": "analyst", "asserted_by": "A research outfit",
		"stated_on": "2024-06-02", "link": "guided", "likelihood": "likely", "sources": []map[string]any{{"id": "test-src-1", "reliability": "B", "credibility": "2"}}}
	res := ts.do(t, "POST", "/api/v1/attributions", a)
	if res.status != 201 {
		t.Fatalf("create attribution: got %d %s", res.status, res.body)
	}
	var created httpapi.WriteResult[plotline.Attribution]
	res.json(t, &created)
	path := "/api/v1/attributions/" + url.PathEscape(created.Record.ID)
	if created.Record.ID != istanbul+"/analyst-is-khorasan-2024-06-02" {
		t.Fatalf("got ID %q", created.Record.ID)
	}
	// Before it was stated, the statement is not known.
	if res := ts.do(t, "GET", path+"?as_of=2024-06-01", nil); res.status != 404 {
		t.Fatalf("as of the day before it was stated: got %d, want 404", res.status)
	}
	a["superseded_on"] = "2024-07-01"
	if res := ts.do(t, "PUT", path, a); res.status != 200 {
		t.Fatalf("update attribution: got %d %s", res.status, res.body)
	}
	if res := ts.do(t, "DELETE", path, nil); res.status != 200 {
		t.Fatalf("delete attribution: got %d %s", res.status, res.body)
	}
	if res := ts.do(t, "GET", path, nil); res.status != 404 {
		t.Fatalf("after delete: got %d", res.status)
	}
}

// TestBadInput sends malformed, unknown, invalid and oversized input to
// every route and checks the JSON error and that nothing was written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	big := `{"title":"` + strings.Repeat("x", 70<<10) + `"}`
	withField := func(k string, v any) map[string]any {
		m := newIncident("bad-input-test")
		m[k] = v
		return m
	}
	attr := url.PathEscape(istanbul + "/x")
	type req struct {
		method, path string
		body         any
		status       int
		code, field  string
	}
	var tests []req
	// Every write route gets the four kinds of bad body.
	for _, w := range []struct{ method, path string }{
		{"POST", "/api/v1/incidents"}, {"PUT", "/api/v1/incidents/" + istanbul},
		{"POST", "/api/v1/attributions"}, {"PUT", "/api/v1/attributions/" + attr},
		{"POST", "/api/v1/sources"}, {"PUT", "/api/v1/sources/h1-winep-pw3904"},
	} {
		tests = append(tests,
			req{w.method, w.path, `{"title": "x",`, 400, "invalid", ""},
			req{w.method, w.path, `{"nonsense": 1}`, 400, "invalid", "nonsense"},
			req{w.method, w.path, `[1,2]`, 400, "invalid", ""},
			req{w.method, w.path, ``, 400, "invalid", ""},
			req{w.method, w.path, big, 413, "too_large", ""},
		)
	}
	tests = append(tests,
		req{"POST", "/api/v1/incidents", withField("date", "2024-13"), 400, "invalid", "date"},
		req{"POST", "/api/v1/incidents", withField("location", map[string]any{"country": "AUT", "lat": 10}), 400, "invalid", "location.lat"},
		req{"POST", "/api/v1/incidents", withField("kind", "rumour"), 400, "invalid", "kind"},
		req{"POST", "/api/v1/incidents", withField("sources", []string{"no-such-source"}), 400, "invalid", "sources[0]"},
		req{"POST", "/api/v1/incidents", withField("killed", map[string]any{"best": "many"}), 400, "invalid", "killed.best"},
		req{"POST", "/api/v1/incidents", newIncident("Bad ID"), 400, "invalid", "id"},
		req{"PUT", "/api/v1/incidents/" + istanbul, newIncident("other-id"), 400, "invalid", "id"},
		req{"PUT", "/api/v1/incidents/no-such-incident", newIncident("no-such-incident"), 404, "not_found", ""},
		req{"DELETE", "/api/v1/incidents/no-such-incident", nil, 404, "not_found", ""},
		req{"DELETE", "/api/v1/attributions/no-such", nil, 404, "not_found", ""},
		req{"POST", "/api/v1/attributions", map[string]any{"incident": istanbul, "actor": "is", "basis": "claim", "asserted_by": "x",
			"stated_on": "2024-02-30", "link": "directed", "sources": []map[string]any{{"id": "h1-winep-pw3904"}}}, 400, "invalid", "stated_on"},
		req{"POST", "/api/v1/attributions", map[string]any{"incident": istanbul, "actor": "no-such-actor", "basis": "claim", "asserted_by": "x",
			"stated_on": "2024-02-01", "link": "directed", "sources": []map[string]any{{"id": "h1-winep-pw3904"}}}, 400, "invalid", "actor"},
		req{"POST", "/api/v1/sources", map[string]any{"id": "s-x", "publisher": "p", "title": "t", "url": "ftp://x", "kind": "news", "tlp": "clear"}, 400, "invalid", "url"},
		req{"POST", "/api/v1/sources", map[string]any{"id": "h1-winep-pw3904", "publisher": "p", "title": "t", "url": "https://x.org", "kind": "news", "tlp": "clear"}, 409, "conflict", "id"},
		req{"PATCH", "/api/v1/incidents/" + istanbul, `{}`, 405, "method_not_allowed", ""},
	)
	// Every read route gets an unknown parameter, and those with dates a bad date.
	for _, r := range ts.api.Routes() {
		method, path, _ := strings.Cut(r, " ")
		if method != "GET" {
			continue
		}
		path = strings.ReplaceAll(strings.Replace(path, "{$}", "", 1), "{id}", "x")
		tests = append(tests, req{"GET", path + "?bogus=1", nil, 400, "invalid", "bogus"})
		if path != "/api/v1/changes" && !strings.HasSuffix(path, "/diff") && !strings.HasSuffix(path, "/history") && path != "/api/v1/" && path != "/api/v1/openapi.json" {
			tests = append(tests, req{"GET", path + "?as_of=2024-02-30", nil, 400, "invalid", "as_of"})
		}
	}
	tests = append(tests,
		req{"GET", "/api/v1/incidents?limit=0", nil, 400, "invalid", "limit"},
		req{"GET", "/api/v1/incidents?cursor=garbage", nil, 400, "invalid", "cursor"},
		req{"GET", "/api/v1/incidents?q=kind:", nil, 0, "", "q"},
		req{"GET", "/api/v1/incidents/no-such", nil, 404, "not_found", ""},
		req{"GET", "/api/v1/incidents/" + istanbul + "/diff?from=99", nil, 400, "invalid", "from"},
		req{"GET", "/api/v1/org?date=yesterday", nil, 400, "invalid", "date"},
		req{"GET", "/api/v1/org?root=nobody", nil, 400, "invalid", "root"},
		req{"GET", "/api/v1/report/external-ops?to=2024-06-30", nil, 400, "invalid", "from"},
		req{"GET", "/api/v1/report/external-ops?from=2024-06-30&to=2024-01-01", nil, 400, "invalid", "to"},
		req{"GET", "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&rule=loudest", nil, 400, "invalid", "rule"},
		req{"GET", "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&related_to=Nobody", nil, 400, "invalid", "related_to"},
		req{"GET", "/api/v1/count?by=a,b,c,d", nil, 400, "invalid", "by"},
		req{"GET", "/api/v1/crosstab?rows=unit", nil, 400, "invalid", "cols"},
		req{"GET", "/api/v1/series?every=fortnight", nil, 400, "invalid", "every"},
		req{"GET", "/api/v1/projection?from=2024-01-01", nil, 400, "invalid", "to"},
		req{"GET", "/api/v1/no-such-route", nil, 404, "not_found", ""},
	)
	before := ts.changeCount(t)
	for _, tt := range tests {
		name := fmt.Sprintf("%s %s %.40v", tt.method, tt.path, tt.body)
		t.Run(name, func(t *testing.T) {
			res := ts.do(t, tt.method, tt.path, tt.body)
			e := res.errorBody(t)
			if res.header.Get("Content-Type") != "application/json" {
				t.Errorf("got Content-Type %q", res.header.Get("Content-Type"))
			}
			if tt.status == 0 { // the status depends on whether an engine is plugged in
				if res.status < 400 || res.status >= 600 || e.Field != tt.field {
					t.Fatalf("got %d %s, want a 4xx/501 about %s", res.status, res.body, tt.field)
				}
				return
			}
			if res.status != tt.status || e.Code != tt.code || e.Field != tt.field {
				t.Fatalf("got %d code %q field %q (%s), want %d %q %q", res.status, e.Code, e.Field, e.Message, tt.status, tt.code, tt.field)
			}
			if e.Message == "" || strings.Contains(e.Message, "sqlite") || strings.Contains(e.Message, "SQL") {
				t.Errorf("message %q is empty or leaks internals", e.Message)
			}
		})
	}
	if after := ts.changeCount(t); after != before {
		t.Fatalf("bad requests wrote %d changes", after-before)
	}
	// And the server still serves.
	if res := ts.do(t, "GET", "/api/v1/incidents/"+istanbul, nil); res.status != 200 {
		t.Fatalf("after bad input: got %d", res.status)
	}
}

func TestAnalyticsEndpointsUseTheInterface(t *testing.T) {
	t.Parallel()
	fake := &fakeAnalytics{}
	ts := newTestServer(t, func(c *httpapi.Config) { c.Analytics = fake })
	tests := []struct {
		path string
		want string // the request the fake saw
	}{
		{"/api/v1/count?q=kind:plot&by=unit,target&as_of=2024-07-01", "count q=kind:plot by=[unit target] stated=2024-07-01"},
		{"/api/v1/crosstab?q=kind:plot&rows=unit&cols=target&rule=official", "crosstab q=kind:plot by=[unit target] rule=official"},
		{"/api/v1/series?q=actor:ISKP%2B&every=quarter&from=2024-01-01&to=2024-12-31", "series q=actor:ISKP+ every=quarter 2024-01-01..2024-12-31"},
		{"/api/v1/projection?q=&from=2024-01-01&to=2024-12-31&as_of=2024-06-30", "projection q= 2024-01-01..2024-12-31 stated=2024-06-30"},
	}
	for _, tt := range tests {
		res := ts.do(t, "GET", tt.path, nil)
		if res.status != 200 || !strings.Contains(string(res.body), `"ok":true`) {
			t.Fatalf("%s: got %d %s", tt.path, res.status, res.body)
		}
		if !strings.HasPrefix(fake.last, tt.want) {
			t.Errorf("%s: the analytics saw %q, want %q", tt.path, fake.last, tt.want)
		}
	}
	fake.err = plotline.FieldError("q", "unknown field %q at 1", "knd")
	res := ts.do(t, "GET", "/api/v1/count?q=knd:plot", nil)
	if e := res.errorBody(t); res.status != 400 || e.Field != "q" {
		t.Fatalf("a query error: got %d %+v", res.status, e)
	}
}

func TestFallbackAnalyticsSaysNotImplemented(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	for _, p := range []string{"/api/v1/count?by=unit", "/api/v1/crosstab?rows=unit&cols=target", "/api/v1/series", "/api/v1/projection?from=2024-01-01&to=2024-12-31", "/api/v1/incidents?q=kind:plot"} {
		res := ts.do(t, "GET", p, nil)
		if res.status != 501 || res.errorBody(t).Code != "not_implemented" {
			t.Errorf("%s: got %d %s, want 501", p, res.status, res.body)
		}
	}
}

type fakeAnalytics struct {
	last string
	err  error
}

func (f *fakeAnalytics) note(op string, req httpapi.QueryRequest) (any, error) {
	s := fmt.Sprintf("%s q=%s", op, req.Q)
	if len(req.By) > 0 {
		s += fmt.Sprintf(" by=%v", req.By)
	}
	if req.Rule != "" {
		s += " rule=" + req.Rule
	}
	if req.Every != "" {
		s += " every=" + req.Every
	}
	if req.From != nil && req.To != nil {
		s += fmt.Sprintf(" %s..%s", req.From, req.To)
	}
	if req.AsOf.Stated != nil {
		s += " stated=" + req.AsOf.Stated.String()
	}
	f.last = s
	if f.err != nil {
		return nil, f.err
	}
	return map[string]any{"ok": true}, nil
}

func (f *fakeAnalytics) Report(context.Context, httpapi.ReportRequest) (*analysis.ExternalOpsReport, error) {
	return &analysis.ExternalOpsReport{}, f.err
}
func (f *fakeAnalytics) Match(context.Context, httpapi.QueryRequest, int, int) (*httpapi.Matches, error) {
	return nil, f.err
}
func (f *fakeAnalytics) Count(_ context.Context, r httpapi.QueryRequest) (any, error) {
	return f.note("count", r)
}
func (f *fakeAnalytics) CrossTab(_ context.Context, r httpapi.QueryRequest) (any, error) {
	return f.note("crosstab", r)
}
func (f *fakeAnalytics) Series(_ context.Context, r httpapi.QueryRequest) (any, error) {
	return f.note("series", r)
}
func (f *fakeAnalytics) Projection(_ context.Context, r httpapi.QueryRequest) (any, error) {
	return f.note("projection", r)
}

// TestCursorSurvivesInserts pages through incidents while a new incident is
// inserted before the current position: nothing is skipped or repeated.
func TestCursorSurvivesInserts(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	var first httpapi.IncidentList
	ts.do(t, "GET", "/api/v1/incidents?limit=5", nil).json(t, &first)
	early := newIncident("2020-01-01-aut-early")
	early["date"] = "2020-01-01"
	if res := ts.do(t, "POST", "/api/v1/incidents", early); res.status != 201 {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	seen := map[string]int{}
	for _, in := range first.Incidents {
		seen[in.ID]++
	}
	next := first.NextCursor
	for next != "" {
		var page httpapi.IncidentList
		ts.do(t, "GET", "/api/v1/incidents?limit=5&cursor="+next, nil).json(t, &page)
		for _, in := range page.Incidents {
			seen[in.ID]++
		}
		next = page.NextCursor
	}
	if len(seen) != first.Total {
		t.Fatalf("saw %d distinct incidents, want the %d that existed", len(seen), first.Total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s seen %d times", id, n)
		}
	}
}
