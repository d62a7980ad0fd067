package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/gen"
	"github.com/plotline-dev/plotline/internal/query"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// refreshStore is a generated SQLite store of benchRows() incidents
// (PLOTLINE_BENCH_ROWS, default 200,000), written once per run into a
// temporary directory (PLOTLINE_BENCH_REFRESH_DB keeps it at that path and
// reuses it: generating 200,000 rows takes about a minute).
var refreshStore = sync.OnceValues(func() (string, error) {
	path := os.Getenv("PLOTLINE_BENCH_REFRESH_DB")
	if path != "" {
		if _, err := os.Stat(path); err == nil {
			return path, nil
		}
	} else {
		dir, err := os.MkdirTemp("", "plotline-refresh-bench")
		if err != nil {
			return "", err
		}
		path = filepath.Join(dir, "store.db")
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return "", err
	}
	defer db.Close()
	return path, gen.Write(ctx, db, gen.Config{Seed: 1, Rows: benchRows()}, 20_000, nil)
})

// BenchmarkRefresh measures what a write costs the engine on a large store:
// Full is the complete build that Refresh did before incremental refreshes
// (and still does after an actor changes), OneWrite a Refresh after one
// incident update (the write itself is not timed), and the Count pairs the
// answer of a full index against one with layered refreshes over it.
func BenchmarkRefresh(b *testing.B) {
	path, err := refreshStore()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.Run("Full", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := engine.Build(ctx, db, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	eng, err := engine.NewWithOptions(ctx, db, engine.Options{DeltaRows: 1 << 30}) // no background build: measure the layers alone
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	m, err := eng.Match(ctx, engine.Request{Limit: 5000})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	update := func(b *testing.B) {
		id := m.IDs[r.IntN(len(m.IDs))]
		in, err := db.Incident(ctx, id, plotline.AsOf{})
		if err != nil {
			b.Fatal(err)
		}
		in.Attributions = nil
		k := r.IntN(1000)
		in.Killed.Best = &k
		if _, err := db.Apply(ctx, &plotline.Batch{By: "bench", Incidents: []plotline.Incident{*in}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("OneWrite", func(b *testing.B) {
		var cpu, wall time.Duration
		for b.Loop() {
			b.StopTimer()
			update(b)
			start, t0 := cpuTime(), time.Now()
			b.StartTimer()
			if changed, err := eng.Refresh(ctx); err != nil || !changed {
				b.Fatalf("refresh: %v, %v", changed, err)
			}
			wall += time.Since(t0)
			cpu += cpuTime() - start
		}
		// Measured around Refresh alone (ns/op may include the timer's
		// stops around the write).
		b.ReportMetric(float64(wall.Nanoseconds())/float64(b.N), "refresh-ns/op")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		snap, _ := eng.Snapshot(ctx, plotline.AsOf{})
		b.ReportMetric(float64(snap.Layers()), "layers")
	})
	full, err := engine.New(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	snap, _ := eng.Snapshot(ctx, plotline.AsOf{})
	q, err := query.Parse("date:2015..2020")
	if err != nil {
		b.Fatal(err)
	}
	req := engine.Request{Query: q, GroupBy: []string{"country", "year"}}
	for _, e := range []struct {
		name string
		eng  *engine.Engine
	}{{"CountFullIndex", full}, {fmt.Sprintf("CountLayered%d", snap.Layers()), eng}} {
		b.Run(e.name, func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := e.eng.Count(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
