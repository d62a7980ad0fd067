// Command bench measures Plotline's analytics engine against two baselines
// in one run, on the same generated data: the same questions as SQL on the
// same SQLite file, and DuckDB loaded from it. It lives in its own module so
// that the cgo DuckDB driver never enters the plotline binary.
//
//	cd bench && go run . -rows 2500000
//
// The generated SQLite database and the DuckDB copy are cached under
// -data (gitignored); the first run generates them, which takes a while.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

type config struct {
	rows    int
	seed    uint64
	runs    int
	budget  time.Duration
	dataDir string
	only    string
}

func main() {
	var cfg config
	flag.IntVar(&cfg.rows, "rows", 2500000, "synthetic events in the benchmark database")
	flag.Uint64Var(&cfg.seed, "seed", 1, "generator seed")
	flag.IntVar(&cfg.runs, "runs", 9, "timed runs per shape and system (after one warm-up)")
	flag.DurationVar(&cfg.budget, "budget", 20*time.Second, "stop timing a slow system on a shape after this long (at least 3 runs)")
	flag.StringVar(&cfg.dataDir, "data", "data", "directory for the cached databases")
	flag.StringVar(&cfg.only, "only", "", "run only the shapes whose name contains this text")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(cfg.dataDir, fmt.Sprintf("synthetic-%d-seed%d", cfg.rows, cfg.seed))
	fmt.Printf("Plotline benchmark: %d synthetic events (seed %d) plus the curated dataset; %d CPUs, %s; load average %s\n",
		cfg.rows, cfg.seed, runtime.NumCPU(), runtime.Version(), loadAvg())

	db, err := openBenchStore(ctx, base+".db", cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	duck, err := openDuck(ctx, base+".duckdb", db)
	if err != nil {
		return err
	}
	defer duck.Close()

	sys, err := buildEngine(ctx, db)
	if err != nil {
		return err
	}
	fmt.Printf("engine index: built from the store in %s (%d incidents, %d attributions, %d actors); Go heap %s after GC (index alone %s)\n",
		sys.build.Round(time.Millisecond), sys.stats.Incidents, sys.stats.Attributions, sys.stats.Actors,
		mb(int64(sys.heapAfter)), mb(int64(sys.heapAfter)-int64(sys.heapBefore)))

	shapes, err := benchShapes(ctx, cfg, db, duck, sys)
	if err != nil {
		return err
	}
	report, err := reportShape(ctx, cfg.dataDir, db, sys)
	if err != nil {
		return err
	}
	shapes = append(shapes, report...)
	results := make([]measured, 0, len(shapes))
	for _, s := range shapes {
		if !strings.Contains(s.name, cfg.only) {
			continue
		}
		m, err := measure(ctx, cfg, s)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		results = append(results, m)
	}
	printTable(os.Stdout, results)
	fmt.Printf("\nload average at the end (other work on this machine skews medians): %s\n", loadAvg())
	runtime.KeepAlive(sys)
	for _, m := range results {
		if !m.equal {
			return fmt.Errorf("results differ between systems (see MISMATCH above)")
		}
	}
	return nil
}

func mb(b int64) string { return fmt.Sprintf("%.0f MB", float64(b)/(1<<20)) }

// loadAvg returns the 1, 5 and 15 minute load averages where the system
// tells them (Linux), "unknown" elsewhere.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
