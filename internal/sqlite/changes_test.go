package sqlite_test

import (
	"context"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/plotline-dev/plotline/internal/storetest"
)

func TestLastChangeSeesOtherConnections(t *testing.T) {
	ctx := context.Background()
	reader := MustOpenDB(t)
	if id, err := reader.LastChange(ctx); err != nil || id != 0 {
		t.Fatalf("new store: LastChange = %d, %v; want 0", id, err)
	}
	// A second handle on the same file stands in for another process.
	writer, err := sqlite.Open(ctx, reader.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Close()
	ch, err := writer.Apply(ctx, storetest.Fixture())
	if err != nil {
		t.Fatal(err)
	}
	if id, err := reader.LastChange(ctx); err != nil || id != ch.ID {
		t.Errorf("after another handle's write: LastChange = %d, %v; want %d", id, err, ch.ID)
	}
}

func TestImportHistoryRefusesNonEmpty(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	if _, err := db.Apply(ctx, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportHistory(ctx); plotline.ErrorCode(err) != plotline.ECONFLICT {
		t.Errorf("import into a non-empty store: err %v; want ECONFLICT", err)
	}
}
