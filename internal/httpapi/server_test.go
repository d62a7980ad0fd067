package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plotline-dev/plotline/dataset"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// fixedNow is the server's "today" in tests, so default as-of days do not
// depend on when the tests run.
var fixedNow = time.Date(2025, 7, 1, 12, 0, 0, 0, time.UTC)

// curatedTemplate is a database file holding the curated dataset, made
// once per test binary; each test opens its own copy of it.
var curatedTemplate = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "plotline-httpapi-test-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "template.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return "", err
	}
	ds, err := dataset.Load(dataset.Files)
	if err != nil {
		db.Close()
		return "", err
	}
	if _, err := db.Apply(ctx, ds.Batch); err != nil {
		db.Close()
		return "", err
	}
	return path, db.Close() // closing checkpoints the WAL into the file
})

func TestMain(m *testing.M) {
	code := m.Run()
	if path, err := curatedTemplate(); err == nil {
		os.RemoveAll(filepath.Dir(path))
	}
	os.Exit(code)
}

// mustOpenCurated opens a new SQLite store in tb.TempDir() holding the
// curated dataset.
func mustOpenCurated(tb testing.TB) *sqlite.DB {
	tb.Helper()
	tmpl, err := curatedTemplate()
	if err != nil {
		tb.Fatal(err)
	}
	data, err := os.ReadFile(tmpl)
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "plotline.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// testServer serves the API over a real loopback connection.
type testServer struct {
	*httptest.Server
	db  *sqlite.DB
	api *httpapi.Server
	log *bytes.Buffer
}

func newTestServer(tb testing.TB, mod func(*httpapi.Config)) *testServer {
	tb.Helper()
	db := mustOpenCurated(tb)
	var logs bytes.Buffer
	cfg := httpapi.Config{Store: db, Logger: slog.New(slog.NewJSONHandler(&logs, nil)), Now: func() time.Time { return fixedNow },
		MaxBodyBytes: 64 << 10}
	if mod != nil {
		mod(&cfg)
	}
	api := httpapi.NewServer(cfg)
	ts := httptest.NewServer(api)
	tb.Cleanup(ts.Close)
	return &testServer{Server: ts, db: db, api: api, log: &logs}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r response) errorBody(tb testing.TB) httpapi.ErrorBody {
	tb.Helper()
	var e httpapi.ErrorBody
	r.json(tb, &e)
	return e
}

// do sends a request; body may be nil, a string or a value to encode.
func (ts *testServer) do(tb testing.TB, method, path string, body any, header ...string) response {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, ts.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := ts.Client().Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// changeCount is the number of changes the store has recorded.
func (ts *testServer) changeCount(tb testing.TB) int {
	tb.Helper()
	ch, err := ts.db.Changes(context.Background(), 1000)
	if err != nil {
		tb.Fatal(err)
	}
	return len(ch)
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	res := ts.do(t, "GET", "/healthz", nil)
	if res.status != 200 || strings.TrimSpace(string(res.body)) != "ok" {
		t.Fatalf("got %d %q, want 200 ok", res.status, res.body)
	}
}

func TestMiddleware(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	t.Run("request ID is made and echoed", func(t *testing.T) {
		res := ts.do(t, "GET", "/api/v1/actors", nil)
		if id := res.header.Get("X-Request-ID"); len(id) < 16 {
			t.Fatalf("got X-Request-ID %q, want a generated one", id)
		}
		res = ts.do(t, "GET", "/api/v1/incidents/nope", nil, "X-Request-ID", "trace-42")
		if got := res.header.Get("X-Request-ID"); got != "trace-42" {
			t.Fatalf("got X-Request-ID %q, want trace-42", got)
		}
		if e := res.errorBody(t); e.RequestID != "trace-42" {
			t.Fatalf("got request_id %q in the error, want trace-42", e.RequestID)
		}
		if !strings.Contains(ts.log.String(), `"request_id":"trace-42"`) {
			t.Fatalf("the request log does not carry the request ID:\n%s", ts.log)
		}
	})
	t.Run("security headers", func(t *testing.T) {
		res := ts.do(t, "GET", "/", nil)
		for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if got := res.header.Get(h); got != want {
				t.Errorf("got %s %q, want %q", h, got, want)
			}
		}
		if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("got CSP %q", csp)
		}
	})
	t.Run("gzip when accepted", func(t *testing.T) {
		req, _ := http.NewRequest("GET", ts.URL+"/api/v1/actors", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req) // no transparent decompression
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if got := res.Header.Get("Content-Encoding"); got != "gzip" {
			t.Fatalf("got Content-Encoding %q, want gzip", got)
		}
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		var list httpapi.ActorList
		if err := json.NewDecoder(zr).Decode(&list); err != nil {
			t.Fatal(err)
		}
		if len(list.Actors) == 0 {
			t.Fatal("no actors in the decompressed body")
		}
		plain := ts.do(t, "GET", "/api/v1/actors", nil, "Accept-Encoding", "identity")
		if plain.header.Get("Content-Encoding") != "" {
			t.Fatalf("compressed without being asked")
		}
	})
	t.Run("metrics count requests by route", func(t *testing.T) {
		ts.do(t, "GET", "/api/v1/sources", nil)
		res := ts.do(t, "GET", "/metrics", nil)
		want := `plotline_http_requests_total{code="200",method="GET",route="GET /api/v1/sources"}`
		if res.status != 200 || !strings.Contains(string(res.body), want) {
			t.Fatalf("got %d, metrics without %s:\n%.2000s", res.status, want, res.body)
		}
	})
}

func TestPanicIsRecovered(t *testing.T) {
	t.Parallel()
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			panic("boom")
		}
		io.WriteString(w, "ui")
	})
	ts := newTestServer(t, func(c *httpapi.Config) { c.UI = ui })
	res := ts.do(t, "GET", "/boom", nil, "Accept-Encoding", "gzip")
	if res.status != 500 {
		t.Fatalf("got status %d, want 500", res.status)
	}
	if e := res.errorBody(t); e.Code != "internal" || strings.Contains(e.Message, "boom") {
		t.Fatalf("got %+v, want an internal error without the panic's text", e)
	}
	if !strings.Contains(ts.log.String(), "boom") {
		t.Fatalf("the panic was not logged:\n%s", ts.log)
	}
	if res := ts.do(t, "GET", "/other", nil); res.status != 200 || string(res.body) != "ui" {
		t.Fatalf("after a panic: got %d %q, want the UI to keep serving", res.status, res.body)
	}
}

func TestUIIsMountedAtRoot(t *testing.T) {
	t.Parallel()
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<p>page "+r.URL.Path+"</p>")
	})
	ts := newTestServer(t, func(c *httpapi.Config) { c.UI = ui })
	for path, want := range map[string]string{"/": "<p>page /</p>", "/incidents/x": "<p>page /incidents/x</p>", "/healthz": "ok\n"} {
		if res := ts.do(t, "GET", path, nil); string(res.body) != want {
			t.Errorf("GET %s: got %q, want %q", path, res.body, want)
		}
	}
	if res := ts.do(t, "GET", "/api/v1/nope", nil); res.status != 404 || res.errorBody(t).Code != "not_found" {
		t.Errorf("GET /api/v1/nope: got %d %s, want a JSON 404 from the API, not the UI", res.status, res.body)
	}
}

func TestETag(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	first := ts.do(t, "GET", "/api/v1/incidents?limit=5", nil)
	tag := first.header.Get("ETag")
	if first.status != 200 || tag == "" {
		t.Fatalf("got %d with ETag %q", first.status, tag)
	}
	again := ts.do(t, "GET", "/api/v1/incidents?limit=5", nil, "If-None-Match", tag)
	if again.status != http.StatusNotModified || len(again.body) != 0 {
		t.Fatalf("got %d %q, want 304 and no body", again.status, again.body)
	}
	other := ts.do(t, "GET", "/api/v1/incidents?limit=6", nil, "If-None-Match", tag)
	if other.status != 200 {
		t.Fatalf("a different page matched the first page's ETag: %d", other.status)
	}
}

func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	db := mustOpenCurated(t)
	srv := httpapi.NewServer(httpapi.Config{Store: db})
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- srv.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addrc <- a.String() })
	}()
	addr := <-addrc
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("got %v from a graceful shutdown, want nil", err)
	}
	if _, err := http.Get("http://" + addr + "/healthz"); err == nil {
		t.Fatal("still serving after shutdown")
	}
}

// TestRequestDeadline: every request's context carries the configured
// deadline, so a slow handler is told to stop.
func TestRequestDeadline(t *testing.T) {
	t.Parallel()
	got := make(chan error, 1)
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
		got <- r.Context().Err()
		http.Error(w, "too slow", http.StatusServiceUnavailable)
	})
	ts := newTestServer(t, func(c *httpapi.Config) { c.UI, c.RequestTimeout = ui, 50*time.Millisecond })
	if res := ts.do(t, "GET", "/slow", nil); res.status != http.StatusServiceUnavailable {
		t.Fatalf("got %d", res.status)
	}
	if err := <-got; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the request deadline", err)
	}
}

// TestBodyLimitAppliesToUI: the UI's form posts are capped too.
func TestBodyLimitAppliesToUI(t *testing.T) {
	t.Parallel()
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
				return
			}
		}
		io.WriteString(w, "read")
	})
	ts := newTestServer(t, func(c *httpapi.Config) { c.UI = ui })
	if res := ts.do(t, "POST", "/incidents/new", strings.Repeat("x", 65<<10)); res.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %d %q, want 413", res.status, res.body)
	}
	if res := ts.do(t, "POST", "/incidents/new", "title=x"); res.status != 200 {
		t.Fatalf("a small post: got %d", res.status)
	}
}
