package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
)

// TestImportReviewReimport drives the whole loop: import a sheet, see the
// unmatched names, decide one, re-import, and see the attribution move to
// the actor with the decision kept in history.
func TestImportReviewReimport(t *testing.T) {
	db := newDB(t)
	sheet := filepath.Join("..", "..", "internal", "ingest", "csvmap", "testdata", "plots.csv")
	mapping := filepath.Join("..", "..", "internal", "ingest", "csvmap", "testdata", "plots.yaml")
	out, stderr, err := run(t, db, "import", "csv", sheet, "--mapping", mapping)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "read 3, imported 3, updated 0, unchanged 0, rejected 0") || !strings.Contains(out, "review names --dataset teamsheet") {
		t.Errorf("import said:\n%s", out)
	}
	if !importTook.MatchString(out) {
		t.Errorf("import did not say how long it took:\n%s", out)
	}
	out, _, err = run(t, db, "review", "names", "--dataset", "teamsheet")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Unbekannte Gruppe") || !strings.Contains(out, "ISKP") || !strings.Contains(out, "is-khorasan") {
		t.Errorf("review names:\n%s", out)
	}
	out, _, err = run(t, db, "review", "names", "match", "ISKP", "is-khorasan", "--dataset", "teamsheet", "--by", "alice", "--note", "the sheet means IS-K")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "recorded decision 1") {
		t.Errorf("decide: %s", out)
	}
	if _, _, err := run(t, db, "review", "names", "no-match", "Unbekannte Gruppe", "--dataset", "teamsheet", "--by", "alice"); err != nil {
		t.Fatal(err)
	}
	out, _, err = run(t, db, "review", "names", "--dataset", "teamsheet")
	if err != nil || !strings.Contains(out, "no group names waiting") {
		t.Errorf("after decisions: %v\n%s", err, out)
	}
	out, _, err = run(t, db, "import", "csv", sheet, "--mapping", mapping)
	if err != nil {
		t.Fatal(err)
	}
	// c-002's ISKP statement now points at is-khorasan: one incident updated.
	if !strings.Contains(out, "imported 0, updated 1, unchanged 2") {
		t.Errorf("re-import said:\n%s", out)
	}
	out, _, err = run(t, db, "show", "teamsheet:c-002", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "unresolved:teamsheet:iskp") || !strings.Contains(out, "is-khorasan") {
		t.Errorf("c-002 after the decision:\n%s", out)
	}
	out, _, err = run(t, db, "review", "names", "history")
	if err != nil || !strings.Contains(out, "alice") || !strings.Contains(out, "the sheet means IS-K") {
		t.Errorf("history: %v\n%s", err, out)
	}
	out, _, err = run(t, db, "import", "csv", sheet, "--mapping", mapping)
	if err != nil || !strings.Contains(out, "unchanged 3") || !strings.Contains(out, "nothing changed") {
		t.Errorf("third import: %v\n%s", err, out)
	}
}

func TestImportKeepGoingAndErrors(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "acled.csv")
	body := "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,iso3\n" +
		"1,4,AFG1,1,01 March 2020,2020,1,Battles,Armed clash,Taliban,,2,Military Forces of Afghanistan (2014-),,1,12,Asia,Afghanistan,Kabul,,,Kabul,34.5,69.2,1,Wire,National,Invented test row,3,1,AFG\n" +
		"2,4,AFG2,2,1 Mars 2020,2020,1,Battles,Armed clash,Taliban,,2,,,0,20,Asia,Afghanistan,Kabul,,,Kabul,34.5,69.2,1,Wire,National,Invented test row,3,1,AFG\n"
	if err := os.WriteFile(bad, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := run(t, db, "import", "acled", bad)
	if err == nil || !strings.Contains(err.Error(), "acled.csv:3: event_date: row 2") {
		t.Fatalf("err %v; want the file, line, column and row", err)
	}
	rejects := filepath.Join(dir, "rejects.csv")
	out, stderr, err := run(t, db, "import", "acled", bad, "--keep-going", "--rejects", rejects)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(out, "read 2, imported 1, updated 0, unchanged 0, rejected 1") {
		t.Errorf("keep-going said:\n%s", out)
	}
	rej, err := os.ReadFile(rejects)
	if err != nil || !strings.Contains(string(rej), "event_date") || !strings.Contains(string(rej), "AFG2") {
		t.Errorf("rejects %v:\n%s", err, rej)
	}
	out, _, err = run(t, db, "review", "duplicates")
	if err != nil || !strings.Contains(out, "no duplicate candidates") {
		t.Errorf("duplicates: %v\n%s", err, out)
	}
}

// TestImportNotAFile: a folder or a missing path given as the input is the
// user's mistake, said with the path, never an internal error.
func TestImportNotAFile(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	for _, args := range [][]string{
		{"import", "acled", dir},
		{"import", "gtd", filepath.Join(dir, "missing.csv")},
		{"import", "stix", dir},
		{"import", "csv", dir, "--mapping", dir},
		{"import", "ucdp", dir, "--actors", dir},
	} {
		_, _, err := run(t, db, args...)
		if code := plotline.ErrorCode(err); code == plotline.EINTERNAL || code == "" || !strings.Contains(plotline.ErrorMessage(err), dir) {
			t.Errorf("%v: %v (code %q)", args, err, code)
		}
	}
}

// TestImportSTIXFlags: stix takes --keep-going and --rejects together as the
// other importers do, records --by with the change, accepts --quiet, and its
// summary names the file and the change.
func TestImportSTIXFlags(t *testing.T) {
	db := newDB(t)
	bundle := filepath.Join("..", "..", "internal", "ingest", "stix", "testdata", "partner.json")
	rejects := filepath.Join(t.TempDir(), "rejects.json")
	for _, args := range [][]string{
		{"import", "stix", "--bundle-url", "https://example.org/p.json", "--keep-going", bundle},
		{"import", "stix", "--bundle-url", "https://example.org/p.json", "--rejects", rejects, bundle},
	} {
		_, _, err := run(t, db, args...)
		if plotline.ErrorCode(err) != plotline.EINVALID || !strings.Contains(plotline.ErrorMessage(err), "--keep-going and --rejects FILE go together") {
			t.Errorf("%v: err %v; want --keep-going and --rejects together", args, err)
		}
	}
	if _, err := os.Stat(rejects); err == nil {
		t.Errorf("a refused import wrote the reject file")
	}
	out, stderr, err := run(t, db, "import", "stix", "--bundle-url", "https://example.org/p.json", "--keep-going", "--rejects", rejects,
		"--by", "alice", "--quiet", bundle)
	if err != nil {
		t.Fatalf("import stix: %v\n%s", err, stderr)
	}
	for _, want := range []string{"stix " + bundle + ": read 12 objects", "1 objects rejected", "by alice", "rejected objects and reasons: " + rejects} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`recorded as change [0-9]+ by alice`).MatchString(out) {
		t.Errorf("summary does not name the change:\n%s", out)
	}
	var rej []struct{ ID, Reason string }
	b, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rej); err != nil || len(rej) != 1 || rej[0].Reason == "" {
		t.Errorf("reject file %v: %s", err, b)
	}
	out, _, err = run(t, db, "audit", "--by", "alice")
	if err != nil || !strings.Contains(out, "STIX bundle partner.json") {
		t.Errorf("audit --by alice: %v\n%s", err, out)
	}
}

func TestImportHelpMentionsSTIX(t *testing.T) {
	_, stderr, err := run(t, newDB(t), "import", "--help")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("import --help: err %v; want flag.ErrHelp", err)
	}
	for _, want := range []string{"plotline import stix --help", "--by", "--quiet"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("import --help lacks %q:\n%s", want, stderr)
		}
	}
}

// TestImportRejectsIsNotTheInput: a reject file naming the input (by the
// same path, another spelling of it, or a link to it) is refused before
// anything is written, so the input survives.
func TestImportRejectsIsNotTheInput(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	sheet := filepath.Join(dir, "acled.csv")
	body := "not an ACLED file, but it must survive\n"
	if err := os.WriteFile(sheet, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(sheet, link); err != nil {
		t.Fatal(err)
	}
	bundle := filepath.Join(dir, "bundle.json")
	if err := os.WriteFile(bundle, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.csv")
	for _, tc := range []struct {
		args  []string
		input string
	}{
		{[]string{"import", "acled", sheet, "--keep-going", "--rejects", sheet}, sheet},
		{[]string{"import", "acled", sheet, "--keep-going", "--rejects", dir + "/./acled.csv"}, sheet},
		{[]string{"import", "acled", sheet, "--keep-going", "--rejects", link}, sheet},
		{[]string{"import", "gtd", missing, "--keep-going", "--rejects", dir + "/x/../missing.csv"}, missing},
		{[]string{"import", "stix", bundle, "--keep-going", "--rejects", bundle}, bundle},
	} {
		_, _, err := run(t, db, tc.args...)
		msg := plotline.ErrorMessage(err)
		if plotline.ErrorCode(err) != plotline.EINVALID || !strings.Contains(msg, "is the input file "+tc.input) {
			t.Errorf("%v: err %v; want EINVALID naming the reject and the input file", tc.args, err)
		}
	}
	for _, f := range []string{sheet, bundle} {
		if got, err := os.ReadFile(f); err != nil || string(got) != body {
			t.Errorf("%s was changed: %q, %v", f, got, err)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("%s was created", missing)
	}
}

// TestImportCSVMappingErrors: what is wrong in the mapping file is said
// against the mapping file; a column it names that the sheet lacks says
// the mapping names it.
func TestImportCSVMappingErrors(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	sheet := filepath.Join(dir, "sheet.csv")
	if err := os.WriteFile(sheet, []byte("Case,Date,Country,Town,Notes\nC-1,2023-05-03,DEU,Testburg,Invented.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	head := "dataset: sheet\nsource: {publisher: P, title: T, url: https://example.org/s}\n"
	cols := "columns: {id: Case, date: Date, country: Country, place: %s, summary: Notes}\n"
	for _, tc := range []struct{ name, mapping, want string }{
		{"default", head + fmt.Sprintf(cols, "Town") + "defaults:\n  kind: plott\n", `m.yaml:5: defaults.kind: "plott" is not one of attack, plot`},
		{"key", head + "colums: {id: Case}\n" + fmt.Sprintf(cols, "Town"), `m.yaml:3: unknown key "colums" (valid keys: dataset, source`},
		{"column", head + fmt.Sprintf(cols, "Twon"), `sheet.csv:1: Twon: column "Twon" named by mapping ` + filepath.Join(dir, "m.yaml") + ` (place) is not in the header`},
	} {
		mapping := filepath.Join(dir, "m.yaml")
		if err := os.WriteFile(mapping, []byte(tc.mapping), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := run(t, db, "import", "csv", sheet, "--mapping", mapping)
		if got := plotline.ErrorMessage(err); plotline.ErrorCode(err) != plotline.EINVALID || !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q; want %q", tc.name, got, tc.want)
		}
	}
}

// TestReviewNamesWarnsOfUnseenName: a decision on a name no import left for
// review (a typo of the name or of the dataset) is kept, with a warning.
func TestReviewNamesWarnsOfUnseenName(t *testing.T) {
	db := newDB(t)
	c := filepath.Join("..", "..", "internal", "ingest", "csvmap", "testdata")
	if _, stderr, err := run(t, db, "import", "csv", filepath.Join(c, "plots.csv"), "--mapping", filepath.Join(c, "plots.yaml"), "--quiet"); err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	for _, tt := range []struct {
		name, dataset string
		warn          bool
	}{
		{"ISKP", "teamsheet", false},
		{"ISKPP", "teamsheet", true},
		{"ISKP", "teamshet", true},
		{"ISKP", "teamsheet", false}, // decided before
	} {
		out, stderr, err := run(t, db, "review", "names", "match", tt.name, "is-khorasan", "--dataset", tt.dataset, "--by", "alice")
		if err != nil || !strings.Contains(out, "recorded decision") || strings.Contains(stderr, "warning") != tt.warn {
			t.Errorf("%s in %s: %v\nout: %s\nstderr: %s", tt.name, tt.dataset, err, out, stderr)
		}
	}
}

// TestImportWarnsOfUnterminatedFile: a CSV that does not end with a line
// break may have been cut inside its last field; the import says so.
func TestImportWarnsOfUnterminatedFile(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	head := "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,iso3\n"
	row := "1,4,AFG1,1,01 March 2020,2020,1,Battles,Armed clash,Taliban,,2,,,0,20,Asia,Afghanistan,Kabul,,,Kabul,34.5,69.2,1,Wire,National,Invented test row,3,1,AFG"
	for _, tt := range []struct {
		body string
		warn bool
	}{{head + row + "\n", false}, {head + row[:len(row)-1], true}} {
		path := filepath.Join(dir, "acled.csv")
		if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
			t.Fatal(err)
		}
		out, stderr, err := run(t, db, "import", "acled", path, "--quiet")
		if err != nil || !strings.Contains(out, "read 1") || strings.Contains(stderr, "does not end with a line break") != tt.warn {
			t.Errorf("warn %v: %v\nout: %s\nstderr: %s", tt.warn, err, out, stderr)
		}
	}
}

// TestReimportKeepsPlaceholderName: two files spell one unmatched group
// differently ("Al-Qaeda", "Al Qaeda": one placeholder actor). Re-importing
// the first after the second changes nothing: the placeholder keeps the
// name it was first stored with.
func TestReimportKeepsPlaceholderName(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	head := "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,iso3\n"
	files := map[string]string{}
	for name, spelling := range map[string]string{"a": "Al-Qaeda", "b": "Al Qaeda"} {
		path := filepath.Join(dir, name+".csv")
		row := "1,4,AFG" + name + ",1,01 March 2020,2020,1,Battles,Armed clash," + spelling + ",,2,,,0,20,Asia,Afghanistan,Kabul,,,Kabul,34.5,69.2,1,Wire,National,Invented test row,3,1,AFG\n"
		if err := os.WriteFile(path, []byte(head+row), 0o600); err != nil {
			t.Fatal(err)
		}
		files[name] = path
	}
	for _, name := range []string{"a", "b"} {
		if _, stderr, err := run(t, db, "import", "acled", files[name], "--quiet"); err != nil {
			t.Fatalf("import %s: %v\n%s", name, err, stderr)
		}
	}
	out, _, err := run(t, db, "import", "acled", files["a"], "--quiet")
	if err != nil || !strings.Contains(out, "unchanged 1") || !strings.Contains(out, "nothing changed") {
		t.Errorf("re-import of a: %v\n%s", err, out)
	}
}
