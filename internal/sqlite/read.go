package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

func timeOf(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// current returns the SQL condition selecting, in a version table aliased
// as v, the versions current at the record-time point of asOf (tombstones
// excluded), and its argument.
func current(asOf plotline.AsOf) (string, []any) {
	if asOf.Recorded == nil {
		return `v.rec_to IS NULL AND v.deleted = 0`, nil
	}
	t := asOf.Recorded.UnixNano()
	return `v.rec_from <= ? AND (v.rec_to IS NULL OR v.rec_to > ?) AND v.deleted = 0`, []any{t, t}
}

// currentIn is current for the version table of kind, reading pending
// drafts in place of published versions when asOf asks for them (present
// reads only: a draft is never current at any record instant).
func currentIn(kind string, asOf plotline.AsOf) (string, []any) {
	if !asOf.IncludeDrafts || asOf.Recorded != nil {
		return current(asOf)
	}
	return `v.deleted = 0 AND (v.status IN ('draft', 'returned') OR (v.rec_to IS NULL AND NOT EXISTS
		(SELECT 1 FROM ` + kind + `_v d WHERE d.id = v.id AND d.status IN ('draft', 'returned'))))`, nil
}

// selectData runs q (which must select the data column) and decodes each row into a new T.
func selectData[T any](ctx context.Context, db *sql.DB, q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		var t T
		if err := json.Unmarshal(data, &t); err != nil {
			return nil, fmt.Errorf("decode stored record: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

func listAll[T any](ctx context.Context, db *DB, kind string, asOf plotline.AsOf) ([]T, error) {
	cond, args := currentIn(kind, asOf)
	out, err := selectData[T](ctx, db.read, `SELECT v.data FROM `+kind+`_v v WHERE `+cond+` ORDER BY v.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	return out, nil
}

func getOne[T any](ctx context.Context, db *DB, kind, id string, asOf plotline.AsOf) (*T, error) {
	cond, args := currentIn(kind, asOf)
	out, err := selectData[T](ctx, db.read, `SELECT v.data FROM `+kind+`_v v WHERE v.id = ? AND `+cond, append([]any{id}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("get %s %q: %w", kind, id, err)
	}
	if len(out) == 0 {
		return nil, plotline.Errorf(plotline.ENOTFOUND, "%s %q not found", kind, id)
	}
	return &out[0], nil
}

// Actor returns one actor.
func (db *DB) Actor(ctx context.Context, id string, asOf plotline.AsOf) (*plotline.Actor, error) {
	return getOne[plotline.Actor](ctx, db, plotline.RecActor, id, asOf)
}

// Actors lists actors, by ID.
func (db *DB) Actors(ctx context.Context, asOf plotline.AsOf) ([]plotline.Actor, error) {
	return listAll[plotline.Actor](ctx, db, plotline.RecActor, asOf)
}

// Affiliations lists affiliations, by ID.
func (db *DB) Affiliations(ctx context.Context, asOf plotline.AsOf) ([]plotline.Affiliation, error) {
	return listAll[plotline.Affiliation](ctx, db, plotline.RecAffiliation, asOf)
}

// Source returns one source.
func (db *DB) Source(ctx context.Context, id string, asOf plotline.AsOf) (*plotline.Source, error) {
	return getOne[plotline.Source](ctx, db, plotline.RecSource, id, asOf)
}

// Sources lists sources, by ID.
func (db *DB) Sources(ctx context.Context, asOf plotline.AsOf) ([]plotline.Source, error) {
	return listAll[plotline.Source](ctx, db, plotline.RecSource, asOf)
}

// Incident returns one incident with its attributions as known at asOf.
func (db *DB) Incident(ctx context.Context, id string, asOf plotline.AsOf) (*plotline.Incident, error) {
	list, err := db.Incidents(ctx, plotline.IncidentFilter{IDs: []string{id}}, asOf)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, plotline.Errorf(plotline.ENOTFOUND, "incident %q not found", id)
	}
	return &list[0], nil
}

// Incidents lists incidents ordered by date then ID, with their attributions.
func (db *DB) Incidents(ctx context.Context, f plotline.IncidentFilter, asOf plotline.AsOf) ([]plotline.Incident, error) {
	cond, args := currentIn(plotline.RecIncident, asOf)
	where := []string{cond}
	if len(f.IDs) > 0 {
		ids, _ := json.Marshal(f.IDs) // a []string always marshals
		where = append(where, `v.id IN (SELECT value FROM json_each(?))`)
		args = append(args, string(ids))
	}
	if f.Kind != "" {
		where = append(where, `v.kind = ?`)
		args = append(args, f.Kind)
	}
	if f.Origin != "" {
		where = append(where, `v.origin = ?`)
		args = append(args, f.Origin)
	}
	if f.From != nil {
		where = append(where, `v.date_end >= ?`)
		args = append(args, int64(*f.From))
	}
	if f.To != nil {
		where = append(where, `v.date_start <= ?`)
		args = append(args, int64(*f.To))
	}
	q := `SELECT v.data FROM incident_v v WHERE ` + strings.Join(where, " AND ") + ` ORDER BY v.date_start, v.id`
	// World-time filtering happens after the read, so paging must too when it is set.
	if f.Limit > 0 && asOf.Stated == nil {
		q += fmt.Sprintf(` LIMIT %d OFFSET %d`, f.Limit, f.Offset)
	}
	list, err := selectData[plotline.Incident](ctx, db.read, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	if err := db.fillAttributions(ctx, list, asOf); err != nil {
		return nil, err
	}
	list = knownOn(list, asOf)
	if f.Limit > 0 && asOf.Stated != nil {
		list = page(list, f.Offset, f.Limit)
	}
	return list, nil
}

func page[T any](list []T, offset, limit int) []T {
	if offset >= len(list) {
		return nil
	}
	return list[offset:min(len(list), offset+limit)]
}

// knownOn applies the world clock of asOf.
func knownOn(list []plotline.Incident, asOf plotline.AsOf) []plotline.Incident {
	if asOf.Stated == nil {
		return list
	}
	out := list[:0]
	for _, in := range list {
		if k, ok := in.AsKnownOn(*asOf.Stated); ok {
			out = append(out, k)
		}
	}
	return out
}

func (db *DB) fillAttributions(ctx context.Context, list []plotline.Incident, asOf plotline.AsOf) error {
	if len(list) == 0 {
		return nil
	}
	cond, args := currentIn(plotline.RecAttribution, asOf)
	q := `SELECT v.data FROM attribution_v v WHERE ` + cond
	if len(list) <= 500 {
		ids := make([]string, len(list))
		for i := range list {
			ids[i] = list[i].ID
		}
		b, _ := json.Marshal(ids) // a []string always marshals
		q += ` AND v.incident_id IN (SELECT value FROM json_each(?))`
		args = append(args, string(b))
	}
	attrs, err := selectData[plotline.Attribution](ctx, db.read, q, args...)
	if err != nil {
		return fmt.Errorf("list attributions: %w", err)
	}
	byIncident := map[string][]plotline.Attribution{}
	for _, a := range attrs {
		byIncident[a.IncidentID] = append(byIncident[a.IncidentID], a)
	}
	for i := range list {
		as := byIncident[list[i].ID]
		sortAttributions(as)
		list[i].Attributions = as
	}
	return nil
}

// sortAttributions orders statements as a timeline: by date stated, then ID.
func sortAttributions(as []plotline.Attribution) {
	sort.SliceStable(as, func(i, j int) bool {
		if as[i].StatedOn.Start != as[j].StatedOn.Start {
			return as[i].StatedOn.Start < as[j].StatedOn.Start
		}
		return as[i].ID < as[j].ID
	})
}

// Snapshot reads every current record at the record-time point of asOf.
// World time is left to the caller.
func (db *DB) Snapshot(ctx context.Context, asOf plotline.AsOf) (*plotline.Snapshot, error) {
	rec := plotline.AsOf{Recorded: asOf.Recorded, IncludeDrafts: asOf.IncludeDrafts}
	s := &plotline.Snapshot{}
	var err error
	if s.Sources, err = db.Sources(ctx, rec); err != nil {
		return nil, err
	}
	if s.Actors, err = db.Actors(ctx, rec); err != nil {
		return nil, err
	}
	if s.Affiliations, err = db.Affiliations(ctx, rec); err != nil {
		return nil, err
	}
	if s.Incidents, err = db.Incidents(ctx, plotline.IncidentFilter{}, rec); err != nil {
		return nil, err
	}
	return s, nil
}

// History lists every version of one record, oldest first.
func (db *DB) History(ctx context.Context, ref plotline.Ref) ([]plotline.Version, error) {
	if !plotline.ValidKind(ref.Kind) {
		return nil, plotline.FieldError("kind", "%q is not a record kind", ref.Kind)
	}
	// Drafts (negative versions) are not history until published: the
	// workflow lists them (Drafts with a record).
	rows, err := db.read.QueryContext(ctx, `SELECT v.version, c.recorded_at, c.recorded_by, c.note, v.deleted, v.data, v.change_id, v.status
		FROM `+ref.Kind+`_v v JOIN changes c ON c.id = v.change_id WHERE v.id = ? AND v.version > 0 ORDER BY v.version`, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	defer rows.Close()
	var out []plotline.Version
	for rows.Next() {
		v := plotline.Version{Kind: ref.Kind, ID: ref.ID}
		var at int64
		var data sql.NullString
		if err := rows.Scan(&v.Version, &at, &v.RecordedBy, &v.Note, &v.Deleted, &data, &v.ChangeID, &v.Status); err != nil {
			return nil, err
		}
		v.RecordedAt = timeOf(at)
		if data.Valid {
			v.Data = []byte(data.String)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, plotline.Errorf(plotline.ENOTFOUND, "%s %q not found", ref.Kind, ref.ID)
	}
	return out, nil
}

// Changes lists applied changes, newest first, with their version counts.
func (db *DB) Changes(ctx context.Context, limit int) ([]plotline.Change, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, recorded_at, recorded_by, note, action, coalesce(target, 0) FROM changes ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	defer rows.Close()
	var out []plotline.Change
	for rows.Next() {
		var c plotline.Change
		var at int64
		if err := rows.Scan(&c.ID, &at, &c.RecordedBy, &c.Note, &c.Action, &c.Target); err != nil {
			return nil, err
		}
		c.RecordedAt = timeOf(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Empty reports whether no change was ever recorded.
func (db *DB) Empty(ctx context.Context) (bool, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM changes`).Scan(&n)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	return n == 0, nil
}
