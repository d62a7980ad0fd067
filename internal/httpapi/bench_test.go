package httpapi_test

import (
	"io"
	"net/http"
	"testing"
)

// dashboardPaths are the API requests behind the dashboard (H1 2024).
var dashboardPaths = []struct{ name, path string }{
	{"report", "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&related_to=ISKP&as_of=2025-06-30"},
	{"incidents", "/api/v1/incidents?limit=50"},
}

// BenchmarkDashboard measures one request at a time over loopback HTTP on
// the curated dataset, without the engine (the fallback analytics).
func BenchmarkDashboard(b *testing.B) {
	ts := newTestServer(b, nil)
	benchPaths(b, ts, dashboardPaths)
}

func benchPaths(b *testing.B, ts *testServer, paths []struct{ name, path string }) {
	for _, p := range paths {
		b.Run(p.name, func(b *testing.B) {
			for b.Loop() {
				res, err := ts.Client().Get(ts.URL + p.path)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, res.Body); err != nil {
					b.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					b.Fatalf("%s: status %d", p.path, res.StatusCode)
				}
			}
		})
	}
}
