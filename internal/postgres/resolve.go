package postgres

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/plotline-dev/plotline"
)

// Entity-resolution decisions, as in internal/sqlite/resolve.go (migration
// 0003 holds the tables).

var _ plotline.ResolveStore = (*DB)(nil)

// SaveNameDecision appends a decision about a source name.
func (db *DB) SaveNameDecision(ctx context.Context, d *plotline.NameDecision) error {
	if d.By == "" {
		return plotline.FieldError("by", "every decision must say who made it")
	}
	if strings.TrimSpace(d.Key) == "" {
		return plotline.FieldError("name", "is required")
	}
	if !slices.Contains([]string{plotline.VerdictMatch, plotline.VerdictNoMatch, plotline.VerdictUnsure}, d.Verdict) {
		return plotline.FieldError("verdict", "%q is not one of match, no-match, unsure", d.Verdict)
	}
	if (d.Verdict == plotline.VerdictMatch) != (d.ActorID != "") {
		return plotline.FieldError("actor", "a match names an actor; no-match and unsure do not")
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var actor any
		if d.ActorID != "" {
			if err := mustBeCurrent(ctx, tx, plotline.RecActor, d.ActorID, "actor"); err != nil {
				return err
			}
			actor = d.ActorID
		}
		at := db.Now().UnixNano()
		if err := tx.QueryRow(ctx, `INSERT INTO name_decision (dataset, name_key, name, verdict, actor_id, decided_by, decided_at, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, d.Dataset, d.Key, d.Name, d.Verdict, actor, d.By, at, d.Note).Scan(&d.ID); err != nil {
			return fmt.Errorf("save name decision: %w", err)
		}
		d.At = timeOf(at)
		return nil
	})
}

// mustBeCurrent checks that a record is current: EINVALID on field if not.
func mustBeCurrent(ctx context.Context, tx pgx.Tx, kind, id, field string) error {
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+kind+`_v WHERE id = $1 AND rec_to IS NULL AND NOT deleted)`, id).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return plotline.FieldError(field, "%s %q does not exist", kind, id)
	}
	return nil
}

// NameDecisions lists decisions oldest first, or only the current one per
// (dataset, key) when all is false.
func (db *DB) NameDecisions(ctx context.Context, all bool) ([]plotline.NameDecision, error) {
	q := `SELECT id, dataset, name_key, name, verdict, coalesce(actor_id, ''), decided_by, decided_at, note FROM name_decision`
	if !all {
		q += ` WHERE id IN (SELECT max(id) FROM name_decision GROUP BY dataset, name_key)`
	}
	rows, err := db.pool.Query(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("name decisions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (plotline.NameDecision, error) {
		var d plotline.NameDecision
		var at int64
		err := r.Scan(&d.ID, &d.Dataset, &d.Key, &d.Name, &d.Verdict, &d.ActorID, &d.By, &at, &d.Note)
		d.At = timeOf(at)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("name decisions: %w", err)
	}
	return out, nil
}

// PendingNames lists unmatched names with the number of incidents that
// carry them, most frequent first. A name decided match or no-match (for its
// dataset or for every dataset) is no longer pending; unsure stays.
func (db *DB) PendingNames(ctx context.Context, dataset string) ([]plotline.PendingName, error) {
	rows, err := db.pool.Query(ctx, `
		WITH cur AS (SELECT dataset, name_key, verdict FROM name_decision
		             WHERE id IN (SELECT max(id) FROM name_decision GROUP BY dataset, name_key))
		SELECT p.dataset, p.name_key, p.name, p.actor_id, p.example, p.suggestion, p.reason, p.first_seen, p.last_seen,
		       coalesce((SELECT verdict FROM cur WHERE cur.dataset = p.dataset AND cur.name_key = p.name_key),
		                (SELECT verdict FROM cur WHERE cur.dataset = '' AND cur.name_key = p.name_key), ''),
		       (SELECT count(*) FROM attribution_v a WHERE a.actor_id = p.actor_id AND a.rec_to IS NULL AND NOT a.deleted)
		FROM pending_name p WHERE $1 = '' OR p.dataset = $1`, dataset)
	if err != nil {
		return nil, fmt.Errorf("pending names: %w", err)
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (plotline.PendingName, error) {
		var p plotline.PendingName
		var first, last, n int64
		err := r.Scan(&p.Dataset, &p.Key, &p.Name, &p.ActorID, &p.Example, &p.Suggestion, &p.Reason, &first, &last, &p.Verdict, &n)
		p.FirstSeen, p.LastSeen, p.Incidents = timeOf(first), timeOf(last), int(n)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("pending names: %w", err)
	}
	out := all[:0]
	for _, p := range all {
		if p.Verdict != plotline.VerdictMatch && p.Verdict != plotline.VerdictNoMatch {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(a, b plotline.PendingName) int {
		if a.Incidents != b.Incidents {
			return b.Incidents - a.Incidents
		}
		return strings.Compare(a.Dataset+"\x00"+a.Key, b.Dataset+"\x00"+b.Key)
	})
	return out, nil
}

// SaveDuplicateDecision appends a verdict on a candidate pair.
func (db *DB) SaveDuplicateDecision(ctx context.Context, d *plotline.DuplicateDecision) error {
	if d.By == "" {
		return plotline.FieldError("by", "every decision must say who made it")
	}
	if d.Verdict != plotline.DuplicateSame && d.Verdict != plotline.DuplicateDistinct {
		return plotline.FieldError("verdict", "%q is not one of same, distinct", d.Verdict)
	}
	if d.A == d.B {
		return plotline.FieldError("b", "an incident cannot duplicate itself")
	}
	if d.A > d.B {
		d.A, d.B = d.B, d.A
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		for _, id := range []string{d.A, d.B} {
			if err := mustBeCurrent(ctx, tx, plotline.RecIncident, id, ""); err != nil {
				if _, ok := err.(*plotline.Error); ok {
					return plotline.Errorf(plotline.ENOTFOUND, "incident %q not found", id)
				}
				return err
			}
		}
		at := db.Now().UnixNano()
		if err := tx.QueryRow(ctx, `INSERT INTO duplicate_decision (incident_a, incident_b, verdict, score, reason, decided_by, decided_at, note)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, d.A, d.B, d.Verdict, d.Score, d.Reason, d.By, at, d.Note).Scan(&d.ID); err != nil {
			return fmt.Errorf("save duplicate decision: %w", err)
		}
		d.At = timeOf(at)
		return nil
	})
}

// DuplicateDecisions lists verdicts oldest first, or only the current one
// per pair when all is false.
func (db *DB) DuplicateDecisions(ctx context.Context, all bool) ([]plotline.DuplicateDecision, error) {
	q := `SELECT id, incident_a, incident_b, verdict, score, reason, decided_by, decided_at, note FROM duplicate_decision`
	if !all {
		q += ` WHERE id IN (SELECT max(id) FROM duplicate_decision GROUP BY incident_a, incident_b)`
	}
	rows, err := db.pool.Query(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("duplicate decisions: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (plotline.DuplicateDecision, error) {
		var d plotline.DuplicateDecision
		var at int64
		err := r.Scan(&d.ID, &d.A, &d.B, &d.Verdict, &d.Score, &d.Reason, &d.By, &at, &d.Note)
		d.At = timeOf(at)
		return d, err
	})
	if err != nil {
		return nil, fmt.Errorf("duplicate decisions: %w", err)
	}
	return out, nil
}

// SameIncidents returns the pairs of incidents whose latest duplicate
// decision recorded by recorded (nil: now) is "same" (engine.LinkSource).
func (db *DB) SameIncidents(ctx context.Context, recorded *time.Time) ([][2]string, error) {
	until := int64(math.MaxInt64)
	if recorded != nil {
		until = recorded.UnixNano()
	}
	rows, err := db.pool.Query(ctx, `SELECT incident_a, incident_b FROM duplicate_decision
		WHERE id IN (SELECT max(id) FROM duplicate_decision WHERE decided_at <= $1 GROUP BY incident_a, incident_b)
		AND verdict = 'same' ORDER BY id`, until)
	if err != nil {
		return nil, fmt.Errorf("linked incidents: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]string, error) {
		var p [2]string
		err := r.Scan(&p[0], &p[1])
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("linked incidents: %w", err)
	}
	return out, nil
}

// LinkStamp is the last duplicate decision's ID (engine.LinkSource).
func (db *DB) LinkStamp(ctx context.Context) (int64, error) {
	var id int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(id), 0) FROM duplicate_decision`).Scan(&id)
	return id, err
}
