package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
)

var _ engine.Source = (*DB)(nil)

// ScanIndex feeds the analytics engine every record current at the record
// instant (nil: now), from one read transaction. Versions written before
// migration 0002 (eng IS NULL) are decoded from their JSON.
func (db *DB) ScanIndex(ctx context.Context, recorded *time.Time, l engine.Loader) (int64, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("scan index: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var change sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM changes`).Scan(&change); err != nil {
		return 0, fmt.Errorf("scan index: %w", err)
	}
	asOf := plotline.AsOf{Recorded: recorded}
	cond, args := current(asOf)
	actors, err := txData[plotline.Actor](ctx, tx, `SELECT v.data FROM actor_v v WHERE `+cond+` ORDER BY v.id`, args...)
	if err != nil {
		return 0, fmt.Errorf("scan actors: %w", err)
	}
	affs, err := txData[plotline.Affiliation](ctx, tx, `SELECT v.data FROM affiliation_v v WHERE `+cond+` ORDER BY v.id`, args...)
	if err != nil {
		return 0, fmt.Errorf("scan affiliations: %w", err)
	}
	l.Organisation(actors, affs)
	var ni, na int
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM incident_v v WHERE `+cond+`), (SELECT count(*) FROM attribution_v v WHERE `+cond+`)`,
		append(append([]any{}, args...), args...)...).Scan(&ni, &na); err != nil {
		return 0, fmt.Errorf("scan index: %w", err)
	}
	l.Grow(ni, na)
	if err := scanIncidents(ctx, tx, cond, args, l); err != nil {
		return 0, err
	}
	if err := scanAttributions(ctx, tx, cond, args, l); err != nil {
		return 0, err
	}
	return change.Int64, nil
}

func txData[T any](ctx context.Context, tx *sql.Tx, q string, args ...any) ([]T, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
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

func splitUS(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x1f")
}

func rangeDate(start, end sql.NullInt64) plotline.Date {
	if !start.Valid || !end.Valid {
		return plotline.Date{}
	}
	return plotline.Date{Start: plotline.Day(start.Int64), End: plotline.Day(end.Int64), Precision: plotline.PrecisionRange}
}

func intOr(n sql.NullInt64) int64 {
	if !n.Valid {
		return -1
	}
	return n.Int64
}

func ptrOr(p *int) int64 {
	if p == nil {
		return -1
	}
	return int64(*p)
}

func scanIncidents(ctx context.Context, tx *sql.Tx, cond string, args []any, l engine.Loader) error {
	rows, err := tx.QueryContext(ctx, `SELECT v.rowid, v.id, v.eng, coalesce(v.kind, ''), coalesce(v.outcome, ''), coalesce(v.stage, ''),
		coalesce(v.date_start, 0), coalesce(v.date_end, 0), coalesce(v.date_prec, ''), v.pub_start, v.pub_end,
		coalesce(v.country, ''), coalesce(v.admin1, ''), coalesce(v.place, ''), coalesce(v.loc_prec, ''), v.lat, v.lon,
		coalesce(v.target_country, ''), coalesce(v.target_type, ''), coalesce(v.event_type, ''), coalesce(v.origin, ''),
		coalesce(v.documentation, ''), coalesce(v.weapons, ''), coalesce(v.tags, ''), coalesce(v.sources, ''),
		v.killed, v.injured, v.perpetrators, v.arrests, CASE WHEN v.eng IS NULL THEN v.data END
		FROM incident_v v NOT INDEXED WHERE `+cond, args...)
	if err != nil {
		return fmt.Errorf("scan incidents: %w", err)
	}
	defer rows.Close()
	var r engine.IncidentRow
	for rows.Next() {
		var eng, pubStart, pubEnd, killed, injured, perps, arrests sql.NullInt64
		var lat, lon sql.NullFloat64
		var ds, de int64
		var prec, weapons, tags, sources string
		var data sql.NullString
		if err := rows.Scan(&r.Key, &r.ID, &eng, &r.Kind, &r.Outcome, &r.Stage, &ds, &de, &prec, &pubStart, &pubEnd,
			&r.Country, &r.Admin1, &r.Place, &r.LocPrecision, &lat, &lon, &r.Target, &r.TargetType, &r.EventType, &r.Origin,
			&r.Doc, &weapons, &tags, &sources, &killed, &injured, &perps, &arrests, &data); err != nil {
			return fmt.Errorf("scan incidents: %w", err)
		}
		if !eng.Valid {
			if err := legacyIncident(&r, data.String); err != nil {
				return err
			}
			l.Incident(&r)
			continue
		}
		r.Date = plotline.Date{Start: plotline.Day(ds), End: plotline.Day(de), Precision: plotline.Precision(prec)}
		r.Disclosed = rangeDate(pubStart, pubEnd)
		r.Lat, r.Lon, r.HasLatLon = lat.Float64, lon.Float64, lat.Valid && lon.Valid
		r.Weapons, r.Tags, r.Sources = splitUS(weapons), splitUS(tags), splitUS(sources)
		r.Killed, r.Injured, r.Perpetrators, r.Arrests = intOr(killed), intOr(injured), intOr(perps), intOr(arrests)
		l.Incident(&r)
	}
	return rows.Err()
}

// legacyIncident fills r from a version stored before the engine columns.
func legacyIncident(r *engine.IncidentRow, data string) error {
	var in plotline.Incident
	if err := json.Unmarshal([]byte(data), &in); err != nil {
		return fmt.Errorf("decode stored incident %q: %w", r.ID, err)
	}
	key := r.Key
	*r = engine.IncidentRow{Key: key, ID: in.ID, Kind: in.Kind, Outcome: in.Outcome, Stage: in.Stage, Date: in.Date,
		Disclosed: in.PublicOn(), Country: in.Location.Country, Admin1: in.Location.Admin1, Place: in.Location.Place,
		LocPrecision: in.Location.Precision, Target: in.TargetCountry, TargetType: in.TargetType, EventType: in.EventType,
		Origin: in.Origin, Doc: in.Documentation, Weapons: in.Weapons, Tags: in.Tags, Sources: in.Sources,
		Killed: ptrOr(in.Killed.Best), Injured: ptrOr(in.Injured.Best), Perpetrators: ptrOr(in.Perpetrators), Arrests: ptrOr(in.Arrests)}
	if in.Location.Lat != nil && in.Location.Lon != nil {
		r.Lat, r.Lon, r.HasLatLon = *in.Location.Lat, *in.Location.Lon, true
	}
	return nil
}

func scanAttributions(ctx context.Context, tx *sql.Tx, cond string, args []any, l engine.Loader) error {
	rows, err := tx.QueryContext(ctx, `SELECT v.id, coalesce(v.incident_id, ''), coalesce(v.actor_id, ''), coalesce(v.basis, ''), v.eng,
		coalesce(v.link, ''), coalesce(v.likelihood, ''), coalesce(v.confidence, ''), coalesce(v.asserted_by, ''),
		v.stated_start, v.stated_end, v.superseded_end, v.retracted_end, CASE WHEN v.eng IS NULL THEN v.data END
		FROM attribution_v v NOT INDEXED WHERE `+cond, args...)
	if err != nil {
		return fmt.Errorf("scan attributions: %w", err)
	}
	defer rows.Close()
	var r engine.AttributionRow
	for rows.Next() {
		var eng, ss, se, sup, ret sql.NullInt64
		var data sql.NullString
		if err := rows.Scan(&r.ID, &r.IncidentID, &r.ActorID, &r.Basis, &eng, &r.Link, &r.Likelihood, &r.Confidence, &r.AssertedBy,
			&ss, &se, &sup, &ret, &data); err != nil {
			return fmt.Errorf("scan attributions: %w", err)
		}
		if !eng.Valid {
			var a plotline.Attribution
			if err := json.Unmarshal([]byte(data.String), &a); err != nil {
				return fmt.Errorf("decode stored attribution %q: %w", r.ID, err)
			}
			r = engine.AttributionRow{ID: a.ID, IncidentID: a.IncidentID, ActorID: a.ActorID, Basis: a.Basis, Link: a.Link,
				Likelihood: a.Likelihood, Confidence: a.Confidence, AssertedBy: a.AssertedBy, StatedOn: a.StatedOn,
				SupersededOn: a.SupersededOn, RetractedOn: a.RetractedOn}
			l.Attribution(&r)
			continue
		}
		r.StatedOn = rangeDate(ss, se)
		r.SupersededOn = rangeDate(sup, sup)
		r.RetractedOn = rangeDate(ret, ret)
		l.Attribution(&r)
	}
	return rows.Err()
}

// MatchText returns the keys of the incident versions current at the
// record instant whose title or summary contains text as a phrase (FTS5,
// unicode61 tokens, case and diacritics folded).
func (db *DB) MatchText(ctx context.Context, text string, recorded *time.Time) ([]int64, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	cond, args := current(plotline.AsOf{Recorded: recorded})
	phrase := `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
	rows, err := db.read.QueryContext(ctx, `SELECT v.rowid FROM incident_fts f JOIN incident_v v ON v.rowid = f.rowid
		WHERE incident_fts MATCH ? AND `+cond, append([]any{phrase}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("text search: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
