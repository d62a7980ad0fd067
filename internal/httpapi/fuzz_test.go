package httpapi_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/plotline-dev/plotline/internal/httpapi"
)

// FuzzWriteBodies sends arbitrary bodies to the write routes: the answer is
// a success or a 4xx JSON error, never a 5xx.
func FuzzWriteBodies(f *testing.F) {
	for _, s := range []string{
		`{"title":"x","kind":"plot","outcome":"foiled","date":"2024-05","location":{"country":"AUT"},"target_country":"AUT","sources":["h1-winep-pw3904"]}`,
		`{"date":"2024-Q5"}`, `{"killed":{"low":5,"high":1}}`, `{"location":{"lat":1e400}}`, `[]`, `{`, `null`, `{"attributions":[{}]}`,
		`{"incident":"2024-01-28-tur-istanbul-church","actor":"is","basis":"claim","stated_on":"2024-01-28..2024-01-01"}`,
		`{"id":"s","url":"http://[::1","tlp":"red"}`,
	} {
		f.Add(uint8(0), s)
	}
	db := mustOpenCurated(f)
	srv := httpapi.NewServer(httpapi.Config{Store: db, Logger: slog.New(slog.DiscardHandler)})
	routes := []struct{ method, path string }{
		{"POST", "/api/v1/incidents"}, {"PUT", "/api/v1/incidents/2024-01-28-tur-istanbul-church"},
		{"POST", "/api/v1/attributions"}, {"POST", "/api/v1/sources"}, {"PUT", "/api/v1/sources/h1-winep-pw3904"},
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		r := routes[int(route)%len(routes)]
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q: got %d %s", r.method, r.path, body, w.Code, w.Body)
		}
		if w.Code >= 400 && w.Header().Get("Content-Type") != "application/json" {
			t.Fatalf("error without a JSON body: %d %q", w.Code, w.Body)
		}
	})
}

// FuzzQueryParameters sends arbitrary parameter values to the read routes.
func FuzzQueryParameters(f *testing.F) {
	for _, s := range []string{"", "2024-02-30", "eyJvIjoyLCJpIjoieCJ9", "-1", "99999999999999999999", "kind:plot", "a,b,c,d", "ISKP"} {
		f.Add(uint8(0), s)
	}
	db := mustOpenCurated(f)
	srv := httpapi.NewServer(httpapi.Config{Store: db, Logger: slog.New(slog.DiscardHandler)})
	targets := []struct{ path, param string }{
		{"/api/v1/incidents", "cursor"}, {"/api/v1/incidents", "limit"}, {"/api/v1/incidents", "as_of"},
		{"/api/v1/incidents", "recorded"}, {"/api/v1/org", "date"}, {"/api/v1/org", "root"},
		{"/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30", "rule"},
		{"/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30", "related_to"},
		{"/api/v1/incidents/2024-01-28-tur-istanbul-church/diff", "from"},
		{"/api/v1/attributions", "cursor"}, {"/api/v1/count", "by"},
	}
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		tg := targets[int(which)%len(targets)]
		sep := "?"
		if bytes.ContainsRune([]byte(tg.path), '?') {
			sep = "&"
		}
		req := httptest.NewRequest("GET", tg.path+sep+tg.param+"="+url.QueryEscape(value), nil)
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, req)
		if w.Code >= 500 && w.Code != http.StatusNotImplemented {
			t.Fatalf("%s %s=%q: got %d %s", tg.path, tg.param, value, w.Code, w.Body)
		}
	})
}
