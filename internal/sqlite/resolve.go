package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

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
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // rollback after commit is a no-op
	if d.ActorID != "" {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM actor_v WHERE id = ? AND rec_to IS NULL AND deleted = 0`, d.ActorID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return plotline.FieldError("actor", "actor %q does not exist", d.ActorID)
		}
	}
	at := db.tick()
	var actor any
	if d.ActorID != "" {
		actor = d.ActorID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO name_decision (dataset, name_key, name, verdict, actor_id, decided_by, decided_at, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, d.Dataset, d.Key, d.Name, d.Verdict, actor, d.By, at, d.Note)
	if err != nil {
		return fmt.Errorf("save name decision: %w", err)
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	d.At = timeOf(at)
	return tx.Commit()
}

// NameDecisions lists decisions oldest first, or only the current one per
// (dataset, key) when all is false.
func (db *DB) NameDecisions(ctx context.Context, all bool) ([]plotline.NameDecision, error) {
	q := `SELECT id, dataset, name_key, name, verdict, coalesce(actor_id, ''), decided_by, decided_at, note FROM name_decision`
	if !all {
		q += ` WHERE id IN (SELECT max(id) FROM name_decision GROUP BY dataset, name_key)`
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("name decisions: %w", err)
	}
	defer rows.Close()
	var out []plotline.NameDecision
	for rows.Next() {
		var d plotline.NameDecision
		var at int64
		if err := rows.Scan(&d.ID, &d.Dataset, &d.Key, &d.Name, &d.Verdict, &d.ActorID, &d.By, &at, &d.Note); err != nil {
			return nil, err
		}
		d.At = timeOf(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// PendingNames lists unmatched names with the number of incidents that
// carry them, most frequent first. A name decided match or no-match (for its
// dataset or for every dataset) is no longer pending; unsure stays.
func (db *DB) PendingNames(ctx context.Context, dataset string) ([]plotline.PendingName, error) {
	rows, err := db.read.QueryContext(ctx, `
		WITH cur AS (SELECT dataset, name_key, verdict FROM name_decision
		             WHERE id IN (SELECT max(id) FROM name_decision GROUP BY dataset, name_key))
		SELECT p.dataset, p.name_key, p.name, p.actor_id, p.example, p.suggestion, p.reason, p.first_seen, p.last_seen,
		       coalesce((SELECT verdict FROM cur WHERE cur.dataset = p.dataset AND cur.name_key = p.name_key),
		                (SELECT verdict FROM cur WHERE cur.dataset = '' AND cur.name_key = p.name_key), ''),
		       (SELECT count(*) FROM attribution_v a WHERE a.actor_id = p.actor_id AND a.rec_to IS NULL AND a.deleted = 0)
		FROM pending_name p WHERE ? = '' OR p.dataset = ?`, dataset, dataset)
	if err != nil {
		return nil, fmt.Errorf("pending names: %w", err)
	}
	defer rows.Close()
	var out []plotline.PendingName
	for rows.Next() {
		var p plotline.PendingName
		var first, last int64
		if err := rows.Scan(&p.Dataset, &p.Key, &p.Name, &p.ActorID, &p.Example, &p.Suggestion, &p.Reason, &first, &last, &p.Verdict, &p.Incidents); err != nil {
			return nil, err
		}
		if p.Verdict == plotline.VerdictMatch || p.Verdict == plotline.VerdictNoMatch {
			continue
		}
		p.FirstSeen, p.LastSeen = timeOf(first), timeOf(last)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
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
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // rollback after commit is a no-op
	for _, id := range []string{d.A, d.B} {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM incident_v WHERE id = ? AND rec_to IS NULL AND deleted = 0`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return plotline.Errorf(plotline.ENOTFOUND, "incident %q not found", id)
		}
	}
	at := db.tick()
	res, err := tx.ExecContext(ctx, `INSERT INTO duplicate_decision (incident_a, incident_b, verdict, score, reason, decided_by, decided_at, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, d.A, d.B, d.Verdict, d.Score, d.Reason, d.By, at, d.Note)
	if err != nil {
		return fmt.Errorf("save duplicate decision: %w", err)
	}
	if d.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	d.At = timeOf(at)
	return tx.Commit()
}

// DuplicateDecisions lists verdicts oldest first, or only the current one
// per pair when all is false.
func (db *DB) DuplicateDecisions(ctx context.Context, all bool) ([]plotline.DuplicateDecision, error) {
	q := `SELECT id, incident_a, incident_b, verdict, score, reason, decided_by, decided_at, note FROM duplicate_decision`
	if !all {
		q += ` WHERE id IN (SELECT max(id) FROM duplicate_decision GROUP BY incident_a, incident_b)`
	}
	rows, err := db.read.QueryContext(ctx, q+` ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("duplicate decisions: %w", err)
	}
	defer rows.Close()
	var out []plotline.DuplicateDecision
	for rows.Next() {
		var d plotline.DuplicateDecision
		var at int64
		if err := rows.Scan(&d.ID, &d.A, &d.B, &d.Verdict, &d.Score, &d.Reason, &d.By, &at, &d.Note); err != nil {
			return nil, err
		}
		d.At = timeOf(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// addPendingName upserts a work-queue entry inside an import transaction.
func addPendingName(ctx context.Context, tx *sql.Tx, p *plotline.PendingName, at int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO pending_name (dataset, name_key, name, actor_id, example, suggestion, reason, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (dataset, name_key) DO UPDATE SET last_seen = excluded.last_seen, actor_id = excluded.actor_id,
			suggestion = excluded.suggestion, reason = excluded.reason`,
		p.Dataset, p.Key, p.Name, p.ActorID, p.Example, p.Suggestion, p.Reason, at, at)
	if err != nil {
		return fmt.Errorf("pending name %q: %w", p.Name, err)
	}
	return nil
}

// SameIncidents returns the pairs of incidents whose latest duplicate
// decision recorded by recorded (nil: now) is "same" (engine.LinkSource).
func (db *DB) SameIncidents(ctx context.Context, recorded *time.Time) ([][2]string, error) {
	until := int64(math.MaxInt64)
	if recorded != nil {
		until = recorded.UnixNano()
	}
	rows, err := db.read.QueryContext(ctx, `SELECT incident_a, incident_b FROM duplicate_decision
		WHERE id IN (SELECT max(id) FROM duplicate_decision WHERE decided_at <= ? GROUP BY incident_a, incident_b)
		AND verdict = 'same' ORDER BY id`, until)
	if err != nil {
		return nil, fmt.Errorf("linked incidents: %w", err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// LinkStamp is the last duplicate decision's ID (engine.LinkSource).
func (db *DB) LinkStamp(ctx context.Context) (int64, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM duplicate_decision`).Scan(&id)
	return id, err
}
