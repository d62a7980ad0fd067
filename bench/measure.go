package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

type measured struct {
	shape
	median  [3]time.Duration // engine, sqlite, duckdb; 0 = n/a
	runs    [3]int
	rows    int
	answer  string // the count, or how many rows the answer has
	equal   bool
	problem string
}

var systemNames = [3]string{"engine", "SQLite SQL", "DuckDB"}

// measure runs each system once to warm up and to check its answer, then
// times it cfg.runs times (fewer for a slow system past the budget, never
// under three) and keeps the median.
func measure(ctx context.Context, cfg config, s shape) (measured, error) {
	m := measured{shape: s, equal: true}
	var answers [3]result
	for i, r := range []runner{s.engine, s.sqlite, s.duckdb} {
		if r == nil {
			continue
		}
		t0 := time.Now()
		got, err := r(ctx)
		if err != nil {
			return m, fmt.Errorf("%s: %w", systemNames[i], err)
		}
		answers[i] = got
		var times []time.Duration
		start := time.Now()
		runs := cfg.runs
		if time.Since(t0) > cfg.budget/2 {
			runs = 1 // one warm-up and one timed run of a question that takes minutes
		}
		for len(times) < runs && (len(times) < 3 || time.Since(start) < cfg.budget) {
			t0 = time.Now()
			if _, err := r(ctx); err != nil {
				return m, fmt.Errorf("%s: %w", systemNames[i], err)
			}
			times = append(times, time.Since(t0))
		}
		slices.Sort(times)
		m.median[i], m.runs[i] = times[len(times)/2], len(times)
	}
	m.rows = len(answers[0])
	if len(answers[0]) == 1 && !strings.Contains(answers[0][0], "\t") {
		m.answer = answers[0][0]
	} else {
		m.answer = fmt.Sprintf("%d rows", len(answers[0]))
	}
	for i := 1; i < 3; i++ {
		if answers[i] != nil && !slices.Equal(answers[0], answers[i]) {
			m.equal = false
			m.problem += fmt.Sprintf("%s vs %s: %s\n", systemNames[0], systemNames[i], diff(answers[0], answers[i]))
		}
	}
	if s.expect != nil && !slices.Equal(answers[0], s.expect) {
		m.equal = false
		m.problem += "engine vs expected: " + diff(answers[0], s.expect) + "\n"
	}
	if !m.equal {
		fmt.Printf("\n*** MISMATCH in %q ***\n%s\n", s.name, m.problem)
	}
	return m, nil
}

// diff summarises how two sorted answers differ.
func diff(a, b result) string {
	var onlyA, onlyB []string
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			onlyA = append(onlyA, a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			onlyB = append(onlyB, b[j])
			j++
		default:
			i++
			j++
		}
	}
	show := func(xs []string) string {
		if len(xs) > 3 {
			return strings.Join(xs[:3], " | ") + fmt.Sprintf(" | … (%d more)", len(xs)-3)
		}
		return strings.Join(xs, " | ")
	}
	return fmt.Sprintf("%d vs %d lines; only first: %s; only second: %s", len(a), len(b), show(onlyA), show(onlyB))
}

func sorted(r result) result {
	slices.Sort(r)
	return r
}

func ms(d time.Duration) string {
	if d == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", float64(d.Microseconds())/1000)
}

func ratio(base, eng time.Duration) string {
	if base == 0 || eng == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1fx", float64(base)/float64(eng))
}

func printTable(w io.Writer, ms_ []measured) {
	fmt.Fprintf(w, "\nMedian milliseconds per question (runs: engine/SQLite/DuckDB):\n\n")
	fmt.Fprintf(w, "| shape | answer | engine | SQLite SQL | DuckDB | SQLite/engine | DuckDB/engine | same answer | runs |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---|---|\n")
	for _, m := range ms_ {
		same := "yes"
		if !m.equal {
			same = "**MISMATCH**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %d/%d/%d |\n", m.name, m.answer,
			ms(m.median[0]), ms(m.median[1]), ms(m.median[2]), ratio(m.median[1], m.median[0]), ratio(m.median[2], m.median[0]),
			same, m.runs[0], m.runs[1], m.runs[2])
	}
	fmt.Fprintf(w, "\nTargets (issue 3): engine median <= 15 ms per shape (bbox, text <= 5 ms) and >= 3x faster than DuckDB:\n")
	for _, m := range ms_ {
		verdict := "meets"
		var why []string
		if m.median[0] > m.target {
			why = append(why, fmt.Sprintf("%s ms > %s", ms(m.median[0]), m.target))
		}
		if m.median[2] != 0 && m.median[2] < 3*m.median[0] {
			why = append(why, "less than 3x faster than DuckDB")
		}
		if len(why) > 0 {
			verdict = "MISSES: " + strings.Join(why, "; ")
		}
		fmt.Fprintf(w, "- %s: %s\n", m.name, verdict)
	}
	for _, m := range ms_ {
		if m.note != "" {
			fmt.Fprintf(w, "\nNote, %s\n", m.note)
		}
	}
}
