package engine_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/gen"
	"github.com/plotline-dev/plotline/internal/query"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// BenchmarkStore measures the engine on a generated SQLite store, as
// bench/ does: PLOTLINE_BENCH_DB names the file (written by `plotline gen
// --rows N --seed 1`, or bench/data/synthetic-N-seed1.db; work on a copy:
// opening it applies pending migrations) and PLOTLINE_BENCH_ROWS its N. It
// reports the index build from the store (time, heap) and the bench shapes,
// text search through FTS5 included.
func BenchmarkStore(b *testing.B) {
	path := os.Getenv("PLOTLINE_BENCH_DB")
	if path == "" {
		b.Skip("PLOTLINE_BENCH_DB is not set")
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.Run("Build", func(b *testing.B) {
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		var ix *engine.Index
		defer reportCPU(b)()
		for b.Loop() {
			ix = nil
			if ix, err = engine.Build(ctx, db, nil); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc-before)/(1<<20), "heapMB")
		b.ReportMetric(float64(ix.Stats().Incidents), "incidents")
		runtime.KeepAlive(ix)
	})
	eng, err := engine.New(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	g := gen.New(gen.Config{Seed: 1, Rows: benchRows()})
	cs := g.Countries()
	word := strings.ToLower(strings.Fields(g.TopArmedGroup(4).Name)[0])
	for _, sh := range []struct {
		name, q string
		dims    []string
		measure string
		limit   int
		series  bool
	}{
		{name: "CountryByYear", q: "date:2015..2020", dims: []string{"country", "year"}},
		{name: "TopActors", q: fmt.Sprintf("event_type:Battles country:%s,%s,%s", cs[0].Code, cs[2].Code, cs[3].Code), dims: []string{"unit"}, limit: 20},
		{name: "MonthlyActor", q: "actor:" + g.TopArmedGroup(0).ID, series: true},
		{name: "BBox", q: "bbox:75.00005,20.00005,80.00005,25.00005"},
		{name: "Text", q: "text:" + word},
		{name: "SumKilledByAdmin1", q: "locprec:place killed:5..", dims: []string{"admin1"}, measure: "sum:killed"},
	} {
		b.Run(sh.name, func(b *testing.B) {
			q, err := query.Parse(sh.q)
			if err != nil {
				b.Fatal(err)
			}
			defer reportCPU(b)()
			for b.Loop() {
				if sh.series {
					if _, err := eng.Series(ctx, engine.SeriesRequest{Request: engine.Request{Query: q}, Interval: "month"}); err != nil {
						b.Fatal(err)
					}
					continue
				}
				if _, err := eng.Count(ctx, engine.Request{Query: q, GroupBy: sh.dims, Measure: sh.measure, Limit: sh.limit}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
