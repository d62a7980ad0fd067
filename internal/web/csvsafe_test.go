package web

import (
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
)

// A title a spreadsheet would run as a formula is downloaded as text, while
// numbers and dates are downloaded as they are.
func TestTableDownloadNeutralisesFormulas(t *testing.T) {
	ctx := context.Background()
	db := mustOpenStore(t)
	in, err := db.Incident(ctx, "2024-01-28-tur-istanbul-church", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	in.Title = `=HYPERLINK("http://example.org/x","click")`
	if _, err := db.Apply(ctx, &plotline.Batch{By: "test", Note: "formula title", Incidents: []plotline.Incident{*in}}); err != nil {
		t.Fatal(err)
	}
	srv := serveUI(t, db, mustEngine(t, db))
	q := "q=" + url.QueryEscape("date:2024-01") + "&cols=date,id,title,killed"
	res := get(t, srv, "/incidents/export?"+q+"&format=csv")
	if res.code != 200 {
		t.Fatalf("csv: %d %s", res.code, res.body)
	}
	recs, err := csv.NewReader(strings.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range recs[1:] {
		if r[1] != in.ID {
			continue
		}
		found = true
		if r[2] != "'"+in.Title {
			t.Errorf("title cell %q; want it behind an apostrophe", r[2])
		}
		if strings.HasPrefix(r[0], "'") || strings.HasPrefix(r[3], "'") {
			t.Errorf("date or number neutralised: %q", r)
		}
	}
	if !found {
		t.Fatalf("%s not in the download:\n%s", in.ID, res.body)
	}
}
