package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/postgres/pgtest"
)

// storeStep is one command of the script TestEveryCommandOnBothStores runs
// on each store.
type storeStep struct {
	name string
	args []string // {DIR} is the store's own scratch folder
	want string   // in standard output
	// same: the output must be the same on both stores, once the store's
	// name is replaced by DB and, with times, record times by TIME.
	same, times bool
	// do, when set, runs instead of a command (a write no command makes).
	do func(t *testing.T, db string)
}

// recordTime matches the record times commands print (RFC 3339, and the
// review history's minutes).
var recordTime = regexp.MustCompile(`\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(\.\d+)?Z| \d\d:\d\d)`)

// draftIstanbul applies a draft of the Istanbul incident by bob.
func draftIstanbul(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	db, err := openExisting(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	in, err := db.Incident(ctx, istanbul, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	in.Title += " (draft title)"
	in.Attributions = nil
	if _, err := db.Apply(ctx, &plotline.Batch{By: "bob", Note: "clearer title", Draft: true, Incidents: []plotline.Incident{*in}}); err != nil {
		t.Fatal(err)
	}
}

// storeScript imports a little of every format, reviews, asks every
// analytics command, exports every format and drives the workflow, audit
// and accounts: the same data on both stores.
func storeScript(fixtures string) []storeStep {
	gtdFile := "{DIR}/gtd.csv"
	csvmap := filepath.Join(fixtures, "csvmap", "testdata")
	ucdp := filepath.Join(fixtures, "ucdp", "testdata")
	stix := filepath.Join(fixtures, "stix", "testdata", "partner.json")
	period := []string{"--from", "2015-01-01", "--to", "2026-12-31"}
	return []storeStep{
		{name: "dataset check", args: []string{"dataset", "check"}, want: "embedded dataset: ok", same: true},
		{name: "dataset load", args: []string{"dataset", "load"}, want: "0 created, 0 updated", same: true},
		{name: "import csv", args: []string{"import", "csv", filepath.Join(csvmap, "plots.csv"), "--mapping", filepath.Join(csvmap, "plots.yaml"), "--quiet"},
			want: "read 3, imported 3", same: true},
		{name: "import ucdp", args: []string{"import", "ucdp", filepath.Join(ucdp, "ged-sample.csv"), "--actors", filepath.Join(ucdp, "actors-sample.csv"), "--quiet"},
			want: "imported", same: true},
		{name: "gen csv gtd", args: []string{"gen", "--rows", "40", "--seed", "3", "--csv", "gtd", "--out", gtdFile}},
		{name: "import gtd", args: []string{"import", "gtd", gtdFile, "--quiet"}, want: "read 40, imported 40", same: true},
		{name: "import stix", args: []string{"import", "stix", "--bundle-url", "https://example.org/partner.json", "--keep-going", "--rejects", "{DIR}/stix-rejects.json", stix}, want: "records created", same: true},
		{name: "gen db", args: []string{"gen", "--rows", "300", "--seed", "5", "--batch", "100"}},
		{name: "review names", args: []string{"review", "names"}, want: "ISKP", same: true},
		{name: "review names match", args: []string{"review", "names", "match", "ISKP", "is-khorasan", "--dataset", "teamsheet", "--by", "alice"},
			want: "recorded decision 1", same: true},
		{name: "re-import csv", args: []string{"import", "csv", filepath.Join(csvmap, "plots.csv"), "--mapping", filepath.Join(csvmap, "plots.yaml"), "--quiet"},
			want: "updated 1", same: true},
		{name: "review names history", args: []string{"review", "names", "history"}, want: "alice", same: true, times: true},
		{name: "review duplicates", args: []string{"review", "duplicates"}, same: true},
		{name: "query", args: []string{"query"}, want: "incidents", same: true},
		{name: "query filter", args: []string{"query", "--format", "csv", "country:AFG,IRQ,TUR"}, same: true},
		{name: "query text", args: []string{"query", "church"}, want: istanbul, same: true},
		{name: "query count", args: []string{"query", "--count"}, want: "incidents (rule any)", same: true},
		{name: "query count rule", args: []string{"query", "--count", "--rule", "official", "actor:is+"}, same: true},
		{name: "query group-by", args: []string{"query", "--group-by", "unit,target"}, want: "incidents", same: true},
		{name: "query group-by json", args: []string{"query", "--group-by", "country", "--measure", "sum:killed", "--format", "json"}, same: true},
		{name: "query series", args: []string{"query", "--series", "year"}, want: "strict", same: true},
		{name: "query as-of", args: []string{"query", "--count", "--as-of", "2024-02-01"}, same: true},
		{name: "show", args: []string{"show", istanbul}, want: "Attribution timeline", same: true},
		{name: "show json", args: []string{"show", "--format", "json", "teamsheet:c-002"}, want: "is-khorasan", same: true},
		{name: "report", args: append([]string{"report", "external-ops", "--related-to", "ISKP"}, period...), same: true},
		{name: "report json", args: append([]string{"report", "external-ops", "--format", "json", "--rule", "best"}, period...), same: true},
		{name: "report markdown", args: append([]string{"report", "external-ops", "--format", "markdown", "--as-of", "2024-06-30"}, period...), same: true},
		{name: "project", args: []string{"project", "--from", "2024-01-01", "--to", "2024-12-31", "--as-of", "2024-06-30", "--per", "country"},
			want: "expected total", same: true},
		{name: "export csv", args: []string{"export", "csv", "--out", "{DIR}/csv"}},
		{name: "export json", args: []string{"export", "json", "--max-tlp", "red"}, want: `"incidents"`, same: true},
		{name: "export geojson", args: []string{"export", "geojson", "country:TUR"}, want: "FeatureCollection", same: true},
		{name: "export stix", args: []string{"export", "stix", "--out", "{DIR}/bundle.json", "actor:is+"}},
		{name: "history", args: []string{"history", "incident", "teamsheet:c-002"}, want: "version", same: true, times: true},
		{name: "workflow drafts none", args: []string{"workflow", "drafts"}, want: "No drafts.", same: true},
		{name: "draft", do: draftIstanbul},
		{name: "workflow drafts", args: []string{"workflow", "drafts"}, want: "bob", same: true, times: true},
		{name: "query count with a draft", args: []string{"query", "--count"}, want: "1 draft", same: true},
		{name: "workflow show", args: []string{"workflow", "show", "11"}, want: "(draft title)", same: true, times: true},
		{name: "workflow publish", args: []string{"workflow", "publish", "11", "--by", "alice"}, want: "publish of draft 11 by alice", same: true},
		{name: "show published", args: []string{"show", istanbul}, want: "(draft title)", same: true},
		{name: "audit", args: []string{"audit", "--format", "csv"}, want: "import:teamsheet", same: true, times: true},
		{name: "audit filtered", args: []string{"audit", "--by", "alice", "--action", "publish"}, want: "alice", same: true, times: true},
		{name: "user add", args: []string{"user", "add", "rita", "--role", "analyst", "--generate-password"}, want: "added user rita (id 1)"},
		{name: "user list", args: []string{"user", "list"}, want: "rita", same: true},
	}
}

// TestEveryCommandOnBothStores runs every command on PostgreSQL and on a
// SQLite file given the same data, the two side by side, and compares the
// answers: the analytics (report, query --count, --group-by, --series,
// project), the listings, the exports, the workflow and the audit log are
// the same on both, record times aside.
func TestEveryCommandOnBothStores(t *testing.T) {
	pg := pgtest.DSN(t) // skips without PLOTLINE_TEST_POSTGRES
	stores := []struct{ name, dsn, dir string }{
		{"SQLite", newDB(t), t.TempDir()},
		{"PostgreSQL", pg, t.TempDir()},
	}
	script := storeScript(filepath.Join("..", "..", "internal", "ingest"))
	outs := make([][]string, len(stores)) // each store's outputs, by step
	t.Run("run", func(t *testing.T) {
		for k, st := range stores {
			outs[k] = make([]string, len(script))
			t.Run(st.name, func(t *testing.T) {
				t.Parallel()
				runScript(t, script, st.dsn, st.dir, outs[k])
			})
		}
	})
	if t.Failed() {
		return
	}
	for i, s := range script {
		if got, want := outs[1][i], outs[0][i]; s.same && got != want {
			t.Errorf("%s: PostgreSQL answered\n%s\nSQLite answered\n%s", s.name, got, want)
		}
	}
	for _, f := range []string{"csv/incidents.csv", "csv/attributions.csv", "bundle.json"} {
		var files [2][]byte
		for k, st := range stores {
			b, err := os.ReadFile(filepath.Join(st.dir, f))
			if err != nil || len(b) == 0 {
				t.Fatalf("export on %s: %s: %d bytes, %v", st.name, f, len(b), err)
			}
			files[k] = b
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Errorf("export %s differs between SQLite and PostgreSQL", f)
		}
	}
}

// importTook is how long an import took, in its summary: the stores differ.
var importTook = regexp.MustCompile(` in [0-9hmsµ.]+ \([0-9]+ rows/s\)`)

// runScript runs script on the store dsn, with dir as its scratch folder,
// and keeps each step's output in outs, the store's name and folder
// replaced by DB and DIR.
func runScript(t *testing.T, script []storeStep, dsn, dir string, outs []string) {
	for i, s := range script {
		if s.do != nil {
			s.do(t, dsn)
			continue
		}
		args := make([]string, len(s.args))
		for i, a := range s.args {
			args[i] = strings.ReplaceAll(a, "{DIR}", dir)
		}
		out, stderr, err := run(t, dsn, args...)
		if err != nil {
			t.Fatalf("%s: %v\n%s", s.name, err, stderr)
		}
		if !strings.Contains(out, s.want) {
			t.Errorf("%s: output does not contain %q:\n%s", s.name, s.want, out)
		}
		out = strings.ReplaceAll(strings.ReplaceAll(out, dsn, "DB"), dir, "DIR")
		out = importTook.ReplaceAllString(out, " in TOOK")
		if s.times {
			out = recordTime.ReplaceAllString(out, "TIME")
		}
		outs[i] = out
	}
}
