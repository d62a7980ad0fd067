package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/dataset"
	"github.com/plotline-dev/plotline/internal/auth"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/postgres"
	"github.com/plotline-dev/plotline/internal/postgres/pgtest"
)

// teamServer is plotline serve in accounts mode: the API server with its
// access policy, CSRF protection and sessions in front of the UI, over the
// curated data, with one account per name in teamUsers.
type teamServer struct {
	*httptest.Server
	db       teamStore
	sessions map[string]string // name → session secret
}

// teamStore is what plotline serve needs of a store in accounts mode.
type teamStore interface {
	plotline.Store
	plotline.Workflow
	plotline.AccountStore
	engine.Source
}

// backends runs a test on SQLite, and on PostgreSQL when
// PLOTLINE_TEST_POSTGRES names a server (pgtest).
func backends(t *testing.T, test func(t *testing.T, db teamStore)) {
	t.Run("sqlite", func(t *testing.T) { test(t, mustOpenStore(t)) })
	t.Run("postgres", func(t *testing.T) {
		ctx := context.Background()
		db, err := postgres.Open(ctx, pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ds, err := dataset.Load(dataset.Files)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Apply(ctx, ds.Batch); err != nil {
			t.Fatal(err)
		}
		test(t, db)
	})
}

// teamUsers are the accounts: name → role and clearance.
var teamUsers = map[string][2]string{
	"reader":   {plotline.RoleReader, "red"},
	"analyst":  {plotline.RoleAnalyst, "red"},
	"green":    {plotline.RoleAnalyst, "green"}, // an analyst cleared to GREEN only
	"reviewer": {plotline.RoleReviewer, "red"},
	"admin":    {plotline.RoleAdmin, "red"},
}

const teamPassword = "correct horse battery staple"

func newTeamServer(t *testing.T, db teamStore) *teamServer {
	t.Helper()
	ctx := context.Background()
	eng, err := engine.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.New(auth.Config{Store: db, Params: &auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	ui := New(Config{Store: db, Analytics: analyticsOf(eng), Now: func() time.Time { return today }, Accounts: svc})
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Store: db, UI: ui, Auth: svc, Now: func() time.Time { return today }}))
	t.Cleanup(srv.Close)
	ts := &teamServer{Server: srv, db: db, sessions: map[string]string{}}
	for name, rc := range teamUsers {
		if err := svc.AddUser(ctx, &plotline.User{Name: name, Role: rc[0], Clearance: rc[1]}, teamPassword); err != nil {
			t.Fatal(err)
		}
		secret, _, err := svc.Login(ctx, name, teamPassword, "192.0.2.1:1234")
		if err != nil {
			t.Fatal(err)
		}
		ts.sessions[name] = secret
	}
	return ts
}

// do sends a request as who ("" is anonymous) without following redirects;
// a form makes it a POST.
func (ts *teamServer) do(t *testing.T, who, path string, form url.Values) response {
	t.Helper()
	method, body := http.MethodGet, io.Reader(nil)
	if form != nil {
		method, body = http.MethodPost, strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if who != "" {
		req.AddCookie(&http.Cookie{Name: "plotline_session", Value: ts.sessions[who]})
	}
	c := *ts.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Do(req)
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

// formValues are the values an edit form opens with.
func formValues(d *formData, version int) url.Values {
	vals := url.Values{}
	for _, g := range d.Groups {
		for _, f := range g.Fields {
			vals.Set(f.Name, f.Value)
		}
	}
	if version > 0 {
		vals.Set("_version", strconv.Itoa(version))
	}
	return vals
}

// draftAt returns the draft change a "saved as a draft" redirect names.
func draftAt(t *testing.T, res response) int64 {
	t.Helper()
	loc := res.hdr.Get("Location")
	m := regexp.MustCompile(`^/review/(\d+)\?saved=1$`).FindStringSubmatch(loc)
	if res.code != http.StatusSeeOther || m == nil {
		t.Fatalf("save: status %d, location %q; want a redirect to the draft\n%s", res.code, loc, excerpt(res.body))
	}
	id, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func wantIn(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("%s lacks %q\n%s", what, w, excerpt(body))
		}
	}
}

func wantNotIn(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s shows %q\n%s", what, w, excerpt(body))
		}
	}
}

// Stored-XSS probes for the free-text fields of the workflow: the editor's
// note and the reviewer's comment.
const (
	xssNote    = `<script>alert("note")</script>`
	xssComment = `"><img src=x onerror=alert(1)>`
)

func newIncidentForm(id, title string) url.Values {
	return url.Values{"id": {id}, "title": {title}, "kind": {"plot"}, "outcome": {"foiled"}, "date": {"2024-06"},
		"location.country": {"DEU"}, "target_country": {"DEU"}, "sources": {"h1-winep-pw3904"}}
}

// TestReviewFlow: an analyst's form edits are drafts that readers do not
// see; they wait in the queue; a reviewer sends one back with a comment
// that the analyst then finds, and publishes the others, which readers then
// see. Reviewers' own edits publish directly.
func TestReviewFlow(t *testing.T) { backends(t, testReviewFlow) }

func testReviewFlow(t *testing.T, db teamStore) {
	ts := newTeamServer(t, db)
	ctx := context.Background()

	// The form tells an analyst that saving makes a draft; a reviewer's does not.
	wantIn(t, "analyst's form", ts.do(t, "analyst", "/incidents/new", nil).body, `id="draft-note"`, "Save as a draft for review")
	wantNotIn(t, "reviewer's form", ts.do(t, "reviewer", "/incidents/new", nil).body, `id="draft-note"`, "draft for review")

	// A new incident by an analyst: a draft, with the analyst's note.
	newID := "2024-06-98-test-draft-plot"
	form := newIncidentForm(newID, "Draft plot")
	form.Set("_note", xssNote)
	created := draftAt(t, ts.do(t, "analyst", "/incidents/new", form))
	page := ts.do(t, "analyst", "/review/"+strconv.FormatInt(created, 10)+"?saved=1", nil)
	wantIn(t, "draft page after saving", page.body, `id="saved-draft"`, "Saved as a draft awaiting review",
		`href="/review/`+strconv.FormatInt(created, 10)+`"`, "a new record", "<ins>Draft plot</ins>", html.EscapeString(xssNote))
	wantNotIn(t, "draft page", page.body, xssNote)
	wantNotIn(t, "analyst's draft page", page.body, `id="publish-form"`, `id="return-form"`)
	if res := ts.do(t, "reader", "/incidents/"+newID, nil); res.code != http.StatusNotFound {
		t.Errorf("reader sees the draft incident: status %d", res.code)
	}
	if _, err := ts.db.Incident(ctx, newID, plotline.AsOf{}); plotline.ErrorCode(err) != plotline.ENOTFOUND {
		t.Errorf("the store publishes the draft: err %v", err)
	}

	// An edit of a published incident by an analyst: a draft too.
	inc := "2024-01-28-tur-istanbul-church"
	cur, err := ts.db.Incident(ctx, inc, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := ts.db.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: inc})
	if err != nil {
		t.Fatal(err)
	}
	edit := formValues(incidentForm(cur, false), vs[len(vs)-1].Version)
	edit.Set("title", "Retitled by the analyst")
	edited := draftAt(t, ts.do(t, "analyst", "/incidents/"+inc+"/edit", edit))
	if res := ts.do(t, "reader", "/incidents/"+inc, nil); res.code != 200 || strings.Contains(res.body, "Retitled by the analyst") ||
		!strings.Contains(res.body, html.EscapeString(cur.Title)) {
		t.Errorf("reader's incident page (status %d) shows the draft or lacks the published title", res.code)
	}

	// The queue: both drafts, with author, note and records; not for readers.
	for _, who := range []string{"", "reader"} {
		for _, path := range []string{"/review", "/review/" + strconv.FormatInt(edited, 10)} {
			res := ts.do(t, who, path, nil)
			if who == "" && (res.code != http.StatusSeeOther || !strings.HasPrefix(res.hdr.Get("Location"), "/login")) {
				t.Errorf("anonymous %s: status %d location %q, want the login page", path, res.code, res.hdr.Get("Location"))
			}
			if who == "reader" && res.code != http.StatusForbidden {
				t.Errorf("reader %s: status %d, want 403", path, res.code)
			}
		}
	}
	wantNotIn(t, "reader's nav", ts.do(t, "reader", "/", nil).body, `id="nav-review"`, `id="nav-audit"`)
	wantNotIn(t, "analyst's nav", ts.do(t, "analyst", "/", nil).body, `id="nav-audit"`)
	wantIn(t, "admin's nav", ts.do(t, "admin", "/", nil).body, `id="nav-review"`, `id="nav-audit"`)
	queue := ts.do(t, "reviewer", "/review", nil)
	wantIn(t, "queue", queue.body, `id="nav-review"`,
		`data-draft="`+strconv.FormatInt(created, 10)+`"`, `data-draft="`+strconv.FormatInt(edited, 10)+`"`,
		"<td>analyst</td>", "incident <code>"+newID+"</code>", "incident <code>"+inc+"</code>", html.EscapeString(xssNote))
	wantNotIn(t, "queue", queue.body, xssNote)

	// The reviewer sees the edit beside the published version.
	dp := ts.do(t, "reviewer", "/review/"+strconv.FormatInt(edited, 10), nil)
	wantIn(t, "reviewer's draft page", dp.body, "<del>"+html.EscapeString(cur.Title)+"</del>", "<ins>Retitled by the analyst</ins>",
		`id="publish-form"`, `id="return-form"`, `href="/history/incident/`+inc+`"`)

	// Only reviewers decide.
	if res := ts.do(t, "analyst", "/review/"+strconv.FormatInt(edited, 10)+"/publish", url.Values{}); res.code != http.StatusForbidden {
		t.Errorf("analyst publishes: status %d, want 403", res.code)
	}
	// Sending back needs a comment.
	back := "/review/" + strconv.FormatInt(created, 10) + "/return"
	if res := ts.do(t, "reviewer", back, url.Values{"note": {"  "}}); res.code != http.StatusUnprocessableEntity || !strings.Contains(res.body, `id="return-error"`) {
		t.Errorf("send back without a comment: status %d\n%s", res.code, excerpt(res.body))
	}
	if res := ts.do(t, "reviewer", back, url.Values{"note": {xssComment}}); res.code != http.StatusSeeOther {
		t.Fatalf("send back: status %d\n%s", res.code, excerpt(res.body))
	}
	// The analyst finds it sent back, with the comment, rendered inert.
	mine := ts.do(t, "analyst", "/review", nil)
	wantIn(t, "analyst's queue", mine.body, `id="returned"`, "Your drafts sent back", html.EscapeString(xssComment))
	wantNotIn(t, "analyst's queue", mine.body, xssComment)
	if i := strings.Index(mine.body, `id="returned"`); i < 0 || !strings.Contains(mine.body[i:], `data-draft="`+strconv.FormatInt(created, 10)+`"`) {
		t.Errorf("the returned draft is not listed under the analyst's returned drafts")
	}
	if strings.Contains(ts.do(t, "reviewer", "/review", nil).body, `id="returned"`) {
		t.Errorf("the reviewer, who wrote no draft, has a list of returned drafts")
	}
	dp = ts.do(t, "analyst", "/review/"+strconv.FormatInt(created, 10), nil)
	wantIn(t, "returned draft page", dp.body, "Sent back</strong> by reviewer", html.EscapeString(xssComment), "status-returned")
	wantNotIn(t, "returned draft page", dp.body, xssComment)

	// Publish the edit: readers see it, as a new version by the analyst's draft.
	if res := ts.do(t, "reviewer", "/review/"+strconv.FormatInt(edited, 10)+"/publish", url.Values{"note": {"checked"}}); res.code != http.StatusSeeOther {
		t.Fatalf("publish: status %d\n%s", res.code, excerpt(res.body))
	}
	if res := ts.do(t, "reader", "/incidents/"+inc, nil); !strings.Contains(res.body, "Retitled by the analyst") {
		t.Errorf("reader does not see the published edit (status %d)", res.code)
	}
	// A returned draft can still be published.
	if res := ts.do(t, "reviewer", "/review/"+strconv.FormatInt(created, 10)+"/publish", url.Values{}); res.code != http.StatusSeeOther {
		t.Fatalf("publish the returned draft: status %d\n%s", res.code, excerpt(res.body))
	}
	if res := ts.do(t, "reader", "/incidents/"+newID, nil); res.code != 200 || !strings.Contains(res.body, "Draft plot") {
		t.Errorf("reader does not see the published incident: status %d", res.code)
	}
	if q := ts.do(t, "reviewer", "/review", nil).body; !strings.Contains(q, `id="queue-empty"`) {
		t.Errorf("the queue is not empty after both drafts were decided\n%s", excerpt(q))
	}
	dp = ts.do(t, "reviewer", "/review/"+strconv.FormatInt(edited, 10), nil)
	wantIn(t, "published draft page", dp.body, "status-published", "Published</strong> by reviewer", `id="revert-form"`)
	wantNotIn(t, "published draft page", dp.body, `id="publish-form"`)

	// A reviewer's own edit publishes directly, recorded under its name.
	form = newIncidentForm("2024-06-97-test-reviewer-plot", "Reviewer's plot")
	if res := ts.do(t, "reviewer", "/incidents/new", form); res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/incidents/2024-06-97-test-reviewer-plot" {
		t.Fatalf("reviewer's create: status %d location %q", res.code, res.hdr.Get("Location"))
	}
	hist, err := ts.db.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "2024-06-97-test-reviewer-plot"})
	if err != nil || hist[0].RecordedBy != "reviewer" {
		t.Errorf("reviewer's edit: history %+v, err %v; want it recorded by reviewer", hist, err)
	}
}

// TestSingleUserPublishes: plotline serve without accounts acts as the
// local user, whose form edits publish directly.
func TestSingleUserPublishes(t *testing.T) {
	db := mustOpenStore(t)
	ui := New(Config{Store: db, Now: func() time.Time { return today }})
	srv := httptest.NewServer(httpapi.NewServer(httpapi.Config{Store: db, UI: ui, Now: func() time.Time { return today }}))
	t.Cleanup(srv.Close)
	res := post(t, srv, "/incidents/new", newIncidentForm("2024-06-96-test-local-plot", "Local plot"))
	if res.code != http.StatusSeeOther || res.hdr.Get("Location") != "/incidents/2024-06-96-test-local-plot" {
		t.Fatalf("create: status %d location %q", res.code, res.hdr.Get("Location"))
	}
	if _, err := db.Incident(context.Background(), "2024-06-96-test-local-plot", plotline.AsOf{}); err != nil {
		t.Errorf("not published: %v", err)
	}
	page := get(t, srv, "/review").body
	wantIn(t, "single-user queue", page, `id="queue-empty"`, `id="nav-audit"`)
	wantNotIn(t, "single-user form", get(t, srv, "/incidents/new").body, `id="draft-note"`)
}

// TestDraftMarkings: a draft of a TLP:RED source is neither named nor
// shown to an analyst cleared to GREEN; it is counted as withheld.
func TestDraftMarkings(t *testing.T) { backends(t, testDraftMarkings) }

func testDraftMarkings(t *testing.T, db teamStore) {
	ts := newTeamServer(t, db)
	src := url.Values{"id": {"test-red-xyzzy"}, "publisher": {"Agency XYZZY"}, "title": {"Liaison XYZZY"},
		"url": {"https://example.org/xyzzy"}, "kind": {"news"}, "tlp": {"red"}}
	id := strconv.FormatInt(draftAt(t, ts.do(t, "analyst", "/sources/new", src)), 10)
	wantIn(t, "analyst's draft", ts.do(t, "analyst", "/review/"+id, nil).body, "Agency XYZZY")
	for _, path := range []string{"/review", "/review/" + id} {
		res := ts.do(t, "green", path, nil)
		if res.code != 200 {
			t.Errorf("green %s: status %d", path, res.code)
		}
		wantNotIn(t, "GREEN analyst's "+path, strings.ToLower(res.body), "xyzzy")
		wantIn(t, "GREEN analyst's "+path, res.body, "withheld at your clearance")
	}
}

// TestAuditPage: admins filter the log, page through it, download it as
// CSV and JSON (the same filter, through the API) and revert a change
// from it; nobody else reads it.
func TestAuditPage(t *testing.T) { backends(t, testAuditPage) }

func testAuditPage(t *testing.T, db teamStore) {
	ts := newTeamServer(t, db)
	ctx := context.Background()
	for _, who := range []string{"reader", "analyst", "reviewer"} {
		if res := ts.do(t, who, "/audit", nil); res.code != http.StatusForbidden {
			t.Errorf("%s reads the audit log: status %d", who, res.code)
		}
	}
	// Changes by three people: an analyst's draft (with a note that a
	// spreadsheet would run), its publication, and a reviewer's edit.
	form := newIncidentForm("2024-06-95-test-audit-plot", "Audit plot")
	form.Set("_note", "=HYPERLINK(\"http://evil.example\") "+xssNote)
	draft := draftAt(t, ts.do(t, "analyst", "/incidents/new", form))
	if res := ts.do(t, "reviewer", "/review/"+strconv.FormatInt(draft, 10)+"/publish", url.Values{"note": {"fine"}}); res.code != http.StatusSeeOther {
		t.Fatalf("publish: %d", res.code)
	}
	if res := ts.do(t, "reviewer", "/sources/new", url.Values{"id": {"test-audit-src"}, "publisher": {"P"}, "title": {"T"},
		"url": {"https://example.org/a"}, "kind": {"news"}, "tlp": {"clear"}}); res.code != http.StatusSeeOther {
		t.Fatalf("reviewer's source: %d\n%s", res.code, excerpt(res.body))
	}
	changeRows := regexp.MustCompile(`<tr data-change="(\d+)">`)
	rows := func(body string) []int64 {
		var out []int64
		for _, m := range changeRows.FindAllStringSubmatch(body, -1) {
			n, _ := strconv.ParseInt(m[1], 10, 64) // the pattern matched digits
			out = append(out, n)
		}
		return out
	}
	want := func(f plotline.AuditFilter) []int64 {
		f.Limit = 1000
		list, err := ts.db.Audit(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, e := range list {
			out = append(out, e.ID)
		}
		return out
	}
	now := time.Now().UTC()
	day := now.Format("2006-01-02")
	tests := []struct {
		query string
		f     plotline.AuditFilter
	}{
		{"by=analyst", plotline.AuditFilter{By: "analyst"}},
		{"by=reviewer&action=publish", plotline.AuditFilter{By: "reviewer", Action: plotline.ActionPublish}},
		{"kind=source&by=reviewer", plotline.AuditFilter{Kind: plotline.RecSource, By: "reviewer"}},
		{"kind=incident&id=2024-06-95-test-audit-plot", plotline.AuditFilter{Kind: plotline.RecIncident, ID: "2024-06-95-test-audit-plot"}},
		{"from=" + day + "&to=" + day + "&action=draft", plotline.AuditFilter{From: ptr(now.Truncate(24 * time.Hour)), To: ptr(now.Truncate(24 * time.Hour).Add(24 * time.Hour)), Action: plotline.ActionDraft}},
		{"from=2000-01-01&to=2000-01-02", plotline.AuditFilter{From: ptr(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)), To: ptr(time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC))}},
	}
	for _, tt := range tests {
		res := ts.do(t, "admin", "/audit?"+tt.query, nil)
		if res.code != 200 {
			t.Errorf("%s: status %d\n%s", tt.query, res.code, excerpt(res.body))
			continue
		}
		got, w := rows(res.body), want(tt.f)
		if !slices.Equal(got, w) {
			t.Errorf("%s: changes %v, want %v", tt.query, got, w)
		}
		if len(w) == 0 && !strings.Contains(res.body, `id="audit-empty"`) {
			t.Errorf("%s: no entries and no word saying so", tt.query)
		}
	}
	if res := ts.do(t, "admin", "/audit?action=nonsense", nil); res.code != http.StatusBadRequest {
		t.Errorf("unknown action: status %d, want 400", res.code)
	}

	// The draft's entry: its note inert, its record linked to its history.
	page := ts.do(t, "admin", "/audit?by=analyst", nil).body
	wantIn(t, "audit page", page, html.EscapeString(xssNote), `href="/history/incident/2024-06-95-test-audit-plot"`,
		`href="/review/`+strconv.FormatInt(draft, 10)+`"`)
	wantNotIn(t, "audit page", page, xssNote)

	// Pages: two at a time, each older than the last, together the whole log.
	all := want(plotline.AuditFilter{})
	var seen []int64
	next := "/audit?limit=2"
	for next != "" && len(seen) <= len(all) {
		res := ts.do(t, "admin", next, nil)
		got := rows(res.body)
		if len(got) == 0 || len(got) > 2 {
			t.Fatalf("%s: %d entries", next, len(got))
		}
		seen = append(seen, got...)
		next = ""
		if m := regexp.MustCompile(`<a href="([^"]+)" rel="next">`).FindStringSubmatch(res.body); m != nil {
			next = html.UnescapeString(m[1])
		}
	}
	if !slices.Equal(seen, all) {
		t.Errorf("paging through gives %v, want %v", seen, all)
	}

	// The downloads are the filtered log.
	link := func(body, id string) string {
		m := regexp.MustCompile(`<a href="([^"]+)" id="` + id + `"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s link", id)
		}
		return html.UnescapeString(m[1])
	}
	page = ts.do(t, "admin", "/audit?by=analyst", nil).body
	res := ts.do(t, "admin", link(page, "download-csv"), nil)
	if res.code != 200 || !strings.HasPrefix(res.hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV download: status %d, type %q\n%s", res.code, res.hdr.Get("Content-Type"), excerpt(res.body))
	}
	recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if w := want(plotline.AuditFilter{By: "analyst"}); len(recs) != len(w)+1 {
		t.Errorf("CSV has %d rows, want a header and %d", len(recs), len(w))
	}
	for _, r := range recs[1:] {
		if r[2] != "analyst" {
			t.Errorf("CSV row by %q in a log filtered by analyst", r[2])
		}
		if strings.HasPrefix(r[5], "=") {
			t.Errorf("CSV note %q would run as a formula", r[5])
		}
	}
	res = ts.do(t, "admin", link(page, "download-json"), nil)
	var log struct {
		Entries []plotline.AuditEntry `json:"entries"`
	}
	if err := json.Unmarshal([]byte(res.body), &log); err != nil || len(log.Entries) != len(recs)-1 {
		t.Errorf("JSON download: %d entries (err %v), want %d", len(log.Entries), err, len(recs)-1)
	}
	if res := ts.do(t, "reviewer", link(page, "download-csv"), nil); res.code != http.StatusForbidden {
		t.Errorf("reviewer downloads the audit log: status %d", res.code)
	}

	// Revert the publication from the log: a reason is required, only
	// reviewers may, and the record goes back as a new version.
	publish := want(plotline.AuditFilter{Action: plotline.ActionPublish})[0]
	revert := "/changes/" + strconv.FormatInt(publish, 10) + "/revert"
	if !strings.Contains(ts.do(t, "admin", "/audit", nil).body, `action="`+revert+`"`) {
		t.Errorf("the audit page has no revert form for the publication")
	}
	if res := ts.do(t, "analyst", revert, url.Values{"reason": {"no"}}); res.code != http.StatusForbidden {
		t.Errorf("analyst reverts: status %d", res.code)
	}
	if res := ts.do(t, "admin", revert, url.Values{"reason": {" "}}); res.code != http.StatusBadRequest {
		t.Errorf("revert without a reason: status %d, want 400", res.code)
	}
	res = ts.do(t, "admin", revert, url.Values{"reason": {"published by mistake"}, "next": {"/audit?by=reviewer"}})
	if loc := res.hdr.Get("Location"); res.code != http.StatusSeeOther || !strings.HasPrefix(loc, "/audit?by=reviewer&reverted=") {
		t.Fatalf("revert: status %d location %q\n%s", res.code, loc, excerpt(res.body))
	}
	if r := ts.do(t, "reader", "/incidents/2024-06-95-test-audit-plot", nil); r.code != http.StatusNotFound {
		t.Errorf("the reverted creation is still readable: status %d", r.code)
	}
	hist, err := ts.db.History(ctx, plotline.Ref{Kind: plotline.RecIncident, ID: "2024-06-95-test-audit-plot"})
	if err != nil || len(hist) != 2 || !hist[1].Deleted || hist[1].Note != "published by mistake" || hist[1].RecordedBy != "admin" {
		t.Errorf("history after the revert: %+v (err %v); want a second, deleting version by admin with the reason", hist, err)
	}
	if page := ts.do(t, "admin", res.hdr.Get("Location"), nil).body; !strings.Contains(page, `id="reverted"`) {
		t.Errorf("the audit page does not confirm the revert")
	}
	// Reverting it again conflicts: nothing it wrote is current any more.
	if res := ts.do(t, "admin", revert, url.Values{"reason": {"again"}}); res.code != http.StatusConflict {
		t.Errorf("second revert: status %d, want 409", res.code)
	}
}

// TestReviseDraft: a draft sent back is revised from where it stood (the
// form opens on the draft, not the published version); saving makes a new
// draft that replaces it.
func TestReviseDraft(t *testing.T) { backends(t, testReviseDraft) }

func testReviseDraft(t *testing.T, db teamStore) {
	ts := newTeamServer(t, db)
	ctx := context.Background()
	inc := "2024-01-28-tur-istanbul-church"
	cur, err := ts.db.Incident(ctx, inc, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	edit := formValues(incidentForm(cur, false), 1)
	edit.Set("title", "First try")
	edit.Set("stage", "")
	first := draftAt(t, ts.do(t, "analyst", "/incidents/"+inc+"/edit", edit))
	src := url.Values{"id": {"test-revise-src"}, "publisher": {"First publisher"}, "title": {"T"},
		"url": {"https://example.org/r"}, "kind": {"news"}, "tlp": {"clear"}}
	srcDraft := draftAt(t, ts.do(t, "analyst", "/sources/new", src))
	for _, d := range []int64{first, srcDraft} {
		if res := ts.do(t, "reviewer", "/review/"+strconv.FormatInt(d, 10)+"/return", url.Values{"note": {"not yet"}}); res.code != http.StatusSeeOther {
			t.Fatalf("send back %d: status %d", d, res.code)
		}
	}

	page := ts.do(t, "analyst", "/review/"+strconv.FormatInt(first, 10), nil).body
	revise := "/incidents/" + inc + "/edit?draft=" + strconv.FormatInt(first, 10)
	wantIn(t, "returned draft page", page, `href="`+html.EscapeString(revise)+`"`)
	form := ts.do(t, "analyst", revise, nil)
	wantIn(t, "revision form", form.body, `value="First try"`)
	if strings.Contains(form.body, `value="`+cur.Stage+`" selected`) && cur.Stage != "" {
		t.Errorf("the revision form lays the draft over the published version: the stage the draft removed is selected")
	}
	edit.Set("title", "Second try")
	second := draftAt(t, ts.do(t, "analyst", "/incidents/"+inc+"/edit", edit))
	if d, err := ts.db.Draft(ctx, first); err != nil || d.Status != plotline.StatusSuperseded {
		t.Errorf("the first draft after its revision: %+v, err %v; want superseded", d, err)
	}
	if res := ts.do(t, "reviewer", "/review/"+strconv.FormatInt(second, 10)+"/publish", url.Values{}); res.code != http.StatusSeeOther {
		t.Fatalf("publish the revision: status %d", res.code)
	}
	if res := ts.do(t, "reader", "/incidents/"+inc, nil); !strings.Contains(res.body, "Second try") {
		t.Errorf("reader does not see the published revision")
	}

	// A new record's draft opens the new-record form, filled in.
	reviseSrc := "/sources/new?draft=" + strconv.FormatInt(srcDraft, 10) + "&id=test-revise-src"
	wantIn(t, "returned source draft", ts.do(t, "analyst", "/review/"+strconv.FormatInt(srcDraft, 10), nil).body, `href="`+html.EscapeString(reviseSrc)+`"`)
	wantIn(t, "source revision form", ts.do(t, "analyst", reviseSrc, nil).body, `value="First publisher"`, `value="test-revise-src"`)

	for path, code := range map[string]int{
		"/sources/new?draft=99999&id=x":                                       http.StatusNotFound,
		"/sources/new?draft=" + strconv.FormatInt(srcDraft, 10) + "&id=other": http.StatusNotFound,
		"/incidents/" + inc + "/edit?draft=abc":                               http.StatusBadRequest,
	} {
		if res := ts.do(t, "analyst", path, nil); res.code != code {
			t.Errorf("%s: status %d, want %d", path, res.code, code)
		}
	}
}
