package httpapi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// BenchmarkMarkingsCost measures what markings and the drafts note add to
// a request, over loopback HTTP on the curated dataset plus graphMarked:
// the organisation routes for the RED admin (nothing to narrow) against a
// GREEN reader (each cited source's marking read; with the fallback
// analytics' ChangeCache, read once per store change), and an analytics answer
// for a reader (no drafts counted) against an analyst (the pending drafts
// listed), with 2 and 50 drafts awaiting review.
func BenchmarkMarkingsCost(b *testing.B) {
	srv, _ := graphMarkedServer(b, reader, greenAnalyst, admin)
	// The same store behind the fallback analytics, which keep a ChangeCache.
	cached := newTestServer(b, func(c *httpapi.Config) {
		c.Store = srv["admin"].ts.db
		c.Auth = headerAuth{"reader": &reader}
	})
	for _, path := range []string{"/api/v1/org", "/api/v1/affiliations", "/api/v1/actors/is-khorasan"} {
		for _, who := range []string{"admin", "reader"} {
			b.Run(fmt.Sprintf("%s/%s", path, who), func(b *testing.B) { benchGet(b, srv[who], path) })
		}
		b.Run(path+"/reader-cached", func(b *testing.B) { benchGet(b, &userClient{ts: cached, name: "reader"}, path) })
	}
	count := "/api/v1/count?by=unit&q=target:AUT"
	db := srv["admin"].ts.db
	ctx := context.Background()
	for _, drafts := range []int{2, 50} {
		addDrafts(b, srv["admin"], drafts)
		for _, who := range []string{"reader", "analyst"} {
			b.Run(fmt.Sprintf("count/drafts=%d/%s", drafts, who), func(b *testing.B) { benchGet(b, srv[who], count) })
		}
		// The number alone: listed each time, and cached per store change
		// (what the server does when its analytics keep a DraftCount).
		b.Run(fmt.Sprintf("pending/drafts=%d/listed", drafts), func(b *testing.B) {
			for b.Loop() {
				if _, err := httpapi.CountDrafts(ctx, db); err != nil {
					b.Fatal(err)
				}
			}
		})
		var cache httpapi.ChangeCache
		actx := plotline.WithUser(ctx, &greenAnalyst)
		b.Run(fmt.Sprintf("pending/drafts=%d/cached", drafts), func(b *testing.B) {
			for b.Loop() {
				if _, err := httpapi.DraftsNoteFor(actx, db, &cache); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// addDrafts adds drafts, one incident each, until n await review.
func addDrafts(b *testing.B, c *userClient, n int) {
	ctx := context.Background()
	list, err := c.ts.db.Incidents(ctx, plotline.IncidentFilter{Limit: n}, plotline.AsOf{})
	if err != nil {
		b.Fatal(err)
	}
	pending, err := c.ts.db.Drafts(ctx, plotline.DraftFilter{Limit: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	for i := len(pending); i < n; i++ {
		in := list[i%len(list)]
		in.Summary = fmt.Sprintf("draft %d", i)
		if _, err := c.ts.db.Apply(ctx, &plotline.Batch{By: "analyst", Note: "bench", Draft: true, Incidents: []plotline.Incident{in}}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchGet(b *testing.B, c *userClient, path string) {
	for b.Loop() {
		if res := c.do(b, "GET", path, nil); res.status != 200 {
			b.Fatalf("%s: %d %.200s", path, res.status, res.body)
		}
	}
}
