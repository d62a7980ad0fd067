package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/plotline-dev/plotline"
)

// row is one record ready to store: its kind, ID, JSON body and the extra
// columns its version table keeps for querying.
type row struct {
	kind string
	id   string
	data []byte
	cols []string
	vals []any
}

func sourceRow(s *plotline.Source) (row, error) {
	b, err := json.Marshal(s)
	return row{kind: plotline.RecSource, id: s.ID, data: b, cols: []string{"tlp"}, vals: []any{s.TLP}}, err
}

func actorRow(a *plotline.Actor) (row, error) {
	b, err := json.Marshal(a)
	return row{kind: plotline.RecActor, id: a.ID, data: b}, err
}

func affiliationRow(f *plotline.Affiliation) (row, error) {
	b, err := json.Marshal(f)
	return row{kind: plotline.RecAffiliation, id: f.ID, data: b,
		cols: []string{"child_id", "parent_id"}, vals: []any{f.ChildID, f.ParentID}}, err
}

func incidentRow(in plotline.Incident) (row, error) {
	in.Attributions = nil // stored as records of their own
	b, err := json.Marshal(in)
	pub := in.PublicOn()
	var lat, lon any
	if in.Location.Lat != nil && in.Location.Lon != nil {
		lat, lon = *in.Location.Lat, *in.Location.Lon
	}
	return row{kind: plotline.RecIncident, id: in.ID, data: b,
		cols: []string{"kind", "date_start", "date_end", "country", "target_country", "origin", "origin_id",
			"eng", "outcome", "stage", "date_prec", "pub_start", "pub_end", "admin1", "place", "loc_prec", "lat", "lon",
			"target_type", "event_type", "documentation", "weapons", "tags", "sources", "killed", "injured", "perpetrators", "arrests"},
		vals: []any{in.Kind, int64(in.Date.Start), int64(in.Date.End), in.Location.Country, in.TargetCountry, in.Origin, in.OriginID,
			1, in.Outcome, in.Stage, string(in.Date.Precision), dayOrNil(pub, false), dayOrNil(pub, true), in.Location.Admin1,
			in.Location.Place, in.Location.Precision, lat, lon, in.TargetType, in.EventType, in.Documentation,
			strings.Join(in.Weapons, "\x1f"), strings.Join(in.Tags, "\x1f"), strings.Join(in.Sources, "\x1f"),
			intOrNil(in.Killed.Best), intOrNil(in.Injured.Best), intOrNil(in.Perpetrators), intOrNil(in.Arrests)}}, err
}

func attributionRow(a *plotline.Attribution) (row, error) {
	b, err := json.Marshal(a)
	return row{kind: plotline.RecAttribution, id: a.ID, data: b,
		cols: []string{"incident_id", "actor_id", "basis",
			"eng", "link", "likelihood", "confidence", "asserted_by", "stated_start", "stated_end", "superseded_end", "retracted_end"},
		vals: []any{a.IncidentID, a.ActorID, a.Basis,
			1, a.Link, a.Likelihood, a.Confidence, a.AssertedBy, dayOrNil(a.StatedOn, false), dayOrNil(a.StatedOn, true),
			dayOrNil(a.SupersededOn, true), dayOrNil(a.RetractedOn, true)}}, err
}

// dayOrNil returns a known date's first (or last) day for an engine column.
func dayOrNil(d plotline.Date, end bool) any {
	switch {
	case !d.Known():
		return nil
	case end:
		return int64(d.End)
	}
	return int64(d.Start)
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return int64(*p)
}

// Apply validates and writes a batch in one transaction, as one change.
func (db *DB) Apply(ctx context.Context, b *plotline.Batch) (*plotline.Change, error) {
	if b.By == "" {
		return nil, plotline.FieldError("by", "every change must say who made it")
	}
	rows, err := batchRows(b)
	if err != nil {
		return nil, err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // rollback after commit is a no-op

	ch, err := db.applyTx(ctx, tx, b, rows)
	if err != nil {
		return nil, err
	}
	ch.Action = plotline.ActionEdit
	switch {
	case b.Draft:
		if err := keepAsDraft(ctx, tx, ch); err != nil {
			return nil, err
		}
	case ch.Created+ch.Updated+ch.Deleted == 0:
		// Nothing differs from what is stored: no change is recorded.
		if _, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE id = ?`, ch.ID); err != nil {
			return nil, fmt.Errorf("drop empty change: %w", err)
		}
		ch.ID = 0
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return ch, nil
}

func (db *DB) applyTx(ctx context.Context, tx *sql.Tx, b *plotline.Batch, rows []row) (*plotline.Change, error) {
	var lastAt sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(recorded_at) FROM changes`).Scan(&lastAt); err != nil {
		return nil, err
	}
	db.mu.Lock()
	db.last = max(db.last, lastAt.Int64)
	db.mu.Unlock()
	at := db.tick()

	res, err := tx.ExecContext(ctx, `INSERT INTO changes (recorded_at, recorded_by, note) VALUES (?, ?, ?)`, at, b.By, b.Note)
	if err != nil {
		return nil, fmt.Errorf("record change: %w", err)
	}
	changeID, err := res.LastInsertId()
	if err != nil {
		return nil, err
	}
	ch := &plotline.Change{ID: changeID, RecordedAt: timeOf(at), RecordedBy: b.By, Note: b.Note}
	w := writer{tx: tx, change: changeID, at: at, stmts: map[string]*sql.Stmt{}}
	// A large batch indexes its incidents' text once at the end (see
	// suspendFTS); a small one keeps the trigger and the schema unchanged.
	var fts string
	if len(b.Incidents) >= ftsBatchMin {
		if fts, err = suspendFTS(ctx, tx); err != nil {
			return nil, err
		}
	}
	for _, r := range rows {
		created, changed, err := w.put(ctx, r)
		if err != nil {
			return nil, err
		}
		switch {
		case created:
			ch.Created++
		case changed:
			ch.Updated++
		default:
			ch.Unchanged++
		}
	}
	for _, ref := range deletesWithCascade(ctx, tx, b.Deletes) {
		deleted, err := w.delete(ctx, ref)
		if err != nil {
			return nil, err
		}
		if deleted {
			ch.Deleted++
		}
	}
	if err := resumeFTS(ctx, tx, fts, changeID, 0); err != nil {
		return nil, err
	}
	if err := checkReferences(ctx, w, b); err != nil {
		return nil, err
	}
	return ch, nil
}

// ftsBatchMin is the number of incidents from which Apply suspends the
// full-text trigger: dropping and restoring it changes the schema, which
// makes every connection prepare its statements again.
const ftsBatchMin = 50

// batchRows validates every record of the batch and turns it into rows, in
// dependency order (sources, actors, affiliations, incidents, attributions).
func batchRows(b *plotline.Batch) ([]row, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	var rows []row
	add := func(r row, err error) error {
		rows = append(rows, r)
		return err
	}
	for i := range b.Sources {
		if err := add(sourceRow(&b.Sources[i])); err != nil {
			return nil, err
		}
	}
	for i := range b.Actors {
		if err := add(actorRow(&b.Actors[i])); err != nil {
			return nil, err
		}
	}
	for i := range b.Affiliations {
		if err := add(affiliationRow(&b.Affiliations[i])); err != nil {
			return nil, err
		}
	}
	for i := range b.Incidents {
		if err := add(incidentRow(b.Incidents[i])); err != nil {
			return nil, err
		}
	}
	for _, a := range b.AllAttributions() {
		if err := add(attributionRow(a)); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

type writer struct {
	tx     *sql.Tx
	change int64
	at     int64
	// stmts holds the statements prepared in tx, by SQL text: a batch runs
	// the same few statements once per record (database/sql closes them
	// with the transaction).
	stmts map[string]*sql.Stmt
}

func (w writer) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := w.stmts[q]; ok {
		return s, nil
	}
	s, err := w.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	w.stmts[q] = s
	return s, nil
}

func (w writer) exec(ctx context.Context, q string, args ...any) error {
	s, err := w.prepared(ctx, q)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(ctx, args...)
	return err
}

func (w writer) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	s, err := w.prepared(ctx, q)
	if err != nil {
		return err
	}
	return s.QueryRowContext(ctx, args...).Scan(dest...)
}

// put stores r as a new version unless the current version has the same
// content. It reports whether the record is new and whether it changed.
func (w writer) put(ctx context.Context, r row) (created, changed bool, err error) {
	if err := w.exec(ctx, `INSERT OR IGNORE INTO `+r.kind+` (id) VALUES (?)`, r.id); err != nil {
		return false, false, fmt.Errorf("%s %q: %w", r.kind, r.id, err)
	}
	var version int
	var data sql.NullString
	var deleted bool
	err = w.queryRow(ctx, `SELECT version, data, deleted FROM `+r.kind+`_v WHERE id = ? AND rec_to IS NULL`, []any{r.id},
		&version, &data, &deleted)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		created = true // nothing current to close
	case err != nil:
		return false, false, fmt.Errorf("%s %q: %w", r.kind, r.id, err)
	case !deleted && data.String == string(r.data):
		return false, false, nil
	default:
		if err := w.close(ctx, r.kind, r.id); err != nil {
			return false, false, err
		}
	}
	cols := append([]string{"id", "version", "change_id", "rec_from", "data"}, r.cols...)
	vals := append([]any{r.id, version + 1, w.change, w.at, string(r.data)}, r.vals...)
	q := `INSERT INTO ` + r.kind + `_v (` + strings.Join(cols, ", ") + `) VALUES (?` + strings.Repeat(", ?", len(cols)-1) + `)`
	if err := w.exec(ctx, q, vals...); err != nil {
		return false, false, constraintError(r.kind, r.id, err)
	}
	return created || deleted, !created, nil
}

// delete writes a tombstone version if the record currently exists.
func (w writer) delete(ctx context.Context, ref plotline.Ref) (bool, error) {
	var version int
	var deleted bool
	err := w.queryRow(ctx, `SELECT version, deleted FROM `+ref.Kind+`_v WHERE id = ? AND rec_to IS NULL`, []any{ref.ID}, &version, &deleted)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && deleted) {
		return false, plotline.Errorf(plotline.ENOTFOUND, "%s %q does not exist", ref.Kind, ref.ID)
	}
	if err != nil {
		return false, err
	}
	if err := w.close(ctx, ref.Kind, ref.ID); err != nil {
		return false, err
	}
	err = w.exec(ctx, `INSERT INTO `+ref.Kind+`_v (id, version, change_id, rec_from, deleted) VALUES (?, ?, ?, ?, 1)`,
		ref.ID, version+1, w.change, w.at)
	return true, err
}

func (w writer) close(ctx context.Context, kind, id string) error {
	if err := w.exec(ctx, `UPDATE `+kind+`_v SET rec_to = ? WHERE id = ? AND rec_to IS NULL`, w.at, id); err != nil {
		return fmt.Errorf("%s %q: %w", kind, id, err)
	}
	return nil
}

// deletesWithCascade adds the current attributions of every deleted incident:
// a statement about an incident that no longer exists cannot stand.
func deletesWithCascade(ctx context.Context, tx *sql.Tx, refs []plotline.Ref) []plotline.Ref {
	out := append([]plotline.Ref(nil), refs...)
	listed := map[plotline.Ref]bool{}
	for _, r := range refs {
		listed[r] = true
	}
	for _, r := range refs {
		if r.Kind != plotline.RecIncident {
			continue
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM attribution_v WHERE incident_id = ? AND rec_to IS NULL AND deleted = 0`, r.ID)
		if err != nil {
			continue // the reference check below reports what is left dangling
		}
		for rows.Next() {
			var id string
			if rows.Scan(&id) == nil {
				ref := plotline.Ref{Kind: plotline.RecAttribution, ID: id}
				if !listed[ref] {
					listed[ref] = true
					out = append(out, ref)
				}
			}
		}
		rows.Close()
	}
	return out
}

// checkReferences verifies, inside the transaction and after all writes,
// that every current record the batch touched points at current records.
func checkReferences(ctx context.Context, w writer, b *plotline.Batch) error {
	tx := w.tx
	found := map[plotline.Ref]bool{} // a batch cites the same few sources and actors again and again
	exists := func(kind, id string) (bool, error) {
		ref := plotline.Ref{Kind: kind, ID: id}
		if found[ref] {
			return true, nil
		}
		var n int
		err := w.queryRow(ctx, `SELECT count(*) FROM `+kind+`_v WHERE id = ? AND rec_to IS NULL AND deleted = 0`, []any{id}, &n)
		found[ref] = n > 0
		return n > 0, err
	}
	check := func(field, kind, id string) error {
		ok, err := exists(kind, id)
		if err != nil {
			return err
		}
		if !ok {
			return &plotline.Error{Code: plotline.EINVALID, Field: field, Message: fmt.Sprintf("%s %q does not exist", kind, id)}
		}
		return nil
	}
	checkSources := func(field string, ids []string) error {
		for i, id := range ids {
			if err := check(fmt.Sprintf("%s[%d]", field, i), plotline.RecSource, id); err != nil {
				return err
			}
		}
		return nil
	}
	for i, a := range b.Actors {
		if err := checkSources(fmt.Sprintf("actors[%d].sources", i), a.Sources); err != nil {
			return err
		}
	}
	for i, f := range b.Affiliations {
		p := fmt.Sprintf("affiliations[%d].", i)
		if err := check(p+"child", plotline.RecActor, f.ChildID); err != nil {
			return err
		}
		if err := check(p+"parent", plotline.RecActor, f.ParentID); err != nil {
			return err
		}
		if err := checkSources(p+"sources", f.Sources); err != nil {
			return err
		}
	}
	checkAttr := func(p string, a *plotline.Attribution) error {
		if err := check(p+"incident", plotline.RecIncident, a.IncidentID); err != nil {
			return err
		}
		if err := check(p+"actor", plotline.RecActor, a.ActorID); err != nil {
			return err
		}
		for j, s := range a.Sources {
			if err := check(fmt.Sprintf("%ssources[%d]", p, j), plotline.RecSource, s.ID); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range b.Incidents {
		in := &b.Incidents[i]
		p := fmt.Sprintf("incidents[%d].", i)
		if err := checkSources(p+"sources", in.Sources); err != nil {
			return err
		}
		for j := range in.Attributions {
			if err := checkAttr(fmt.Sprintf("%sattributions[%d].", p, j), &in.Attributions[j]); err != nil {
				return err
			}
		}
	}
	for i := range b.Attributions {
		if err := checkAttr(fmt.Sprintf("attributions[%d].", i), &b.Attributions[i]); err != nil {
			return err
		}
	}
	return checkDeletes(ctx, tx, b.Deletes)
}

// checkDeletes refuses deletes that would leave current records pointing at
// a deleted actor or source.
func checkDeletes(ctx context.Context, tx *sql.Tx, refs []plotline.Ref) error {
	for _, r := range refs {
		var q string
		switch r.Kind {
		case plotline.RecActor:
			q = `SELECT (SELECT count(*) FROM attribution_v WHERE actor_id = ?1 AND rec_to IS NULL AND deleted = 0) +
			            (SELECT count(*) FROM affiliation_v WHERE (child_id = ?1 OR parent_id = ?1) AND rec_to IS NULL AND deleted = 0)`
		case plotline.RecSource:
			q = `SELECT (SELECT count(*) FROM incident_v, json_each(incident_v.data, '$.sources') j WHERE j.value = ?1 AND rec_to IS NULL AND deleted = 0) +
			            (SELECT count(*) FROM attribution_v, json_each(attribution_v.data, '$.sources') j WHERE json_extract(j.value, '$.id') = ?1 AND rec_to IS NULL AND deleted = 0) +
			            (SELECT count(*) FROM actor_v, json_each(actor_v.data, '$.sources') j WHERE j.value = ?1 AND rec_to IS NULL AND deleted = 0) +
			            (SELECT count(*) FROM affiliation_v, json_each(affiliation_v.data, '$.sources') j WHERE j.value = ?1 AND rec_to IS NULL AND deleted = 0)`
		default:
			continue
		}
		var n int
		if err := tx.QueryRowContext(ctx, q, r.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return plotline.Errorf(plotline.ECONFLICT, "%s %q is still referenced by %d current records", r.Kind, r.ID, n)
		}
	}
	return nil
}

func constraintError(kind, id string, err error) error {
	if strings.Contains(err.Error(), "constraint") {
		return plotline.Errorf(plotline.EINVALID, "%s %q: %v", kind, id, err)
	}
	return fmt.Errorf("%s %q: %w", kind, id, err)
}
