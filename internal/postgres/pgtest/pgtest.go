// Package pgtest gives tests a fresh, private PostgreSQL schema on the
// server named by PLOTLINE_TEST_POSTGRES, so parallel runs never collide.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the server tests run against.
const EnvVar = "PLOTLINE_TEST_POSTGRES"

// DSN creates a new schema plotline_test_<random>, registers its removal
// (DROP SCHEMA … CASCADE) as cleanup, and returns a connection string whose
// search_path selects it. Without PLOTLINE_TEST_POSTGRES the test is skipped.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		tb.Skip("set PLOTLINE_TEST_POSTGRES=postgres://… to run the PostgreSQL tests")
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "plotline_test_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect to %s: %v", EnvVar, err)
	}
	defer conn.Close(ctx)
	ident := pgx.Identifier{schema}.Sanitize()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+ident); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+ident+` CASCADE`); err != nil {
			tb.Errorf("drop schema %s: %v", schema, err)
		}
	})
	dsn, err := WithSearchPath(base, schema)
	if err != nil {
		tb.Fatal(err)
	}
	return dsn
}

// WithSearchPath returns dsn (URL or key=value form) with search_path set to schema.
func WithSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}
