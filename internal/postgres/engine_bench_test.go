package postgres_test

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/gen"
)

// BenchmarkEngineStore generates the same synthetic events (internal/gen,
// PLOTLINE_BENCH_PG_ROWS of them, default 20,000) into SQLite, the
// baseline, and PostgreSQL through each store's streaming import, then
// builds the engine's index from each (ScanIndex) and runs a text search
// (MatchText):
//
//	PLOTLINE_TEST_POSTGRES=postgres://… go test -run '^$' -bench EngineStore ./internal/postgres/
//
// import-s is the one generation run's wall time; cpu-ms/op counts this
// process only (the PostgreSQL server's work is not in it).
func BenchmarkEngineStore(b *testing.B) {
	rows := 20_000
	if s := os.Getenv("PLOTLINE_BENCH_PG_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("PLOTLINE_BENCH_PG_ROWS: %v", err)
		}
		rows = n
	}
	ctx := context.Background()
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			st := backends(b)[name](b).(interface {
				gen.Writer
				engine.Source
			})
			start := time.Now()
			if err := gen.Write(ctx, st, gen.Config{Seed: 1, Rows: rows}, 10_000, nil); err != nil {
				b.Fatal(err)
			}
			imported := time.Since(start)
			g := gen.New(gen.Config{Seed: 1, Rows: rows})
			word := g.TopArmedGroup(0).Name
			b.Run("Build", func(b *testing.B) {
				var ix *engine.Index
				cpu := cpuTime()
				for b.Loop() {
					var err error
					if ix, err = engine.Build(ctx, st, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
				b.ReportMetric(float64(ix.Stats().Incidents), "incidents")
				b.ReportMetric(imported.Seconds(), "import-s")
			})
			b.Run("MatchText", func(b *testing.B) {
				var keys []int64
				for b.Loop() {
					var err error
					if keys, err = st.MatchText(ctx, word, nil); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(keys)), "keys")
			})
		})
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
