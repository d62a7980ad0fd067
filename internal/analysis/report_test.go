package analysis_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/dataset"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// loadFixture stores testdata/report/fixture.yaml in a new SQLite database
// and returns its snapshot and graph, so the report is tested end to end.
func loadFixture(t *testing.T) (*analysis.Graph, []plotline.Incident) {
	t.Helper()
	ctx := context.Background()
	ds, err := dataset.Load(os.DirFS("testdata/report"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "fixture.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Apply(ctx, ds.Batch); err != nil {
		t.Fatal(err)
	}
	snap, err := db.Snapshot(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	return analysis.NewGraph(snap.Actors, snap.Affiliations), snap.Incidents
}

func day(s string) plotline.Day {
	d, err := plotline.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return d
}

// The expected values below were worked out by hand from the fixture; the
// comments in fixture.yaml say what each incident exercises.
func TestExternalOpsHandComputed(t *testing.T) {
	g, incidents := loadFixture(t)
	tests := []struct {
		rule, asOf                       string
		total, related, unrelated        int
		boundary, notExternal, noCounted int
		counted                          []string
		byUnit                           []analysis.UnitCount
		disagreements                    int
	}{
		{rule: "any", asOf: "2025-01-01", total: 6, related: 3, unrelated: 3, boundary: 2, notExternal: 1,
			counted: []string{"a-istanbul", "b-kerman", "c-germany", "d-kuwait", "i-sweden", "j-belgium"},
			byUnit: []analysis.UnitCount{
				{Unit: "is", TargetCountry: "SWE", Kind: "plot", Count: 1},
				{Unit: "is-iraq", TargetCountry: "DEU", Kind: "plot", Count: 1},
				{Unit: "is-iraq", TargetCountry: "KWT", Kind: "plot", Count: 1},
			}, disagreements: 3},
		// As known at the period's end: D's statement and J's disclosure come later.
		// E (year precision) is not certainly public by then, so only F is on the boundary.
		{rule: "any", asOf: "2024-06-30", total: 4, related: 2, unrelated: 2, boundary: 1, notExternal: 1,
			counted: []string{"a-istanbul", "b-kerman", "c-germany", "i-sweden"},
			byUnit: []analysis.UnitCount{
				{Unit: "is", TargetCountry: "SWE", Kind: "plot", Count: 1},
				{Unit: "is-iraq", TargetCountry: "DEU", Kind: "plot", Count: 1},
			}, disagreements: 3},
		// Before the ISKP statement on A (5 Feb): A counts for IS only, so it is not ISKP-related yet.
		{rule: "official", asOf: "2024-01-30", total: 2, related: 1, unrelated: 1, boundary: 1, notExternal: 0, noCounted: 0,
			counted: []string{"a-istanbul", "b-kerman"},
			byUnit:  []analysis.UnitCount{{Unit: "is", TargetCountry: "TUR", Kind: "attack", Count: 1}}, disagreements: 2},
		{rule: "claims", asOf: "2025-01-01", total: 1, related: 0, unrelated: 1, boundary: 0, notExternal: 2, noCounted: 4,
			counted: []string{"b-kerman"},
			byUnit:  []analysis.UnitCount{{Unit: "is", TargetCountry: "IRN", Kind: "attack", Count: 1}}, disagreements: 1},
		{rule: "official", asOf: "2025-01-01", total: 4, related: 3, unrelated: 1, boundary: 2, notExternal: 0, noCounted: 3,
			counted: []string{"a-istanbul", "b-kerman", "c-germany", "j-belgium"},
			byUnit:  []analysis.UnitCount{{Unit: "is-iraq", TargetCountry: "DEU", Kind: "plot", Count: 1}}, disagreements: 3},
		{rule: "best", asOf: "2025-01-01", total: 6, related: 3, unrelated: 3, boundary: 2, notExternal: 1,
			counted: []string{"a-istanbul", "b-kerman", "c-germany", "d-kuwait", "i-sweden", "j-belgium"},
			byUnit: []analysis.UnitCount{
				{Unit: "is", TargetCountry: "SWE", Kind: "plot", Count: 1},
				{Unit: "is-iraq", TargetCountry: "DEU", Kind: "plot", Count: 1},
				{Unit: "is-iraq", TargetCountry: "KWT", Kind: "plot", Count: 1},
			}, disagreements: 3},
	}
	for _, tt := range tests {
		t.Run(tt.rule+"@"+tt.asOf, func(t *testing.T) {
			rule, err := analysis.ParseRule(tt.rule)
			if err != nil {
				t.Fatal(err)
			}
			r := analysis.ExternalOps(g, incidents, analysis.ExternalOpsParams{
				From: day("2024-01-01"), To: day("2024-06-30"), RelatedTo: "is-khorasan", Rule: rule, AsOf: day(tt.asOf)})
			if r.Total != tt.total || r.Related != tt.related || r.Unrelated != tt.unrelated {
				t.Errorf("total/related/unrelated = %d/%d/%d; want %d/%d/%d", r.Total, r.Related, r.Unrelated, tt.total, tt.related, tt.unrelated)
			}
			if c := r.Coverage; c.Boundary != tt.boundary || c.NotExternal != tt.notExternal || c.NoCounted != tt.noCounted {
				t.Errorf("boundary/not external/no counted = %d/%d/%d; want %d/%d/%d", c.Boundary, c.NotExternal, c.NoCounted, tt.boundary, tt.notExternal, tt.noCounted)
			}
			var got []string
			for _, in := range r.Incidents {
				got = append(got, in.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.counted) {
				t.Errorf("counted %v; want %v", got, tt.counted)
			}
			cells := make([]analysis.UnitCount, len(r.ByUnit))
			for i, c := range r.ByUnit {
				c.UnitName = ""
				cells[i] = c
			}
			if !slices.Equal(cells, tt.byUnit) {
				t.Errorf("by_unit %+v; want %+v", cells, tt.byUnit)
			}
			if len(r.Disagreements) != tt.disagreements {
				t.Errorf("%d disagreements %+v; want %d", len(r.Disagreements), r.Disagreements, tt.disagreements)
			}
		})
	}
}

func TestIstanbulCountsByRule(t *testing.T) {
	g, incidents := loadFixture(t)
	var in plotline.Incident
	for _, x := range incidents {
		if x.ID == "a-istanbul" {
			in = x
		}
	}
	at := day("2024-03-01")
	for rule, want := range map[string][]string{
		"claims":   {"is-turkey"},
		"official": {"is-khorasan"},
		"best":     {"is-khorasan"},
		"any":      {"is-turkey", "is-khorasan"},
	} {
		r, _ := analysis.ParseRule(rule)
		var ids []string
		for _, a := range r.Counted(&in, at) {
			ids = append(ids, a.ActorID)
		}
		got := g.MostSpecific(ids, in.Date.Start)
		if !slices.Equal(got, want) {
			t.Errorf("rule %s counts Istanbul for %v; want %v", rule, got, want)
		}
	}
}

func TestGraphIsDated(t *testing.T) {
	g, _ := loadFixture(t)
	if !g.Under("is-pakistan", "is-khorasan", day("2019-01-15")) {
		t.Error("in January 2019 the Pakistan province should sit under Khorasan")
	}
	if g.Under("is-pakistan", "is-khorasan", day("2024-01-15")) {
		t.Error("in 2024 the Pakistan province should no longer sit under Khorasan")
	}
	if got := g.RollUp("is-pakistan", "office", day("2024-01-15")); got != "is-office-siddiq" {
		t.Errorf("Pakistan rolls up to office %q in 2024; want is-office-siddiq", got)
	}
	if got := g.RollUp("is-khorasan", "core", day("2024-01-15")); got != "is" {
		t.Errorf("Khorasan rolls up to core %q; want is", got)
	}
	if id, ok := g.Resolve("ولاية خراسان"); !ok || id != "is-khorasan" {
		t.Errorf("Arabic alias resolves to %q, %v", id, ok)
	}
	if !g.External("is-gdp", "DEU", day("2024-01-01")) || g.External("is-gdp", "SYR", day("2024-01-01")) {
		t.Error("a directorate inherits the core's home countries")
	}
}

func TestParseRule(t *testing.T) {
	for _, s := range []string{"any", "official", "claims", "best", "bases:court,government", "best:court>claim"} {
		if _, err := analysis.ParseRule(s); err != nil {
			t.Errorf("ParseRule(%q): %v", s, err)
		}
	}
	for _, s := range []string{"most", "bases:rumour", "best:court>gossip"} {
		if _, err := analysis.ParseRule(s); plotline.ErrorCode(err) != plotline.EINVALID {
			t.Errorf("ParseRule(%q): err %v; want EINVALID", s, err)
		}
	}
}
