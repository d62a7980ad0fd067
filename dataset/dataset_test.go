package dataset_test

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/plotline-dev/plotline/dataset"
)

// TestCuratedDatasetIsValid fails whenever a change to dataset/ breaks a rule.
func TestCuratedDatasetIsValid(t *testing.T) {
	d, err := dataset.Load(dataset.Files)
	if err != nil {
		t.Fatalf("curated dataset does not check:\n%v", err)
	}
	if n := len(d.Batch.Incidents); n < 15 {
		t.Errorf("curated dataset has %d incidents; want at least 15", n)
	}
}

func TestCheckFindsDefects(t *testing.T) {
	base, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dataset.Load(fstest.MapFS{"x.yaml": {Data: base}}); err != nil {
		t.Fatalf("the valid fixture does not check: %v", err)
	}
	tests := []struct {
		name     string
		old, new string
		want     string // substring of the error, which must name file:line
	}{
		{"malformed yaml", "kind: attack", "kind: [attack", "x.yaml:"},
		{"unknown field", "    kind: attack", "    kind: attack\n    colour: red", "field colour not found"},
		{"bad country", "target_country: TUR", "target_country: TRK", `incidents[0].target_country: "TRK" is not an ISO 3166-1 alpha-3`},
		{"bad date", `date: "2024-01-28"`, `date: "2024-13-28"`, "incidents[0].date:"},
		{"month on the 1st is fine but 2024-02-30 is not", `date: "2024-01-28"`, `date: "2024-02-30"`, "incidents[0].date:"},
		{"missing source", "sources: [s1]\n    attributions", "sources: []\n    attributions", "incidents[0].sources: at least one source is required"},
		{"unknown source", "sources: [s1]\n    attributions", "sources: [s9]\n    attributions", `source "s9" is not defined`},
		{"unknown actor", "actor: is-turkey", "actor: is-narnia", `actor "is-narnia" is not defined`},
		{"bad basis", "basis: claim", "basis: rumour", `attributions[0].basis: "rumour" is not one of`},
		{"attribution without source", "sources: [s2]", "sources: []", "attributions[0].sources: at least one source is required"},
		{"duplicate source", "  - id: s2", "  - id: s1", `source "s1" is already defined`},
		{"cycle", "parent: is\n", "parent: is-turkey\n", "cycle"},
		{"bad reliability", "reliability: B", "reliability: Z", `reliability: "Z" is not one of`},
		{"bad url", "url: https://example.org/s1", "url: example.org", "url:"},
		{"bad statement marking", "basis: claim", "basis: claim\n        tlp: white", `attributions[0].tlp: "white" is not one of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := string(base)
			if !strings.Contains(src, tt.old) {
				t.Fatalf("fixture lacks %q", tt.old)
			}
			src = strings.Replace(src, tt.old, tt.new, 1)
			_, err := dataset.Load(fstest.MapFS{"x.yaml": {Data: []byte(src)}})
			if err == nil {
				t.Fatal("defect not caught")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not contain %q", msg, tt.want)
			}
			if !strings.HasPrefix(msg, "x.yaml:") {
				t.Errorf("error %q does not start with the file name", msg)
			}
		})
	}
}

func TestStatementMarkingLoads(t *testing.T) {
	base, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(base), "basis: claim", "basis: claim\n        tlp: amber", 1)
	d, err := dataset.Load(fstest.MapFS{"x.yaml": {Data: []byte(src)}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range d.Batch.Incidents {
		for _, a := range in.Attributions {
			got = append(got, a.Basis+":"+a.TLP)
		}
	}
	if !slices.Contains(got, "claim:amber") || slices.Contains(got, "government:amber") {
		t.Errorf("statements %v; want only the claim marked amber", got)
	}
}

func TestErrorNamesLine(t *testing.T) {
	base, err := os.ReadFile("testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(base), "target_country: TUR", "target_country: XXX", 1)
	_, err = dataset.Load(fstest.MapFS{"x.yaml": {Data: []byte(src)}})
	line := 0
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, "target_country: XXX") {
			line = i + 1
		}
	}
	want := "x.yaml:" + strconv.Itoa(line) + ": incidents[0].target_country"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %v; want it to start with %q", err, want)
	}
}
