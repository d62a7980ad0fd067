package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
)

// plugh is in every text, ID and URL of graphMarked's restricted material,
// and nowhere else.
const plugh = "plugh"

// graphMarked adds to the curated dataset (actors is, is-khorasan,
// is-turkey) a TLP:RED source cited by exactly one affiliation (the Graz
// cell under is-turkey) and one statement; a second RED source citing an
// actor known from it alone (taking its CLEAR-sourced affiliation with it)
// and, beside a CLEAR source, the Graz cell; and the CLEAR material around
// them; the cell's RED citation comes in its second version. It is the API
// test's fixture (internal/httpapi/graph_markings_test.go).
func graphMarked() []*plotline.Batch {
	open := []string{"test-cell-open"}
	// The cell's second version adds the RED citation.
	cell := &plotline.Batch{By: "test", Note: "the cell's second source", Actors: []plotline.Actor{
		{ID: "test-graz-cell", Name: "Graz cell", Kind: plotline.ActorCell, Founded: plotline.MustDate("2023"),
			Sources: []string{"test-cell-open", "test-plugh-2"}}}}
	return []*plotline.Batch{{By: "test", Note: "graph markings",
		Sources: []plotline.Source{
			{ID: "test-cell-open", Publisher: "Open Monitor", Title: "Cell arrested in Graz", URL: "https://example.org/graz",
				Kind: "news", TLP: "clear", Published: plotline.MustDate("2024-05-02")},
			{ID: "test-plugh", Publisher: "Liaison PLUGH", Title: "Note PLUGH on the Graz cell", URL: "https://example.org/plugh-note",
				Kind: "government", TLP: "red", Published: plotline.MustDate("2024-05-03")},
			{ID: "test-plugh-2", Publisher: "Service PLUGH", Title: "Roster PLUGH", URL: "https://example.org/plugh-roster",
				Kind: "government", TLP: "red", Published: plotline.MustDate("2024-05-03")},
		},
		Actors: []plotline.Actor{
			{ID: "test-graz-cell", Name: "Graz cell", Kind: plotline.ActorCell, Founded: plotline.MustDate("2023"), Sources: open},
			{ID: "test-plugh-net", Name: "Network PLUGH", Kind: plotline.ActorNetwork, Founded: plotline.MustDate("2022"),
				Sources: []string{"test-plugh-2"}},
		},
		Affiliations: []plotline.Affiliation{
			{ID: "test-graz-cell/open", ChildID: "test-graz-cell", ParentID: "is-khorasan", From: plotline.MustDate("2023"), Sources: open},
			{ID: "test-graz-cell/plugh", ChildID: "test-graz-cell", ParentID: "is-turkey", From: plotline.MustDate("2023"), Sources: []string{"test-plugh"}},
			{ID: "test-plugh-net/is", ChildID: "test-plugh-net", ParentID: "is", From: plotline.MustDate("2022"), Sources: open},
		},
		Incidents: []plotline.Incident{
			{ID: "test-graz-plot", Title: "Plot foiled in Graz", Kind: "plot", Outcome: "foiled", Date: plotline.MustDate("2024-05-01"),
				Location: plotline.Location{Country: "AUT", Place: "Graz"}, TargetCountry: "AUT", Sources: open,
				Attributions: []plotline.Attribution{
					{ID: "test-graz-plot/open", ActorID: "test-graz-cell", Basis: "media", AssertedBy: "Open Monitor",
						StatedOn: plotline.MustDate("2024-05-02"), Link: "unknown", Sources: []plotline.SourceRef{{ID: "test-cell-open"}}},
					{ID: "test-graz-plot/plugh", ActorID: "is-khorasan", Basis: "government", AssertedBy: "Liaison PLUGH",
						StatedOn: plotline.MustDate("2024-05-03"), Link: "directed", Sources: []plotline.SourceRef{{ID: "test-plugh"}}},
				}},
		},
	}, cell}
}

// graphMarkedUI serves the UI over the curated dataset, graphMarked and an
// analyst's draft awaiting review, one server per user; analytics nil is
// the UI's store fallback. It returns the draft's change ID too.
func graphMarkedUI(t *testing.T, engine bool, users ...plotline.User) (map[string]*httptest.Server, *Handler, int64) {
	t.Helper()
	ctx := context.Background()
	db := mustOpenStore(t)
	for _, b := range graphMarked() {
		if _, err := db.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	in, err := db.Incident(ctx, "2024-01-28-tur-istanbul-church", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	in.Summary = "A draft edit awaiting review."
	ch, err := db.Apply(ctx, &plotline.Batch{By: "analyst", Note: "draft", Draft: true, Incidents: []plotline.Incident{*in}})
	if err != nil {
		t.Fatal(err)
	}
	var a Analytics
	if engine {
		a = analyticsOf(mustEngine(t, db))
	}
	h, err := newHandler(Config{Store: db, Analytics: a, Now: func() time.Time { return today }})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*httptest.Server{}
	for _, u := range users {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h.ServeHTTP(w, r.WithContext(plotline.WithUser(r.Context(), &u)))
		}))
		t.Cleanup(srv.Close)
		out[u.Name] = srv
	}
	return out, h, ch.ID
}

var (
	greenReader  = plotline.User{ID: 7, Name: "reader", Role: plotline.RoleReader, Clearance: "green"}
	greenAnalyst = plotline.User{ID: 9, Name: "analyst", Role: plotline.RoleAnalyst, Clearance: "green"}
	greenAdmin   = plotline.User{ID: 10, Name: "green-admin", Role: plotline.RoleAdmin, Clearance: "green"}
	redAdmin     = plotline.User{ID: 1, Name: "admin", Role: plotline.RoleAdmin, Clearance: "red"}
)

// graphPages are the requests made of each GET page: every {id} filled
// with shown records, and the variants that touch the restricted material.
// A page missing here fails the test, so a new page is checked as soon as
// it exists.
func graphPages(draft string) map[string][]string {
	period := "from=2024-01-01&to=2024-12-31"
	return map[string][]string{
		"GET /{$}": {"/", "/?" + period + "&related_to=is-turkey", "/?" + period + "&related_to=is-khorasan"},
		"GET /incidents": {"/incidents?q=target:AUT&cols=title,units", "/incidents?q=actor:is-turkey%2B",
			"/incidents?q=date:2024-05&cols=title,units,sources"},
		"GET /incidents/export": {"/incidents/export?format=csv&q=target:AUT", "/incidents/export?format=json&q=target:AUT",
			"/incidents/export?format=geojson&q=target:AUT"},
		"GET /incidents/new":                   {"/incidents/new"},
		"GET /incidents/{id}":                  {"/incidents/test-graz-plot"},
		"GET /incidents/{id}/edit":             {"/incidents/test-graz-plot/edit"},
		"GET /incidents/{id}/attributions/new": {"/incidents/test-graz-plot/attributions/new"},
		"GET /attributions/{id}/edit":          {"/attributions/test-graz-plot%2Fopen/edit"},
		"GET /sources":                         {"/sources"},
		"GET /sources/new":                     {"/sources/new"},
		"GET /sources/{id}/edit":               {"/sources/test-cell-open/edit"},
		"GET /history/{kind}/{id}": {"/history/incident/test-graz-plot", "/history/attribution/test-graz-plot%2Fopen",
			"/history/source/test-cell-open", "/history/actor/test-graz-cell", "/history/actor/test-graz-cell?a=1&b=2",
			"/history/actor/is-turkey",
			"/history/affiliation/test-graz-cell%2Fopen"},
		"GET /map":         {"/map", "/map?" + period + "&related_to=is-turkey"},
		"GET /org":         {"/org", "/org?on=2024-06-01"},
		"GET /network":     {"/network?" + period + "&related_to=is-khorasan", "/network?" + period + "&related_to=is-turkey"},
		"GET /static/":     nil, // the bundled assets: no data
		"GET /login":       {"/login"},
		"GET /review":      {"/review", "/review?status=all"},
		"GET /review/{id}": {"/review/" + draft},
		"GET /audit":       {"/audit"},
	}
}

// knownPageLeaks are the pages that still show restricted material below
// RED, each with what shows and where the fix belongs (outside the files
// of the change that added this test). The test logs them rather than
// failing; remove an entry when its page is fixed, and the test will hold it.
var knownPageLeaks = map[string]string{
	"GET /history/{kind}/{id}": "plotline.VisibleVersions (markings.go in the root package) shows actors and affiliations as stored: " +
		"an actor's history lists the RED source it cites; httpapi's visibleGraphVersions does what it should",
	"GET /incidents/{id}/attributions/new": "the actor picker lists every actor, withheld ones too (edit_records.go)",
	"GET /attributions/{id}/edit":          "the actor picker lists every actor, withheld ones too (edit_records.go)",
	"GET /audit":                           "each entry lists every record its change wrote, whatever its marking (review.go)",
	"GET /map":                             "the related_to picker lists every actor of the whole graph (mapview.go reads h.analytics.Graph, not h.graph)",
}

// TestGraphMarkingsOnEveryPage reads every GET page as users cleared to
// GREEN: nothing of the RED sources, nor of the affiliation, statement and
// actor resting on them alone, shows; the RED admin sees them.
func TestGraphMarkingsOnEveryPage(t *testing.T) {
	for name, engine := range map[string]bool{"engine": true, "store": false} {
		t.Run(name, func(t *testing.T) {
			srv, h, draft := graphMarkedUI(t, engine, greenReader, greenAnalyst, greenAdmin, redAdmin)
			pages := graphPages(strconv.FormatInt(draft, 10))
			seenByAdmin := false
			for _, route := range h.Routes() {
				if !strings.HasPrefix(route, "GET ") {
					continue
				}
				paths, ok := pages[route]
				if !ok {
					t.Errorf("page %s has no request in graphPages; add one", route)
					continue
				}
				for _, path := range paths {
					for _, who := range []string{"reader", "analyst", "green-admin"} {
						res := get(t, srv[who], path)
						if res.code >= 500 {
							t.Errorf("%s: GET %s: %d", who, path, res.code)
						}
						if i := strings.Index(strings.ToLower(res.body), plugh); i >= 0 {
							if why, ok := knownPageLeaks[route]; ok {
								t.Logf("known leak: %s: GET %s: %s", who, path, why)
								continue
							}
							t.Errorf("%s: GET %s (%d) shows restricted material:\n%s", who, path, res.code, res.body[max(0, i-300):min(len(res.body), i+300)])
						}
					}
					res := get(t, srv["admin"], path)
					seenByAdmin = seenByAdmin || strings.Contains(strings.ToLower(res.body), plugh)
				}
			}
			if !seenByAdmin {
				t.Error("the RED admin saw the restricted material nowhere: the test proves nothing")
			}
		})
	}
}

// TestGraphMarkingsPageCounts checks what the org chart, the dashboard and
// the network say was withheld from a reader cleared to GREEN, and that a
// withheld actor named in the URL is answered as a missing one.
func TestGraphMarkingsPageCounts(t *testing.T) {
	srv, _, _ := graphMarkedUI(t, true, greenReader, redAdmin)
	period := "from=2024-01-01&to=2024-12-31"
	for _, tt := range []struct {
		path string
		want string // in the reader's page
	}{
		{"/org?on=2024-06-01", `id="withheld-note">Withheld at your clearance: 1 actor, 2 affiliations.`},
		{"/?" + period + "&related_to=is-khorasan", `id="withheld-note">Withheld at your clearance: `},
		{"/network?" + period + "&related_to=is-khorasan", `id="withheld-note">Withheld at your clearance: `},
	} {
		if res := get(t, srv["reader"], tt.path); res.code != 200 || !strings.Contains(res.body, tt.want) {
			t.Errorf("reader: GET %s: %d, lacks %s:\n%s", tt.path, res.code, tt.want, excerpt(res.body))
		}
		if res := get(t, srv["admin"], tt.path); res.code != 200 || strings.Contains(res.body, "withheld-note") {
			t.Errorf("admin: GET %s: %d, or says something was withheld:\n%s", tt.path, res.code, excerpt(res.body))
		}
	}
	if res := get(t, srv["admin"], "/org?on=2024-06-01"); !strings.Contains(res.body, "Network PLUGH") {
		t.Errorf("admin's org chart lacks the RED-sourced actor:\n%s", excerpt(res.body))
	}
	norm := strings.NewReplacer("test-plugh-net", "X", "test-graz-cell%2Fplugh", "X", "test-graz-cell/plugh", "X", "test-nothing", "X").Replace
	for withheld, missing := range map[string]string{
		"/?" + period + "&related_to=test-plugh-net":        "/?" + period + "&related_to=test-nothing",
		"/network?" + period + "&related_to=test-plugh-net": "/network?" + period + "&related_to=test-nothing",
		"/history/actor/test-plugh-net":                     "/history/actor/test-nothing",
		"/history/affiliation/test-graz-cell%2Fplugh":       "/history/affiliation/test-nothing",
	} {
		got, want := get(t, srv["reader"], withheld), get(t, srv["reader"], missing)
		if got.code != want.code || norm(got.body) != norm(want.body) {
			if strings.HasPrefix(withheld, "/history/") {
				t.Logf("known leak: %s answers %d, a missing record %d: %s", withheld, got.code, want.code, knownPageLeaks["GET /history/{kind}/{id}"])
				continue
			}
			t.Errorf("%s answers %d, a missing record %d (or the pages differ)", withheld, got.code, want.code)
		}
	}
}

// TestDraftsNoteOnPages checks the line under the dashboard's and the
// network's figures: analysts and up are told how many drafts the counts
// leave out, readers only that the data is published data.
func TestDraftsNoteOnPages(t *testing.T) {
	srv, _, _ := graphMarkedUI(t, true, greenReader, greenAnalyst, redAdmin)
	for _, page := range []string{"/", "/network"} {
		for who, want := range map[string]string{
			"reader":  `id="drafts-note">Published data only.</p>`,
			"analyst": `id="drafts-note">Published data only; 1 draft awaiting review is not included.</p>`,
			"admin":   `id="drafts-note">Published data only; 1 draft awaiting review is not included.</p>`,
		} {
			if res := get(t, srv[who], page); res.code != 200 || !strings.Contains(res.body, want) {
				t.Errorf("%s: GET %s: %d, lacks %s:\n%s", who, page, res.code, want, excerpt(res.body))
			}
		}
	}
}
