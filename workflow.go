package plotline

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// The review workflow. A draft is a batch applied with Batch.Draft: its
// versions are stored like any other, in the same version tables and
// recorded as one change (who, when, why), but they are never current in
// record time, so every default read, count, report and export sees the
// published versions only. A reviewer publishes a draft (a new change that
// writes its records as published versions) or returns it with a comment (a
// change that writes nothing). Every transition is a change in the same
// append-only log, with an Action and the Target change it acts on; the
// audit log is that log.

// Version statuses.
const (
	StatusPublished  = "published"
	StatusDraft      = "draft"      // awaiting review
	StatusReturned   = "returned"   // sent back with a comment
	StatusSuperseded = "superseded" // a later draft of the same record replaced it
)

// Change actions.
const (
	ActionEdit    = "edit"    // published directly (single-user mode, reviewers, imports)
	ActionDraft   = "draft"   // a draft saved for review
	ActionPublish = "publish" // a reviewer published the Target draft
	ActionReturn  = "return"  // a reviewer sent the Target draft back
	ActionRevert  = "revert"  // the Target change undone, as new versions
)

// Actions lists the change actions.
var Actions = []string{ActionEdit, ActionDraft, ActionPublish, ActionReturn, ActionRevert}

// DraftStatuses lists the statuses a draft change can have.
var DraftStatuses = []string{StatusDraft, StatusReturned, StatusPublished, StatusSuperseded}

// Draft is one draft change and what became of it.
type Draft struct {
	Change Change `json:"change"`
	// Status is StatusDraft while any record of it awaits review, else
	// StatusReturned, StatusPublished or StatusSuperseded.
	Status  string        `json:"status"`
	Records []DraftRecord `json:"records"`
	// Reviews are the publish and return changes that acted on it, oldest first.
	Reviews []Change `json:"reviews"`
}

// DraftRecord is one record of a draft: the proposed version and the
// version published now (nil Current: the draft creates the record).
type DraftRecord struct {
	Kind    string          `json:"kind"`
	ID      string          `json:"id"`
	Status  string          `json:"status"`
	Deleted bool            `json:"deleted"` // the draft deletes the record
	Data    json.RawMessage `json:"data,omitempty"`
	// CurrentVersion and Current are the published version now.
	CurrentVersion int             `json:"current_version,omitempty"`
	Current        json.RawMessage `json:"current,omitempty"`
}

// DraftFilter narrows a list of drafts. Status "" means pending
// (StatusDraft); "all" lists every draft.
type DraftFilter struct {
	Status string
	By     string
	Kind   string // with ID: drafts of this record
	ID     string
	Limit  int // 0: 100
}

// AuditFilter narrows the audit log. Empty fields do not filter; From is
// inclusive, To exclusive.
type AuditFilter struct {
	By     string
	Action string
	Kind   string // changes that wrote a version of this kind
	ID     string // with Kind: changes that wrote this record
	Change int64  // only this change (0: any)
	From   *time.Time
	To     *time.Time
	Limit  int // 0: 100
	Offset int
}

// AuditEntry is one change in the audit log: who, when, what, why.
type AuditEntry struct {
	Change
	// Records names the records the change wrote (for a return: none), up
	// to AuditRecords of them; Count is how many it wrote in all.
	Records []Ref `json:"records"`
	Count   int   `json:"count"`
}

// AuditRecords bounds the records listed in one audit entry.
const AuditRecords = 20

// Workflow is implemented by stores that keep drafts, reviews and reverts.
// Implementations must pass internal/storetest. Who may do what is the
// callers' business (see ReviewRole and friends); the store records by.
type Workflow interface {
	// Drafts lists draft changes, newest first.
	Drafts(ctx context.Context, f DraftFilter) ([]Draft, error)
	// Draft returns one draft change with its records.
	Draft(ctx context.Context, change int64) (*Draft, error)
	// Publish writes the records of a pending or returned draft as
	// published versions, as a new change by by with note; the draft's
	// records become StatusPublished.
	Publish(ctx context.Context, change int64, by, note string) (*Change, error)
	// Return sends a pending draft back with note (required), as a change
	// that writes nothing; its records become StatusReturned.
	Return(ctx context.Context, change int64, by, note string) (*Change, error)
	// Revert undoes a published change as a new change: every record it
	// wrote goes back to its version before it, or is deleted if the change
	// created it. ECONFLICT when a record was changed again since.
	Revert(ctx context.Context, change int64, by, note string) (*Change, error)
	// Audit lists changes, newest first.
	Audit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// DraftsFor reports whether writes by u are saved as drafts: analysts
// draft; reviewers and admins (and single-user mode's LocalUser) publish.
func DraftsFor(u *User) bool { return u.Role == RoleAnalyst }

// SeesDrafts reports whether u may read drafts (analysts and up).
func SeesDrafts(u *User) bool { return RoleAtLeast(u.Role, RoleAnalyst) }

// CanReview reports whether u may publish, return and revert (reviewers and admins).
func CanReview(u *User) bool { return RoleAtLeast(u.Role, RoleReviewer) }

// CanAudit reports whether u may read the instance-wide audit log (admins).
func CanAudit(u *User) bool { return RoleAtLeast(u.Role, RoleAdmin) }

// Add appends a stored record (kind and JSON as kept in a version) to the
// batch, or a delete of it when data is nil. Stores use it to publish and
// revert through their ordinary write path.
func (b *Batch) Add(kind, id string, data []byte) error {
	if data == nil {
		b.Deletes = append(b.Deletes, Ref{Kind: kind, ID: id})
		return nil
	}
	var err error
	switch kind {
	case RecSource:
		var v Source
		if err = json.Unmarshal(data, &v); err == nil {
			b.Sources = append(b.Sources, v)
		}
	case RecActor:
		var v Actor
		if err = json.Unmarshal(data, &v); err == nil {
			b.Actors = append(b.Actors, v)
		}
	case RecAffiliation:
		var v Affiliation
		if err = json.Unmarshal(data, &v); err == nil {
			b.Affiliations = append(b.Affiliations, v)
		}
	case RecIncident:
		var v Incident
		if err = json.Unmarshal(data, &v); err == nil {
			v.Attributions = nil // stored as records of their own
			b.Incidents = append(b.Incidents, v)
		}
	case RecAttribution:
		var v Attribution
		if err = json.Unmarshal(data, &v); err == nil {
			b.Attributions = append(b.Attributions, v)
		}
	default:
		return Errorf(EINVALID, "%q is not a record kind", kind)
	}
	if err != nil {
		return fmt.Errorf("decode stored %s %q: %w", kind, id, err)
	}
	return nil
}
