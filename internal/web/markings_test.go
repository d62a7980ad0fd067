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

// TestMarkingsOnPages reads storetest.MarkedCurated (a TLP:RED source, an
// AMBER statement and a plot known only from the RED source) through the
// pages that show incidents, sources and histories: a reader cleared to
// GREEN sees none of it, only "withheld" counts and "not found" where a
// missing record gets it; an admin cleared to RED sees it.
func TestMarkingsOnPages(t *testing.T) {
	db := mustOpenStore(t)
	if _, err := db.Apply(context.Background(), storetest.MarkedCurated()); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]Analytics{"engine": analyticsOf(mustEngine(t, db)), "store": nil} {
		t.Run(name, func(t *testing.T) {
			testMarkingsOnPages(t, New(Config{Store: db, Analytics: a, Now: func() time.Time { return today }}))
		})
	}
}

func testMarkingsOnPages(t *testing.T, ui http.Handler) {
	as := func(u plotline.User) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ui.ServeHTTP(w, r.WithContext(plotline.WithUser(r.Context(), &u)))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	reader := as(plotline.User{Name: "reader", Role: plotline.RoleReader, Clearance: "green"})
	admin := as(plotline.User{Name: "admin", Role: plotline.RoleAdmin, Clearance: "red"})
	tests := []struct {
		path       string
		readerCode int
		readerWant []string
		adminWant  []string
	}{
		{"/incidents/test-marked", 200, []string{`id="withheld-note">2 statement(s) withheld at your clearance`, `id="withheld-sources">1 source(s) withheld`, "Open Newspaper"},
			[]string{"Agency XYZZY", "Service XYZZY", "Liaison note XYZZY"}},
		{"/incidents/test-secret", 404, nil, []string{"Plot XYZZY"}},
		{"/sources", 200, []string{"Plot foiled in Hamburg"}, []string{"Liaison note XYZZY"}},
		{"/history/source/test-marked-red", 404, nil, []string{"History of source"}},
		{"/history/attribution/test-marked%2Famber", 404, nil, []string{"History of attribution"}},
		{"/history/incident/test-marked", 200, []string{"History of incident"}, []string{"History of incident"}},
		{"/sources/test-marked-red/edit", 404, nil, []string{"Liaison note XYZZY"}},
		{"/attributions/test-marked%2Fred/edit", 404, nil, []string{"Service XYZZY"}},
		{"/incidents/test-marked/edit", 403, nil, []string{"Plot foiled in Hamburg"}},
		{"/incidents?q=date:2024-03..2024-04&cols=title,units", 200, []string{"Plot foiled in Hamburg"}, []string{"Plot XYZZY"}},
		{"/incidents/export?format=csv&q=date:2024-03..2024-04", 200, []string{"Plot foiled in Hamburg"}, []string{"Plot XYZZY"}},
		{"/map", 200, nil, nil},
		{"/?from=2024-01-01&to=2024-06-30&related_to=is-khorasan", 200, nil, []string{"test-secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			res := get(t, reader, tt.path)
			if res.code != tt.readerCode {
				t.Errorf("reader: %d; want %d", res.code, tt.readerCode)
			}
			for _, leak := range []string{"xyzzy", "test-marked/amber", "test-marked/red", "test-marked-red", "test-secret/"} {
				if strings.Contains(strings.ToLower(res.body), leak) && !(res.code == 404 && strings.Contains(tt.path, strings.ReplaceAll(leak, "/", "%2F"))) {
					t.Errorf("reader's page shows %q:\n%s", leak, excerpt(res.body))
				}
			}
			for _, w := range tt.readerWant {
				if !strings.Contains(res.body, w) {
					t.Errorf("reader's page lacks %s:\n%s", w, excerpt(res.body))
				}
			}
			res = get(t, admin, tt.path)
			if res.code != 200 {
				t.Errorf("admin: %d", res.code)
			}
			for _, w := range tt.adminWant {
				if !strings.Contains(res.body, w) {
					t.Errorf("admin's page lacks %s:\n%s", w, excerpt(res.body))
				}
			}
			if strings.Contains(res.body, "withheld at your clearance") {
				t.Errorf("admin's page says something was withheld")
			}
		})
	}
}

// TestDuplicateReviewOnIncidentPage: the incident page lists its
// duplicate-review decisions; one naming a record withheld at the reader's
// clearance is only counted, its ID never shown.
func TestDuplicateReviewOnIncidentPage(t *testing.T) {
	ctx := context.Background()
	db := mustOpenStore(t)
	if _, err := db.Apply(ctx, storetest.MarkedCurated()); err != nil {
		t.Fatal(err)
	}
	for _, d := range []plotline.DuplicateDecision{
		{A: "test-marked", B: "test-secret", Verdict: plotline.DuplicateSame, By: "alice", Note: "same plot"},
		{A: "test-marked", B: "2024-01-28-tur-istanbul-church", Verdict: plotline.DuplicateDistinct, By: "bob", Note: "other city"},
	} {
		if err := db.SaveDuplicateDecision(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	ui := New(Config{Store: db, Analytics: analyticsOf(mustEngine(t, db)), Now: func() time.Time { return today }})
	as := func(u plotline.User) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ui.ServeHTTP(w, r.WithContext(plotline.WithUser(r.Context(), &u)))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	reader := get(t, as(plotline.User{Name: "reader", Role: plotline.RoleReader, Clearance: "green"}), "/incidents/test-marked")
	if reader.code != 200 || strings.Contains(reader.body, "test-secret") || strings.Contains(reader.body, "same plot") ||
		!strings.Contains(reader.body, `A different incident from <a href="/incidents/2024-01-28-tur-istanbul-church">`) ||
		!strings.Contains(reader.body, `id="duplicates-withheld">1 decision(s)`) {
		t.Errorf("reader's page:\n%s", excerpt(reader.body))
	}
	admin := get(t, as(plotline.User{Name: "admin", Role: plotline.RoleAdmin, Clearance: "red"}), "/incidents/test-marked")
	if admin.code != 200 || !strings.Contains(admin.body, `Counted as one incident with <a href="/incidents/test-secret">`) ||
		!strings.Contains(admin.body, "same plot") || strings.Contains(admin.body, "duplicates-withheld") {
		t.Errorf("admin's page:\n%s", excerpt(admin.body))
	}
	// The linked record's statements are listed with the incident, for
	// those who may see them.
	if !strings.Contains(admin.body, `data-attribution="test-secret/gov"`) || !strings.Contains(admin.body, "Service XYZZY") {
		t.Errorf("admin's page lacks the linked record's statement:\n%s", excerpt(admin.body))
	}
	if strings.Contains(reader.body, "linked-statements") {
		t.Errorf("reader's page lists statements of a record withheld from them:\n%s", excerpt(reader.body))
	}
}

// TestLinkedGroupInTable: a listed incident standing for records linked as
// one shows the units its group's statements name.
func TestLinkedGroupInTable(t *testing.T) {
	const tjk, swe = "2024-q1-tjk-vahdat-nowruz-poison-plot", "2024-03-swe-tyreso-is-somalia-plot"
	db := mustOpenStore(t)
	eng := mustEngine(t, db)
	srv := serveUI(t, db, eng)
	path := "/incidents?q=" + url.QueryEscape("target:TJK,SWE date:2024-01..2024-03") + "&cols=title,units"
	before := get(t, srv, path)
	if before.code != 200 || !strings.Contains(before.body, "Tyres") || rowHas(before.body, "Nowruz", "Somalia") {
		t.Fatalf("before linking:\n%s", excerpt(before.body))
	}
	if err := db.SaveDuplicateDecision(context.Background(), &plotline.DuplicateDecision{A: tjk, B: swe, Verdict: plotline.DuplicateSame, By: "test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := get(t, srv, path)
	if after.code != 200 || strings.Contains(after.body, "Tyres") || !rowHas(after.body, "Nowruz", "Somalia Province") || !rowHas(after.body, "Nowruz", "Khorasan") {
		t.Errorf("after linking:\n%s", excerpt(after.body))
	}
}

// rowHas reports whether the table row holding key also holds want.
func rowHas(body, key, want string) bool {
	for _, row := range strings.Split(body, "<tr") {
		if strings.Contains(row, key) {
			return strings.Contains(row, want)
		}
	}
	return false
}
