package engine_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/gen"
)

// memSource is an engine.Source over generated incidents held in memory, so
// the query benchmarks measure the engine alone. (Text search and index
// builds from a real store are measured by bench/, on SQLite.)
type memSource struct {
	actors []plotline.Actor
	incs   []plotline.Incident
}

func (m *memSource) LastChange(context.Context) (int64, error) { return 1, nil }

func (m *memSource) MatchText(context.Context, string, *time.Time) ([]int64, error) { return nil, nil }

func (m *memSource) Incidents(context.Context, plotline.IncidentFilter, plotline.AsOf) ([]plotline.Incident, error) {
	return nil, nil
}

func rangeOf(p *int) int64 {
	if p == nil {
		return -1
	}
	return int64(*p)
}

func (m *memSource) ScanIndex(_ context.Context, _ *time.Time, l engine.Loader) (int64, error) {
	l.Organisation(m.actors, nil)
	// Two parts, each from its own goroutine, as a parallel store scan feeds them.
	parts := l.Parts(2)
	half := len(m.incs) / 2
	var wg sync.WaitGroup
	for k, p := range parts {
		lo, hi := 0, half
		if k == 1 {
			lo, hi = half, len(m.incs)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.scan(p, lo, hi)
		}()
	}
	wg.Wait()
	return 1, nil
}

func (m *memSource) scan(l engine.PartLoader, lo, hi int) {
	l.Grow(hi-lo, hi-lo)
	var r engine.IncidentRow
	for i := lo; i < hi; i++ {
		in := &m.incs[i]
		r = engine.IncidentRow{Key: int64(i + 1), ID: in.ID, Kind: in.Kind, Outcome: in.Outcome, Stage: in.Stage, Date: in.Date,
			Disclosed: in.Disclosed, Country: in.Location.Country, Admin1: in.Location.Admin1, Place: in.Location.Place,
			LocPrecision: in.Location.Precision, Target: in.TargetCountry, TargetType: in.TargetType, EventType: in.EventType,
			Origin: in.Origin, Doc: in.Documentation, Killed: rangeOf(in.Killed.Best), Injured: rangeOf(in.Injured.Best),
			Perpetrators: rangeOf(in.Perpetrators), Arrests: rangeOf(in.Arrests)}
		if in.Location.Lat != nil {
			r.Lat, r.Lon, r.HasLatLon = *in.Location.Lat, *in.Location.Lon, true
		}
		l.Incident(&r)
	}
	var a engine.AttributionRow
	for i := lo; i < hi; i++ {
		for _, at := range m.incs[i].Attributions {
			a = engine.AttributionRow{ID: at.ID, IncidentID: m.incs[i].ID, ActorID: at.ActorID, Basis: at.Basis, Link: at.Link,
				AssertedBy: at.AssertedBy, StatedOn: at.StatedOn}
			l.Attribution(&a)
		}
	}
}

// benchRows is the size of the generated data: PLOTLINE_BENCH_ROWS, default 200,000.
func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("PLOTLINE_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

func generate() (*memSource, *gen.Generator) {
	g := gen.New(gen.Config{Seed: 1, Rows: benchRows()})
	m := &memSource{actors: g.PlotlineActors()}
	for {
		e, ok := g.Next()
		if !ok {
			break
		}
		m.incs = append(m.incs, g.Incident(&e))
	}
	return m, g
}

var benchData = sync.OnceValues(generate)

// benchEngine is built from data of its own, dropped afterwards: the
// generated incidents would make the heap ten times the index, and the
// garbage collector's work on it would be charged to the queries.
var benchEngine = sync.OnceValues(func() (*engine.Engine, error) {
	m, _ := generate()
	eng, err := engine.New(context.Background(), m)
	m.incs = nil
	runtime.GC()
	return eng, err
})

func BenchmarkBuild(b *testing.B) {
	m, _ := benchData()
	ctx := context.Background()
	var ix *engine.Index
	for b.Loop() {
		var err error
		if ix, err = engine.Build(ctx, m, nil); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heapMB")
	runtime.KeepAlive(ix)
}

func BenchmarkShapes(b *testing.B) {
	eng, err := benchEngine()
	if err != nil {
		b.Fatal(err)
	}
	g := gen.New(gen.Config{Seed: 1, Rows: benchRows()})
	cs := g.Countries()
	top := g.TopArmedGroup(0).ID
	three := cs[0].Code + "," + cs[1].Code + "," + cs[2].Code
	ctx := context.Background()
	for _, sh := range []struct {
		name, q string
		dims    []string
		measure string
		limit   int
		series  bool
		match   bool // list a page of 50 (Match)
	}{
		{name: "CountryByYear", q: "date:2010..2020", dims: []string{"country", "year"}},
		{name: "TopActors", q: `event_type:Battles country:` + three, dims: []string{"unit"}, limit: 20},
		{name: "MonthlyActor", q: "actor:" + top, series: true},
		{name: "BBox", q: "bbox:30,0,45,15"},
		{name: "SumKilledByAdmin1", q: "locprec:place killed:5..", dims: []string{"admin1"}, measure: "sum:killed"},
		{name: "All", q: ""},
		{name: "ListFirstPage", q: "", match: true},
		{name: "ListCountryPage", q: "country:" + cs[1].Code, match: true},
	} {
		b.Run(sh.name, func(b *testing.B) {
			q := mustQuery(b, sh.q)
			defer reportCPU(b)()
			matched := 0 // incidents matched, reported as a metric
			for b.Loop() {
				if sh.match {
					m, err := eng.Match(ctx, engine.Request{Query: q, Limit: 50})
					if err != nil {
						b.Fatal(err)
					}
					matched = m.Total
					continue
				}
				if sh.series {
					s, err := eng.Series(ctx, engine.SeriesRequest{Request: engine.Request{Query: q}, Interval: "month"})
					if err != nil {
						b.Fatal(err)
					}
					matched = 0
					for _, bk := range s.Buckets {
						matched += bk.Possible
					}
					continue
				}
				t, err := eng.Count(ctx, engine.Request{Query: q, GroupBy: sh.dims, Measure: sh.measure, Limit: sh.limit})
				if err != nil {
					b.Fatal(err)
				}
				matched = t.Total
			}
			b.ReportMetric(float64(matched), "rows")
		})
	}
}

// reportCPU reports the process's CPU time per operation when the returned
// function runs: on a shared machine it varies less than the wall time
// (ns/op), which is about CPU/2 on two idle cores.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReportCurated is the PolicyWatch report on the curated dataset.
func BenchmarkReportCurated(b *testing.B) {
	ctx := context.Background()
	db := openCurated(b)
	eng, err := engine.New(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	ix, _ := eng.Index(ctx, plotline.AsOf{})
	rule, _ := ruleAny()
	p := reportParams(rule)
	for b.Loop() {
		if _, err := ix.ExternalOps(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}

func ruleAny() (analysis.Rule, error) { return analysis.ParseRule("any") }

func reportParams(r analysis.Rule) analysis.ExternalOpsParams {
	return analysis.ExternalOpsParams{From: day("2024-01-01"), To: day("2024-06-30"), RelatedTo: "is-khorasan", Rule: r, AsOf: day("2025-12-31")}
}
