package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/plotline-dev/plotline/internal/auth/authtest"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

func TestAccountStore(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "accounts.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	authtest.Run(t, db)

}
