package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe to read while the server writes logs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var servingAddr = regexp.MustCompile(`msg=serving addr=http://(\S+)`)

// startServe runs `plotline serve` on a free loopback port and returns its
// base URL and a function that interrupts it and returns its error.
func startServe(t *testing.T, db string) (string, func() error) {
	t.Helper()
	var out, errb lockedBuffer
	m := NewMain(&out, &errb, func(string) string { return "" })
	m.Now = func() time.Time { return time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, []string{"--db", db, "serve", "--addr", "127.0.0.1:0"}) }()
	deadline := time.After(30 * time.Second) // a hang guard, not a timing assertion
	for {
		if sm := servingAddr.FindStringSubmatch(errb.String()); sm != nil {
			return "http://" + sm[1], func() error { cancel(); return <-done }
		}
		select {
		case err := <-done:
			cancel()
			t.Fatalf("serve ended before serving: %v\n%s", err, errb.String())
		case <-deadline:
			cancel()
			t.Fatalf("serve did not start:\n%s", errb.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// TestServe starts the real command on a new database, checks the API, the
// UI and health, and that an interrupt shuts it down cleanly.
func TestServe(t *testing.T) {
	db := newDB(t)
	base, stop := startServe(t, db)
	if code, body := get(t, base+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	code, body := get(t, base+"/api/v1/incidents/"+istanbul)
	if code != 200 || !strings.Contains(body, `"attributions"`) {
		t.Fatalf("incident: %d %.300s", code, body)
	}
	if code, body := get(t, base+"/"); code != 200 || !strings.Contains(body, "<html") {
		t.Fatalf("UI at /: %d %.300s", code, body)
	}
	if code, _ := get(t, base+"/metrics"); code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	// The report over HTTP is the CLI's report.
	q := "from=2024-01-01&to=2024-06-30&related_to=ISKP&as_of=2025-06-30"
	code, apiJSON := get(t, base+"/api/v1/report/external-ops?"+q)
	if code != 200 {
		t.Fatalf("report: %d %s", code, apiJSON)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve after interrupt: got %v, want a clean shutdown", err)
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		t.Fatal("still listening after shutdown")
	}
	cliJSON, stderr, err := run(t, db, "report", "external-ops", "--from", "2024-01-01", "--to", "2024-06-30", "--related-to", "ISKP", "--as-of", "2025-06-30", "--format", "json")
	if err != nil {
		t.Fatalf("cli report: %v\n%s", err, stderr)
	}
	var a, c any
	if err := json.Unmarshal([]byte(apiJSON), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(cliJSON), &c); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, c) {
		t.Fatalf("the API's report differs from the CLI's:\napi %.500s\ncli %.500s", apiJSON, cliJSON)
	}
}
