package export

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/plotline-dev/plotline/internal/storetest"
)

var stamp0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func openDB(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "plotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func snapshotOf(t testing.TB, b *plotline.Batch) *plotline.Snapshot {
	t.Helper()
	db := openDB(t)
	if _, err := db.Apply(context.Background(), b); err != nil {
		t.Fatalf("apply: %v", err)
	}
	snap, err := db.Snapshot(context.Background(), plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func day(s string) *plotline.Day {
	d, err := plotline.ParseDay(s)
	if err != nil {
		panic(err)
	}
	return &d
}

// options builds Options as cmd/plotline does from flags.
func options(asOf, rule, maxTLP string) Options {
	o := Options{Day: plotline.DayOf(stamp0), MaxTLP: maxTLP, Rule: rule, Stamp: stamp0,
		// One link between two incidents of the fixture (exported when both
		// are), one naming an incident that is in no export (never written).
		Links: [][2]string{{"plot-2024-03", "istanbul"}, {"istanbul", "nowhere"}}}
	if asOf != "" {
		o.AsOf = day(asOf)
		o.Day = *o.AsOf
		o.Stamp = o.AsOf.EndTime()
	}
	if rule != "" {
		r, err := analysis.ParseRule(rule)
		if err != nil {
			panic(err)
		}
		o.Counted = r.Counted
	}
	return o
}

func statementIDs(d *Data) []string {
	var out []string
	for _, in := range d.Incidents {
		for _, a := range in.Attributions {
			out = append(out, a.ID)
		}
	}
	return out
}

func actorIDs(d *Data) []string {
	var out []string
	for _, a := range d.Actors {
		out = append(out, a.ID)
	}
	return out
}

func TestSelect(t *testing.T) {
	redISKP := storetest.Fixture()
	redISKP.Sources[1].TLP = "red" // s2 alone supports the ISKP statement
	tests := []struct {
		name             string
		batch            *plotline.Batch
		opt              Options
		filter           func(*plotline.Incident) bool
		wantStatements   []string
		wantActors       []string
		wantSources      []string
		wantIncidents    int
		wantWithheldStmt int
	}{
		{name: "everything", batch: storetest.Fixture(), opt: options("", "", ""),
			wantStatements: []string{"istanbul/claim", "istanbul/gov-is", "istanbul/gov-iskp"},
			wantActors:     []string{"is", "is-khorasan", "is-turkey"}, wantSources: []string{"s1", "s2"}, wantIncidents: 1},
		{name: "as of 30 January has no ISKP statement", batch: storetest.Fixture(), opt: options("2024-01-30", "", ""),
			wantStatements: []string{"istanbul/claim", "istanbul/gov-is"},
			wantActors:     []string{"is", "is-turkey"}, wantSources: []string{"s1"}, wantIncidents: 1},
		{name: "rule claims keeps only the claim", batch: storetest.Fixture(), opt: options("", "claims", ""),
			wantStatements: []string{"istanbul/claim"}, wantActors: []string{"is", "is-turkey"}, wantSources: []string{"s1"}, wantIncidents: 1},
		{name: "rule official as of 30 January", batch: storetest.Fixture(), opt: options("2024-01-30", "official", ""),
			wantStatements: []string{"istanbul/gov-is"}, wantActors: []string{"is"}, wantSources: []string{"s1"}, wantIncidents: 1},
		{name: "before the attack nothing is public", batch: storetest.Fixture(), opt: options("2024-01-27", "", "")},
		{name: "TLP:RED source withheld by default", batch: redISKP, opt: options("", "", ""),
			wantStatements: []string{"istanbul/claim", "istanbul/gov-is"}, wantActors: []string{"is", "is-turkey"},
			wantSources: []string{"s1"}, wantIncidents: 1, wantWithheldStmt: 1},
		{name: "TLP:RED allowed explicitly", batch: redISKP, opt: options("", "", "red"),
			wantStatements: []string{"istanbul/claim", "istanbul/gov-is", "istanbul/gov-iskp"},
			wantActors:     []string{"is", "is-khorasan", "is-turkey"}, wantSources: []string{"s1", "s2"}, wantIncidents: 1},
		{name: "filter sees no statement resting on a restricted source", batch: redISKP, opt: options("", "", ""),
			filter: func(in *plotline.Incident) bool {
				return slices.ContainsFunc(in.Attributions, func(a plotline.Attribution) bool { return a.ActorID == "is-khorasan" })
			}, wantWithheldStmt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Filter = tt.filter
			d, err := Select(snapshotOf(t, tt.batch), tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := statementIDs(d); !slices.Equal(got, tt.wantStatements) {
				t.Errorf("statements %v; want %v", got, tt.wantStatements)
			}
			if got := actorIDs(d); len(tt.wantActors) > 0 && !slices.Equal(got, tt.wantActors) {
				t.Errorf("actors %v; want %v", got, tt.wantActors)
			}
			var srcs []string
			for _, s := range d.Sources {
				srcs = append(srcs, s.ID)
			}
			if len(tt.wantSources) > 0 && !slices.Equal(srcs, tt.wantSources) {
				t.Errorf("sources %v; want %v", srcs, tt.wantSources)
			}
			if len(d.Incidents) != tt.wantIncidents {
				t.Errorf("%d incidents; want %d", len(d.Incidents), tt.wantIncidents)
			}
			if d.Withheld.Attributions != tt.wantWithheldStmt {
				t.Errorf("withheld %d statements; want %d", d.Withheld.Attributions, tt.wantWithheldStmt)
			}
			if len(d.Affiliations) > len(d.Actors) {
				t.Errorf("%d affiliations among %d actors", len(d.Affiliations), len(d.Actors))
			}
		})
	}
}

func TestSelectRejectsUnknownTLP(t *testing.T) {
	_, err := Select(&plotline.Snapshot{}, Options{MaxTLP: "purple"})
	if plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("max-tlp purple: err %v; want EINVALID", err)
	}
	for in, want := range map[string]string{"": "green", "TLP:RED": "red", "Amber+Strict": "amber+strict"} {
		if got, err := ParseTLP(in); err != nil || got != want {
			t.Errorf("ParseTLP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// format is one export format with its writer and, where it has one, its reader.
type format struct {
	name  string
	write func(t *testing.T, d *Data) []byte
	read  func(t *testing.T, b []byte) *Data
}

func formats() []format {
	return []format{
		{"json", func(t *testing.T, d *Data) []byte {
			var b bytes.Buffer
			if err := WriteJSON(&b, d); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}, func(t *testing.T, b []byte) *Data {
			d, err := ReadJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			return d
		}},
		{"csv", func(t *testing.T, d *Data) []byte {
			dir := t.TempDir()
			if err := WriteCSV(dir, d); err != nil {
				t.Fatal(err)
			}
			return readDir(t, dir)
		}, nil},
		{"geojson", func(t *testing.T, d *Data) []byte {
			var b bytes.Buffer
			if err := WriteGeoJSON(&b, d); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}, func(t *testing.T, b []byte) *Data {
			d, err := ReadGeoJSON(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			return d
		}},
		{"stix", func(t *testing.T, d *Data) []byte {
			var b bytes.Buffer
			if err := WriteSTIX(&b, d); err != nil {
				t.Fatal(err)
			}
			return b.Bytes()
		}, nil},
	}
}

// readDir concatenates a CSV export folder's files, named, in name order.
func readDir(t *testing.T, dir string) []byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out.WriteString("== " + filepath.Base(n) + "\n")
		out.Write(b)
	}
	return out.Bytes()
}

// TestRestrictedSourceNeverWritten checks every format for the TLP:RED
// source's URL and for the actor only it names.
func TestRestrictedSourceNeverWritten(t *testing.T) {
	b := storetest.Fixture()
	b.Sources[1].TLP = "red"
	snap := snapshotOf(t, b)
	for _, f := range formats() {
		t.Run(f.name, func(t *testing.T) {
			for _, max := range []string{"", "amber+strict"} {
				d, err := Select(snap, options("", "", max))
				if err != nil {
					t.Fatal(err)
				}
				out := f.write(t, d)
				for _, leak := range []string{"example.org/s2", "is-khorasan", "Turkish security services"} {
					if bytes.Contains(out, []byte(leak)) {
						t.Errorf("max-tlp %q: %s export contains %q from a TLP:RED source", max, f.name, leak)
					}
				}
			}
			d, err := Select(snap, options("", "", "red"))
			if err != nil {
				t.Fatal(err)
			}
			if out := f.write(t, d); !bytes.Contains(out, []byte("Turkish security services")) || !bytes.Contains(out, []byte("is-khorasan")) {
				t.Errorf("max-tlp red: %s export lacks the restricted statement", f.name)
			}
		})
	}
}

// TestRoundTrip exports, reads the export back into an empty database and
// exports again: the two exports must be byte for byte the same.
func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	snap := snapshotOf(t, richFixture())
	readers := map[string]func(t *testing.T, dir string, b []byte) *Data{
		"json":    func(t *testing.T, _ string, b []byte) *Data { return formats()[0].read(t, b) },
		"geojson": func(t *testing.T, _ string, b []byte) *Data { return formats()[2].read(t, b) },
	}
	for _, opt := range []Options{options("", "", ""), options("2024-01-30", "", ""), options("", "claims", ""), options("", "", "red")} {
		for _, f := range []string{"json", "csv", "geojson"} {
			t.Run(f+"/"+opt.Rule+opt.MaxTLP+asOfName(opt), func(t *testing.T) {
				d1, err := Select(snap, opt)
				if err != nil {
					t.Fatal(err)
				}
				var first []byte
				var back *Data
				if f == "csv" {
					dir := t.TempDir()
					if err := WriteCSV(dir, d1); err != nil {
						t.Fatal(err)
					}
					first = readDir(t, dir)
					if back, err = ReadCSV(dir); err != nil {
						t.Fatal(err)
					}
				} else {
					first = writeFormat(t, f, d1)
					back = readers[f](t, "", first)
				}
				if f != "geojson" && !reflect.DeepEqual(back.Links, d1.Links) {
					t.Errorf("links read back %v; written %v", back.Links, d1.Links)
				}
				if f == "geojson" {
					// GeoJSON carries incidents only; field-level comparison
					// first, then the cited records come from the original.
					if !reflect.DeepEqual(back.Incidents, d1.Incidents) {
						t.Fatalf("geojson read-back differs:\n got %+v\nwant %+v", back.Incidents, d1.Incidents)
					}
					back.Sources, back.Actors, back.Affiliations = d1.Sources, d1.Actors, d1.Affiliations
				}
				db := openDB(t)
				if _, err := db.Apply(ctx, back.Batch("test", "re-import")); err != nil {
					t.Fatalf("re-import: %v", err)
				}
				snap2, err := db.Snapshot(ctx, plotline.AsOf{})
				if err != nil {
					t.Fatal(err)
				}
				d2, err := Select(snap2, opt)
				if err != nil {
					t.Fatal(err)
				}
				var second []byte
				if f == "csv" {
					dir := t.TempDir()
					if err := WriteCSV(dir, d2); err != nil {
						t.Fatal(err)
					}
					second = readDir(t, dir)
				} else {
					second = writeFormat(t, f, d2)
				}
				if !bytes.Equal(first, second) {
					t.Errorf("second export differs from the first:\n%s", firstDiff(first, second))
				}
			})
		}
	}
}

func asOfName(o Options) string {
	if o.AsOf == nil {
		return ""
	}
	return "asof" + o.AsOf.String()
}

func writeFormat(t *testing.T, name string, d *Data) []byte {
	for _, f := range formats() {
		if f.name == name {
			return f.write(t, d)
		}
	}
	t.Fatalf("no format %s", name)
	return nil
}

// firstDiff shows the first differing line of two outputs.
func firstDiff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\n first: " + la[i] + "\nsecond: " + lb[i]
		}
	}
	return "lengths differ: " + strconv.Itoa(len(la)) + " and " + strconv.Itoa(len(lb)) + " lines"
}

func ptr[T any](v T) *T { return &v }

// richFixture is the storetest fixture with every optional field set
// somewhere: fuzzy dates, ranges, escaped list items, likelihoods, grades,
// a superseded statement, a plot without coordinates, restricted sources.
func richFixture() *plotline.Batch {
	b := storetest.Fixture()
	b.Sources = append(b.Sources,
		plotline.Source{ID: "s3", Publisher: "Ministry; of \"Quotes\"", Title: "Statement, with comma\nand newline", URL: "https://example.org/s3?a=1&b=2",
			Language: "tr", Published: plotline.MustDate("2024-02"), Kind: "government", Reliability: "B", Credibility: "2", TLP: "green",
			ArchiveURL: "https://archive.example.org/s3", SHA256: strings.Repeat("ab", 32)},
		plotline.Source{ID: "s4", Publisher: "Partner", Title: "Restricted note", URL: "https://example.org/s4", Kind: "research", TLP: "red"},
		plotline.Source{ID: "s5", Publisher: "Court", Title: "Judgment", URL: "https://example.org/s5", Kind: "court", TLP: "amber"})
	b.Actors[1].Founded = plotline.MustDate("2015-Q1")
	b.Actors[1].Home[0].From = plotline.MustDate("2015")
	b.Actors[1].Note = "Wilayat Khurasan"
	b.Actors = append(b.Actors, plotline.Actor{ID: "cell-x", Name: "Cell X", Kind: "cell", Sources: []string{"s3", "s4"},
		Founded: plotline.MustDate("2023-01-01..2023-06-30"), Dissolved: plotline.MustDate("2024-03-01")})
	b.Affiliations = append(b.Affiliations, plotline.Affiliation{ID: "cell-x-in-iskp", ChildID: "cell-x", ParentID: "is-khorasan",
		From: plotline.MustDate("2023"), To: plotline.MustDate("2024-03"), Sources: []string{"s3"}, Note: "per indictment"})
	in := &b.Incidents[0]
	in.Disclosed = plotline.MustDate("2024-01-28")
	in.Summary = "Two gunmen; one worshipper killed."
	in.Weapons = []string{"firearm", "semi;colon\\slash"}
	in.Tags = []string{"church", "h1-2024"}
	in.Injured = plotline.Range{Low: ptr(0), Best: ptr(1), High: ptr(3)}
	in.Perpetrators, in.Arrests = ptr(2), ptr(47)
	in.Documentation, in.EventType, in.Location.Admin1 = "strong", "armed assault", "Istanbul"
	in.Sources = append(in.Sources, "s3", "s4")
	in.Attributions[1].SupersededOn = plotline.MustDate("2024-02-05")
	in.Attributions[1].Likelihood, in.Attributions[1].Confidence = "likely", "moderate"
	in.Attributions[2].Sources = append(in.Attributions[2].Sources, plotline.SourceRef{ID: "s3", Credibility: "2"}, plotline.SourceRef{ID: "s4"})
	in.Attributions[2].Note = "named in the indictment"
	b.Incidents = append(b.Incidents, plotline.Incident{ID: "plot-2024-03", Title: "Foiled plot", Kind: "plot", Outcome: "foiled",
		Stage: "preparation", Date: plotline.MustDate("2024-03"), Disclosed: plotline.MustDate("2024-04-02"),
		Location: plotline.Location{Country: "DEU", Precision: "country"}, TargetCountry: "SWE", Sources: []string{"s3", "s5"},
		Attributions: []plotline.Attribution{
			{ID: "plot-2024-03/court", ActorID: "cell-x", Basis: "court", AssertedBy: "Higher Regional Court", StatedOn: plotline.MustDate("2024-04-02"),
				Link: "guided", Likelihood: "almost-certain", Sources: []plotline.SourceRef{{ID: "s5", Reliability: "A", Credibility: "1"}}},
			{ID: "plot-2024-03/media", ActorID: "is-khorasan", Basis: "media", AssertedBy: "Example News", StatedOn: plotline.MustDate("2024-Q2"),
				Link: "unknown", RetractedOn: plotline.MustDate("2024-07-01"), Sources: []plotline.SourceRef{{ID: "s3", Reliability: "C", Credibility: "3"}}},
		}})
	return b
}

// TestSTIXValidates checks STIX exports against the official STIX 2.1 JSON
// schemas, for several selections of the rich fixture.
func TestSTIXValidates(t *testing.T) {
	bundle, byType := stixSchemas(t) // compiled once: it is the slow part
	snap := snapshotOf(t, richFixture())
	for _, opt := range []Options{options("", "", ""), options("2024-01-30", "claims", ""), options("", "", "red")} {
		d, err := Select(snap, opt)
		if err != nil {
			t.Fatal(err)
		}
		out := writeFormat(t, "stix", d)
		validateSTIX(t, bundle, byType, out)
		if t.Failed() {
			t.Logf("bundle:\n%s", out)
			return
		}
	}
}

func TestSTIXConfidence(t *testing.T) {
	tests := []struct {
		a    plotline.Attribution
		want int
		ok   bool
	}{
		{plotline.Attribution{Likelihood: "almost-certain", Confidence: "low"}, 95, true},
		{plotline.Attribution{Likelihood: "roughly-even-chance"}, 50, true},
		{plotline.Attribution{Confidence: "high"}, 85, true},
		{plotline.Attribution{Sources: []plotline.SourceRef{{Credibility: "3"}, {Credibility: "2"}}}, 70, true},
		{plotline.Attribution{Sources: []plotline.SourceRef{{Credibility: "6"}}}, 0, false},
		{plotline.Attribution{}, 0, false},
	}
	for _, tt := range tests {
		got, ok := StatementConfidence(&tt.a)
		if got != tt.want || ok != tt.ok {
			t.Errorf("StatementConfidence(%+v) = %d, %v; want %d, %v", tt.a, got, ok, tt.want, tt.ok)
		}
	}
	for _, l := range plotline.Likelihoods {
		v, _ := LikelihoodConfidence(l)
		if back := ConfidenceLikelihood(v); back != l {
			t.Errorf("likelihood %s -> %d -> %s", l, v, back)
		}
	}
}

// TestLinksExported: a link between two exported incidents is written in
// every format that carries links; one to an incident left out is not.
func TestLinksExported(t *testing.T) {
	snap := snapshotOf(t, richFixture())
	d, err := Select(snap, options("", "", "red"))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"istanbul", "plot-2024-03"}}
	if !reflect.DeepEqual(d.Links, want) {
		t.Fatalf("links %v; want %v", d.Links, want)
	}
	stixOut := string(writeFormat(t, "stix", d))
	rel := `"relationship_type": "duplicate-of",
      "source_ref": "` + STIXID("incident", plotline.RecIncident, "plot-2024-03") + `",
      "target_ref": "` + STIXID("incident", plotline.RecIncident, "istanbul") + `"`
	if !strings.Contains(stixOut, rel) {
		t.Errorf("STIX bundle lacks the duplicate-of relationship %s", rel)
	}
	if j := string(writeFormat(t, "json", d)); !strings.Contains(j, `"linked_as_one": [`) || !strings.Contains(j, `"plot-2024-03"`) {
		t.Errorf("JSON lacks linked_as_one")
	}
	dir := t.TempDir()
	if err := WriteCSV(dir, d); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "links.csv")); err != nil || string(b) != "a,b\nistanbul,plot-2024-03\n" {
		t.Errorf("links.csv: %q, %v", b, err)
	}
	// Before the plot was public it is not exported, nor is its link.
	early, err := Select(snap, options("2024-01-30", "", "red"))
	if err != nil {
		t.Fatal(err)
	}
	if len(early.Links) != 0 {
		t.Errorf("links as of 2024-01-30: %v; want none", early.Links)
	}
}
