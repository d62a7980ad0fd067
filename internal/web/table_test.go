package web

import (
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// TestTablePages pages through the incident table with small limits, with
// the engine's analytics and with the snapshot fallback: the pages in date
// order (either way) together are every known incident exactly once, a
// column sort sorts every match when they are few enough and says so when
// not, and a download refuses more rows than it may carry.
func TestTablePages(t *testing.T) {
	db := mustOpenStore(t)
	t.Run("engine", func(t *testing.T) { testTablePages(t, db, mustEngine(t, db)) })
	t.Run("built-in filter", func(t *testing.T) { testTablePages(t, db, nil) })
}

func testTablePages(t *testing.T, db *sqlite.DB, eng *engine.Engine) {
	h, err := newHandler(Config{Store: db, Analytics: analyticsOf(eng), Now: func() time.Time { return today }})
	if err != nil {
		t.Fatal(err)
	}
	h.limits = tableLimits{page: 7, sort: 40, export: 38}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	// The store's own list, known today, is the date order.
	all, err := db.Incidents(context.Background(), plotline.IncidentFilter{}, plotline.AsOf{Stated: ptr(plotline.DayOf(today))})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, in := range all {
		want = append(want, in.ID)
	}
	if len(want) <= 2*h.limits.page {
		t.Fatalf("the curated data has %d incidents; the test needs more than %d", len(want), 2*h.limits.page)
	}

	rowID := regexp.MustCompile(`<tr data-id="([^"]+)"`)
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	walk := func(path string) []string {
		t.Helper()
		var ids []string
		for pages := 0; path != ""; pages++ {
			if pages > len(want) {
				t.Fatalf("more pages than incidents from %s", path)
			}
			res := get(t, srv, path)
			if res.code != 200 {
				t.Fatalf("GET %s: status %d\n%s", path, res.code, excerpt(res.body))
			}
			rows := rowID.FindAllStringSubmatch(res.body, -1)
			if len(rows) > h.limits.page {
				t.Fatalf("GET %s: %d rows on a page of %d", path, len(rows), h.limits.page)
			}
			for _, m := range rows {
				ids = append(ids, m[1])
			}
			path = ""
			if m := next.FindStringSubmatch(res.body); m != nil {
				path = strings.ReplaceAll(m[1], "&amp;", "&")
			}
		}
		return ids
	}
	if got := walk("/incidents?cols=date,id"); !slices.Equal(got, want) {
		t.Errorf("pages in date order:\n got %v\nwant %v", got, want)
	}
	rev := slices.Clone(want)
	slices.Reverse(rev)
	if got := walk("/incidents?cols=date,id&sort=-date"); !slices.Equal(got, rev) {
		t.Errorf("pages newest first:\n got %v\nwant %v", got, rev)
	}
	page2 := get(t, srv, "/incidents?page=2")
	for _, w := range []string{`rel="prev"`, `rel="next"`, "rows 8–14 shown"} {
		if !strings.Contains(page2.body, w) {
			t.Errorf("page 2 lacks %q\n%s", w, excerpt(page2.body))
		}
	}

	// More matches than the sort limit: date order, with a note.
	res := get(t, srv, "/incidents?sort=title&cols=date,id")
	if !strings.Contains(res.body, `id="sort-note"`) {
		t.Errorf("sorting %d matches by title (limit %d) does not say it keeps the date order", len(want), h.limits.sort)
	}
	if got := rowID.FindAllStringSubmatch(res.body, -1); len(got) == 0 || got[0][1] != want[0] {
		t.Errorf("above the sort limit the first row is %v, want %s", got, want[0])
	}
	// Few enough matches: every one sorted by title across the pages.
	q := "/incidents?q=date:2024&sort=title&cols=title,id"
	got := walk(q)
	if len(got) == 0 || len(got) > h.limits.sort || len(got) <= h.limits.page {
		t.Fatalf("%s: %d rows; the test needs more than one page and at most %d", q, len(got), h.limits.sort)
	}
	titles := map[string]string{}
	for _, in := range all {
		titles[in.ID] = strings.ToLower(in.Title)
	}
	if !slices.IsSortedFunc(got, func(a, b string) int { return strings.Compare(titles[a], titles[b]) }) {
		t.Errorf("%s: rows not sorted by title across pages: %v", q, got)
	}
	if strings.Contains(get(t, srv, q).body, `id="sort-note"`) {
		t.Errorf("%s: note shown for %d matches (limit %d)", q, len(got), h.limits.sort)
	}

	for _, q := range []string{"", "date:2024"} {
		res := get(t, srv, "/incidents?q="+q)
		if w := fmt.Sprintf(" of %d incidents", len(want)); !strings.Contains(res.body, w) {
			t.Errorf("q=%s: the row count lacks %q\n%s", q, w, excerpt(res.body))
		}
	}
	if res := get(t, srv, "/incidents?page=0"); res.code != 400 {
		t.Errorf("page=0: status %d, want 400", res.code)
	}
	if res := get(t, srv, "/incidents/export?format=csv"); res.code != 400 || !strings.Contains(res.body, "at most 38") {
		t.Errorf("export of %d rows (limit 38): status %d\n%s", len(want), res.code, excerpt(res.body))
	}
	if res := get(t, srv, "/incidents/export?format=csv&q=date:2024"); res.code != 200 || strings.Count(res.body, "\n") != len(got)+1 {
		t.Errorf("export of date:2024: status %d, %d lines, want %d rows and a header", res.code, strings.Count(res.body, "\n"), len(got))
	}
}

func ptr[T any](v T) *T { return &v }
