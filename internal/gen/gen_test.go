package gen_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/gen"
)

func all(cfg gen.Config) ([]gen.Event, *gen.Generator) {
	g := gen.New(cfg)
	var out []gen.Event
	for {
		e, ok := g.Next()
		if !ok {
			return out, g
		}
		out = append(out, e)
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := all(gen.Config{Seed: 7, Rows: 2000})
	b, _ := all(gen.Config{Seed: 7, Rows: 2000})
	c, _ := all(gen.Config{Seed: 8, Rows: 2000})
	if len(a) != 2000 {
		t.Fatalf("got %d events, want 2000", len(a))
	}
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different events")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds gave the same events")
	}
	var x, y bytes.Buffer
	for _, w := range []*bytes.Buffer{&x, &y} {
		if err := gen.New(gen.Config{Seed: 7, Rows: 300}).WriteACLED(context.Background(), w, nil); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(x.Bytes(), y.Bytes()) {
		t.Fatal("the same seed gave different ACLED files")
	}
}

func TestTables(t *testing.T) {
	g := gen.New(gen.Config{Seed: 1, Rows: 1})
	countries := g.Countries()
	if n := len(countries); n < 190 || n > 210 {
		t.Errorf("got %d countries, want about 200", n)
	}
	for _, c := range countries {
		if _, ok := plotline.CountryName(c.Code); !ok {
			t.Errorf("%s is not an ISO 3166-1 alpha-3 code", c.Code)
		}
		if len(c.Admin1) == 0 {
			t.Errorf("%s has no admin1 names", c.Code)
		}
	}
	actors := g.Actors()
	if n := len(actors); n < 4500 || n > 5500 {
		t.Errorf("got %d actors, want about 5,000", n)
	}
	ids := map[string]bool{}
	for _, a := range g.PlotlineActors() {
		if errs := a.Validate(); len(errs) > 0 {
			t.Fatalf("actor %s: %v", a.ID, errs[0])
		}
		if ids[a.ID] {
			t.Fatalf("actor ID %s twice", a.ID)
		}
		ids[a.ID] = true
	}
	src := gen.Source()
	if errs := src.Validate(); len(errs) > 0 {
		t.Fatalf("source: %v", errs[0])
	}
}

// TestDistributions checks the shape of a small sample: Zipf-skewed
// countries and actors, years growing, notes about 200 characters, events
// in date order inside 1997–2025, coordinates inside the country's box.
func TestDistributions(t *testing.T) {
	const n = 40000
	events, g := all(gen.Config{Seed: 3, Rows: n})
	countries := g.Countries()
	byCountry := map[string]int{}
	byActor := map[int]int{}
	byYear := map[int]int{}
	types := map[string]int{}
	zero, notesLen := 0, 0
	minNotes, maxNotes := math.MaxInt, 0
	for i, e := range events {
		if i > 0 && e.Day < events[i-1].Day {
			t.Fatalf("event %d (%s) comes before event %d (%s)", i, e.Day, i-1, events[i-1].Day)
		}
		byCountry[e.Country]++
		byActor[e.Actor1]++
		byYear[e.Day.Year()]++
		types[e.EventType]++
		if e.Fatalities == 0 {
			zero++
		}
		notesLen += len(e.Notes)
		minNotes, maxNotes = min(minNotes, len(e.Notes)), max(maxNotes, len(e.Notes))
		if !slices.Contains(countryOf(countries, e.Country).Admin1, e.Admin1) {
			t.Fatalf("event %s: admin1 %q is not one of %s's", e.ID, e.Admin1, e.Country)
		}
	}
	if y := events[0].Day.Year(); y != 1997 {
		t.Errorf("first event in %d, want 1997", y)
	}
	if y := events[n-1].Day.Year(); y != 2025 {
		t.Errorf("last event in %d, want 2025", y)
	}
	// Zipf: the top country far above the median one, and the ranking holds.
	top := byCountry[countries[0].Code]
	if share := float64(top) / n; share < 0.08 || share > 0.3 {
		t.Errorf("top country share %.3f, want 0.08–0.3", share)
	}
	if mid := byCountry[countries[100].Code]; top < 50*max(mid, 1) {
		t.Errorf("top country %d events, rank 100 %d: not skewed enough", top, mid)
	}
	if byCountry[countries[1].Code] < byCountry[countries[20].Code] {
		t.Error("rank 2 country has fewer events than rank 21")
	}
	counts := make([]int, 0, len(byActor))
	for _, c := range byActor {
		counts = append(counts, c)
	}
	slices.Sort(counts)
	slices.Reverse(counts)
	if len(counts) < 1000 {
		t.Errorf("only %d distinct actors in %d events", len(counts), n)
	}
	if counts[0] < 100*counts[len(counts)/2] {
		t.Errorf("top actor %d events, median %d: not skewed enough", counts[0], counts[len(counts)/2])
	}
	// Years grow: later years have more events, and steadily.
	if !(byYear[2025] > byYear[2015] && byYear[2015] > byYear[2005] && byYear[2005] > byYear[1997]) {
		t.Errorf("years do not grow: 1997 %d, 2005 %d, 2015 %d, 2025 %d", byYear[1997], byYear[2005], byYear[2015], byYear[2025])
	}
	if avg := notesLen / n; avg < 180 || avg > 240 {
		t.Errorf("notes average %d characters, want about 200", avg)
	}
	if minNotes < 120 || maxNotes > 400 {
		t.Errorf("notes lengths %d–%d, want about 200", minNotes, maxNotes)
	}
	if share := float64(zero) / n; share < 0.5 || share > 0.9 {
		t.Errorf("%.2f of events without fatalities, want most but not all", share)
	}
	for _, et := range gen.EventTypes() {
		if types[et] == 0 {
			t.Errorf("no %s events", et)
		}
	}
	if types["Protests"] < types["Battles"] {
		t.Errorf("protests %d < battles %d: ACLED has more protests", types["Protests"], types["Battles"])
	}
}

func countryOf(cs []gen.Country, code string) gen.Country {
	for _, c := range cs {
		if c.Code == code {
			return c
		}
	}
	return gen.Country{}
}

func TestIncidentsValidate(t *testing.T) {
	events, g := all(gen.Config{Seed: 5, Rows: 3000})
	seen := map[string]bool{}
	attrs := 0
	for _, e := range events {
		in := g.Incident(&e)
		if errs := in.Validate(); len(errs) > 0 {
			t.Fatalf("incident %s: %v", in.ID, errs[0])
		}
		if seen[in.ID] {
			t.Fatalf("incident ID %s twice", in.ID)
		}
		seen[in.ID] = true
		if in.Origin != gen.Origin || in.Killed.Best == nil || *in.Killed.Best != e.Fatalities || in.Summary != e.Notes {
			t.Fatalf("incident %s does not carry the event: %+v", in.ID, in)
		}
		if n := len(in.Attributions); n < 1 || n > 2 {
			t.Fatalf("incident %s has %d attributions, want 1 or 2", in.ID, n)
		}
		attrs += len(in.Attributions)
		for _, a := range in.Attributions {
			if a.Basis != plotline.BasisMedia {
				t.Fatalf("attribution %s basis %q, want media", a.ID, a.Basis)
			}
		}
	}
	if attrs == len(events) {
		t.Error("no incident has a second attribution")
	}
}

func TestCSVLayouts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cols  int
		write func(*gen.Generator, *bytes.Buffer) error
	}{
		{"acled", 31, func(g *gen.Generator, b *bytes.Buffer) error { return g.WriteACLED(context.Background(), b, nil) }},
		{"gtd", 135, func(g *gen.Generator, b *bytes.Buffer) error { return g.WriteGTD(context.Background(), b, nil) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.write(gen.New(gen.Config{Seed: 2, Rows: 500, Violent: tc.name == "gtd"}), &b); err != nil {
				t.Fatal(err)
			}
			recs, err := csv.NewReader(&b).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 501 {
				t.Fatalf("got %d records, want header + 500", len(recs))
			}
			for i, r := range recs {
				if len(r) != tc.cols {
					t.Fatalf("record %d has %d columns, want %d", i, len(r), tc.cols)
				}
			}
			if tc.name == "gtd" {
				ids := map[string]bool{}
				for _, r := range recs[1:] {
					if len(r[0]) != 12 || ids[r[0]] {
						t.Fatalf("eventid %q is not a new 12-digit GTD id", r[0])
					}
					ids[r[0]] = true
					if strings.HasPrefix(r[slices.Index(gen.GTDColumns, "gname")], "Military Forces") || strings.HasPrefix(r[slices.Index(gen.GTDColumns, "gname")], "Police Forces") {
						t.Fatalf("gname %q: state forces as a GTD perpetrator", r[slices.Index(gen.GTDColumns, "gname")])
					}
				}
			}
		})
	}
}

func TestViolentOnly(t *testing.T) {
	events, _ := all(gen.Config{Seed: 4, Rows: 3000, Violent: true})
	for _, e := range events {
		switch e.EventType {
		case "Battles", "Explosions/Remote violence", "Violence against civilians":
		default:
			t.Fatalf("event %s is %s in violent-only mode", e.ID, e.EventType)
		}
	}
}

func BenchmarkNext(b *testing.B) {
	g := gen.New(gen.Config{Seed: 1, Rows: math.MaxInt})
	for b.Loop() {
		g.Next()
	}
}
