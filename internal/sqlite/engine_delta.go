package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/plotline-dev/plotline/internal/engine"
)

var (
	_ engine.DeltaSource = (*DB)(nil)
	_ engine.LinkSource  = (*DB)(nil)
)

// ScanChanged feeds the analytics engine the incidents changed after a
// change, for an incremental refresh (engine.DeltaSource). Every write
// stores new versions numbered by their change (drafts are numbered below
// zero and never current, so they are left out), and the change index of
// migration 0006 finds them; the rows are read from the engine indexes of
// migration 0004 like ScanIndex reads them, all in one read transaction.
func (db *DB) ScanChanged(ctx context.Context, after int64, limit int, l engine.PartLoader) (engine.Changed, error) {
	var out engine.Changed
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return out, fmt.Errorf("scan changed: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var change sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM changes`).Scan(&change); err != nil {
		return out, fmt.Errorf("scan changed: %w", err)
	}
	out.Change = change.Int64
	if out.Change <= after {
		return out, nil
	}
	other, err := organisationChanged(ctx, tx, after)
	if err != nil {
		return out, err
	}
	if other {
		out.Rebuild = true
		return out, nil
	}
	ids, err := changedIncidents(ctx, tx, after, limit)
	if err != nil {
		return out, err
	}
	if len(ids) > limit {
		out.Rebuild = true
		return out, nil
	}
	out.IDs = ids
	if len(ids) == 0 {
		return out, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return out, err
	}
	l.Grow(len(ids), 2*len(ids))
	if err := scanIncidentList(ctx, tx, string(list), l); err != nil {
		return out, err
	}
	if err := scanAttributionList(ctx, tx, string(list), l); err != nil {
		return out, err
	}
	return out, nil
}

// organisationChanged reports whether a change after after wrote an actor,
// an affiliation, or a source that is or was marked above CLEAR: what the
// index holds besides incidents and attributions (the organisation graph,
// the markings its clearance views apply).
func organisationChanged(ctx context.Context, tx *sql.Tx, after int64) (bool, error) {
	var changed bool
	err := tx.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM actor_v WHERE change_id > ?1 AND version > 0) OR
		EXISTS (SELECT 1 FROM affiliation_v WHERE change_id > ?1 AND version > 0) OR
		EXISTS (SELECT 1 FROM source_v s WHERE s.id IN (SELECT id FROM source_v WHERE change_id > ?1 AND version > 0)
			AND s.version > 0 AND s.deleted = 0 AND coalesce(s.tlp, '') <> 'clear')`, after).Scan(&changed)
	if err != nil {
		return false, fmt.Errorf("scan changed: organisation: %w", err)
	}
	return changed, nil
}

// changedIncidents lists, sorted, up to limit+1 incidents written after
// change after, or with an attribution written after it. An attribution's
// every version names its incident (a tombstone names none: the versions
// before it do), so an attribution moved to another incident marks both.
// Both queries start from the change indexes (a sorted UNION would walk the
// whole versions table in ID order instead).
func changedIncidents(ctx context.Context, tx *sql.Tx, after int64, limit int) ([]string, error) {
	seen := map[string]bool{}
	for _, q := range []string{
		`SELECT id FROM incident_v INDEXED BY incident_v_change WHERE change_id > ? AND version > 0`,
		`SELECT DISTINCT v.incident_id FROM attribution_v c INDEXED BY attribution_v_change
			JOIN attribution_v v ON v.id = c.id AND v.version > 0 AND v.incident_id IS NOT NULL
			WHERE c.change_id > ? AND c.version > 0`,
	} {
		rows, err := tx.QueryContext(ctx, q, after)
		if err != nil {
			return nil, fmt.Errorf("scan changed: %w", err)
		}
		for rows.Next() && len(seen) <= limit {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("scan changed: %w", err)
			}
			seen[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("scan changed: %w", err)
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// scanIncidentList feeds the current incidents among the IDs of a JSON
// list, by ID, from the engine index (as scanPartRows does).
func scanIncidentList(ctx context.Context, tx *sql.Tx, list string, l engine.PartLoader) error {
	rows, err := tx.QueryContext(ctx, `SELECT rowid, id, `+scanExpr(incidentScanCols)+`
		FROM incident_v INDEXED BY incident_v_engine
		WHERE rec_to IS NULL AND deleted = 0 AND id IN (SELECT value FROM json_each(?)) ORDER BY id`, list)
	if err != nil {
		return fmt.Errorf("scan changed incidents: %w", err)
	}
	var keys []int64
	var r engine.IncidentRow
	var rec string
	var f [27]string
	for rows.Next() {
		if err := rows.Scan(&r.Key, &r.ID, &rec); err != nil {
			rows.Close()
			return fmt.Errorf("scan changed incidents: %w", err)
		}
		if !splitFields(rec, f[:]) || f[0] == "" || !incidentFields(&r, &f) {
			keys = append(keys, r.Key) // written before migration 0002: read below, from the table
			continue
		}
		l.Incident(&r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan changed incidents: %w", err)
	}
	for _, k := range keys {
		if err := scanIncidents(ctx, tx, `v.rowid = ?`, []any{k}, l); err != nil {
			return err
		}
	}
	return nil
}

// scanAttributionList feeds the current attributions of the incidents of a
// JSON list in the order of the engine index, the order ScanIndex feeds
// them in (the order of an incident's attributions shows in the engine's
// disagreements). Rows written before migration 0002 come last, as in
// scanAttributionRows.
func scanAttributionList(ctx context.Context, tx *sql.Tx, list string, l engine.PartLoader) error {
	expr := scanExpr(attributionScanCols)
	rows, err := tx.QueryContext(ctx, `SELECT incident_id, `+expr+`
		FROM attribution_v INDEXED BY attribution_v_engine
		WHERE rec_to IS NULL AND deleted = 0 AND incident_id IN (SELECT value FROM json_each(?))
		ORDER BY incident_id, `+expr, list)
	if err != nil {
		return fmt.Errorf("scan changed attributions: %w", err)
	}
	var ids []string // written before migration 0002: read below, from the table
	var a engine.AttributionRow
	var rec string
	var g [12]string
	for rows.Next() {
		if err := rows.Scan(&a.IncidentID, &rec); err != nil {
			rows.Close()
			return fmt.Errorf("scan changed attributions: %w", err)
		}
		if !splitFields(rec, g[:]) || g[0] == "" || !attributionFields(&a, &g) {
			ids = append(ids, g[1])
			continue
		}
		l.Attribution(&a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan changed attributions: %w", err)
	}
	for _, id := range ids {
		if err := scanAttributions(ctx, tx, `v.id = ? AND v.rec_to IS NULL AND v.deleted = 0`, []any{id}, l); err != nil {
			return err
		}
	}
	return nil
}
