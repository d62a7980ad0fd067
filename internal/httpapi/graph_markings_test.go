package httpapi_test

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// The marked organisation of storetest.GraphMarked, and its marker word.
const plugh = storetest.Plugh

var graphMarked = storetest.GraphMarked

var (
	greenAnalyst = plotline.User{ID: 9, Name: "analyst", Role: plotline.RoleAnalyst, Clearance: "green"}
	greenAdmin   = plotline.User{ID: 10, Name: "green-admin", Role: plotline.RoleAdmin, Clearance: "green"}
)

// graphMarkedServer serves the curated dataset, graphMarked and one
// analyst's draft (awaiting review) with the engine, one client per user;
// it returns the draft's change ID too.
func graphMarkedServer(t testing.TB, users ...plotline.User) (map[string]*userClient, int64) {
	t.Helper()
	auth := headerAuth{}
	for _, u := range users {
		auth[u.Name] = &u
	}
	var draft int64
	ts := newTestServer(t, func(c *httpapi.Config) {
		ctx := context.Background()
		for _, b := range graphMarked() {
			if _, err := c.Store.Apply(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		in, err := c.Store.Incident(ctx, istanbul, plotline.AsOf{})
		if err != nil {
			t.Fatal(err)
		}
		in.Summary = "A draft edit awaiting review."
		ch, err := c.Store.Apply(ctx, &plotline.Batch{By: "analyst", Note: "draft", Draft: true, Incidents: []plotline.Incident{*in}})
		if err != nil {
			t.Fatal(err)
		}
		draft = ch.ID
		// A draft by someone cleared to RED that adds a RED source.
		_, err = c.Store.Apply(ctx, &plotline.Batch{By: "red-analyst", Note: "draft", Draft: true, Sources: []plotline.Source{
			{ID: "test-plugh-draft", Publisher: "Draft PLUGH", Title: "Draft PLUGH", URL: "https://example.org/plugh-draft",
				Kind: "government", TLP: "red", Published: plotline.MustDate("2024-05-04")}}})
		if err != nil {
			t.Fatal(err)
		}
		eng, err := engine.New(ctx, c.Store.(engine.Source))
		if err != nil {
			t.Fatal(err)
		}
		c.Analytics = &httpapi.EngineAnalytics{Engine: eng}
		c.Auth = auth
	})
	out := map[string]*userClient{}
	for _, u := range users {
		out[u.Name] = &userClient{ts: ts, name: u.Name}
	}
	// A RED source written through the API by someone cleared to RED.
	red := &userClient{ts: ts, name: "red-writer"}
	auth["red-writer"] = &plotline.User{ID: 11, Name: "red-writer", Role: plotline.RoleAdmin, Clearance: "red"}
	if res := red.do(t, "POST", "/api/v1/sources", plotline.Source{ID: "test-plugh-3", Publisher: "Liaison PLUGH",
		Title: "Note PLUGH 3", URL: "https://example.org/plugh-3", Kind: "government", TLP: "red"}); res.status != 200 && res.status != 201 {
		t.Fatalf("put RED source: %d %s", res.status, res.body)
	}
	return out, draft
}

// graphRequests are the requests made of each GET route: every {id} filled
// with the IDs of shown records, required parameters given, and the
// variants that touch the restricted material. A route missing here fails
// the test, so a new route is checked as soon as it exists.
func graphRequests(draft, redDraft string) map[string][]string {
	period := "from=2024-01-01&to=2024-12-31"
	return map[string][]string{
		"GET /api/v1/{$}":          {"/api/v1/"},
		"GET /api/v1/openapi.json": {"/api/v1/openapi.json"},
		"GET /api/v1/incidents": {"/api/v1/incidents?limit=1000", "/api/v1/incidents?q=target:AUT",
			"/api/v1/incidents?q=actor:is-khorasan%2B"},
		"GET /api/v1/incidents/{id}":         {"/api/v1/incidents/test-graz-plot"},
		"GET /api/v1/incidents/{id}/history": {"/api/v1/incidents/test-graz-plot/history"},
		"GET /api/v1/incidents/{id}/diff":    {"/api/v1/incidents/test-graz-plot/diff"},
		"GET /api/v1/attributions": {"/api/v1/attributions?limit=1000", "/api/v1/attributions?incident=test-graz-plot",
			"/api/v1/attributions?actor=is-khorasan&limit=1000"},
		"GET /api/v1/attributions/{id}":         {"/api/v1/attributions/test-graz-plot%2Fopen"},
		"GET /api/v1/attributions/{id}/history": {"/api/v1/attributions/test-graz-plot%2Fopen/history"},
		"GET /api/v1/attributions/{id}/diff":    {"/api/v1/attributions/test-graz-plot%2Fopen/diff"},
		"GET /api/v1/sources":                   {"/api/v1/sources", "/api/v1/sources?tlp=red", "/api/v1/sources?kind=government"},
		"GET /api/v1/sources/{id}":              {"/api/v1/sources/test-cell-open"},
		"GET /api/v1/sources/{id}/history":      {"/api/v1/sources/test-cell-open/history"},
		"GET /api/v1/sources/{id}/diff":         {"/api/v1/sources/test-cell-open/diff"},
		"GET /api/v1/actors":                    {"/api/v1/actors", "/api/v1/actors?kind=network", "/api/v1/actors?kind=cell"},
		"GET /api/v1/actors/{id}": {"/api/v1/actors/test-graz-cell", "/api/v1/actors/test-graz-cell?date=2024-06-01",
			"/api/v1/actors/is", "/api/v1/actors/is-khorasan", "/api/v1/actors/is-turkey"},
		"GET /api/v1/actors/{id}/history": {"/api/v1/actors/test-graz-cell/history", "/api/v1/actors/is/history"},
		"GET /api/v1/affiliations": {"/api/v1/affiliations", "/api/v1/affiliations?actor=test-graz-cell",
			"/api/v1/affiliations?actor=is&date=2024-06-01", "/api/v1/affiliations?actor=is-turkey"},
		"GET /api/v1/org":     {"/api/v1/org", "/api/v1/org?date=2024-06-01", "/api/v1/org?root=is&date=2024-06-01"},
		"GET /api/v1/changes": {"/api/v1/changes?limit=1000", "/api/v1/changes?limit=3"},
		"GET /api/v1/query":   {"/api/v1/query?q=target:AUT", "/api/v1/query?q=actor:is%2B"},
		"GET /api/v1/count": {"/api/v1/count?q=target:AUT&by=unit", "/api/v1/count?by=unit&limit=1000",
			"/api/v1/count?q=actor:is%2B&by=basis"},
		"GET /api/v1/crosstab":   {"/api/v1/crosstab?rows=unit&cols=target"},
		"GET /api/v1/series":     {"/api/v1/series?q=target:AUT&every=year&" + period},
		"GET /api/v1/projection": {"/api/v1/projection?q=target:AUT&" + period + "&by=unit"},
		"GET /api/v1/report/external-ops": {"/api/v1/report/external-ops?" + period + "&related_to=is-khorasan",
			"/api/v1/report/external-ops?" + period + "&related_to=test-graz-cell"},
		"GET /api/v1/review/queue":       {"/api/v1/review/queue", "/api/v1/review/queue?status=all"},
		"GET /api/v1/review/drafts/{id}": {"/api/v1/review/drafts/" + draft, "/api/v1/review/drafts/" + redDraft},
		"GET /api/v1/audit":              {"/api/v1/audit?limit=1000", "/api/v1/audit?format=csv&limit=1000"},
	}
}

// TestGraphMarkingsEveryRoute reads every GET route as users cleared to
// GREEN (a reader, an analyst and an admin): nothing of the RED sources,
// nor of the affiliation, the statement and the actor resting on them
// alone, shows in any answer; an admin cleared to RED sees them.
func TestGraphMarkingsEveryRoute(t *testing.T) {
	t.Parallel()
	srv, draftID := graphMarkedServer(t, reader, greenAnalyst, greenAdmin, admin)
	draft := strconv.FormatInt(draftID, 10)
	requests := graphRequests(draft, strconv.FormatInt(redDraftID(t, srv["admin"]), 10))
	seenByAdmin := false
	for _, route := range srv["admin"].ts.api.Routes() {
		if !strings.HasPrefix(route, "GET ") {
			continue
		}
		paths, ok := requests[route]
		if !ok {
			t.Errorf("route %s has no request in graphRequests; add one", route)
			continue
		}
		for _, path := range paths {
			for _, who := range []string{"reader", "analyst", "green-admin"} {
				res := srv[who].do(t, "GET", path, nil)
				if res.status >= 500 {
					t.Errorf("%s: GET %s: %d %.300s", who, path, res.status, res.body)
				}
				if strings.Contains(strings.ToLower(string(res.body)), plugh) {
					t.Errorf("%s: GET %s (%d) shows restricted material:\n%s", who, path, res.status, around(res.body, plugh))
				}
			}
			res := srv["admin"].do(t, "GET", path, nil)
			if res.status != 200 {
				t.Errorf("admin: GET %s: %d %.300s", path, res.status, res.body)
			}
			seenByAdmin = seenByAdmin || strings.Contains(strings.ToLower(string(res.body)), plugh)
		}
	}
	if !seenByAdmin {
		t.Error("the RED admin saw the restricted material nowhere: the test proves nothing")
	}
}

// redDraftID returns the ID of graphMarkedServer's draft by someone
// cleared to RED, as the RED admin finds it in the queue.
func redDraftID(t *testing.T, admin *userClient) int64 {
	t.Helper()
	var q httpapi.DraftList
	admin.do(t, "GET", "/api/v1/review/queue", nil).json(t, &q)
	for _, d := range q.Drafts {
		if d.Change.RecordedBy == "red-analyst" {
			return d.Change.ID
		}
	}
	t.Fatalf("no draft by red-analyst in the queue: %+v", q.Drafts)
	return 0
}

// around returns the text around the first case-insensitive match of s.
func around(body []byte, s string) string {
	i := strings.Index(strings.ToLower(string(body)), s)
	if i < 0 {
		return ""
	}
	return string(body[max(0, i-300):min(len(body), i+300)])
}

// TestGraphMarkingsCounts checks what the graph routes say was withheld
// from a reader cleared to GREEN, that withheld records answer exactly as
// missing ones, and that the RED admin sees everything with nothing withheld.
func TestGraphMarkingsCounts(t *testing.T) {
	t.Parallel()
	srv, _ := graphMarkedServer(t, reader, admin)
	tests := []struct {
		path       string
		readerWant []string // in the reader's answer
		adminWant  []string
	}{
		{"/api/v1/actors", []string{`"withheld":{"sources":1,"actors":1}`, `"test-graz-cell"`}, []string{"test-plugh-net"}},
		{"/api/v1/affiliations", []string{`"withheld":{"affiliations":2}`, `"test-graz-cell/open"`}, []string{"test-graz-cell/plugh", "test-plugh-net/is"}},
		{"/api/v1/affiliations?actor=test-graz-cell", []string{`"withheld":{"affiliations":1}`}, []string{"test-graz-cell/plugh"}},
		{"/api/v1/actors/test-graz-cell", []string{`"withheld":{"sources":1,"affiliations":1}`, `"sources":["test-cell-open"]`, `"is-khorasan"`},
			[]string{`"sources":["test-cell-open","test-plugh-2"]`, "test-graz-cell/plugh"}},
		{"/api/v1/actors/test-graz-cell/history", []string{`"sources":["test-cell-open"]`}, []string{"test-plugh-2"}},
		{"/api/v1/actors/is", []string{`"withheld":{"affiliations":1}`}, []string{"test-plugh-net"}},
		{"/api/v1/actors/is-turkey", []string{`"withheld":{"affiliations":1}`}, []string{"test-graz-cell/plugh"}},
		{"/api/v1/org?date=2024-06-01", []string{`"withheld":{"actors":1,"affiliations":2}`, `"test-graz-cell"`}, []string{"Network PLUGH"}},
		{"/api/v1/attributions?incident=test-graz-plot", []string{`"withheld":{"statements":1}`}, []string{"test-graz-plot/plugh"}},
		{"/api/v1/count?q=target:AUT&by=unit", []string{`"withheld":{`, `"statements":`}, []string{`"is-khorasan"`}},
		{"/api/v1/report/external-ops?from=2024-01-01&to=2024-12-31&related_to=is-khorasan", []string{`"withheld":{`}, []string{"test-graz-plot"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := srv["reader"].do(t, "GET", tt.path, nil)
			if res.status != 200 {
				t.Fatalf("reader: %d %.300s", res.status, res.body)
			}
			for _, w := range tt.readerWant {
				if !strings.Contains(string(res.body), w) {
					t.Errorf("reader's answer lacks %s:\n%.1500s", w, res.body)
				}
			}
			res = srv["admin"].do(t, "GET", tt.path, nil)
			if res.status != 200 {
				t.Fatalf("admin: %d %.300s", res.status, res.body)
			}
			for _, w := range tt.adminWant {
				if !strings.Contains(string(res.body), w) {
					t.Errorf("admin's answer lacks %s:\n%.1500s", w, res.body)
				}
			}
			if strings.Contains(string(res.body), `"withheld"`) {
				t.Errorf("admin's answer says something was withheld:\n%.1500s", res.body)
			}
		})
	}

	// Withheld records answer exactly as missing ones.
	for withheld, missing := range map[string]string{
		"/api/v1/actors/test-plugh-net":                                                       "/api/v1/actors/test-nothing",
		"/api/v1/actors/test-plugh-net/history":                                               "/api/v1/actors/test-nothing/history",
		"/api/v1/sources/test-plugh":                                                          "/api/v1/sources/test-nothing",
		"/api/v1/sources/test-plugh/history":                                                  "/api/v1/sources/test-nothing/history",
		"/api/v1/attributions/test-graz-plot%2Fplugh":                                         "/api/v1/attributions/test-graz-plot%2Fnothing",
		"/api/v1/attributions/test-graz-plot%2Fplugh/diff":                                    "/api/v1/attributions/test-graz-plot%2Fnothing/diff",
		"/api/v1/affiliations?actor=test-plugh-net":                                           "/api/v1/affiliations?actor=test-nothing",
		"/api/v1/org?root=test-plugh-net&date=2024-06-01":                                     "/api/v1/org?root=test-nothing&date=2024-06-01",
		"/api/v1/report/external-ops?from=2024-01-01&to=2024-12-31&related_to=test-plugh-net": "/api/v1/report/external-ops?from=2024-01-01&to=2024-12-31&related_to=test-nothing",
		"/api/v1/report/external-ops?from=2024-01-01&to=2024-12-31&org=Network%20PLUGH":       "/api/v1/report/external-ops?from=2024-01-01&to=2024-12-31&org=test-nothing",
		"/api/v1/count?q=actor:test-plugh-net":                                                "/api/v1/count?q=actor:test-nothing",
		"/api/v1/query?q=actor:test-plugh-net":                                                "/api/v1/query?q=actor:test-nothing",
		"/api/v1/incidents?q=actor:test-plugh-net":                                            "/api/v1/incidents?q=actor:test-nothing",
	} {
		got, want := srv["reader"].do(t, "GET", withheld, nil), srv["reader"].do(t, "GET", missing, nil)
		norm := func(b []byte) string {
			s := regexp.MustCompile(`"request_id":"[^"]*"`).ReplaceAllString(string(b), "")
			s = strings.NewReplacer("test-plugh-net", "X", "Network PLUGH", "X", "test-plugh", "X", "test-graz-plot/plugh", "X", "test-nothing", "X",
				"test-graz-plot/nothing", "X").Replace(s)
			return s
		}
		if got.status != want.status || norm(got.body) != norm(want.body) {
			t.Errorf("withheld %s answered %d %s\nmissing %s answered %d %s", withheld, got.status, got.body, missing, want.status, want.body)
		}
	}
}

// TestGraphMarkingsRelation checks that an affiliation withheld at the
// reader's clearance relates nothing in the reader's analytics: the Graz
// cell sits under is-turkey only through the RED affiliation, so its plot
// is not related to is-turkey for a reader cleared to GREEN.
func TestGraphMarkingsRelation(t *testing.T) {
	t.Parallel()
	srv, _ := graphMarkedServer(t, reader, admin)
	related := func(who string) (inSubtree, relatedInReport bool) {
		res := srv[who].do(t, "GET", "/api/v1/query?q=actor:is-turkey%2B", nil)
		var q struct{ IDs []string }
		res.json(t, &q)
		// A count of the subtree by unit names the cell exactly when the query lists the plot.
		res = srv[who].do(t, "GET", "/api/v1/count?q=actor:is-turkey%2B%20target:AUT&by=unit", nil)
		if got, want := strings.Contains(string(res.body), `"test-graz-cell"`), slices.Contains(q.IDs, "test-graz-plot"); got != want {
			t.Errorf("%s: count of is-turkey+ in AUT by unit names the Graz cell %v, the query lists its plot %v:\n%.600s", who, got, want, res.body)
		}
		res = srv[who].do(t, "GET", "/api/v1/report/external-ops?from=2024-01-01&to=2024-12-31&related_to=is-turkey", nil)
		var rep struct {
			Incidents []struct {
				ID      string
				Related bool
			}
		}
		res.json(t, &rep)
		for _, in := range rep.Incidents {
			relatedInReport = relatedInReport || (in.ID == "test-graz-plot" && in.Related)
		}
		return slices.Contains(q.IDs, "test-graz-plot"), relatedInReport
	}
	if sub, rel := related("admin"); !sub || !rel {
		t.Fatalf("admin: the Graz plot under is-turkey+ %v, related in the report %v; want both (the fixture is wrong)", sub, rel)
	}
	if sub, rel := related("reader"); sub || rel {
		t.Errorf("reader: the Graz plot under is-turkey+ %v, related in the report %v, through a RED affiliation; want neither", sub, rel)
	}
}

// TestGraphMarkingsFollowChanges checks that the markings the server keeps
// per store change (SnapshotAnalytics' ChangeCache) follow a source's
// marking raised by another writer: the Graz cell, then known from RED
// sources only, is withheld at once.
func TestGraphMarkingsFollowChanges(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *httpapi.Config) { c.Auth = headerAuth{"reader": &reader} })
	ctx := context.Background()
	for _, b := range graphMarked() {
		if _, err := ts.db.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	shown := func() bool {
		res := ts.do(t, "GET", "/api/v1/actors?kind=cell", nil, "X-Test-User", "reader")
		if res.status != 200 {
			t.Fatalf("actors: %d %.300s", res.status, res.body)
		}
		return strings.Contains(string(res.body), `"test-graz-cell"`)
	}
	if !shown() {
		t.Fatal("the reader does not see the Graz cell, known from a CLEAR source")
	}
	src, err := ts.db.Source(ctx, "test-cell-open", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	src.TLP = "red"
	if _, err := ts.db.Apply(ctx, &plotline.Batch{By: "test", Note: "raise", Sources: []plotline.Source{*src}}); err != nil {
		t.Fatal(err)
	}
	if shown() {
		t.Error("the reader still sees the Graz cell after its last visible source was marked RED")
	}
}

// TestGraphMarkingsChangeLog checks the change log below RED: the changes
// list, the audit log (JSON and CSV) and the review queue name only the
// records the caller may see, count the others by kind, and blank the
// notes of the changes that wrote them; the RED admin sees them as stored.
func TestGraphMarkingsChangeLog(t *testing.T) {
	t.Parallel()
	srv, _ := graphMarkedServer(t, reader, greenAnalyst, greenAdmin, admin)
	type entry struct {
		ID         int64
		RecordedBy string `json:"recorded_by"`
		Note       string
		Records    []plotline.Ref
		Withheld   *plotline.Withheld
	}
	byNote := func(who, path string) map[string]entry {
		t.Helper()
		var out struct{ Changes, Entries []entry }
		srv[who].do(t, "GET", path, nil).json(t, &out)
		m := map[string]entry{}
		// The fixture's changes are told apart by who wrote them and how many there are.
		for _, e := range append(out.Changes, out.Entries...) {
			m[e.RecordedBy+"#"+strconv.Itoa(len(m))] = e
		}
		return m
	}
	for _, path := range []string{"/api/v1/changes?limit=6", "/api/v1/audit?limit=6"} {
		red, green := byNote("admin", path), byNote("green-admin", path)
		if len(red) != 6 || len(green) != 6 {
			t.Fatalf("%s: %d entries for the RED admin, %d below; want 6", path, len(red), len(green))
		}
		for key, r := range red {
			g := green[key]
			if r.Withheld != nil {
				t.Errorf("%s: the RED admin is told change %d withheld %+v", path, r.ID, *r.Withheld)
			}
			if g.ID != r.ID || g.RecordedBy != r.RecordedBy {
				t.Fatalf("%s: entry %s is change %d by %s below RED, %d by %s at RED", path, key, g.ID, g.RecordedBy, r.ID, r.RecordedBy)
			}
			var want plotline.Withheld
			whole := 0 // records withheld as a whole, left out of the list
			switch r.Note {
			case "put source test-plugh-3", "draft":
				if r.RecordedBy != "analyst" {
					want, whole = plotline.Withheld{Sources: 1}, 1 // a RED source, published or drafted
				}
			case "graph markings":
				want, whole = plotline.Withheld{Sources: 2, Actors: 1, Affiliations: 2, Attributions: 1}, 6
			case "the cell's second source":
				want = plotline.Withheld{Sources: 1} // a RED citation, removed from a version shown
			}
			got := plotline.Withheld{}
			if g.Withheld != nil {
				got = *g.Withheld
			}
			if got != want {
				t.Errorf("%s: change %d (%q) withheld %+v below RED; want %+v", path, r.ID, r.Note, got, want)
			}
			// The dataset's change wrote more records than an entry lists:
			// they cannot be checked one by one, and the store holds RED
			// material, so its note is blanked too.
			blank := want.Any() || strings.HasPrefix(r.Note, "curated dataset")
			if wantNote := map[bool]string{true: "", false: r.Note}[blank]; g.Note != wantNote {
				t.Errorf("%s: change %d's note below RED %q; want %q", path, r.ID, g.Note, wantNote)
			}
			if strings.HasSuffix(path, "audit?limit=6") && len(r.Records)-len(g.Records) != whole {
				t.Errorf("audit: change %d lists %v below RED, %v at RED; withheld %+v", r.ID, g.Records, r.Records, want)
			}
		}
	}

	// A record's history blanks the notes of the changes that wrote
	// anything withheld, as the audit log does.
	for path, note := range map[string]string{
		"/api/v1/actors/test-graz-cell/history":    `"note":"the cell's second source"`,
		"/api/v1/incidents/test-graz-plot/history": `"note":"graph markings"`,
		"/api/v1/incidents/test-graz-plot/diff":    `"note":"graph markings"`,
	} {
		if res := srv["reader"].do(t, "GET", path, nil); res.status != 200 || strings.Contains(string(res.body), note) {
			t.Errorf("reader: GET %s: %d, shows %s:\n%.600s", path, res.status, note, res.body)
		}
		if res := srv["admin"].do(t, "GET", path, nil); !strings.Contains(string(res.body), note) {
			t.Errorf("admin: GET %s lacks %s:\n%.600s", path, note, res.body)
		}
	}

	// The audit CSV counts what it withheld in its last column.
	res := srv["green-admin"].do(t, "GET", "/api/v1/audit?format=csv&limit=1", nil)
	if !strings.HasSuffix(strings.TrimSpace(string(res.body)), ",,1,,1") {
		t.Errorf("green admin's audit CSV for the RED write:\n%s", res.body)
	}

	// The queue: the RED draft is there, its record and note are not.
	var q struct{ Drafts []entry }
	var rq httpapi.DraftList
	srv["analyst"].do(t, "GET", "/api/v1/review/queue", nil).json(t, &q)
	srv["admin"].do(t, "GET", "/api/v1/review/queue", nil).json(t, &rq)
	if len(q.Drafts) != 2 || len(rq.Drafts) != 2 {
		t.Fatalf("queue: %d drafts below RED, %d at RED; want 2", len(q.Drafts), len(rq.Drafts))
	}
	redID := redDraftID(t, srv["admin"])
	for _, path := range []string{"/api/v1/review/queue", "/api/v1/review/drafts/" + strconv.FormatInt(redID, 10)} {
		var view struct {
			Drafts   []httpapi.DraftView
			Change   plotline.Change
			Records  []plotline.DraftRecord
			Withheld *plotline.Withheld
		}
		srv["analyst"].do(t, "GET", path, nil).json(t, &view)
		v := httpapi.DraftView{Draft: plotline.Draft{Change: view.Change, Records: view.Records}, Withheld: view.Withheld}
		for _, qd := range view.Drafts {
			if qd.Change.ID == redID {
				v = qd
			}
		}
		if v.Change.ID != redID || len(v.Records) != 0 || v.Change.Note != "" || v.Withheld == nil || *v.Withheld != (plotline.Withheld{Sources: 1}) {
			t.Errorf("%s: the RED draft below RED is %+v, withheld %v; want no record, no note, 1 source withheld", path, v.Change, v.Withheld)
		}
	}
}

// BenchmarkChangeLogMarkings measures what narrowing the change log costs
// an admin cleared to GREEN against the RED admin (nothing narrowed): the
// audit log, the changes list and the review queue over graphMarkedServer
// and 120 more changes, one source each, every sixth RED.
func BenchmarkChangeLogMarkings(b *testing.B) {
	srv, _ := graphMarkedServer(b, greenAdmin, admin)
	for i := range 120 {
		tlp := "clear"
		if i%6 == 0 {
			tlp = "red"
		}
		id := "bench-src-" + strconv.Itoa(i)
		res := srv["admin"].do(b, "POST", "/api/v1/sources", plotline.Source{ID: id, Publisher: "Bench", Title: "Bench " + id,
			URL: "https://example.org/" + id, Kind: "news", TLP: tlp})
		if res.status != 201 {
			b.Fatalf("put %s: %d %s", id, res.status, res.body)
		}
	}
	for _, path := range []string{"/api/v1/audit?limit=100", "/api/v1/changes?limit=100", "/api/v1/review/queue"} {
		for _, who := range []string{"admin", "green-admin"} {
			b.Run(who+path, func(b *testing.B) {
				for b.Loop() {
					if res := srv[who].do(b, "GET", path, nil); res.status != 200 {
						b.Fatalf("%d %s", res.status, res.body)
					}
				}
			})
		}
	}
}
