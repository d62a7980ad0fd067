package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// leak is in every restricted text of storetest.MarkedCurated and in nothing a reader
// cleared to GREEN may see; the IDs of withheld records are leaks too.
const leak = "xyzzy"

var leakIDs = []string{"test-marked-red", "test-secret", "test-marked/amber", "test-marked/red"}

// headerAuth names each request's user by the X-Test-User header, standing
// in for sessions and tokens (the access layer then passes the user on in
// the context, as it does for real accounts).
type headerAuth map[string]*plotline.User

func (a headerAuth) Authenticate(r *http.Request) (*plotline.User, error) {
	return a[r.Header.Get("X-Test-User")], nil
}

// markedServers serves the curated dataset plus markedBatch with the engine,
// one client per user.
func markedServers(t *testing.T, users ...plotline.User) map[string]*userClient {
	t.Helper()
	return linkedServers(t, nil, users...)
}

// linkedServers is markedServers with pairs of incidents decided "same"
// (linked as one) before the engine is built.
func linkedServers(t *testing.T, same [][2]string, users ...plotline.User) map[string]*userClient {
	t.Helper()
	auth := headerAuth{}
	for _, u := range users {
		auth[u.Name] = &u
	}
	ts := newTestServer(t, func(c *httpapi.Config) {
		if _, err := c.Store.Apply(context.Background(), storetest.MarkedCurated()); err != nil {
			t.Fatal(err)
		}
		for _, p := range same {
			d := plotline.DuplicateDecision{A: p[0], B: p[1], Verdict: plotline.DuplicateSame, By: "test"}
			if err := c.Store.(plotline.ResolveStore).SaveDuplicateDecision(context.Background(), &d); err != nil {
				t.Fatal(err)
			}
		}
		eng, err := engine.New(context.Background(), c.Store.(engine.Source))
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
	return out
}

// userClient sends requests as one user.
type userClient struct {
	ts   *testServer
	name string
}

func (c *userClient) do(tb testing.TB, method, path string, body any) response {
	tb.Helper()
	return c.ts.do(tb, method, path, body, "X-Test-User", c.name, "Origin", c.ts.URL)
}

var (
	reader = plotline.User{ID: 7, Name: "reader", Role: plotline.RoleReader, Clearance: "green"}
	admin  = plotline.User{ID: 1, Name: "admin", Role: plotline.RoleAdmin, Clearance: "red"}
)

// TestMarkingsAcrossRoutes reads a TLP:RED source, an AMBER statement and
// what rests on them through every API route that returns incident, source
// or statement data: a reader cleared to GREEN gets nothing of them but
// "withheld" counts, and not_found exactly where a missing record gets it;
// an admin cleared to RED sees them.
func TestMarkingsAcrossRoutes(t *testing.T) {
	t.Parallel()
	srv := markedServers(t, reader, admin)
	tests := []struct {
		path         string
		readerStatus int      // 200, or 404 answered as for a missing record (missing)
		missing      string   // the same route for a record that does not exist
		readerWant   []string // in the reader's answer
		adminWant    []string // in the admin's answer
	}{
		{path: "/api/v1/incidents/test-marked", readerStatus: 200,
			readerWant: []string{"test-marked/open", `"withheld":{"sources":1,"statements":2}`}, adminWant: []string{"test-marked/amber", "test-marked/red", "test-marked-red"}},
		{path: "/api/v1/incidents/test-secret", readerStatus: 404, missing: "/api/v1/incidents/test-nothing", adminWant: []string{"Plot XYZZY"}},
		{path: "/api/v1/incidents?limit=1000", readerStatus: 200, readerWant: []string{"test-marked/open"}, adminWant: []string{"test-secret", "test-marked/red"}},
		{path: "/api/v1/incidents?q=target:DEU%20date:2024-03", readerStatus: 200, readerWant: []string{`"withheld":{"sources":1,"statements":2}`}, adminWant: []string{"test-marked/amber"}},
		{path: "/api/v1/incidents/test-marked/history", readerStatus: 200, readerWant: []string{"test-marked-clear"}, adminWant: []string{"test-marked-red"}},
		{path: "/api/v1/incidents/test-secret/history", readerStatus: 404, missing: "/api/v1/incidents/test-nothing/history", adminWant: []string{"XYZZY"}},
		{path: "/api/v1/incidents/test-secret/diff", readerStatus: 404, missing: "/api/v1/incidents/test-nothing/diff", adminWant: []string{`"kind":"incident"`}},
		{path: "/api/v1/attributions?incident=test-marked", readerStatus: 200,
			readerWant: []string{"test-marked/open", `"withheld":{"statements":2}`}, adminWant: []string{"test-marked/amber", "test-marked/red"}},
		{path: "/api/v1/attributions?incident=test-secret", readerStatus: 404, missing: "/api/v1/attributions?incident=test-nothing", adminWant: []string{"test-secret/gov"}},
		{path: "/api/v1/attributions?limit=1000", readerStatus: 200, readerWant: []string{"test-marked/open"}, adminWant: []string{"test-secret/gov"}},
		{path: "/api/v1/attributions/test-marked%2Fopen", readerStatus: 200, readerWant: []string{"Open Newspaper"}, adminWant: []string{"Open Newspaper"}},
		{path: "/api/v1/attributions/test-marked%2Famber", readerStatus: 404, missing: "/api/v1/attributions/test-marked%2Fnothing", adminWant: []string{"Agency XYZZY"}},
		{path: "/api/v1/attributions/test-marked%2Fred", readerStatus: 404, missing: "/api/v1/attributions/test-marked%2Fnothing", adminWant: []string{"Service XYZZY"}},
		{path: "/api/v1/attributions/test-marked%2Famber/history", readerStatus: 404, missing: "/api/v1/attributions/test-marked%2Fnothing/history", adminWant: []string{"Agency XYZZY"}},
		{path: "/api/v1/sources", readerStatus: 200, readerWant: []string{"test-marked-clear"}, adminWant: []string{"test-marked-red"}},
		{path: "/api/v1/sources?tlp=red", readerStatus: 200, adminWant: []string{"test-marked-red"}},
		{path: "/api/v1/sources/test-marked-red", readerStatus: 404, missing: "/api/v1/sources/test-nothing", adminWant: []string{"Liaison note XYZZY"}},
		{path: "/api/v1/sources/test-marked-red/history", readerStatus: 404, missing: "/api/v1/sources/test-nothing/history", adminWant: []string{"Liaison note XYZZY"}},
		{path: "/api/v1/sources/test-marked-red/diff", readerStatus: 404, missing: "/api/v1/sources/test-nothing/diff", adminWant: []string{`"kind":"source"`}},
		{path: "/api/v1/query?q=actor:is-khorasan", readerStatus: 200, adminWant: []string{"test-secret", "test-marked"}},
		{path: "/api/v1/count?q=date:2024-03..2024-04&by=basis", readerStatus: 200,
			readerWant: []string{`"withheld":{`, `"incidents":1`}, adminWant: []string{`"keys":["government"]`}},
		{path: "/api/v1/crosstab?q=date:2024-03..2024-04&rows=unit&cols=target", readerStatus: 200, readerWant: []string{`"withheld":{`}, adminWant: []string{`"AUT"`}},
		{path: "/api/v1/series?q=actor:is-khorasan&every=year&from=2024-01-01&to=2024-12-31", readerStatus: 200, readerWant: []string{`"withheld":{`}},
		{path: "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&related_to=is-khorasan", readerStatus: 200,
			readerWant: []string{`"withheld":{`}, adminWant: []string{"test-secret", "test-marked"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := srv["reader"].do(t, "GET", tt.path, nil)
			body := strings.ToLower(string(res.body))
			if res.status != tt.readerStatus {
				t.Fatalf("reader: %d %.300s; want %d", res.status, res.body, tt.readerStatus)
			}
			if strings.Contains(body, leak) {
				t.Errorf("reader's answer shows restricted text:\n%.1500s", res.body)
			}
			for _, id := range leakIDs {
				// A not_found names the ID asked for, as for any missing record.
				if res.status != 404 && strings.Contains(body, id) {
					t.Errorf("reader's answer names %q:\n%.1500s", id, res.body)
				}
			}
			for _, w := range tt.readerWant {
				if !strings.Contains(string(res.body), w) {
					t.Errorf("reader's answer lacks %s:\n%.1500s", w, res.body)
				}
			}
			if tt.missing != "" {
				miss := srv["reader"].do(t, "GET", tt.missing, nil)
				got, want := res.errorBody(t), miss.errorBody(t)
				if miss.status != res.status || got.Code != want.Code || strings.ReplaceAll(got.Message, idOf(tt.path), "X") != strings.ReplaceAll(want.Message, idOf(tt.missing), "X") {
					t.Errorf("withheld answered %d %+v; a missing record %d %+v", res.status, got, miss.status, want)
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
}

// idOf returns the record ID a test path names (its third segment,
// unescaped, or the incident parameter).
func idOf(path string) string {
	if i := strings.Index(path, "incident="); i >= 0 {
		return path[i+len("incident="):]
	}
	parts := strings.Split(strings.SplitN(path, "?", 2)[0], "/")
	if len(parts) < 5 {
		return path
	}
	return strings.ReplaceAll(parts[4], "%2F", "/")
}

// TestMarkingsReportCounts checks that the report and counts count only
// what the reader may see: the reader's ISKP-related count is the admin's
// less the two plots that rest on restricted statements.
func TestMarkingsReportCounts(t *testing.T) {
	t.Parallel()
	srv := markedServers(t, reader, admin)
	related := func(who string) int {
		res := srv[who].do(t, "GET", "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&related_to=is-khorasan", nil)
		var rep struct {
			Related  int                `json:"related"`
			Withheld *plotline.Withheld `json:"withheld"`
		}
		if err := json.Unmarshal(res.body, &rep); err != nil || res.status != 200 {
			t.Fatalf("%s: %d %v %.300s", who, res.status, err, res.body)
		}
		return rep.Related
	}
	if r, a := related("reader"), related("admin"); r != a-2 {
		t.Errorf("related to ISKP: reader %d, admin %d; want the reader's 2 fewer", r, a)
	}
}

// TestMarkingsWrites checks that writes cannot reach what the writer may
// not see, and that an edit keeps what it could not show.
func TestMarkingsWrites(t *testing.T) {
	t.Parallel()
	// An admin cleared to GREEN only: the role allows every write, and
	// publishes at once (an analyst's edits would be drafts).
	editor := plotline.User{ID: 8, Name: "editor", Role: plotline.RoleAdmin, Clearance: "green"}
	srv := markedServers(t, editor, admin)
	a := srv["editor"]
	for _, tt := range []struct{ method, path string }{
		{"PUT", "/api/v1/sources/test-marked-red"},
		{"PUT", "/api/v1/attributions/test-marked%2Famber"},
		{"DELETE", "/api/v1/attributions/test-marked%2Fred"},
		{"PUT", "/api/v1/incidents/test-secret"},
		{"DELETE", "/api/v1/incidents/test-secret"},
	} {
		res := a.do(t, tt.method, tt.path, map[string]any{})
		if res.status != 404 {
			t.Errorf("%s %s: %d %.200s; want 404", tt.method, tt.path, res.status, res.body)
		}
	}
	if res := a.do(t, "DELETE", "/api/v1/incidents/test-marked", nil); res.status != 403 {
		t.Errorf("deleting an incident with withheld statements: %d %.200s; want 403", res.status, res.body)
	}
	// The analyst replaces the incident with what they see, statements included.
	res := a.do(t, "GET", "/api/v1/incidents/test-marked", nil)
	var in map[string]any
	res.json(t, &in)
	delete(in, "withheld")
	in["summary"] = "Edited at GREEN."
	if res := a.do(t, "PUT", "/api/v1/incidents/test-marked", in); res.status != 200 {
		t.Fatalf("update: %d %.300s", res.status, res.body)
	}
	res = srv["admin"].do(t, "GET", "/api/v1/incidents/test-marked", nil)
	var got plotline.Incident
	res.json(t, &got)
	if got.Summary != "Edited at GREEN." || len(got.Attributions) != 3 || len(got.Sources) != 2 {
		t.Errorf("after the GREEN edit the admin sees summary %q, %d statements, sources %v; want the edit, 3 statements and both sources",
			got.Summary, len(got.Attributions), got.Sources)
	}
}

// TestLinkedInIncidentList: the incident list names the other records of a
// listed group of records linked as one, only those the caller may see.
func TestLinkedInIncidentList(t *testing.T) {
	t.Parallel()
	srv := linkedServers(t, [][2]string{{istanbul, "test-marked"}, {istanbul, "test-secret"}}, reader, admin)
	path := "/api/v1/incidents?q=date:2024-01..2024-04"
	for who, want := range map[string][]string{"admin": {"test-marked", "test-secret"}, "reader": {"test-marked"}} {
		res := srv[who].do(t, "GET", path, nil)
		var got httpapi.IncidentList
		res.json(t, &got)
		if res.status != 200 || !slices.Equal(got.Linked[istanbul], want) {
			t.Errorf("%s: %d, linked %v; want %v", who, res.status, got.Linked, want)
		}
		for _, in := range got.Incidents {
			if in.ID == "test-marked" || in.ID == "test-secret" {
				t.Errorf("%s: %s listed beside the incident standing for its group", who, in.ID)
			}
		}
		if who == "reader" && strings.Contains(string(res.body), "test-secret") {
			t.Errorf("reader's list names the withheld record:\n%.600s", res.body)
		}
	}
}

// TestLinkedGroupVisibleWhenARecordIs: a group of linked records is shown to
// a reader who may see any of its records. Here the earlier record rests on
// a TLP:RED source only: the later, CLEAR one stands for the group.
func TestLinkedGroupVisibleWhenARecordIs(t *testing.T) {
	t.Parallel()
	const esslingen = "2024-06-19-deu-esslingen-is-member"
	srv := linkedServers(t, [][2]string{{"test-secret", esslingen}}, reader, admin)
	path := "/api/v1/incidents?q=date:2024-04..2024-06%20country:AUT,DEU"
	for who, linked := range map[string][]string{"admin": {"test-secret"}, "reader": nil} {
		res := srv[who].do(t, "GET", path, nil)
		var got httpapi.IncidentList
		res.json(t, &got)
		var ids []string
		for _, in := range got.Incidents {
			ids = append(ids, in.ID)
		}
		if res.status != 200 || !slices.Contains(ids, esslingen) || slices.Contains(ids, "test-secret") || !slices.Equal(got.Linked[esslingen], linked) {
			t.Errorf("%s: %d, listed %v, linked %v; want %s standing for the group, linked %v", who, res.status, ids, got.Linked, esslingen, linked)
		}
	}
}
