package plotline

import (
	"context"
	"time"
)

// Verdicts on a source name: is it this actor?
const (
	VerdictMatch   = "match"
	VerdictNoMatch = "no-match"
	VerdictUnsure  = "unsure"
)

// Verdicts on a pair of duplicate candidates.
const (
	DuplicateSame     = "same"     // one incident reported twice: linked, both records kept
	DuplicateDistinct = "distinct" // two incidents
)

// NameDecision records a reviewer's verdict on a group name as a dataset
// spells it. Decisions are history: a later decision on the same name
// supersedes an earlier one, and both are kept.
type NameDecision struct {
	ID      int64     `json:"id"`
	Dataset string    `json:"dataset"` // "gtd", "acled", ...; "" applies to every dataset
	Name    string    `json:"name"`    // as the source spells it
	Key     string    `json:"key"`     // the normalised name the decision applies to
	Verdict string    `json:"verdict"` // match | no-match | unsure
	ActorID string    `json:"actor,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Note    string    `json:"note,omitempty"`
}

// PendingName is a group name an import could not match to an actor. The
// incidents carrying it are attributed to the placeholder actor ActorID
// (kind unaffiliated, named as the source spells it) until a decision is made.
type PendingName struct {
	Dataset    string    `json:"dataset"`
	Key        string    `json:"key"`
	Name       string    `json:"name"`
	ActorID    string    `json:"actor"`                // the placeholder actor
	Example    string    `json:"example,omitempty"`    // one incident carrying the name
	Suggestion string    `json:"suggestion,omitempty"` // a candidate actor, never applied automatically
	Reason     string    `json:"reason,omitempty"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
	// Incidents counts current attributions to the placeholder (filled on read).
	Incidents int `json:"incidents"`
	// Verdict is the current decision, "" when none ("unsure" keeps a name pending).
	Verdict string `json:"verdict,omitempty"`
}

// DuplicateDecision records a reviewer's verdict on two incidents that may
// be one event reported by two sources. "same" links them; both records stay.
type DuplicateDecision struct {
	ID      int64     `json:"id"`
	A       string    `json:"a"` // incident IDs, A < B
	B       string    `json:"b"`
	Verdict string    `json:"verdict"` // same | distinct
	Score   float64   `json:"score"`
	Reason  string    `json:"reason,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Note    string    `json:"note,omitempty"`
}

// DecisionsOn returns the duplicate decisions on incident id that stood at
// recorded (nil: now): the latest on each pair recorded by then, oldest
// pair first. decisions is every decision, oldest first (or with recorded
// nil only the current ones, as ResolveStore.DuplicateDecisions gives them).
func DecisionsOn(decisions []DuplicateDecision, id string, recorded *time.Time) []DuplicateDecision {
	var out []DuplicateDecision
	for _, d := range CurrentDecisions(decisions, recorded) {
		if d.A == id || d.B == id {
			out = append(out, d)
		}
	}
	return out
}

// CurrentDecisions returns the duplicate decisions that stood at recorded
// (nil: now), the latest on each pair, from decisions as DecisionsOn takes
// them.
func CurrentDecisions(decisions []DuplicateDecision, recorded *time.Time) []DuplicateDecision {
	latest := map[[2]string]int{}
	var out []DuplicateDecision
	for _, d := range decisions {
		if recorded != nil && d.At.After(*recorded) {
			continue
		}
		if k, ok := latest[[2]string{d.A, d.B}]; ok {
			out[k] = d
			continue
		}
		latest[[2]string{d.A, d.B}] = len(out)
		out = append(out, d)
	}
	return out
}

// ResolveStore keeps the review decisions of entity resolution, append-only.
type ResolveStore interface {
	// SaveNameDecision appends a decision; ID and At are set on return.
	SaveNameDecision(ctx context.Context, d *NameDecision) error
	// NameDecisions lists decisions oldest first; with all false only the
	// current one per (dataset, key).
	NameDecisions(ctx context.Context, all bool) ([]NameDecision, error)
	// PendingNames lists unmatched names (of one dataset, or all when ""),
	// those with a match or no-match decision left out.
	PendingNames(ctx context.Context, dataset string) ([]PendingName, error)
	SaveDuplicateDecision(ctx context.Context, d *DuplicateDecision) error
	DuplicateDecisions(ctx context.Context, all bool) ([]DuplicateDecision, error)
}

// PutResult says what storing one record did.
type PutResult int

const (
	PutUnchanged PutResult = iota
	PutCreated
	PutUpdated
)

// ImportTx is a streaming write of one import: records are put one at a
// time inside one transaction and recorded as one change. Nothing is
// visible until Commit; Rollback leaves the store as it was. Puts are
// upserts with the same versioning as Batch: an unchanged record is left
// alone, a changed one gets a new version.
type ImportTx interface {
	PutSource(ctx context.Context, s *Source) (PutResult, error)
	PutActor(ctx context.Context, a *Actor) (PutResult, error)
	// PutIncident stores sources only this incident cites, then the
	// incident and its attributions; current attributions of the incident
	// missing from in.Attributions get a tombstone (the newer release no
	// longer states them). Everything is validated before anything is
	// written, so an invalid record leaves nothing behind. Other sources
	// and actors it references must exist or have been put before.
	PutIncident(ctx context.Context, in *Incident, sources ...Source) (PutResult, error)
	AddPendingName(ctx context.Context, p *PendingName) error
	Commit() (*Change, error)
	Rollback() error
}

// ImportStore starts streaming imports.
type ImportStore interface {
	BeginImport(ctx context.Context, by, note string) (ImportTx, error)
}
