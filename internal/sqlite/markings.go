package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/plotline-dev/plotline"
)

var _ plotline.MarkingReader = (*DB)(nil)

// Markings lists the sources marked above CLEAR and the statements with a
// marking of their own or citing one of them, current at asOf's record
// instant. Sources are read through their tlp column; statements need one
// pass over the current statements' JSON (filtered in Go by
// plotline.MarkedStatement, decoded only when they match), so callers read
// it once per index, and only for a clearance below RED.
func (db *DB) Markings(ctx context.Context, asOf plotline.AsOf) (*plotline.Markings, error) {
	cond, args := current(plotline.AsOf{Recorded: asOf.Recorded})
	m := &plotline.Markings{Sources: map[string]string{}}
	rows, err := db.read.QueryContext(ctx, `SELECT v.id, coalesce(v.tlp, '') FROM source_v v WHERE `+cond+` AND coalesce(v.tlp, '') <> 'clear'`, args...)
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
	rows, err = db.read.QueryContext(ctx, `SELECT v.data FROM attribution_v v WHERE `+cond, args...)
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
		var a plotline.Attribution
		if err := json.Unmarshal(data, &a); err != nil {
			return nil, fmt.Errorf("markings: decode stored statement: %w", err)
		}
		m.Statements = append(m.Statements, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("markings: %w", err)
	}
	return m, nil
}
