package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestUserCommands drives plotline user end to end, then serves the
// database in accounts mode and uses the token it made.
func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "plotline.db")
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("a long enough password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		m := NewMain(&out, &errb, func(string) string { return "" })
		err := m.Run(context.Background(), append([]string{"--db", db, "user"}, args...))
		return out.String(), err
	}
	mustRun := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("user %v: %v", args, err)
		}
		return out
	}
	// Accounts mode without an admin refuses to start, saying what to do.
	var errb bytes.Buffer
	m := NewMain(&bytes.Buffer{}, &errb, func(string) string { return "" })
	err := m.Run(context.Background(), []string{"--db", db, "serve", "--addr", "127.0.0.1:0", "--auth"})
	if err == nil || !strings.Contains(err.Error(), "plotline user add") {
		t.Fatalf("serve --auth without users: got %v", err)
	}

	if out := mustRun("add", "ann", "--role", "admin", "--clearance", "red", "--password-file", pwFile); !strings.Contains(out, "added user ann") {
		t.Errorf("add: %q", out)
	}
	mustRun("add", "rita", "--role", "reader", "--password-file", pwFile)
	if _, err := run("add", "ANN", "--role", "reader", "--password-file", pwFile); err == nil {
		t.Error("a second ann was added")
	}
	if _, err := run("add", "x", "--role", "owner", "--password-file", pwFile); err == nil {
		t.Error("an unknown role was accepted")
	}
	out := mustRun("list")
	if !regexp.MustCompile(`(?m)^1\s+ann\s+admin\s+red\s+enabled`).MatchString(out) || !regexp.MustCompile(`(?m)^2\s+rita\s+reader\s+clear\s+enabled`).MatchString(out) {
		t.Errorf("list:\n%s", out)
	}
	token := strings.TrimSpace(mustRun("token", "rita", "--label", "test script"))
	if !strings.HasPrefix(token, "plt_") {
		t.Fatalf("token: %q", token)
	}
	if out := mustRun("tokens"); !strings.Contains(out, "rita") || !strings.Contains(out, "test script") || strings.Contains(out, token) {
		t.Errorf("tokens (must not show the secret):\n%s", out)
	}

	base, stop := startServeArgs(t, db, "--auth")
	call := func(method, path, tok string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader("{}"))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	for _, c := range []struct {
		method, path, tok string
		want              int
	}{
		{"GET", "/api/v1/incidents?limit=1", token, 200},
		{"GET", "/api/v1/incidents?limit=1", "", 401},
		{"GET", "/api/v1/incidents?limit=1", "plt_forged", 401},
		{"POST", "/api/v1/incidents", token, 403},
		{"GET", "/healthz", "", 200},
	} {
		if got := call(c.method, c.path, c.tok); got != c.want {
			t.Errorf("%s %s: got %d, want %d", c.method, c.path, got, c.want)
		}
	}
	mustRun("revoke", "1")
	if got := call("GET", "/api/v1/incidents?limit=1", token); got != 401 {
		t.Errorf("revoked token: got %d", got)
	}
	token2 := strings.TrimSpace(mustRun("token", "rita"))
	mustRun("disable", "rita")
	if got := call("GET", "/api/v1/incidents?limit=1", token2); got != 401 {
		t.Errorf("token of a disabled user: got %d", got)
	}
	mustRun("enable", "rita")
	mustRun("set", "rita", "--role", "analyst")
	if got := call("POST", "/api/v1/incidents", token2); got != 400 {
		t.Errorf("analyst write with an empty body: got %d, want 400 (allowed, invalid)", got)
	}
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
}

// startServeArgs is startServe with extra serve flags.
func startServeArgs(t *testing.T, db string, extra ...string) (string, func() error) {
	t.Helper()
	var errb lockedBuffer
	m := NewMain(&bytes.Buffer{}, &errb, func(string) string { return "" })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.Run(ctx, append([]string{"--db", db, "serve", "--addr", "127.0.0.1:0"}, extra...))
	}()
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

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:80": true, "[::1]:8080": true, "127.5.0.1:1": true,
		":8080": false, "0.0.0.0:8080": false, "192.0.2.10:8080": false, "[::]:80": false, "plotline.example:443": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q): got %v, want %v", addr, got, want)
		}
	}
}
