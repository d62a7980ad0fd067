package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/dataset"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/postgres"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// isPostgres reports whether dsn names a PostgreSQL server rather than a
// SQLite file.
func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openBackend opens the store dsn names: a postgres:// or postgresql:// URL
// opens the PostgreSQL store (search_path=SCHEMA in the URL selects a
// schema), anything else is a SQLite file, created if missing.
func openBackend(ctx context.Context, dsn string) (plotline.Store, error) {
	if isPostgres(dsn) {
		return postgres.Open(ctx, dsn)
	}
	return sqlite.Open(ctx, dsn)
}

// openAnyStore opens the store dsn names, either backend, and loads the
// curated dataset into it when it is new. Commands that need more than
// plotline.Store open it through openStoreAs.
func (m *Main) openAnyStore(ctx context.Context, dsn string) (plotline.Store, error) {
	db, err := openBackend(ctx, dsn)
	if err != nil {
		return nil, err
	}
	empty, err := db.Empty(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if empty {
		ds, err := dataset.Load(dataset.Files)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("curated dataset: %w", err)
		}
		if _, err := db.Apply(ctx, ds.Batch); err != nil {
			db.Close()
			return nil, fmt.Errorf("load curated dataset: %w", err)
		}
		fmt.Fprintf(m.Stderr, "plotline: new database %s: loaded the curated dataset (%d incidents, %d actors, %d sources; %s)\n",
			redact(dsn), len(ds.Batch.Incidents), len(ds.Batch.Actors), len(ds.Batch.Sources), ds.Digest)
	}
	return db, nil
}

// openExisting opens a store that must already exist: a SQLite file that is
// not there is ENOTFOUND rather than a new empty database.
func openExisting(ctx context.Context, dsn string) (plotline.Store, error) {
	if !isPostgres(dsn) {
		if _, err := os.Stat(dsn); errors.Is(err, fs.ErrNotExist) {
			return nil, plotline.Errorf(plotline.ENOTFOUND, "database %s does not exist", dsn)
		}
	}
	return openBackend(ctx, dsn)
}

// redact hides a password in a connection string for messages.
func redact(dsn string) string {
	if !isPostgres(dsn) {
		return dsn
	}
	scheme, rest, _ := strings.Cut(dsn, "://")
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return dsn
	}
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return fmt.Sprintf("%s://%s:***@%s", scheme, user, host)
	}
	return dsn
}

// The commands open the store through the narrowest interface they need, so
// that each works on every backend that has it (SQLite and PostgreSQL have
// them all). plotline.Store alone is openAnyStore.

// analyticsStore is what the engine's commands need: the store for reading
// whole records and counting drafts, and the engine's source (query,
// report, project, export with a query).
type analyticsStore interface {
	plotline.Store
	engine.Source
}

// importStore is what gen needs: Apply and the streaming import.
type importStore interface {
	plotline.Store
	plotline.ImportStore
}

// reviewStore is what reviewing names and duplicates needs.
type reviewStore interface {
	plotline.Store
	plotline.ResolveStore
}

// catalogueStore is what importing needs from a store: the streaming
// import, and the entity-resolution decisions the names are resolved with.
type catalogueStore interface {
	plotline.Store
	plotline.ImportStore
	plotline.ResolveStore
}

// openStoreAs is openAnyStore for a command that needs more of the store
// than plotline.Store: a store without it is ENOTIMPLEMENTED, the message
// ending with what the command would have done ("cannot " + what).
func openStoreAs[T plotline.Store](ctx context.Context, m *Main, dsn, what string) (T, error) {
	var zero T
	db, err := m.openAnyStore(ctx, dsn)
	if err != nil {
		return zero, err
	}
	st, ok := db.(T)
	if !ok {
		db.Close()
		return zero, plotline.Errorf(plotline.ENOTIMPLEMENTED, "the store %s cannot %s", redact(dsn), what)
	}
	return st, nil
}

// openAnalyticsStore opens a store that can feed the analytics engine.
func (m *Main) openAnalyticsStore(ctx context.Context, dsn string) (analyticsStore, error) {
	return openStoreAs[analyticsStore](ctx, m, dsn, "feed the analytics engine")
}

// openCatalogueStore opens a store that can import.
func (m *Main) openCatalogueStore(ctx context.Context, dsn string) (catalogueStore, error) {
	return openStoreAs[catalogueStore](ctx, m, dsn, "import or keep review decisions")
}
