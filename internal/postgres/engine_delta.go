package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/plotline-dev/plotline/internal/engine"
)

var (
	_ engine.DeltaSource = (*DB)(nil)
	_ engine.LinkSource  = (*DB)(nil)
)

// ScanChanged feeds the analytics engine the incidents changed after a
// change, for an incremental refresh (engine.DeltaSource), as the SQLite
// store does (internal/sqlite/engine_delta.go): every write stores versions
// numbered by their change (drafts below zero, never current), found
// through the change_id indexes of migration 0006, and the rows are read as
// ScanIndex reads them, in one repeatable-read transaction. Change IDs are
// taken under the clock's row lock and committed in order, so the snapshot
// holds every change up to the last one it sees.
func (db *DB) ScanChanged(ctx context.Context, after int64, limit int, l engine.PartLoader) (engine.Changed, error) {
	var out engine.Changed
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT last_change FROM clock`).Scan(&out.Change); err != nil {
			return err
		}
		if out.Change <= after {
			return nil
		}
		var other bool
		if err := tx.QueryRow(ctx, `SELECT
			EXISTS (SELECT 1 FROM actor_v WHERE change_id > $1 AND version > 0) OR
			EXISTS (SELECT 1 FROM affiliation_v WHERE change_id > $1 AND version > 0) OR
			EXISTS (SELECT 1 FROM source_v s WHERE s.id IN (SELECT id FROM source_v WHERE change_id > $1 AND version > 0)
				AND s.version > 0 AND NOT s.deleted AND coalesce(s.tlp, '') <> 'clear')`, after).Scan(&other); err != nil {
			return fmt.Errorf("organisation: %w", err)
		}
		if other {
			out.Rebuild = true
			return nil
		}
		// An attribution's every version names its incident (a tombstone
		// names none: the versions before it do), so one moved to another
		// incident marks both.
		rows, err := tx.Query(ctx, `SELECT id FROM incident_v WHERE change_id > $1 AND version > 0
			UNION
			SELECT incident_id FROM attribution_v WHERE incident_id IS NOT NULL AND version > 0
				AND id IN (SELECT id FROM attribution_v WHERE change_id > $1 AND version > 0)
			ORDER BY 1 LIMIT $2`, after, limit+1)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(ids) > limit {
			out.Rebuild = true
			return nil
		}
		out.IDs = ids
		if len(ids) == 0 {
			return nil
		}
		l.Grow(len(ids), 2*len(ids))
		cur := `v.rec_to IS NULL AND NOT v.deleted AND v.%s = ANY($1)`
		if err := scanIncidents(ctx, tx, fmt.Sprintf(cur, "id"), args{ids}, l); err != nil {
			return err
		}
		return scanAttributions(ctx, tx, fmt.Sprintf(cur, "incident_id"), args{ids}, l)
	})
	if err != nil {
		return engine.Changed{}, fmt.Errorf("scan changed: %w", err)
	}
	return out, nil
}
