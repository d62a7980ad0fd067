package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
)

// exported reads a JSON export's statements on one incident.
func exportedStatements(t *testing.T, out, incident string) (actors []string, bases []string) {
	t.Helper()
	var doc struct {
		Incidents []struct {
			ID           string
			Attributions []struct{ Actor, Basis string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, out)
	}
	for _, in := range doc.Incidents {
		if in.ID != incident {
			continue
		}
		for _, a := range in.Attributions {
			actors, bases = append(actors, a.Actor), append(bases, a.Basis)
		}
		return actors, bases
	}
	t.Fatalf("incident %s not exported", incident)
	return nil, nil
}

func TestExportHonoursAsOfAndRule(t *testing.T) {
	db := newDB(t)
	tests := []struct {
		name      string
		args      []string
		noActor   string
		wantBases string
	}{
		{"as of 30 January", []string{"--as-of", "2024-01-30"}, "is-khorasan", ""},
		{"claims only", []string{"--rule", "claims"}, "", "claim"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"export", "json"}, tt.args...)
			out, stderr, err := run(t, db, append(args, "id:"+istanbul)...)
			if err != nil {
				t.Fatalf("export: %v\n%s", err, stderr)
			}
			actors, bases := exportedStatements(t, out, istanbul)
			if len(actors) == 0 {
				t.Fatalf("no statements exported")
			}
			for i, a := range actors {
				if tt.noActor != "" && strings.Contains(a, tt.noActor) {
					t.Errorf("statement naming %s exported: %v", a, actors)
				}
				if tt.wantBases != "" && bases[i] != tt.wantBases {
					t.Errorf("statement with basis %s exported under rule claims", bases[i])
				}
			}
		})
	}
}

// TestExportSTIXRoundTripCLI exports the curated dataset as STIX, imports
// it into a fresh database and exports again: same bytes.
func TestExportSTIXRoundTripCLI(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.json"), filepath.Join(dir, "second.json")
	db1 := newDB(t)
	// Two records linked as one travel as a duplicate-of relationship.
	if _, stderr, err := run(t, db1, "review", "duplicates", "same", istanbul, "2024-03-22-rus-crocus-city-hall", "--by", "alice"); err != nil {
		t.Fatalf("link: %v\n%s", err, stderr)
	}
	if _, stderr, err := run(t, db1, "export", "stix", "--as-of", "2024-12-31", "--out", first); err != nil {
		t.Fatalf("export: %v\n%s", err, stderr)
	}
	db2 := newDB(t)
	out, stderr, err := run(t, db2, "import", "stix", first)
	if err != nil {
		t.Fatalf("import stix: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "0 objects rejected") || !strings.Contains(out, "1 pairs linked as one incident") {
		t.Errorf("import summary %q; want nothing rejected and the link recorded", out)
	}
	if again, _, err := run(t, db2, "import", "stix", first); err != nil || strings.Contains(again, "linked") || !strings.Contains(again, "nothing changed") {
		t.Errorf("re-import: %v\n%s; want nothing changed", err, again)
	}
	if _, stderr, err := run(t, db2, "export", "stix", "--as-of", "2024-12-31", "--out", second); err != nil {
		t.Fatalf("second export: %v\n%s", err, stderr)
	}
	a, _ := os.ReadFile(first)
	b, _ := os.ReadFile(second)
	if len(a) == 0 || string(a) != string(b) {
		t.Errorf("second STIX export differs from the first (%d and %d bytes)", len(a), len(b))
	}
}

func TestExportCSVNeedsOut(t *testing.T) {
	_, _, err := run(t, newDB(t), "export", "csv")
	if err == nil || !strings.Contains(err.Error(), "--out") {
		t.Errorf("csv without --out: err %v; want a message about --out", err)
	}
}

func TestExportBadOutIsUsageError(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file.csv")
	if err := os.WriteFile(file, []byte("a,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ format, out string }{
		{"json", filepath.Join(dir, "nonexistent", "dir", "x.json")},
		{"json", filepath.Join(file, "x.json")},
		{"json", dir},
		{"csv", file},
		{"csv", filepath.Join(file, "tables")},
	} {
		_, _, err := run(t, db, "export", tc.format, "--out", tc.out)
		if got := plotline.ErrorCode(err); got != plotline.EINVALID {
			t.Errorf("export %s --out %s: code %q (err %v); want %q", tc.format, tc.out, got, err, plotline.EINVALID)
		}
		if got := plotline.ErrorMessage(err); !strings.Contains(got, tc.out) {
			t.Errorf("export %s --out %s: message %q does not name the path", tc.format, tc.out, got)
		}
	}
	if got, err := os.ReadFile(file); err != nil || string(got) != "a,b\n" {
		t.Errorf("the existing file was changed: %q, %v", got, err)
	}
}
