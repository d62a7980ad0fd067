package plotline

import "context"

// ChangeNotifier is implemented by stores that can say cheaply which change
// was applied last, so a reader that keeps an index built from the store
// (the engine) can tell whether writes, its own or another process's, made
// it stale. Change IDs only grow; 0 means nothing was ever applied.
type ChangeNotifier interface {
	LastChange(ctx context.Context) (int64, error)
}

// ChangeSubscriber is implemented by stores that push change IDs as they are
// applied by any process (PostgreSQL LISTEN/NOTIFY). The channel delivers the
// newest change ID, coalescing bursts, and is closed when ctx ends. After a
// lost connection it delivers the latest ID once reconnected, so a
// subscriber never misses that something changed.
type ChangeSubscriber interface {
	Subscribe(ctx context.Context) <-chan int64
}

// HistoryChange is one row of a store's change log exactly as stored, for
// copying a whole store between backends with IDs and record times kept.
type HistoryChange struct {
	ID         int64
	RecordedAt int64 // unix nanoseconds
	RecordedBy string
	Note       string
	Action     string // "" reads as ActionEdit
	Target     int64
}

// HistoryVersion is one stored version of a record exactly as stored.
// RecTo is 0 while the version is current. Data is nil for a tombstone.
type HistoryVersion struct {
	Kind     string
	ID       string
	Version  int
	ChangeID int64
	RecFrom  int64
	RecTo    int64
	Deleted  bool
	Data     []byte
	Status   string // "" reads as StatusPublished
}

// HistoryExporter streams a store's whole history: every change (by ID),
// then every version of every kind (RecKinds order, then by ID and
// version), read in one consistent snapshot.
type HistoryExporter interface {
	ExportHistory(ctx context.Context, change func(HistoryChange) error, version func(HistoryVersion) error) error
}

// HistoryImporter loads a whole history, verbatim, into an empty store.
type HistoryImporter interface {
	// ImportHistory begins one transaction; nothing is visible until the
	// loader's Commit. It fails with ECONFLICT when the store is not empty.
	ImportHistory(ctx context.Context) (HistoryLoader, error)
}

// HistoryLoader receives the rows of one import. Rollback after Commit is a
// no-op, so callers can defer it.
type HistoryLoader interface {
	AddChange(ctx context.Context, c HistoryChange) error
	AddVersion(ctx context.Context, v HistoryVersion) error
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// RecKinds lists the record kinds in dependency order.
var RecKinds = []string{RecSource, RecActor, RecAffiliation, RecIncident, RecAttribution}
