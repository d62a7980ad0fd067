package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// The benchmarks run each workload on SQLite (the named baseline) and on
// PostgreSQL in the same run:
//
//	PLOTLINE_TEST_POSTGRES=postgres://… go test -run '^$' -bench . ./internal/postgres/

func backends(b *testing.B) map[string]func(b *testing.B) plotline.Store {
	return map[string]func(b *testing.B) plotline.Store{
		"sqlite": func(b *testing.B) plotline.Store {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		},
		"postgres": func(b *testing.B) plotline.Store { return MustOpenDB(b) },
	}
}

// incidents returns n incidents with one attribution each, IDs prefixed.
func incidents(prefix string, n int) []plotline.Incident {
	base := storetest.Fixture().Incidents[0]
	out := make([]plotline.Incident, n)
	for i := range out {
		in := base
		in.ID = fmt.Sprintf("%s-%d", prefix, i)
		in.Date = plotline.DayDate(plotline.MakeDay(2020, 1, 1+i%1500))
		a := base.Attributions[0]
		a.ID, a.IncidentID = in.ID+"/claim", in.ID
		in.Attributions = []plotline.Attribution{a}
		out[i] = in
	}
	return out
}

func seed(b *testing.B, s plotline.Store) {
	b.Helper()
	if _, err := s.Apply(context.Background(), storetest.Fixture()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkApplyBatch writes 100 new incidents and their attributions as one change.
func BenchmarkApplyBatch(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := backends(b)[name](b)
			seed(b, s)
			ctx := context.Background()
			n := 0
			for b.Loop() {
				n++
				if _, err := s.Apply(ctx, &plotline.Batch{By: "bench", Incidents: incidents(fmt.Sprint("b", n), 100)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(200*n)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// BenchmarkApplyOne writes one changed record per change: the cost of a
// single edit from the UI.
func BenchmarkApplyOne(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := backends(b)[name](b)
			seed(b, s)
			ctx := context.Background()
			src := storetest.Fixture().Sources[0]
			n := 0
			for b.Loop() {
				n++
				src.Title = fmt.Sprint("edit ", n)
				if _, err := s.Apply(ctx, &plotline.Batch{By: "bench", Sources: []plotline.Source{src}}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkIncidents reads 2,000 current incidents with their attributions.
func BenchmarkIncidents(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := backends(b)[name](b)
			seed(b, s)
			ctx := context.Background()
			if _, err := s.Apply(ctx, &plotline.Batch{By: "bench", Incidents: incidents("r", 2000)}); err != nil {
				b.Fatal(err)
			}
			n := 0
			for b.Loop() {
				n++
				list, err := s.Incidents(ctx, plotline.IncidentFilter{}, plotline.AsOf{})
				if err != nil || len(list) != 2001 {
					b.Fatalf("%d incidents, %v", len(list), err)
				}
			}
			b.ReportMetric(float64(2001*n)/b.Elapsed().Seconds(), "incidents/s")
		})
	}
}

// BenchmarkIncident reads one incident by ID.
func BenchmarkIncident(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := backends(b)[name](b)
			seed(b, s)
			ctx := context.Background()
			for b.Loop() {
				if _, err := s.Incident(ctx, "istanbul", plotline.AsOf{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
