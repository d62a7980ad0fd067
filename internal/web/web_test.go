package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/dataset"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// today is the fixed "now" of the tests, so default as-of views are stable.
var today = time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)

// mustOpenStore opens a SQLite store in a temporary directory with the
// curated dataset loaded.
func mustOpenStore(tb testing.TB) *sqlite.DB {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "plotline.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	ds, err := dataset.Load(dataset.Files)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.Apply(ctx, ds.Batch); err != nil {
		tb.Fatal(err)
	}
	return db
}

// newServer serves the UI over a store with the curated dataset, with the
// analytics engine as plotline serve wires it.
func newServer(tb testing.TB) (*httptest.Server, *sqlite.DB) {
	tb.Helper()
	db := mustOpenStore(tb)
	return serveUI(tb, db, mustEngine(tb, db)), db
}

func mustEngine(tb testing.TB, db *sqlite.DB) *engine.Engine {
	tb.Helper()
	eng, err := engine.New(context.Background(), db)
	if err != nil {
		tb.Fatal(err)
	}
	return eng
}

// analyticsOf wraps the engine as plotline serve does; nil gives the UI's
// fallback over store snapshots.
func analyticsOf(eng *engine.Engine) Analytics {
	if eng == nil {
		return nil
	}
	return &httpapi.EngineAnalytics{Engine: eng}
}

func serveUI(tb testing.TB, db *sqlite.DB, eng *engine.Engine) *httptest.Server {
	srv := httptest.NewServer(New(Config{Store: db, Analytics: analyticsOf(eng), Now: func() time.Time { return today }}))
	tb.Cleanup(srv.Close)
	return srv
}

type response struct {
	code int
	body string
	hdr  http.Header
}

func get(t *testing.T, srv *httptest.Server, path string) response {
	t.Helper()
	res, err := srv.Client().Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, string(b), res.Header}
}

// noRedirect posts a form and returns the response without following a redirect.
func post(t *testing.T, srv *httptest.Server, path string, form url.Values) response {
	t.Helper()
	c := *srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.PostForm(srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, string(b), res.Header}
}

// h1Report computes, with the analysis package directly, the report the
// dashboard must show by default (H1 2024, related to ISKP, any basis), so
// the tests follow the curated data as it grows.
func h1Report(tb testing.TB, db plotline.Store) *analysis.ExternalOpsReport {
	tb.Helper()
	snap, err := db.Snapshot(context.Background(), plotline.AsOf{})
	if err != nil {
		tb.Fatal(err)
	}
	rule, err := analysis.ParseRule("any")
	if err != nil {
		tb.Fatal(err)
	}
	g := analysis.NewGraph(snap.Actors, snap.Affiliations)
	return analysis.ExternalOps(g, snap.Incidents, analysis.ExternalOpsParams{
		From: plotline.MakeDay(2024, 1, 1), To: plotline.MakeDay(2024, 6, 30), RelatedTo: "is-khorasan", Rule: rule, AsOf: plotline.DayOf(today)})
}

func TestPages(t *testing.T) {
	db := mustOpenStore(t)
	t.Run("engine", func(t *testing.T) { testPages(t, serveUI(t, db, mustEngine(t, db)), db) })
	t.Run("built-in filter", func(t *testing.T) { testPages(t, serveUI(t, db, nil), db) })
}

func testPages(t *testing.T, srv *httptest.Server, db *sqlite.DB) {
	rep := h1Report(t, db)
	if rep.Total < 17 || rep.Related < 6 {
		t.Fatalf("the curated H1 2024 report counts %d (%d related to ISKP); the seed's incidents are missing", rep.Total, rep.Related)
	}
	tests := []struct {
		name, path string
		code       int
		want       []string // substrings of the body
		notWant    []string
	}{
		{"dashboard default is the seed's H1 2024 question", "/", 200,
			[]string{fmt.Sprintf(`id="count-total"><span class="num">%d</span>`, rep.Total), fmt.Sprintf(`<span class="num">%d</span>related to Islamic State Khorasan Province`, rep.Related), `id="crosstab"`, `id="disagreements"`, "Shooting at Santa Maria church"}, nil},
		{"dashboard claims rule", "/?from=2024-01-01&to=2024-06-30&related_to=is-khorasan&rule=claims", 200,
			[]string{"only the group&#39;s own claims count"}, nil},
		{"dashboard related_to by alias", "/?from=2024-01-01&to=2024-06-30&related_to=ISKP", 200, []string{"related to Islamic State Khorasan Province"}, nil},
		{"dashboard as of before Crocus", "/?from=2024-01-01&to=2024-06-30&as_of=2024-03-01", 200, []string{"As known on 2024-03-01"}, []string{"Crocus"}},
		{"dashboard bad date", "/?from=2024-13-01&to=2024-06-30", 400, []string{"from: "}, nil},
		{"dashboard to before from", "/?from=2024-06-01&to=2024-01-01", 400, []string{"is before from"}, nil},
		{"dashboard unknown actor", "/?related_to=nobody", 400, []string{"no actor is called"}, nil},
		{"bad as_of", "/incidents?as_of=yesterday", 400, []string{"as_of"}, nil},
		{"incidents all", "/incidents", 200, []string{`id="incident-table"`, "Crocus City Hall"}, nil},
		{"incidents filter", "/incidents?q=target:DEU+kind:plot", 200, []string{`data-id="2024-04-deu-nrw-teenagers-plot"`}, []string{`data-id="2024-03-22-rus-crocus-city-hall"`}},
		{"incidents actor subtree", "/incidents?q=actor:iskp%2B+date:2024-01..2024-06", 200, []string{`data-id="2024-03-22-rus-crocus-city-hall"`}, []string{`data-id="2024-04-deu-nrw-teenagers-plot"`}},
		{"incidents negation", "/incidents?q=-kind:plot+date:2024-01..2024-06", 200, []string{`data-id="2024-03-22-rus-crocus-city-hall"`}, []string{`data-id="2024-04-deu-nrw-teenagers-plot"`}},
		{"incidents bad filter", "/incidents?q=colour:red", 400, []string{`id="q-error"`, "colour", `aria-invalid="true"`}, nil},
		{"incidents bad column", "/incidents?cols=date,shoe", 400, []string{"unknown column"}, nil},
		{"incident page with timeline", "/incidents/2024-01-28-tur-istanbul-church", 200,
			[]string{`id="timeline"`, "Turkish National Intelligence Organization", "Islamic State Turkey Province", "TLP:clear", `class="grade"`}, nil},
		{"incident as of before the ISKP statement", "/incidents/2024-01-28-tur-istanbul-church?as_of=2024-01-30", 200,
			[]string{`id="hidden-note"`}, []string{"Turkish National Intelligence Organization"}},
		{"incident not yet public", "/incidents/2024-03-22-rus-crocus-city-hall?as_of=2024-01-01", 404, []string{"not yet public"}, nil},
		{"incident unknown", "/incidents/nope", 404, []string{"not found"}, nil},
		{"map", "/map", 200, []string{`id="map-data"`, `"incidents":[`, "dist/map.js?v="}, nil},
		{"map world extent", "/map?extent=world", 200, []string{`"extent":"world"`}, nil},
		{"map bad extent", "/map?extent=moon", 400, nil, nil},
		{"org chart", "/org?on=2024-01-01", 200, []string{`id="org-tree"`, "General Directorate of Provinces", "Islamic State Khorasan Province"}, nil},
		{"org chart bad date", "/org?on=soon", 400, nil, nil},
		{"network", "/network", 200, []string{`id="network"`, "Crocus"}, nil},
		{"sources", "/sources?q=reuters", 200, []string{`id="source-table"`}, nil},
		{"new incident form", "/incidents/new", 200, []string{`name="location.country"`, `id="f-title"`}, nil},
		{"edit incident form", "/incidents/2024-01-28-tur-istanbul-church/edit", 200, []string{`name="_version"`, `readonly`}, nil},
		{"edit attribution with slash in its ID", "/attributions/" + url.PathEscape("2024-01-28-tur-istanbul-church/claim-is-turkey-2024-01-28") + "/edit", 200, []string{`name="asserted_by"`}, nil},
		{"history", "/history/incident/2024-01-28-tur-istanbul-church", 200, []string{`id="versions"`, "dataset"}, nil},
		{"history bad kind", "/history/shoe/x", 400, nil, nil},
		{"unknown page", "/nowhere", 404, nil, nil},
		{"static asset", "/static/dist/app.js", 200, []string{"clipboard"}, nil},
		{"unknown asset", "/static/dist/nope.js", 404, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := get(t, srv, tt.path)
			if res.code != tt.code {
				t.Fatalf("GET %s: status %d, want %d\n%s", tt.path, res.code, tt.code, excerpt(res.body))
			}
			for _, w := range tt.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("GET %s: body lacks %q\n%s", tt.path, w, excerpt(res.body))
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(res.body, w) {
					t.Errorf("GET %s: body has %q", tt.path, w)
				}
			}
		})
	}
}

func excerpt(s string) string {
	if i := strings.Index(s, `<main`); i >= 0 {
		s = s[i:]
	}
	if len(s) > 1500 {
		s = s[:1500]
	}
	return s
}

// Every page must work under a strict CSP: no inline scripts, no inline
// handlers, nothing from another origin.
func TestNoInlineScript(t *testing.T) {
	srv, _ := newServer(t)
	inlineHandler := regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	scriptTag := regexp.MustCompile(`(?is)<script([^>]*)>(.*?)</script>`)
	for _, p := range []string{"/", "/incidents", "/incidents/2024-01-28-tur-istanbul-church", "/map", "/org", "/network", "/incidents/new", "/sources", "/history/incident/2024-01-28-tur-istanbul-church"} {
		body := get(t, srv, p).body
		if m := inlineHandler.FindString(body); m != "" {
			t.Errorf("%s: inline event handler %q", p, m)
		}
		for _, m := range scriptTag.FindAllStringSubmatch(body, -1) {
			attrs, content := m[1], strings.TrimSpace(m[2])
			if strings.Contains(attrs, `type="application/json"`) {
				continue // a data block, not executed
			}
			if !strings.Contains(attrs, `src="/static/`) || content != "" {
				t.Errorf("%s: inline or foreign script: <script%s>%.60s", p, attrs, content)
			}
		}
		if strings.Contains(body, `src="http`) || strings.Contains(body, `href="//`) {
			t.Errorf("%s: loads something from another origin", p)
		}
	}
}

func TestExportMatchesTable(t *testing.T) {
	srv, _ := newServer(t)
	q := "q=" + url.QueryEscape("date:2024-01..2024-06 kind:plot") + "&sort=-date&cols=date,id,target,units"
	page := get(t, srv, "/incidents?"+q).body
	ids := regexp.MustCompile(`<tr data-id="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(ids) < 5 {
		t.Fatalf("table shows %d rows, want at least 5", len(ids))
	}
	res := get(t, srv, "/incidents/export?"+q+"&format=csv")
	if res.code != 200 || !strings.HasPrefix(res.hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", res.code, res.hdr.Get("Content-Type"))
	}
	recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(recs[0], ","), "date,id,target,units"; got != want {
		t.Errorf("csv header %q, want %q", got, want)
	}
	if len(recs)-1 != len(ids) {
		t.Fatalf("csv has %d rows, table %d", len(recs)-1, len(ids))
	}
	for i, m := range ids {
		if recs[i+1][1] != m[1] {
			t.Errorf("csv row %d is %s, table row is %s", i, recs[i+1][1], m[1])
		}
	}
	var js []map[string]string
	if err := json.Unmarshal([]byte(get(t, srv, "/incidents/export?"+q+"&format=json").body), &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != len(ids) || js[0]["id"] != ids[0][1] || len(js[0]) != 4 {
		t.Errorf("json: %d rows, first %v; table %d rows, first %s", len(js), js[0], len(ids), ids[0][1])
	}
	var gj struct {
		Type     string
		Features []struct {
			ID       string
			Geometry *struct{ Coordinates []float64 }
		}
	}
	if err := json.Unmarshal([]byte(get(t, srv, "/incidents/export?"+q+"&format=geojson").body), &gj); err != nil {
		t.Fatal(err)
	}
	if gj.Type != "FeatureCollection" || len(gj.Features) != len(ids) || gj.Features[0].ID != ids[0][1] {
		t.Errorf("geojson: %s with %d features", gj.Type, len(gj.Features))
	}
	if res := get(t, srv, "/incidents/export?format=xml"); res.code != 400 {
		t.Errorf("format=xml: status %d, want 400", res.code)
	}
}

func TestCreateIncident(t *testing.T) {
	srv, db := newServer(t)
	ctx := context.Background()
	form := url.Values{
		"id": {"2024-06-99-test-plot"}, "title": {"Test plot"}, "kind": {"attack"}, "outcome": {"foiled"},
		"date": {"2024-06"}, "location.country": {"DEU"}, "target_country": {"DEU"}, "sources": {"h1-winep-pw3904"},
		"killed.low": {"3"}, "killed.high": {"1"},
	}
	res := post(t, srv, "/incidents/new", form)
	if res.code != http.StatusUnprocessableEntity {
		t.Fatalf("invalid create: status %d, want 422", res.code)
	}
	for _, w := range []string{`id="form-errors"`, "an attack cannot be foiled", "low 3 is above high 1", `value="Test plot"`} {
		if !strings.Contains(res.body, w) {
			t.Errorf("rejected form lacks %q\n%s", w, excerpt(res.body))
		}
	}
	if _, err := db.Incident(ctx, "2024-06-99-test-plot", plotline.AsOf{}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Fatalf("a rejected form wrote the incident (err %v)", err)
	}
	form.Set("kind", "plot")
	form.Set("killed.low", "0")
	form.Set("sources", "no-such-source")
	if res := post(t, srv, "/incidents/new", form); res.code != 422 || !strings.Contains(res.body, `no source &#34;no-such-source&#34;`) {
		t.Fatalf("unknown source: status %d\n%s", res.code, excerpt(res.body))
	}
	form.Set("sources", "h1-winep-pw3904")
	res = post(t, srv, "/incidents/new", form)
	if res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/incidents/2024-06-99-test-plot" {
		t.Fatalf("valid create: status %d location %q\n%s", res.code, res.hdr.Get("Location"), excerpt(res.body))
	}
	in, err := db.Incident(ctx, "2024-06-99-test-plot", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Date.Precision != plotline.PrecisionMonth || in.Kind != "plot" || *in.Killed.High != 1 {
		t.Errorf("stored %+v", in)
	}
	if res := post(t, srv, "/incidents/new", form); res.code != 422 || !strings.Contains(res.body, "already exists") {
		t.Errorf("duplicate create: status %d", res.code)
	}

	// Edit: a new version, with the history diff showing the change.
	edit := get(t, srv, "/incidents/2024-06-99-test-plot/edit").body
	if !strings.Contains(edit, `name="_version" value="1"`) {
		t.Fatalf("edit form lacks version 1")
	}
	form.Set("title", "Test plot, renamed")
	form.Set("_version", "1")
	if res := post(t, srv, "/incidents/2024-06-99-test-plot/edit", form); res.code != http.StatusSeeOther {
		t.Fatalf("edit: status %d\n%s", res.code, excerpt(res.body))
	}
	// A second edit on the stale version is refused.
	form.Set("title", "Stale edit")
	if res := post(t, srv, "/incidents/2024-06-99-test-plot/edit", form); res.code != 422 || !strings.Contains(res.body, "changed while you edited") {
		t.Errorf("stale edit: status %d", res.code)
	}
	vs, err := db.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "2024-06-99-test-plot"})
	if err != nil || len(vs) != 2 {
		t.Fatalf("history: %d versions, err %v", len(vs), err)
	}
	h := get(t, srv, "/history/incident/2024-06-99-test-plot?a=1&b=2").body
	if !strings.Contains(h, "<del>Test plot</del>") || !strings.Contains(h, "<ins>Test plot, renamed</ins>") {
		t.Errorf("diff does not show the title change\n%s", excerpt(h))
	}
}

func TestAttributionAndSourceForms(t *testing.T) {
	srv, db := newServer(t)
	ctx := context.Background()
	src := url.Values{"id": {"test-src"}, "publisher": {"Test"}, "title": {"A page"}, "url": {"ftp://x"}, "kind": {"news"}, "tlp": {"clear"}}
	if res := post(t, srv, "/sources/new", src); res.code != 422 || !strings.Contains(res.body, `is not an http(s) URL`) {
		t.Fatalf("bad source URL: status %d", res.code)
	}
	src.Set("url", "https://example.org/page")
	if res := post(t, srv, "/sources/new", src); res.code != http.StatusSeeOther {
		t.Fatalf("source: status %d\n%s", res.code, excerpt(res.body))
	}
	inc := "2024-01-28-tur-istanbul-church"
	a := url.Values{"id": {inc + "/analyst-test"}, "actor": {"is-khorasan"}, "basis": {"analyst"}, "asserted_by": {"Test analyst"},
		"stated_on": {"2024-03-01"}, "link": {"guided"}, "likelihood": {"likely"}, "sources": {"test-src Z9"}}
	path := "/incidents/" + inc + "/attributions/new"
	if res := post(t, srv, path, a); res.code != 422 || !strings.Contains(res.body, "is not one of A, B") {
		t.Fatalf("bad grade: status %d\n%s", res.code, excerpt(res.body))
	}
	a.Set("sources", "test-src B2")
	if res := post(t, srv, path, a); res.code != http.StatusSeeOther {
		t.Fatalf("attribution: status %d\n%s", res.code, excerpt(res.body))
	}
	got, err := db.Incident(ctx, inc, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, at := range got.Attributions {
		if at.ID == inc+"/analyst-test" && at.Sources[0].Reliability == "B" && at.Sources[0].Credibility == "2" {
			found = true
		}
	}
	if !found {
		t.Errorf("attribution not stored with its grade: %+v", got.Attributions)
	}
	// Supersede it through the edit form: the timeline marks it.
	a.Set("superseded_on", "2024-04-01")
	a.Set("_version", "1")
	if res := post(t, srv, "/attributions/"+url.PathEscape(inc+"/analyst-test")+"/edit", a); res.code != http.StatusSeeOther {
		t.Fatalf("edit attribution: status %d\n%s", res.code, excerpt(res.body))
	}
	page := get(t, srv, "/incidents/"+inc).body
	if !strings.Contains(page, "superseded on 2024-04-01") {
		t.Errorf("timeline does not mark the superseded statement")
	}
	if page := get(t, srv, "/incidents/"+inc+"?as_of=2024-03-15").body; strings.Contains(page, "superseded on 2024-04-01") || !strings.Contains(page, "Test analyst") {
		t.Errorf("as of 2024-03-15 the statement stands and is shown")
	}
}

func TestOversizedForm(t *testing.T) {
	srv, _ := newServer(t)
	res := post(t, srv, "/sources/new", url.Values{"title": {strings.Repeat("x", 2<<20)}})
	if res.code != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", res.code)
	}
}

func TestMonthlyChartNeverPlacesImpreciseDates(t *testing.T) {
	srv, _ := newServer(t)
	body := get(t, srv, "/").body
	// The H1 2024 data has a quarter-precision and a range-dated incident.
	if !regexp.MustCompile(`not placed on a month \(date spans months\): [1-9]`).MatchString(body) {
		t.Errorf("chart summary does not count imprecise dates:\n%s", excerpt(body))
	}
}
