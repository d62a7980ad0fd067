package csvmap_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/ingest/csvmap"
	"github.com/plotline-dev/plotline/internal/ingest/ingesttest"
)

func TestImportWithMapping(t *testing.T) {
	m, err := csvmap.OpenMapping("testdata/plots.yaml")
	if err != nil {
		t.Fatal(err)
	}
	db := ingesttest.OpenDB(t)
	r, err := csvmap.Open("testdata/plots.csv", m)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sum, err := ingesttest.Run(t, db, m.AsDataset(), r, ingest.Options{File: "plots.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 3 {
		t.Fatalf("summary %+v", sum)
	}
	ctx := context.Background()
	in, err := db.Incident(ctx, "teamsheet:c-001", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Date.String() != "2023-05-03" || in.Kind != "attack" || in.Outcome != "completed" || in.Location.Country != "DEU" ||
		*in.Killed.Best != 2 || in.OriginID != "C-001" || len(in.Attributions) != 1 || in.Attributions[0].ActorID != "is-khorasan" ||
		in.Attributions[0].Basis != "analyst" || in.Title == "" {
		t.Errorf("c-001 = %+v", in)
	}
	in, err = db.Incident(ctx, "teamsheet:c-002", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	// "ISKP" alone is a weak alias and Austria is not ISKP's home: it is not
	// matched; "Wilayat Khurasan" is a strong alias.
	actors := map[string]bool{}
	for _, a := range in.Attributions {
		actors[a.ActorID] = true
	}
	if in.Kind != "plot" || in.Outcome != "foiled" || in.Date.String() != "2023-06" || in.Killed.Best != nil ||
		!actors["is-khorasan"] || len(actors) != 2 {
		t.Errorf("c-002 = %+v", in)
	}
	pending, err := db.PendingNames(ctx, "teamsheet")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]plotline.PendingName{}
	for _, p := range pending {
		names[p.Name] = p
	}
	if p, ok := names["ISKP"]; !ok || p.Suggestion != "is-khorasan" {
		t.Errorf("ISKP pending %+v; want it pending with the suggestion is-khorasan", names)
	}
	if _, ok := names["Unbekannte Gruppe"]; !ok || len(names) != 2 {
		t.Errorf("pending %+v; want ISKP and Unbekannte Gruppe", names)
	}
}

func TestMappingErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/plots.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to string
		want           []string
	}{
		{"unknown key", "date_format:", "date_fromat:", []string{`plots.yaml:9: unknown key "date_fromat" (valid keys: `, "columns", "date_format"}},
		{"unknown source key", "  publisher:", "  publsher:", []string{`plots.yaml:4: unknown key "source.publsher" (valid keys in source: publisher, title, url, kind, tlp)`}},
		{"unknown attribution key", "  basis:", "  bases:", []string{`plots.yaml:27: unknown key "attribution.bases"`}},
		{"bad default kind", "split:", "defaults:\n  kind: plott\nsplit:", []string{`plots.yaml:25: defaults.kind: "plott" is not one of attack, plot`}},
		{"bad default outcome", "split:", "defaults:\n  stage: planning\n  outcome: done\nsplit:", []string{`plots.yaml:26: defaults.outcome: "done" is not one of`}},
		{"bad default country", "split:", "defaults:\n  country: Narnia\nsplit:", []string{`plots.yaml:25: defaults.country: "Narnia" is not a country`}},
		{"no default", "split:", "defaults:\n  place: Testburg\nsplit:", []string{`plots.yaml:25: defaults.place: "place" cannot have a default`}},
		{"unknown field", "  place: City", "  town: City", []string{":16:", "columns.town"}},
		{"bad url", "url: https://example.org/plots-sheet", "url: example.org", []string{":6:", "source.url"}},
		{"bad basis", "basis: analyst", "basis: rumour", []string{"attribution.basis"}},
		{"no id", "  id: Case\n", "", []string{"columns.id", "required"}},
		{"bad delimiter", `delimiter: ";"`, `delimiter: ";;"`, []string{"delimiter"}},
		{"bad layout", `date_format: "02/01/2006"`, `date_format: "dd/mm/yyyy"`, []string{"date_format"}},
		{"reserved dataset", "dataset: teamsheet", "dataset: gtd", []string{"reserved"}},
		{"not yaml", "values:", "values: [", []string{"plots.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(string(good), tt.from, tt.to, 1)
			if body == string(good) {
				t.Fatalf("replacement %q not found", tt.from)
			}
			_, err := csvmap.ParseMapping([]byte(body), "plots.yaml")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestNegativeCount: blank, -9 and -99 are unknown; any other negative
// number is a row error naming the column, not a silent unknown.
func TestNegativeCount(t *testing.T) {
	m, err := csvmap.OpenMapping("testdata/plots.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		dead, want string // want "": imported with the count unknown
	}{
		{"", ""}, {"-9", ""}, {"-99", ""}, {"-5", `column Dead: "-5" is not a count`}, {"-1", `"-1" is not a count`},
	} {
		sheet := "Case;Date;Type;Result;Country;City;Group;Dead;Notes\nC-1;03/05/2023;Anschlag;done;DEU;Testburg;X;" + tt.dead + ";n\n"
		r, err := csvmap.New(strings.NewReader(sheet), 0, m)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := r.Next()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("Dead %q: %v; want the count unknown", tt.dead, err)
		case tt.want == "" && rec.Incident.Killed.Best != nil:
			t.Errorf("Dead %q: killed %d; want unknown", tt.dead, *rec.Incident.Killed.Best)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("Dead %q: err %v; want %q", tt.dead, err, tt.want)
		}
	}
}

// TestGoodDefaults: defaults that are right pass the mapping's check.
func TestGoodDefaults(t *testing.T) {
	good, err := os.ReadFile("testdata/plots.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(good), "split:", "defaults:\n  kind: plot\n  outcome: foiled\n  stage: planning\n  location_precision: place\n  country: Germany\n  target_country: AUT\nsplit:", 1)
	if _, err := csvmap.ParseMapping([]byte(body), "plots.yaml"); err != nil {
		t.Errorf("good defaults refused: %v", err)
	}
}

func TestMissingColumn(t *testing.T) {
	m, err := csvmap.OpenMapping("testdata/plots.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = csvmap.New(strings.NewReader("Case;Date\nC-1;2020\n"), 0, m)
	want := `column Country: column "Country" named by mapping testdata/plots.yaml (country) is not in the header (2 columns: Case,Date)`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err %v; want %q", err, want)
	}
}

func FuzzParseMapping(f *testing.F) {
	good, err := os.ReadFile("testdata/plots.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("dataset: x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := csvmap.ParseMapping(data, "fuzz.yaml")
		if err != nil {
			if plotline.ErrorCode(err) != plotline.EINVALID {
				t.Fatalf("error %v has code %s; want invalid", err, plotline.ErrorCode(err))
			}
			return
		}
		if m.Columns["id"] == "" || m.Dataset == "" {
			t.Fatalf("accepted a mapping without id or dataset: %+v", m)
		}
	})
}

func FuzzReader(f *testing.F) {
	m, err := csvmap.OpenMapping("testdata/plots.yaml")
	if err != nil {
		f.Fatal(err)
	}
	csvBody, err := os.ReadFile("testdata/plots.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(csvBody)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := csvmap.New(bytes.NewReader(data), 0, m)
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			rec, err := r.Next()
			if err != nil {
				if _, ok := err.(*ingest.RowError); ok {
					continue
				}
				return
			}
			if !plotline.ValidID(rec.Incident.ID) || !rec.Incident.Date.Known() {
				t.Fatalf("mapped %+v", rec.Incident)
			}
		}
	})
}
