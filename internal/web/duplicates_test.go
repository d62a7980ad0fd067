package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// TestDuplicatesPage: every user sees the candidates among the incidents
// they may see; reviewers link or separate them, the counts follow, and a
// decision the others contradict is refused.
func TestDuplicatesPage(t *testing.T) {
	ctx := context.Background()
	db := mustOpenStore(t)
	if _, err := db.Apply(ctx, storetest.MarkedCurated()); err != nil {
		t.Fatal(err)
	}
	// Two datasets report one attack in Hamburg on the day of the marked
	// plot, and a third record rests on the TLP:RED source only.
	rep := func(id, origin string, sources ...string) plotline.Incident {
		return plotline.Incident{ID: id, Title: "Attack reported by " + origin, Kind: "attack", Outcome: "completed",
			Date: plotline.MustDate("2024-03-10"), Location: plotline.Location{Country: "DEU", Place: "Hamburg"}, TargetCountry: "DEU",
			Origin: origin, OriginID: id, Sources: sources}
	}
	if _, err := db.Apply(ctx, &plotline.Batch{By: "test", Incidents: []plotline.Incident{
		rep("gtd:1", "gtd", "test-marked-clear"), rep("acled:1", "acled", "test-marked-clear"), rep("ucdp:1", "ucdp", "test-marked-red"),
	}}); err != nil {
		t.Fatal(err)
	}
	eng := mustEngine(t, db)
	ui := New(Config{Store: db, Analytics: analyticsOf(eng), Now: func() time.Time { return today }})
	id := int64(0)
	as := func(name, role, clearance string) *httptest.Server {
		id++
		u := plotline.User{ID: id, Name: name, Role: role, Clearance: clearance}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ui.ServeHTTP(w, r.WithContext(plotline.WithUser(r.Context(), &u)))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	reader, analyst := as("rex", plotline.RoleReader, "red"), as("ann", plotline.RoleAnalyst, "green")
	reviewer, redReviewer := as("rev", plotline.RoleReviewer, "green"), as("rita", plotline.RoleReviewer, "red")

	if res := get(t, reader, "/duplicates"); res.code != 200 || !strings.Contains(res.body, `data-pair="acled:1 gtd:1"`) || strings.Contains(res.body, `name="verdict"`) {
		t.Errorf("reader: %d; want the list without forms:\n%s", res.code, excerpt(res.body))
	}
	page := get(t, analyst, "/duplicates")
	if page.code != 200 || !strings.Contains(page.body, `data-pair="acled:1 gtd:1"`) || strings.Contains(page.body, "ucdp:1") ||
		strings.Contains(page.body, `name="verdict"`) {
		t.Errorf("analyst's page (green: the pair, no RED record, no forms):\n%s", excerpt(page.body))
	}
	if page := get(t, redReviewer, "/duplicates"); !strings.Contains(page.body, "ucdp:1") || !strings.Contains(page.body, `name="verdict"`) {
		t.Errorf("RED reviewer's page lacks the RED record or the forms:\n%s", excerpt(page.body))
	}
	decide := func(srv *httptest.Server, a, b, verdict string) response {
		t.Helper()
		return post(t, srv, "/duplicates", url.Values{"a": {a}, "b": {b}, "verdict": {verdict}, "note": {"same wire report"}})
	}
	if res := decide(analyst, "acled:1", "gtd:1", "same"); res.code != http.StatusForbidden {
		t.Errorf("analyst deciding: %d; want 403", res.code)
	}
	if res := decide(reviewer, "acled:1", "ucdp:1", "same"); res.code != http.StatusNotFound {
		t.Errorf("GREEN reviewer linking a RED record: %d; want 404 as for a missing one", res.code)
	}
	before := get(t, redReviewer, "/incidents?q="+url.QueryEscape("date:2024-03-10 country:DEU")).body
	res := decide(reviewer, "acled:1", "gtd:1", "same")
	if res.code != http.StatusSeeOther || !strings.HasPrefix(res.hdr.Get("Location"), "/duplicates?decided=") {
		t.Fatalf("reviewer linking: %d %s", res.code, res.hdr.Get("Location"))
	}
	current, err := db.DuplicateDecisions(ctx, false)
	if err != nil || len(current) != 1 || current[0].By != "rev" || current[0].Verdict != "same" || current[0].Note != "same wire report" || current[0].Score == 0 {
		t.Fatalf("decisions %+v, %v", current, err)
	}
	after := get(t, redReviewer, "/incidents?q="+url.QueryEscape("date:2024-03-10 country:DEU")).body
	if strings.Contains(after, "Attack reported by gtd") == strings.Contains(before, "Attack reported by gtd") &&
		strings.Contains(after, "Attack reported by acled") == strings.Contains(before, "Attack reported by acled") {
		t.Errorf("the incident table lists both records after linking them:\n%s", excerpt(after))
	}
	if page := get(t, redReviewer, "/duplicates"); strings.Contains(page.body, `data-pair="acled:1 gtd:1"`) {
		t.Errorf("a linked pair is proposed again:\n%s", excerpt(page.body))
	}
	// ucdp:1 joins the group through acled:1; then gtd:1 and ucdp:1 cannot be distinct alone.
	if res := decide(redReviewer, "acled:1", "ucdp:1", "same"); res.code != http.StatusSeeOther {
		t.Fatalf("RED reviewer linking: %d", res.code)
	}
	if res := decide(redReviewer, "gtd:1", "ucdp:1", "distinct"); res.code == http.StatusSeeOther || !strings.Contains(res.body, "stay one incident through") {
		t.Errorf("a distinct the links contradict: %d\n%s", res.code, excerpt(res.body))
	}
}
