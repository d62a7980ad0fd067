package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/plotline-dev/plotline"
)

// args collects positional query arguments and names their placeholders.
type args []any

func (a *args) add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// current returns the SQL condition selecting, in a version table aliased
// as v, the versions current at the record-time point of asOf (tombstones
// excluded).
func current(asOf plotline.AsOf, a *args) string {
	if asOf.Recorded == nil {
		return `v.rec_to IS NULL AND NOT v.deleted`
	}
	t := a.add(asOf.Recorded.UnixNano())
	return `v.rec_from <= ` + t + ` AND (v.rec_to IS NULL OR v.rec_to > ` + t + `) AND NOT v.deleted`
}

// currentIn is current for the version table of kind, reading pending
// drafts in place of published versions when asOf asks for them (present
// reads only: a draft is never current at any record instant).
func currentIn(kind string, asOf plotline.AsOf, a *args) string {
	if !asOf.IncludeDrafts || asOf.Recorded != nil {
		return current(asOf, a)
	}
	return `NOT v.deleted AND (v.status IN ('draft', 'returned') OR (v.rec_to IS NULL AND NOT EXISTS
		(SELECT 1 FROM ` + kind + `_v d WHERE d.id = v.id AND d.status IN ('draft', 'returned'))))`
}

// querier is the pool or one transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// selectData runs q (which must select the data column) and decodes each row into a new T.
func selectData[T any](ctx context.Context, db querier, q string, a args) ([]T, error) {
	rows, err := db.Query(ctx, q, a...)
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

func listAll[T any](ctx context.Context, db querier, kind string, asOf plotline.AsOf) ([]T, error) {
	var a args
	cond := currentIn(kind, asOf, &a)
	out, err := selectData[T](ctx, db, `SELECT v.data FROM `+kind+`_v v WHERE `+cond+` ORDER BY v.id`, a)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", kind, err)
	}
	return out, nil
}

func getOne[T any](ctx context.Context, db querier, kind, id string, asOf plotline.AsOf) (*T, error) {
	var a args
	q := `SELECT v.data FROM ` + kind + `_v v WHERE v.id = ` + a.add(id) + ` AND ` + currentIn(kind, asOf, &a)
	out, err := selectData[T](ctx, db, q, a)
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
	return getOne[plotline.Actor](ctx, db.pool, plotline.RecActor, id, asOf)
}

// Actors lists actors, by ID.
func (db *DB) Actors(ctx context.Context, asOf plotline.AsOf) ([]plotline.Actor, error) {
	return listAll[plotline.Actor](ctx, db.pool, plotline.RecActor, asOf)
}

// Affiliations lists affiliations, by ID.
func (db *DB) Affiliations(ctx context.Context, asOf plotline.AsOf) ([]plotline.Affiliation, error) {
	return listAll[plotline.Affiliation](ctx, db.pool, plotline.RecAffiliation, asOf)
}

// Source returns one source.
func (db *DB) Source(ctx context.Context, id string, asOf plotline.AsOf) (*plotline.Source, error) {
	return getOne[plotline.Source](ctx, db.pool, plotline.RecSource, id, asOf)
}

// Sources lists sources, by ID.
func (db *DB) Sources(ctx context.Context, asOf plotline.AsOf) ([]plotline.Source, error) {
	return listAll[plotline.Source](ctx, db.pool, plotline.RecSource, asOf)
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
	return incidents(ctx, db.pool, f, asOf)
}

func incidents(ctx context.Context, db querier, f plotline.IncidentFilter, asOf plotline.AsOf) ([]plotline.Incident, error) {
	var a args
	where := []string{currentIn(plotline.RecIncident, asOf, &a)}
	if len(f.IDs) > 0 {
		where = append(where, `v.id = ANY(`+a.add(f.IDs)+`)`)
	}
	if f.Kind != "" {
		where = append(where, `v.kind = `+a.add(f.Kind))
	}
	if f.Origin != "" {
		where = append(where, `v.origin = `+a.add(f.Origin))
	}
	if f.From != nil {
		where = append(where, `v.date_end >= `+a.add(int32(*f.From)))
	}
	if f.To != nil {
		where = append(where, `v.date_start <= `+a.add(int32(*f.To)))
	}
	q := `SELECT v.data FROM incident_v v WHERE ` + strings.Join(where, " AND ") + ` ORDER BY v.date_start, v.id`
	// World-time filtering happens after the read, so paging must too when it is set.
	if f.Limit > 0 && asOf.Stated == nil {
		q += fmt.Sprintf(` LIMIT %d OFFSET %d`, f.Limit, max(0, f.Offset))
	}
	list, err := selectData[plotline.Incident](ctx, db, q, a)
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	if err := fillAttributions(ctx, db, list, asOf); err != nil {
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
	return list[max(0, offset):min(len(list), offset+limit)]
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

func fillAttributions(ctx context.Context, db querier, list []plotline.Incident, asOf plotline.AsOf) error {
	if len(list) == 0 {
		return nil
	}
	var a args
	q := `SELECT v.data FROM attribution_v v WHERE ` + currentIn(plotline.RecAttribution, asOf, &a)
	if len(list) <= 500 {
		ids := make([]string, len(list))
		for i := range list {
			ids[i] = list[i].ID
		}
		q += ` AND v.incident_id = ANY(` + a.add(ids) + `)`
	}
	attrs, err := selectData[plotline.Attribution](ctx, db, q, a)
	if err != nil {
		return fmt.Errorf("list attributions: %w", err)
	}
	byIncident := map[string][]plotline.Attribution{}
	for _, at := range attrs {
		byIncident[at.IncidentID] = append(byIncident[at.IncidentID], at)
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

// Snapshot reads every current record at the record-time point of asOf, in
// one repeatable-read transaction so the kinds agree with each other.
// World time is left to the caller.
func (db *DB) Snapshot(ctx context.Context, asOf plotline.AsOf) (*plotline.Snapshot, error) {
	rec := plotline.AsOf{Recorded: asOf.Recorded, IncludeDrafts: asOf.IncludeDrafts}
	s := &plotline.Snapshot{}
	err := pgx.BeginTxFunc(ctx, db.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		if s.Sources, err = listAll[plotline.Source](ctx, tx, plotline.RecSource, rec); err != nil {
			return err
		}
		if s.Actors, err = listAll[plotline.Actor](ctx, tx, plotline.RecActor, rec); err != nil {
			return err
		}
		if s.Affiliations, err = listAll[plotline.Affiliation](ctx, tx, plotline.RecAffiliation, rec); err != nil {
			return err
		}
		s.Incidents, err = incidents(ctx, tx, plotline.IncidentFilter{}, rec)
		return err
	})
	if err != nil {
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
	rows, err := db.pool.Query(ctx, `SELECT v.version, c.recorded_at, c.recorded_by, c.note, v.deleted, v.data, v.change_id, v.status
		FROM `+ref.Kind+`_v v JOIN changes c ON c.id = v.change_id WHERE v.id = $1 AND v.version > 0 ORDER BY v.version`, ref.ID)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (plotline.Version, error) {
		v := plotline.Version{Kind: ref.Kind, ID: ref.ID}
		var at int64
		var data *string
		if err := r.Scan(&v.Version, &at, &v.RecordedBy, &v.Note, &v.Deleted, &data, &v.ChangeID, &v.Status); err != nil {
			return v, err
		}
		v.RecordedAt = timeOf(at)
		if data != nil {
			v.Data = []byte(*data)
		}
		return v, nil
	})
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if len(out) == 0 {
		return nil, plotline.Errorf(plotline.ENOTFOUND, "%s %q not found", ref.Kind, ref.ID)
	}
	return out, nil
}

// Changes lists applied changes, newest first.
func (db *DB) Changes(ctx context.Context, limit int) ([]plotline.Change, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.pool.Query(ctx, `SELECT id, recorded_at, recorded_by, note, action, coalesce(target, 0) FROM changes ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (plotline.Change, error) {
		var c plotline.Change
		var at int64
		err := r.Scan(&c.ID, &at, &c.RecordedBy, &c.Note, &c.Action, &c.Target)
		c.RecordedAt = timeOf(at)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	return out, nil
}
