package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline/internal/postgres/pgtest"
)

// TestLoadtestMixed runs a short mixed load on each backend and checks that
// reads and writes were measured and that none failed. It asserts nothing
// about speed.
func TestLoadtestMixed(t *testing.T) {
	for _, tc := range []struct {
		name string
		dsn  func(*testing.T) string
	}{
		{"sqlite", newDB},
		{"postgres", func(t *testing.T) string { return pgtest.DSN(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := tc.dsn(t)
			out, stderr, err := run(t, dsn, "loadtest-mixed", "--clients", "4", "--duration", "1s", "--writes", "0.3")
			if err != nil {
				t.Fatalf("loadtest-mixed: %v\n%s\n%s", err, out, stderr)
			}
			for _, op := range []string{"write", "get-incident", "report"} {
				if !regexp.MustCompile(`(?m)^\s*` + op + `\s+[1-9]\d*\s+0\s`).MatchString(out) {
					t.Errorf("no error-free %s measurements in:\n%s", op, out)
				}
			}
			if !strings.Contains(out, ", 0 errors") {
				t.Errorf("errors reported:\n%s", out)
			}
		})
	}
}
