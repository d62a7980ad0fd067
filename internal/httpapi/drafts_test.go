package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// TestAnalyticsSayDraftsExcluded checks that every analytics answer says
// it leaves drafts out, and tells analysts and up (not readers) how many
// drafts await review: graphMarkedServer holds two.
func TestAnalyticsSayDraftsExcluded(t *testing.T) {
	t.Parallel()
	srv, _ := graphMarkedServer(t, reader, greenAnalyst, admin)
	period := "from=2024-01-01&to=2024-12-31"
	paths := []string{
		"/api/v1/query?q=target:AUT",
		"/api/v1/count?by=unit",
		"/api/v1/count",
		"/api/v1/crosstab?rows=unit&cols=target",
		"/api/v1/series?every=year&" + period,
		"/api/v1/projection?" + period,
		"/api/v1/report/external-ops?" + period + "&related_to=is-khorasan",
	}
	for _, path := range paths {
		for who, want := range map[string]*int{"reader": nil, "analyst": ptr(2), "admin": ptr(2)} {
			res := srv[who].do(t, "GET", path, nil)
			if res.status != 200 {
				t.Errorf("%s: GET %s: %d %.300s", who, path, res.status, res.body)
				continue
			}
			var got struct {
				Drafts  string `json:"drafts"`
				Pending *int   `json:"drafts_pending"`
			}
			res.json(t, &got)
			if got.Drafts != "excluded" || (got.Pending == nil) != (want == nil) || (want != nil && *got.Pending != *want) {
				t.Errorf("%s: GET %s: drafts %q, drafts_pending %v; want excluded and %v", who, path, got.Drafts, deref(got.Pending), deref(want))
			}
			var members map[string]json.RawMessage
			res.json(t, &members)
			if len(members) < 3 {
				t.Errorf("%s: GET %s: only %d members: the answer itself is missing: %.300s", who, path, len(members), res.body)
			}
		}
	}
	// The document says so too.
	res := srv["reader"].do(t, "GET", "/api/v1/openapi.json", nil)
	for _, op := range []string{"getCount", "getCrosstab", "getSeries", "getProjection", "getReportExternalOps"} {
		i := strings.Index(string(res.body), `"operationId":"`+op+`"`)
		if i < 0 {
			t.Errorf("openapi.json: no operation %s", op)
		}
	}
	if !strings.Contains(string(res.body), `"drafts_pending"`) {
		t.Error("openapi.json does not document drafts_pending")
	}
}

func ptr(n int) *int { return &n }

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestDraftCountFollowsChanges checks that the cached number of pending
// drafts (SnapshotAnalytics' DraftCount) follows drafts made, published
// and returned by writers other than the server.
func TestDraftCountFollowsChanges(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, func(c *httpapi.Config) { c.Auth = headerAuth{"analyst": &greenAnalyst} })
	ctx := context.Background()
	pending := func() int {
		t.Helper()
		res := ts.do(t, "GET", "/api/v1/query", nil, "X-Test-User", "analyst")
		var q struct {
			Pending *int `json:"drafts_pending"`
		}
		res.json(t, &q)
		if res.status != 200 || q.Pending == nil {
			t.Fatalf("query: %d %.300s", res.status, res.body)
		}
		return *q.Pending
	}
	if n := pending(); n != 0 {
		t.Fatalf("pending drafts on the curated dataset: %d; want 0", n)
	}
	draft := func() int64 {
		in, err := ts.db.Incident(ctx, istanbul, plotline.AsOf{})
		if err != nil {
			t.Fatal(err)
		}
		in.Summary += " (draft)"
		ch, err := ts.db.Apply(ctx, &plotline.Batch{By: "analyst", Note: "draft", Draft: true, Incidents: []plotline.Incident{*in}})
		if err != nil {
			t.Fatal(err)
		}
		return ch.ID
	}
	a := draft()
	if n := pending(); n != 1 {
		t.Errorf("after one draft: %d pending; want 1", n)
	}
	if _, err := ts.db.Return(ctx, a, "reviewer", "not yet"); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 0 {
		t.Errorf("after returning it: %d pending; want 0", n)
	}
	b := draft()
	if _, err := ts.db.Publish(ctx, b, "reviewer", "ok"); err != nil {
		t.Fatal(err)
	}
	if n := pending(); n != 0 {
		t.Errorf("after publishing the second: %d pending; want 0", n)
	}
}
