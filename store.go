package plotline

import (
	"context"
	"time"
)

// Record kinds, as stored and as named in history and errors.
const (
	RecSource      = "source"
	RecActor       = "actor"
	RecAffiliation = "affiliation"
	RecIncident    = "incident"
	RecAttribution = "attribution"
)

// AsOf selects what was known at a point on each clock. The zero AsOf means
// "everything, as recorded now".
//
// Stated is world time: only statements made (stated_on) by that day count,
// statements superseded or retracted by then no longer stand, and incidents
// not yet public are hidden. Recorded is record time: only versions Plotline
// had recorded by that instant are read. Both can be set together.
type AsOf struct {
	Stated   *Day
	Recorded *time.Time
	// IncludeDrafts reads each record's pending draft (awaiting review or
	// returned) in place of its published version. Only reads of the present
	// (Recorded nil) see drafts; callers set it for analysts and reviewers
	// only (see workflow.go).
	IncludeDrafts bool
}

// Batch is one set of writes applied in a single transaction and recorded as
// one change. Puts are upserts: a record whose content equals its current
// version is left alone, so re-applying a batch changes nothing.
type Batch struct {
	By   string // who makes the change (user name, "dataset", "import:gtd")
	Note string // why
	// Draft stores the batch's versions as a draft awaiting review instead
	// of publishing them: default reads, counts and reports do not see it
	// until a reviewer publishes it (see workflow.go).
	Draft bool

	Sources      []Source
	Actors       []Actor
	Affiliations []Affiliation
	// Incidents with Attributions set put those attributions too.
	Incidents    []Incident
	Attributions []Attribution
	Deletes      []Ref
}

// Ref names one record.
type Ref struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// Change summarises an applied batch.
type Change struct {
	ID         int64     `json:"id"`
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
	Note       string    `json:"note,omitempty"`
	Created    int       `json:"created"`
	Updated    int       `json:"updated"`
	Unchanged  int       `json:"unchanged"`
	Deleted    int       `json:"deleted"`

	// Action is what kind of change this is (ActionEdit, ActionDraft,
	// ActionPublish, ActionReturn, ActionRevert); Target is the change a
	// publish, return or revert acts on.
	Action string `json:"action,omitempty"`
	Target int64  `json:"target,omitempty"`
}

// IncidentFilter narrows a list of incidents. Empty fields do not filter.
type IncidentFilter struct {
	IDs    []string
	Kind   string
	From   *Day // incident date overlaps [From, To]
	To     *Day
	Origin string
	Limit  int
	Offset int
}

// Snapshot is every current record as of a point in record time, for the
// analysis layers to index. World-time filtering (AsOf.Stated) is applied by
// the readers of the snapshot, so one snapshot serves every stated date.
type Snapshot struct {
	Sources      []Source
	Actors       []Actor
	Affiliations []Affiliation
	Incidents    []Incident // with Attributions filled in
}

// Store keeps every version of every record. Implementations must pass
// internal/storetest.
type Store interface {
	// Apply writes a batch atomically: all of it or none of it. A batch
	// that changes nothing stored (every record unchanged, nothing deleted)
	// records no change: the returned Change has ID 0 (drafts excepted).
	Apply(ctx context.Context, b *Batch) (*Change, error)

	Incident(ctx context.Context, id string, asOf AsOf) (*Incident, error)
	Incidents(ctx context.Context, f IncidentFilter, asOf AsOf) ([]Incident, error)
	Actor(ctx context.Context, id string, asOf AsOf) (*Actor, error)
	Actors(ctx context.Context, asOf AsOf) ([]Actor, error)
	Affiliations(ctx context.Context, asOf AsOf) ([]Affiliation, error)
	Source(ctx context.Context, id string, asOf AsOf) (*Source, error)
	Sources(ctx context.Context, asOf AsOf) ([]Source, error)
	Snapshot(ctx context.Context, asOf AsOf) (*Snapshot, error)

	// History lists every version of one record, oldest first.
	History(ctx context.Context, ref Ref) ([]Version, error)
	// Changes lists applied changes, newest first.
	Changes(ctx context.Context, limit int) ([]Change, error)
	// Empty reports whether nothing has ever been written.
	Empty(ctx context.Context) (bool, error)

	Close() error
}
