package engine_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// markedEngine indexes storetest.MarkedFixture (a TLP:RED source under the
// ISKP statement, an AMBER Interior Ministry statement) plus a plot known
// only from the RED source.
func markedEngine(t *testing.T) *engine.Engine {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := storetest.MarkedFixture()
	b.Incidents = append(b.Incidents, plotline.Incident{ID: "secret", Title: "Plot known from liaison", Kind: "plot", Outcome: "foiled",
		Date: plotline.MustDate("2024-03-10"), Location: plotline.Location{Country: "DEU"}, TargetCountry: "DEU", Sources: []string{"s-red"},
		Attributions: []plotline.Attribution{{ID: "secret/gov", ActorID: "is-khorasan", Basis: "government", AssertedBy: "Partner service",
			StatedOn: plotline.MustDate("2024-03-12"), Link: "unknown", Sources: []plotline.SourceRef{{ID: "s-red"}}}}})
	if _, err := db.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	e, err := engine.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestClearanceViews(t *testing.T) {
	e := markedEngine(t)
	ctx := context.Background()
	iskp, err := query.Parse("actor:is-khorasan")
	if err != nil {
		t.Fatal(err)
	}
	gov, err := query.Parse("basis:government")
	if err != nil {
		t.Fatal(err)
	}
	anyRule, err := analysis.ParseRule("any")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		clearance     string
		wantTotal     int
		wantUnits     []string // groups of a count by unit
		wantISKP      []string // incidents a query on ISKP matches
		wantGov       []string // incidents with a government statement
		wantDisagree  int
		wantRelated   int // external-ops report, related to ISKP, H1 2024
		wantWithheld  plotline.Withheld
		wantNoneShown bool
	}{
		{"", 2, []string{"is-khorasan", "is-turkey"}, []string{"istanbul", "secret"}, []string{"istanbul", "secret"}, 2, 2, plotline.Withheld{}, true},
		{"red", 2, []string{"is-khorasan", "is-turkey"}, []string{"istanbul", "secret"}, []string{"istanbul", "secret"}, 2, 2, plotline.Withheld{}, true},
		{"amber", 1, []string{"is-turkey"}, nil, []string{"istanbul"}, 1, 0, plotline.Withheld{Sources: 1, Incidents: 1, Attributions: 1}, false},
		{"green", 1, []string{"is-turkey"}, nil, nil, 0, 0, plotline.Withheld{Sources: 1, Incidents: 1, Attributions: 2}, false},
		{"clear", 1, []string{"is-turkey"}, nil, nil, 0, 0, plotline.Withheld{Sources: 2, Incidents: 1, Attributions: 2}, false},
		{"bogus", 1, []string{"is-turkey"}, nil, nil, 0, 0, plotline.Withheld{Sources: 2, Incidents: 1, Attributions: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.clearance, func(t *testing.T) {
			tab, err := e.Count(ctx, engine.Request{GroupBy: []string{"unit"}, Clearance: tt.clearance})
			if err != nil {
				t.Fatal(err)
			}
			var units []string
			for _, r := range tab.Rows {
				units = append(units, r.Keys[0])
			}
			slices.Sort(units)
			if tab.Total != tt.wantTotal || !slices.Equal(units, tt.wantUnits) {
				t.Errorf("count: total %d, units %v; want %d, %v", tab.Total, units, tt.wantTotal, tt.wantUnits)
			}
			var got plotline.Withheld
			if tab.Withheld != nil {
				got = *tab.Withheld
			}
			if got != tt.wantWithheld || (tab.Withheld == nil) != tt.wantNoneShown {
				t.Errorf("count withheld %+v; want %+v", tab.Withheld, tt.wantWithheld)
			}

			m, err := e.Match(ctx, engine.Request{Query: iskp, Clearance: tt.clearance})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.IDs, tt.wantISKP) {
				t.Errorf("actor:is-khorasan matches %v; want %v", m.IDs, tt.wantISKP)
			}

			m, err = e.Match(ctx, engine.Request{Query: gov, Clearance: tt.clearance})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.IDs, tt.wantGov) {
				t.Errorf("basis:government matches %v; want %v", m.IDs, tt.wantGov)
			}

			ds, err := e.Disagreements(ctx, engine.Request{Clearance: tt.clearance})
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != tt.wantDisagree {
				t.Errorf("%d disagreements %+v; want %d", len(ds), ds, tt.wantDisagree)
			}

			ser, err := e.Series(ctx, engine.SeriesRequest{Request: engine.Request{Clearance: tt.clearance}, Interval: "year"})
			if err != nil {
				t.Fatal(err)
			}
			if n := ser.Buckets[0].Strict; n != tt.wantTotal {
				t.Errorf("series counts %d in 2024; want %d", n, tt.wantTotal)
			}

			ix, err := e.Index(ctx, plotline.AsOf{})
			if err != nil {
				t.Fatal(err)
			}
			if ix, err = ix.View(ctx, tt.clearance); err != nil {
				t.Fatal(err)
			}
			rep, err := ix.ExternalOps(ctx, analysis.ExternalOpsParams{From: plotline.MustDate("2024-01-01").Start,
				To: plotline.MustDate("2024-06-30").Start, AsOf: plotline.MustDate("2024-12-31").Start, RelatedTo: "is-khorasan", Rule: anyRule})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Related != tt.wantRelated || rep.Coverage.IncidentsKnown != tt.wantTotal {
				t.Errorf("report: %d related, %d known; want %d, %d", rep.Related, rep.Coverage.IncidentsKnown, tt.wantRelated, tt.wantTotal)
			}
			if (rep.Withheld == nil) != tt.wantNoneShown {
				t.Errorf("report withheld %+v; want %+v", rep.Withheld, tt.wantWithheld)
			}
		})
	}
}

// TestViewIsCached checks that a clearance's view is built once per index.
func TestViewIsCached(t *testing.T) {
	e := markedEngine(t)
	ctx := context.Background()
	ix, err := e.Index(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := ix.View(ctx, "green")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ix.View(ctx, "green")
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a == ix {
		t.Errorf("views %p, %p of %p; want one view, not the index", a, b, ix)
	}
	if r, _ := ix.View(ctx, "red"); r != ix {
		t.Error("the RED view is not the index itself")
	}
}
