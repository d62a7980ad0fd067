package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/gen"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// benchPaths are the pages BenchmarkPages renders: each view with its
// default (heaviest) settings, the incident table in date order both ways,
// filtered and sorted by a column, and one incident page.
var benchPaths = []struct{ name, path string }{
	{"dashboard", "/"},
	{"map", "/map"},
	{"network", "/network"},
	{"org", "/org"},
	{"incidents", "/incidents"},
	{"incidents-newest", "/incidents?sort=-date&page=3"},
	{"incidents-filtered", "/incidents?q=actor:is%2B+date:2024&sort=title"},
	{"incident", "/incidents/2024-01-28-tur-istanbul-church"},
}

// BenchmarkPages renders every page in process (no network), as plotline
// serve wires the UI (the engine's analytics), on two stores: the curated
// dataset alone, and the curated dataset plus generated events
// (internal/gen, seed 1): PLOTLINE_BENCH_ROWS of them (default 200,000),
// written into a temporary database first, or the store PLOTLINE_BENCH_DB
// names (e.g. a copy of one written by `plotline gen --rows 2500000 --seed
// 1`; use a copy: opening it applies pending migrations).
//
// Each page is rendered for two readers: "local", the single-user mode's
// plotline.LocalUser (clearance RED: the whole index), and "anonymous"
// (clearance CLEAR: the engine's TLP view of the index, built on its first
// use). Besides ns/op it reports the median (p50-ms) and the first render
// (first-ms: before the analytics cached the page's report or view).
func BenchmarkPages(b *testing.B) {
	b.Run("curated", func(b *testing.B) {
		db := mustOpenStore(b)
		benchPages(b, db, mustEngine(b, db))
	})
	db := benchStore(b)
	start := time.Now()
	eng := mustEngine(b, db)
	b.Logf("index of %d incidents built in %v", eng.Stats().Incidents, time.Since(start).Round(time.Millisecond))
	b.Run(fmt.Sprintf("events=%d", eng.Stats().Incidents), func(b *testing.B) { benchPages(b, db, eng) })
}

func benchPages(b *testing.B, db *sqlite.DB, eng *engine.Engine) {
	h := New(Config{Store: db, Analytics: analyticsOf(eng), Now: func() time.Time { return today }})
	local := plotline.LocalUser
	for _, reader := range []struct {
		name string
		user *plotline.User
	}{{"local", &local}, {"anonymous", nil}} {
		b.Run(reader.name, func(b *testing.B) {
			for _, p := range benchPaths {
				b.Run(p.name, func(b *testing.B) { benchPage(b, h, p.path, reader.user) })
			}
		})
	}
}

func benchPage(b *testing.B, h http.Handler, path string, user *plotline.User) {
	var took []time.Duration
	for b.Loop() {
		t0 := time.Now()
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", path, nil)
		if user != nil {
			req = req.WithContext(plotline.WithUser(req.Context(), user))
		}
		h.ServeHTTP(rec, req)
		took = append(took, time.Since(t0))
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: status %d\n%s", path, rec.Code, excerpt(rec.Body.String()))
		}
	}
	first := took[0]
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(first)/1e6, "first-ms")
}

// benchStore opens PLOTLINE_BENCH_DB, or writes the curated dataset and
// PLOTLINE_BENCH_ROWS generated events into a temporary database.
func benchStore(b *testing.B) *sqlite.DB {
	b.Helper()
	ctx := context.Background()
	if path := os.Getenv("PLOTLINE_BENCH_DB"); path != "" {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		return db
	}
	rows := 200_000
	if s := os.Getenv("PLOTLINE_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("PLOTLINE_BENCH_ROWS=%q: want a positive number", s)
		}
		rows = n
	}
	db := mustOpenStore(b)
	start := time.Now()
	if err := gen.Write(ctx, db, gen.Config{Seed: 1, Rows: rows}, 10_000, nil); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %d events in %v", rows, time.Since(start).Round(time.Millisecond))
	return db
}
