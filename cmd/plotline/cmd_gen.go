package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/gen"
)

// genCmd writes synthetic ACLED-like events into a database or a CSV file.
func (m *Main) genCmd(ctx context.Context, args []string) error {
	f := m.newFlags("gen", "--rows N --seed S [--db PATH | --csv acled|gtd --out FILE]")
	rows := f.Int("rows", 100000, "number of events")
	seed := f.Uint64("seed", 1, "random seed: the same seed and row count give the same data")
	format := f.String("csv", "", "write a CSV file in this layout (acled: 31 columns, gtd: 135 columns) instead of a database")
	out := f.String("out", "", "CSV output file (with --csv)")
	batch := f.Int("batch", 10000, "incidents per transaction (database output)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "gen: unexpected argument %q", pos[0])
	}
	if *rows <= 0 {
		return plotline.FieldError("rows", "must be positive")
	}
	if *batch <= 0 {
		return plotline.FieldError("batch", "must be positive")
	}
	if *format != "" {
		return m.genCSV(ctx, *format, *out, gen.Config{Seed: *seed, Rows: *rows, Violent: *format == "gtd"})
	}
	if *out != "" {
		return plotline.FieldError("out", "--out goes with --csv")
	}
	return m.genDB(ctx, f.db, gen.Config{Seed: *seed, Rows: *rows}, *batch)
}

func (m *Main) genCSV(ctx context.Context, format, out string, cfg gen.Config) error {
	if out == "" {
		return plotline.FieldError("out", "--csv needs --out FILE")
	}
	g := gen.New(cfg)
	write := g.WriteACLED
	switch format {
	case "acled":
	case "gtd":
		write = g.WriteGTD
	default:
		return plotline.FieldError("csv", "%q is not acled or gtd", format)
	}
	file, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	w := bufio.NewWriterSize(file, 1<<20)
	p := m.progress(cfg.Rows)
	if err := write(ctx, w, p); err != nil {
		file.Close()
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := w.Flush(); err != nil {
		file.Close()
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(m.Stderr, "plotline gen: wrote %d %s rows to %s\n", cfg.Rows, format, out)
	return nil
}

func (m *Main) genDB(ctx context.Context, path string, cfg gen.Config, batchSize int) error {
	db, err := openStoreAs[importStore](ctx, m, path, "import")
	if err != nil {
		return err
	}
	defer db.Close()
	if err := gen.Write(ctx, db, cfg, batchSize, m.progress(cfg.Rows)); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "plotline gen: wrote %d synthetic incidents and %d actors to %s\n", cfg.Rows, len(gen.New(cfg).Actors()), path)
	return nil
}

// progress returns a reporter that prints a line at most every few seconds
// with the rate and an estimate of the time left.
func (m *Main) progress(total int) func(done int) {
	start := time.Now()
	last := start
	return func(done int) {
		now := time.Now()
		if now.Sub(last) < 5*time.Second && done < total {
			return
		}
		last = now
		el := now.Sub(start)
		rate := float64(done) / el.Seconds()
		left := time.Duration(0)
		if rate > 0 {
			left = time.Duration(float64(total-done)/rate) * time.Second
		}
		fmt.Fprintf(m.Stderr, "plotline gen: %d/%d rows (%.0f%%), %.0f rows/s, %s elapsed, about %s left\n",
			done, total, 100*float64(done)/float64(total), rate, el.Round(time.Second), left.Round(time.Second))
	}
}
