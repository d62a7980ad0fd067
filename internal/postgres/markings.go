package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/plotline-dev/plotline"
)

var _ plotline.MarkingReader = (*DB)(nil)

// Markings lists the sources marked above CLEAR and the statements with a
// marking of their own or citing one of them, current at asOf's record
// instant (see the SQLite store: one pass over the current statements).
func (db *DB) Markings(ctx context.Context, asOf plotline.AsOf) (*plotline.Markings, error) {
	m := &plotline.Markings{Sources: map[string]string{}}
	var a args
	cond := current(plotline.AsOf{Recorded: asOf.Recorded}, &a)
	rows, err := db.pool.Query(ctx, `SELECT v.id, coalesce(v.tlp, '') FROM source_v v WHERE `+cond+` AND coalesce(v.tlp, '') <> 'clear'`, a...)
	if err != nil {
		return nil, fmt.Errorf("markings: %w", err)
	}
	for rows.Next() {
		var id, tlp string
		if err := rows.Scan(&id, &tlp); err != nil {
			rows.Close()
			return nil, fmt.Errorf("markings: %w", err)
		}
		m.Sources[id] = tlp
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("markings: %w", err)
	}
	a = nil
	cond = current(plotline.AsOf{Recorded: asOf.Recorded}, &a)
	rows, err = db.pool.Query(ctx, `SELECT v.data FROM attribution_v v WHERE `+cond, a...)
	if err != nil {
		return nil, fmt.Errorf("markings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("markings: %w", err)
		}
		if !plotline.MarkedStatement(data, m.Sources) {
			continue
		}
		var st plotline.Attribution
		if err := json.Unmarshal(data, &st); err != nil {
			return nil, fmt.Errorf("markings: decode stored statement: %w", err)
		}
		m.Statements = append(m.Statements, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("markings: %w", err)
	}
	return m, nil
}
