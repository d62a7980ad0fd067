package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// The marked organisation of storetest.GraphMarked, and its marker word.
const plugh = storetest.Plugh

var graphMarked = storetest.GraphMarked

// markedDrafts are graphMarkedUI's drafts: an analyst's edit of a CLEAR
// incident, and a RED source drafted by someone cleared to RED.
type markedDrafts struct{ analyst, red int64 }

// graphMarkedUI serves the UI over the curated dataset, graphMarked, a
// RED source published with a note naming it (as the API writes one) and
// two drafts awaiting review (markedDrafts), one server per user;
// analytics nil is the UI's store fallback.
func graphMarkedUI(t *testing.T, engine bool, users ...plotline.User) (map[string]*httptest.Server, *Handler, markedDrafts) {
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
	drafts := markedDrafts{analyst: ch.ID}
	red, err := db.Apply(ctx, &plotline.Batch{By: "red-analyst", Note: "draft of Draft PLUGH", Draft: true, Sources: []plotline.Source{
		{ID: "test-plugh-draft", Publisher: "Draft PLUGH", Title: "Draft PLUGH", URL: "https://example.org/plugh-draft",
			Kind: "government", TLP: "red", Published: plotline.MustDate("2024-05-04")}}})
	if err != nil {
		t.Fatal(err)
	}
	drafts.red = red.ID
	if _, err := db.Apply(ctx, &plotline.Batch{By: "red-writer", Note: "put source test-plugh-3", Sources: []plotline.Source{
		{ID: "test-plugh-3", Publisher: "Liaison PLUGH", Title: "Note PLUGH 3", URL: "https://example.org/plugh-3", Kind: "government",
			TLP: "red", Published: plotline.MustDate("2024-05-04")}}}); err != nil {
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
	return out, h, drafts
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
func graphPages(drafts markedDrafts) map[string][]string {
	draft, redDraft := strconv.FormatInt(drafts.analyst, 10), strconv.FormatInt(drafts.red, 10)
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
			"/history/affiliation/test-graz-cell%2Fopen?a=1&b=1",
			"/history/actor/is-turkey",
			"/history/affiliation/test-graz-cell%2Fopen"},
		"GET /map":         {"/map", "/map?" + period + "&related_to=is-turkey"},
		"GET /org":         {"/org", "/org?on=2024-06-01"},
		"GET /network":     {"/network?" + period + "&related_to=is-khorasan", "/network?" + period + "&related_to=is-turkey"},
		"GET /static/":     nil, // the bundled assets: no data
		"GET /login":       {"/login"},
		"GET /review":      {"/review", "/review?status=all"},
		"GET /review/{id}": {"/review/" + draft, "/review/" + redDraft},
		"GET /audit":       {"/audit", "/audit?kind=source"},
		"GET /duplicates":  {"/duplicates"},
	}
}

// TestGraphMarkingsOnEveryPage reads every GET page as users cleared to
// GREEN: nothing of the RED sources, nor of the affiliation, statement and
// actor resting on them alone, shows; the RED admin sees them.
func TestGraphMarkingsOnEveryPage(t *testing.T) {
	for name, engine := range map[string]bool{"engine": true, "store": false} {
		t.Run(name, func(t *testing.T) {
			srv, h, drafts := graphMarkedUI(t, engine, greenReader, greenAnalyst, greenAdmin, redAdmin)
			pages := graphPages(drafts)
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
		"/incidents?q=actor:test-plugh-net":                 "/incidents?q=actor:test-nothing",
		"/history/affiliation/test-graz-cell%2Fplugh":       "/history/affiliation/test-nothing",
	} {
		got, want := get(t, srv["reader"], withheld), get(t, srv["reader"], missing)
		if got.code != want.code || norm(got.body) != norm(want.body) {
			t.Errorf("%s answers %d, a missing record %d (or the pages differ)", withheld, got.code, want.code)
		}
	}
}

// TestDraftsNoteOnPages checks the line under the dashboard's and the
// network's figures: analysts and up are told how many drafts the counts
// leave out, readers only that the data is published data.
func TestDraftsNoteOnPages(t *testing.T) {
	srv, _, _ := graphMarkedUI(t, true, greenReader, greenAnalyst, redAdmin)
	for _, page := range []string{"/", "/network", "/map", "/incidents"} {
		for who, want := range map[string]string{
			"reader":  `id="drafts-note">Published data only.</p>`,
			"analyst": `id="drafts-note">Published data only; 2 drafts awaiting review are not included.</p>`,
			"admin":   `id="drafts-note">Published data only; 2 drafts awaiting review are not included.</p>`,
		} {
			if res := get(t, srv[who], page); res.code != 200 || !strings.Contains(res.body, want) {
				t.Errorf("%s: GET %s: %d, lacks %s:\n%s", who, page, res.code, want, excerpt(res.body))
			}
		}
	}
}

// rowOf returns the table row whose attribute attr="value" (data-change,
// data-draft), or "" when there is none.
func rowOf(body, attr string, id int64) string {
	i := strings.Index(body, attr+`="`+strconv.FormatInt(id, 10)+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</tr>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

// changeBy returns the newest change recorded by by.
func changeBy(t *testing.T, h *Handler, by string) int64 {
	t.Helper()
	list, err := h.store.Changes(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.RecordedBy == by {
			return c.ID
		}
	}
	t.Fatalf("no change by %s", by)
	return 0
}

// TestGraphMarkingsChangeLogPages checks the audit log, the review queue
// and a draft's page for an admin cleared to GREEN: a change or a draft
// that wrote RED material says how much was withheld, names none of it,
// hides its note and offers no revert; the RED admin sees it all.
func TestGraphMarkingsChangeLogPages(t *testing.T) {
	srv, h, drafts := graphMarkedUI(t, true, greenAdmin, redAdmin)
	redWrite := changeBy(t, h, "red-writer")
	revert := `action="/changes/` + strconv.FormatInt(redWrite, 10) + `/revert"`
	green, red := get(t, srv["green-admin"], "/audit"), get(t, srv["admin"], "/audit")
	if row := rowOf(green.body, "data-change", redWrite); !strings.Contains(row, "Withheld at your clearance: 1 source.") ||
		!strings.Contains(row, `<span class="muted">withheld at your clearance</span>`) || strings.Contains(row, "/history/source/") {
		t.Errorf("green admin's audit row for the RED write:\n%s", row)
	}
	if strings.Contains(green.body, revert) {
		t.Error("the green admin is offered to revert a change that wrote RED material")
	}
	if row := rowOf(red.body, "data-change", redWrite); !strings.Contains(row, "put source test-plugh-3") || strings.Contains(row, "withheld") ||
		!strings.Contains(red.body, revert) {
		t.Errorf("RED admin's audit row for the RED write (and its revert form):\n%s", row)
	}

	for _, path := range []string{"/review", "/review?status=all"} {
		row := rowOf(get(t, srv["green-admin"], path).body, "data-draft", drafts.red)
		if !strings.Contains(row, "1 in all, 1 withheld at your clearance") || !strings.Contains(row, `<span class="muted">withheld at your clearance</span>`) {
			t.Errorf("green admin's %s row for the RED draft:\n%s", path, row)
		}
	}
	page := get(t, srv["green-admin"], "/review/"+strconv.FormatInt(drafts.red, 10)).body
	wantIn(t, "green admin's RED draft page", page, `id="withheld-records">Withheld at your clearance: 1 source.</p>`,
		`id="draft-note"><span class="muted">withheld at your clearance</span>`)
	page = get(t, srv["admin"], "/review/"+strconv.FormatInt(drafts.red, 10)).body
	wantIn(t, "RED admin's RED draft page", page, `id="draft-note">draft of Draft PLUGH</dd>`, `data-id="test-plugh-draft"`)
}

// TestHistoryRevert checks the revert form on a record's history page:
// one per change for reviewers, none for readers, none for a change that
// wrote material above the reviewer's clearance; a reason is required, and
// the revert comes back to the history with a notice and a new version.
func TestHistoryRevert(t *testing.T) {
	redReviewer := plotline.User{ID: 12, Name: "reviewer", Role: plotline.RoleReviewer, Clearance: "red"}
	srv, h, _ := graphMarkedUI(t, true, greenReader, greenAdmin, redReviewer)
	second := changeBy(t, h, "test") // the cell's second version
	form := `action="/changes/` + strconv.FormatInt(second, 10) + `/revert"`
	const path = "/history/actor/test-graz-cell"
	page := get(t, srv["reviewer"], path).body
	wantIn(t, "reviewer's history", page, form, `<summary>Revert…</summary>`, `form="revert-`+strconv.FormatInt(second, 10)+`" required`)
	if n := strings.Count(page, "<summary>Revert…</summary>"); n != 2 {
		t.Errorf("reviewer's history offers %d reverts; want one per version (2)", n)
	}
	if page := get(t, srv["reader"], path).body; strings.Contains(page, "Revert…") {
		t.Error("a reader is offered a revert")
	}
	// Both changes wrote RED material (the first one other records, the
	// second a RED citation): a GREEN admin may revert neither, nor read
	// their notes.
	if page := get(t, srv["green-admin"], path).body; strings.Contains(page, "Revert…") || strings.Contains(page, "the cell's second source") {
		t.Errorf("green admin's history of the cell offers a revert, or shows a note:\n%s", excerpt(page))
	}

	if res := post(t, srv["reviewer"], "/changes/"+strconv.FormatInt(second, 10)+"/revert", url.Values{"next": {path}}); res.code < 400 {
		t.Errorf("revert without a reason: %d; want refused", res.code)
	}
	res := post(t, srv["reviewer"], "/changes/"+strconv.FormatInt(second, 10)+"/revert", url.Values{"next": {path}, "reason": {"wrong source"}})
	loc := res.hdr.Get("Location")
	if res.code != http.StatusSeeOther || !strings.HasPrefix(loc, path+"?reverted=") {
		t.Fatalf("revert: %d to %q; want a redirect back to the history", res.code, loc)
	}
	page = get(t, srv["reviewer"], loc).body
	wantIn(t, "history after the revert", page, `id="reverted">Reverted: recorded as change`, "wrong source", `name="a" value="3"`)
}
