package postgres_test

import (
	"context"
	"testing"

	"github.com/plotline-dev/plotline/internal/auth/authtest"
	"github.com/plotline-dev/plotline/internal/postgres"
	"github.com/plotline-dev/plotline/internal/postgres/pgtest"
)

func TestAccountStore(t *testing.T) {
	t.Parallel()
	db, err := postgres.Open(context.Background(), pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	authtest.Run(t, db)
}
