package stix

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/export"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// examplesDir holds the OASIS example bundles (see its ../PROVENANCE.md);
// read in place, never copied into the repository.
const examplesDir = "../../../../shared/data/stix2-json-schemas/examples"

// examplesURL is where those examples are published, at the commit PROVENANCE.md names.
const examplesURL = "https://github.com/oasis-open/cti-stix2-json-schemas/blob/3bf9e69dc18dbbe995676c5dde027ead76e2b6fa/examples/"

func openDB(t testing.TB) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "plotline.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func apply(t testing.TB, db *sqlite.DB, b *plotline.Batch) {
	t.Helper()
	if _, err := db.Apply(context.Background(), b); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }

// fixture is the storetest fixture plus a restricted source, a cell under
// ISKP with a dated affiliation, and a foiled plot with graded statements.
func fixture() *plotline.Batch {
	b := storetest.Fixture()
	b.Sources = append(b.Sources,
		plotline.Source{ID: "s3", Publisher: "Court", Title: "Judgment", URL: "https://example.org/s3", Language: "de",
			Published: plotline.MustDate("2024-Q2"), Kind: "court", Reliability: "A", Credibility: "1", TLP: "green",
			SHA256: strings.Repeat("0f", 32), ArchiveURL: "https://archive.example.org/s3"},
		plotline.Source{ID: "s4", Publisher: "Partner", Title: "Restricted", URL: "https://example.org/s4", Kind: "research", TLP: "red"})
	b.Actors = append(b.Actors, plotline.Actor{ID: "cell-x", Name: "Cell X", Kind: "cell", Sources: []string{"s3"},
		Aliases: []plotline.Alias{{Name: "X", Weak: true}}, Founded: plotline.MustDate("2023"), Home: []plotline.HomeCountry{{Country: "DEU", From: plotline.MustDate("2023-05")}}})
	b.Affiliations = append(b.Affiliations, plotline.Affiliation{ID: "cell-x-in-iskp", ChildID: "cell-x", ParentID: "is-khorasan",
		From: plotline.MustDate("2023"), To: plotline.MustDate("2024-03"), Sources: []string{"s3"}, Note: "per the judgment"})
	b.Incidents[0].Attributions[1].SupersededOn = plotline.MustDate("2024-02-05")
	b.Incidents[0].Attributions[2].Likelihood = "likely"
	b.Incidents = append(b.Incidents, plotline.Incident{ID: "plot-x", Title: "Foiled plot", Kind: "plot", Outcome: "foiled",
		Stage: "preparation", Date: plotline.MustDate("2024-03"), Disclosed: plotline.MustDate("2024-04-02"),
		Location: plotline.Location{Country: "DEU", Precision: "country"}, TargetCountry: "SWE", Weapons: []string{"knife"},
		Injured: plotline.Range{Low: ptr(0), High: ptr(2)}, Arrests: ptr(3), Sources: []string{"s3", "s4"},
		Attributions: []plotline.Attribution{
			{ID: "plot-x/court", ActorID: "cell-x", Basis: "court", AssertedBy: "Higher Regional Court", StatedOn: plotline.MustDate("2024-04-02"),
				Link: "guided", Confidence: "high", Sources: []plotline.SourceRef{{ID: "s3", Reliability: "A", Credibility: "1"}}, Note: "convicted"},
			{ID: "plot-x/partner", ActorID: "is-khorasan", Basis: "analyst", AssertedBy: "Partner", StatedOn: plotline.MustDate("2024-04"),
				Link: "unknown", Sources: []plotline.SourceRef{{ID: "s4"}}},
		}})
	return b
}

func exportSTIX(t *testing.T, db *sqlite.DB, asOf, rule, maxTLP string) []byte {
	t.Helper()
	snap, err := db.Snapshot(context.Background(), plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	opt := export.Options{Day: plotline.DayOf(now), Stamp: now, MaxTLP: maxTLP, Rule: rule}
	if asOf != "" {
		d, err := plotline.ParseDay(asOf)
		if err != nil {
			t.Fatal(err)
		}
		opt.AsOf, opt.Day, opt.Stamp = &d, d, d.EndTime()
	}
	if rule != "" {
		r, err := analysis.ParseRule(rule)
		if err != nil {
			t.Fatal(err)
		}
		opt.Counted = r.Counted
	}
	d, err := export.Select(snap, opt)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := export.WriteSTIX(&buf, d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRoundTrip: export to STIX, import into an empty database, export again.
func TestRoundTrip(t *testing.T) {
	src := openDB(t)
	apply(t, src, fixture())
	for _, tt := range []struct{ asOf, rule, maxTLP string }{
		{"", "", ""}, {"2024-01-30", "", ""}, {"", "claims", ""}, {"", "best", "red"}, {"2024-04-30", "official", "amber"},
	} {
		t.Run(tt.asOf+"/"+tt.rule+"/"+tt.maxTLP, func(t *testing.T) {
			first := exportSTIX(t, src, tt.asOf, tt.rule, tt.maxTLP)
			res, err := Read(bytes.NewReader(first), Options{File: "first.json"})
			if err != nil {
				t.Fatal(err)
			}
			if n := res.Rejected(); n != 0 {
				t.Fatalf("%d objects of our own export rejected: %+v", n, res.Skipped)
			}
			dst := openDB(t)
			apply(t, dst, res.Batch)
			second := exportSTIX(t, dst, tt.asOf, tt.rule, tt.maxTLP)
			if !bytes.Equal(first, second) {
				t.Errorf("second export differs from the first:\n%s", diff(first, second))
			}
		})
	}
}

func diff(a, b []byte) string {
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return "first:  " + la[i] + "\nsecond: " + lb[i]
		}
	}
	return "lengths differ"
}

func TestPartnerBundle(t *testing.T) {
	f, err := os.Open("testdata/partner.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := Read(f, Options{File: "partner.json"})
	if err != nil {
		t.Fatal(err)
	}
	b := res.Batch
	var actors, sources []string
	for _, a := range b.Actors {
		actors = append(actors, a.ID)
	}
	for _, s := range b.Sources {
		sources = append(sources, s.ID+"="+s.TLP)
	}
	if want := []string{"threat-actor--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}; !slices.Equal(actors, want) {
		t.Errorf("actors %v; want %v (the unsourced intrusion set rejected)", actors, want)
	}
	if a := b.Actors[0]; a.Kind != "core" || len(a.Aliases) != 2 || a.Aliases[0].Name != "ISKP" || len(a.Sources) != 2 {
		t.Errorf("actor = %+v; want core with 2 aliases and 2 sources (the report and its own reference)", a)
	}
	wantSrc := []string{"report--2f1a7c1e-8d5b-4c2a-9a4f-6c1b2d3e4f50=amber", "s1=clear", "url:" + b.Sources[2].ID[4:] + "=amber"}
	if !slices.Equal(sources, wantSrc) {
		t.Errorf("sources %v; want %v", sources, wantSrc)
	}
	if len(b.Incidents) != 1 || b.Incidents[0].ID != "istanbul" {
		t.Fatalf("incidents %+v; want istanbul only", b.Incidents)
	}
	as := b.Incidents[0].Attributions
	if len(as) != 2 {
		t.Fatalf("statements %+v; want the relationship and the opinion", as)
	}
	rel, op := as[0], as[1]
	if rel.Basis != "analyst" || rel.AssertedBy != "Example Research Desk" || rel.StatedOn.String() != "2024-02-10" ||
		rel.Likelihood != "likely" || rel.Sources[0].ID != "report--2f1a7c1e-8d5b-4c2a-9a4f-6c1b2d3e4f50" {
		t.Errorf("relationship statement = %+v", rel)
	}
	if op.AssertedBy != "A. Analyst" || op.Likelihood != "unlikely" || op.StatedOn.String() != "2024-02-12" || op.ActorID != rel.ActorID {
		t.Errorf("opinion statement = %+v", op)
	}
	reasons := map[string]bool{}
	for _, s := range res.Skipped {
		reasons[s.Type+"/"+map[bool]string{true: "rejected", false: "ignored"}[s.Rejected]] = true
	}
	for _, want := range []string{"intrusion-set/rejected", "incident/rejected", "relationship/ignored", "indicator/ignored"} {
		if !reasons[want] {
			t.Errorf("no %s object in skipped %+v", want, res.Skipped)
		}
	}
	db := openDB(t)
	apply(t, db, b) // the batch must be consistent for the store
}

func TestExamples(t *testing.T) {
	if _, err := os.Stat(examplesDir); err != nil {
		t.Skipf("OASIS STIX examples not found at %s: %v", examplesDir, err)
	}
	tests := []struct {
		file      string
		bundleURL bool
		actors    int
		sources   int
		rejected  int
		wantErr   bool
	}{
		{file: "threat-reports/apt1.json", bundleURL: true, actors: 6, sources: 1},
		{file: "threat-reports/apt1.json", actors: 0, sources: 0, rejected: 7}, // report and 6 actors: nothing to cite
		{file: "threat-reports/poisonivy.json", bundleURL: true, sources: 1},
		{file: "indicator-for-c2-ip-address.json"},
		{file: "indicator-to-campaign-relationship.json"},
		{file: "indicators-for-C2-with-COA.json"},
		{file: "infrastructure.json"},
		{file: "malicious-email-indicator-with-attachment.json"},
		{file: "interop-objectmarking-test.json", wantErr: true}, // a lone campaign, not a bundle
	}
	for _, tt := range tests {
		name := tt.file
		if tt.bundleURL {
			name += "+url"
		}
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(examplesDir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			opt := Options{File: tt.file}
			if tt.bundleURL {
				opt.BundleURL = examplesURL + tt.file
			}
			res, err := Read(f, opt)
			if tt.wantErr {
				if plotline.ErrorCode(err) != plotline.EINVALID {
					t.Errorf("err %v; want EINVALID", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Batch.Actors) != tt.actors || len(res.Batch.Sources) != tt.sources || res.Rejected() != tt.rejected {
				t.Errorf("actors %d sources %d rejected %d; want %d %d %d (skipped %+v)", len(res.Batch.Actors),
					len(res.Batch.Sources), res.Rejected(), tt.actors, tt.sources, tt.rejected, res.Skipped)
			}
			if len(res.Skipped)+len(res.Batch.Actors)+len(res.Batch.Sources) == 0 {
				t.Errorf("nothing read or skipped from %d objects", res.Objects)
			}
			apply(t, openDB(t), res.Batch)
		})
	}
}

func TestAPT1Mapping(t *testing.T) {
	f, err := os.Open(filepath.Join(examplesDir, "threat-reports/apt1.json"))
	if err != nil {
		t.Skipf("OASIS STIX examples not found: %v", err)
	}
	defer f.Close()
	res, err := Read(f, Options{BundleURL: examplesURL + "threat-reports/apt1.json"})
	if err != nil {
		t.Fatal(err)
	}
	var apt1 *plotline.Actor
	for i, a := range res.Batch.Actors {
		if a.Name == "APT1" {
			apt1 = &res.Batch.Actors[i]
		}
	}
	// Checked by hand against the file: the intrusion set APT1 has the
	// aliases Comment Crew, Comment Group and Shady Rat, and the report
	// "APT1: Exposing One of China's Cyber Espionage Units" lists it.
	if apt1 == nil || apt1.ID != "intrusion-set--da1065ce-972c-4605-8755-9cd1074e3b5a" || apt1.Kind != "network" ||
		len(apt1.Aliases) != 3 || apt1.Aliases[2].Name != "Shady Rat" || apt1.Sources[0] != "report--e33ffe07-2f4c-48d8-b0af-ee2619d765cf" {
		t.Errorf("APT1 = %+v", apt1)
	}
	s := res.Batch.Sources[0]
	if s.Title != "APT1: Exposing One of China's Cyber Espionage Units" || s.Published.String() != "2013-02-19" || s.TLP != "green" {
		t.Errorf("report source = %+v", s)
	}
}

func TestBadInput(t *testing.T) {
	good, err := os.ReadFile("testdata/partner.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, field string
	}{
		{"truncated", string(good[:len(good)/2]), ""},
		{"not a bundle", `{"type":"campaign","id":"campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061"}`, "type"},
		{"object without id", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"report"}]}`, "objects[0]"},
		{"type is a number", `{"type":"bundle","objects":[{"type":7,"id":"x"}]}`, "objects[0]"},
		{"timestamp is a number", `[{"type":"report","spec_version":"2.1","id":"report--2f1a7c1e-8d5b-4c2a-9a4f-6c1b2d3e4f50","created":1,"modified":1,"name":"r","published":1,"object_refs":["x--1"]}]`, "objects[0]"},
		{"duplicate id", `[{"type":"identity","id":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","name":"a"},{"type":"identity","id":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","name":"b"}]`, "objects[1].id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in), Options{File: "bad.json"})
			var pe *plotline.Error
			if plotline.ErrorCode(err) != plotline.EINVALID || !asError(err, &pe) || pe.File != "bad.json" || pe.Field != tt.field {
				t.Errorf("err %v (%+v); want EINVALID in bad.json at %q", err, pe, tt.field)
			}
		})
	}
}
