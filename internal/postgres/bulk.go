package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/plotline-dev/plotline"
)

var _ plotline.ImportStore = (*DB)(nil)

// importTx is the streaming write of one import (internal/sqlite/bulk.go is
// its model): one transaction and one change, the versioning of Apply, and
// every check made before anything of a put is written, so a failed put
// leaves nothing behind. A PostgreSQL transaction does not survive a
// failed statement, so the puts avoid failing ones: duplicates are found
// before the write, identity rows are inserted ON CONFLICT DO NOTHING and
// the foreign keys are deferred to the commit.
//
// The clock row stays locked from BeginImport to the end, as for a batch:
// concurrent writers wait, and change IDs keep increasing in commit order.
//
// Records of a namespace (the ID's "gtd:" prefix, or the whole kind for IDs
// without one) where nothing was stored before the import are all new: they
// skip the lookup of a current version and are buffered, then written with
// COPY (one statement per kind and flushAt records instead of several round
// trips per record). A record repeated within the import is still refused:
// a hash of every buffered kind and ID flags a possible repeat, confirmed
// against the table after a flush.
type importTx struct {
	db         *DB
	ctx        context.Context // BeginImport's, without its cancellation: for Commit and Rollback
	tx         pgx.Tx
	ch         plotline.Change
	at         int64
	prevChange int64 // the clock before the import, restored when it changed nothing
	prevAt     int64
	exists     map[plotline.Ref]bool // sources and actors found current or put by this import
	actorsRead bool                  // every current actor is in exists
	fresh      map[string]bool       // kind + "\x00" + namespace → nothing stored there before
	seed       maphash.Seed
	seen       map[uint64]struct{} // hashes of kind and ID of the records buffered (and flushed) by this import
	ids        map[string][]string // kind → identity rows to COPY
	versions   map[string][][]any  // kind → version rows to COPY
	buffered   int
	done       bool
}

// BeginImport starts a streaming import recorded as one change by by.
func (db *DB) BeginImport(ctx context.Context, by, note string) (plotline.ImportTx, error) {
	if by == "" {
		return nil, plotline.FieldError("by", "every change must say who made it")
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin import: %w", err)
	}
	t := &importTx{db: db, ctx: context.WithoutCancel(ctx), tx: tx, exists: map[plotline.Ref]bool{}, fresh: map[string]bool{},
		seed: maphash.MakeSeed(), seen: map[uint64]struct{}{}, ids: map[string][]string{}, versions: map[string][][]any{}}
	if err := tx.QueryRow(ctx, `SELECT last_change, last_at FROM clock FOR UPDATE`).Scan(&t.prevChange, &t.prevAt); err != nil {
		tx.Rollback(t.ctx) //nolint:errcheck // the lock error is the one to report
		return nil, fmt.Errorf("begin import: lock clock: %w", err)
	}
	id := t.prevChange + 1
	t.at = max(db.Now().UnixNano(), t.prevAt+1)
	if _, err := tx.Exec(ctx, `UPDATE clock SET last_change = $1, last_at = $2`, id, t.at); err != nil {
		tx.Rollback(t.ctx) //nolint:errcheck // the update error is the one to report
		return nil, fmt.Errorf("begin import: advance clock: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO changes (id, recorded_at, recorded_by, note) VALUES ($1, $2, $3, $4)`, id, t.at, by, note); err != nil {
		tx.Rollback(t.ctx) //nolint:errcheck // the insert error is the one to report
		return nil, fmt.Errorf("record change: %w", err)
	}
	t.ch = plotline.Change{ID: id, RecordedAt: timeOf(t.at), RecordedBy: by, Note: note, Action: plotline.ActionEdit}
	return t, nil
}

func (t *importTx) live() error {
	if t.done {
		return plotline.Errorf(plotline.ECONFLICT, "import already committed or rolled back")
	}
	return nil
}

// freshPrefix reports whether no record of kind was ever stored under the
// ID's namespace before this import.
func (t *importTx) freshPrefix(ctx context.Context, kind, id string) (bool, error) {
	ns := id[:strings.IndexByte(id, ':')+1] // "" without a colon
	key := kind + "\x00" + ns
	if f, ok := t.fresh[key]; ok {
		return f, nil
	}
	var stored bool
	var err error
	if ns == "" {
		err = t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+kind+`)`).Scan(&stored)
	} else {
		// IDs in [ns, ns with its colon replaced by ';') start with ns.
		err = t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+kind+` WHERE id >= $1 AND id < $2)`, ns, ns[:len(ns)-1]+";").Scan(&stored)
	}
	if err != nil {
		return false, fmt.Errorf("%s %q: %w", kind, id, err)
	}
	t.fresh[key] = !stored
	return !stored, nil
}

// put stores one record (putAll of one).
func (t *importTx) put(ctx context.Context, r row) (plotline.PutResult, error) {
	res, _, err := t.putAll(ctx, []row{r}, "")
	if err != nil {
		return 0, err
	}
	return res[0], nil
}

// putAll stores rows as new versions, except those whose current version
// has the same content, and with stale set tombstones the current
// statements of that incident that rows do not hold (unless the incident
// is new). Every check comes before any write: a record repeated in rows
// or already written by this import is ECONFLICT and nothing is written.
// Records of fresh namespaces are buffered; the others cost two round
// trips in all, one batch of lookups and one of writes.
func (t *importTx) putAll(ctx context.Context, rows []row, stale string) ([]plotline.PutResult, int, error) {
	res := make([]plotline.PutResult, len(rows))
	fresh := make([]bool, len(rows))
	inRows := make(map[plotline.Ref]bool, len(rows))
	lookups := &pgx.Batch{}
	var looked []int
	for i, r := range rows {
		ref := plotline.Ref{Kind: r.kind, ID: r.id}
		if inRows[ref] {
			return nil, 0, plotline.Errorf(plotline.ECONFLICT, "%s %q appears twice in this import", r.kind, r.id)
		}
		inRows[ref] = true
		f, err := t.freshPrefix(ctx, r.kind, r.id)
		if err != nil {
			return nil, 0, err
		}
		fresh[i] = f
		if f {
			if err := t.notRepeated(ctx, r); err != nil {
				return nil, 0, err
			}
			continue
		}
		looked = append(looked, i)
		lookups.Queue(`SELECT version, data, deleted, change_id FROM `+r.kind+`_v WHERE id = $1 AND rec_to IS NULL`, r.id)
	}
	staleAt := -1
	if stale != "" {
		if f, err := t.freshPrefix(ctx, plotline.RecIncident, stale); err != nil {
			return nil, 0, err
		} else if !f {
			staleAt = lookups.Len()
			lookups.Queue(`SELECT id, version FROM attribution_v WHERE incident_id = $1 AND rec_to IS NULL AND NOT deleted`, stale)
		}
	}
	type current struct {
		found, deleted bool
		version        int
		data           *string
		change         int64
	}
	cur := make([]current, len(rows))
	var staleIDs []string
	var staleVersions []int32
	if lookups.Len() > 0 {
		br := t.tx.SendBatch(ctx, lookups)
		for _, i := range looked {
			c := &cur[i]
			err := br.QueryRow().Scan(&c.version, &c.data, &c.deleted, &c.change)
			if err != nil && !isNoRows(err) {
				br.Close()
				return nil, 0, fmt.Errorf("%s %q: %w", rows[i].kind, rows[i].id, err)
			}
			c.found = err == nil
		}
		if staleAt >= 0 {
			qr, err := br.Query()
			if err == nil {
				var id string
				var version int32
				_, err = pgx.ForEachRow(qr, []any{&id, &version}, func() error {
					if !inRows[plotline.Ref{Kind: plotline.RecAttribution, ID: id}] {
						staleIDs, staleVersions = append(staleIDs, id), append(staleVersions, version+1)
					}
					return nil
				})
			}
			if err != nil {
				br.Close()
				return nil, 0, fmt.Errorf("stale statements of %q: %w", stale, err)
			}
		}
		if err := br.Close(); err != nil {
			return nil, 0, err
		}
	}
	for _, i := range looked {
		if cur[i].found && cur[i].change == t.ch.ID {
			return nil, 0, plotline.Errorf(plotline.ECONFLICT, "%s %q appears twice in this import", rows[i].kind, rows[i].id)
		}
	}

	writes := &pgx.Batch{}
	for i, r := range rows {
		c := cur[i]
		switch {
		case fresh[i]:
			t.seen[maphash.String(t.seed, r.kind+"\x00"+r.id)] = struct{}{}
			t.ids[r.kind] = append(t.ids[r.kind], r.id)
			t.versions[r.kind] = append(t.versions[r.kind], append([]any{r.id, 1, t.ch.ID, t.at, string(r.data)}, r.vals...))
			t.buffered++
			res[i] = plotline.PutCreated
		case !c.found:
			writes.Queue(`INSERT INTO `+r.kind+` (id) VALUES ($1) ON CONFLICT DO NOTHING`, r.id)
			res[i] = plotline.PutCreated
		case !c.deleted && c.data != nil && *c.data == string(r.data):
			res[i] = plotline.PutUnchanged
			continue
		default:
			writes.Queue(`UPDATE `+r.kind+`_v SET rec_to = $1 WHERE id = $2 AND rec_to IS NULL`, t.at, r.id)
			res[i] = plotline.PutUpdated
			if c.deleted {
				res[i] = plotline.PutCreated
			}
		}
		if !fresh[i] {
			cols := append([]string{"id", "version", "change_id", "rec_from", "data"}, r.cols...)
			writes.Queue(`INSERT INTO `+r.kind+`_v (`+strings.Join(cols, ", ")+`) VALUES (`+placeholders(len(cols))+`)`,
				append([]any{r.id, c.version + 1, t.ch.ID, t.at, string(r.data)}, r.vals...)...)
		}
	}
	incidentNew := false
	for i, r := range rows {
		if r.kind == plotline.RecIncident && r.id == stale {
			incidentNew = res[i] == plotline.PutCreated
		}
	}
	if incidentNew {
		staleIDs = nil // a new incident has no older statements
	}
	if len(staleIDs) > 0 {
		writes.Queue(`UPDATE attribution_v SET rec_to = $1 WHERE id = ANY($2) AND rec_to IS NULL`, t.at, staleIDs)
		writes.Queue(`INSERT INTO attribution_v (id, version, change_id, rec_from, deleted)
			SELECT id, version, $1, $2, true FROM unnest($3::text[], $4::int[]) AS s(id, version)`, t.ch.ID, t.at, staleIDs, staleVersions)
	}
	if writes.Len() > 0 {
		if err := t.tx.SendBatch(ctx, writes).Close(); err != nil {
			return nil, 0, constraintError(rows[0].kind, err)
		}
	}
	for i, r := range rows {
		t.known(r)
		switch res[i] {
		case plotline.PutCreated:
			t.ch.Created++
		case plotline.PutUpdated:
			t.ch.Updated++
		default:
			t.ch.Unchanged++
		}
	}
	t.ch.Deleted += len(staleIDs)
	if t.buffered >= flushAt {
		if err := t.flush(ctx); err != nil {
			return nil, 0, err
		}
	}
	return res, len(staleIDs), nil
}

// known notes a source or actor as current, for the references that follow.
func (t *importTx) known(r row) {
	if r.kind == plotline.RecSource || r.kind == plotline.RecActor {
		t.exists[plotline.Ref{Kind: r.kind, ID: r.id}] = true
	}
}

// flush writes the buffered records, kinds in dependency order.
func (t *importTx) flush(ctx context.Context) error {
	t.buffered = 0
	for _, kind := range plotline.RecKinds {
		if ids := t.ids[kind]; len(ids) > 0 {
			if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{kind}, []string{"id"}, pgx.CopyFromSlice(len(ids), func(i int) ([]any, error) {
				return []any{ids[i]}, nil
			})); err != nil {
				return constraintError(kind, err)
			}
			t.ids[kind] = ids[:0]
		}
		if rows := t.versions[kind]; len(rows) > 0 {
			cols := append([]string{"id", "version", "change_id", "rec_from", "data"}, kindColumns(kind)...)
			if _, err := t.tx.CopyFrom(ctx, pgx.Identifier{kind + "_v"}, cols, pgx.CopyFromRows(rows)); err != nil {
				return constraintError(kind, err)
			}
			clear(rows)
			t.versions[kind] = rows[:0]
		}
	}
	return nil
}

func placeholders(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(i+1))
	}
	return b.String()
}

// mustExist checks that a referenced record is current, in this import or
// before it. The current actors are read once, on the first reference to
// one: an import cites thousands of actors, and a round trip each cost
// more than the rest of their incidents' puts.
func (t *importTx) mustExist(ctx context.Context, field, kind, id string) error {
	ref := plotline.Ref{Kind: kind, ID: id}
	if t.exists[ref] {
		return nil
	}
	var ok bool
	if kind == plotline.RecActor {
		if !t.actorsRead {
			rows, err := t.tx.Query(ctx, `SELECT id FROM actor_v WHERE rec_to IS NULL AND NOT deleted`)
			if err != nil {
				return fmt.Errorf("current actors: %w", err)
			}
			var a string
			if _, err := pgx.ForEachRow(rows, []any{&a}, func() error {
				t.exists[plotline.Ref{Kind: plotline.RecActor, ID: a}] = true
				return nil
			}); err != nil {
				return fmt.Errorf("current actors: %w", err)
			}
			t.actorsRead = true
		}
		ok = t.exists[ref] // and the actors put since: known
	} else if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+kind+`_v WHERE id = $1 AND rec_to IS NULL AND NOT deleted)`, id).Scan(&ok); err != nil {
		return fmt.Errorf("%s %q: %w", kind, id, err)
	}
	if !ok {
		return &plotline.Error{Code: plotline.EINVALID, Field: field, Message: fmt.Sprintf("%s %q does not exist", kind, id)}
	}
	t.exists[ref] = true
	return nil
}

func firstInvalid(prefix string, errs []*plotline.Error) error {
	if len(errs) == 0 {
		return nil
	}
	e := *errs[0]
	e.Field = prefix + e.Field
	if len(errs) > 1 {
		e.Message = fmt.Sprintf("%s (and %d more errors)", e.Message, len(errs)-1)
	}
	return &e
}

// PutSource stores one source.
func (t *importTx) PutSource(ctx context.Context, s *plotline.Source) (plotline.PutResult, error) {
	if err := t.live(); err != nil {
		return 0, err
	}
	if err := firstInvalid("source.", s.Validate()); err != nil {
		return 0, err
	}
	r, err := sourceRow(s)
	if err != nil {
		return 0, err
	}
	return t.put(ctx, r)
}

// PutActor stores one actor; its sources must exist.
func (t *importTx) PutActor(ctx context.Context, a *plotline.Actor) (plotline.PutResult, error) {
	if err := t.live(); err != nil {
		return 0, err
	}
	if err := firstInvalid("actor.", a.Validate()); err != nil {
		return 0, err
	}
	for i, id := range a.Sources {
		if err := t.mustExist(ctx, fmt.Sprintf("actor.sources[%d]", i), plotline.RecSource, id); err != nil {
			return 0, err
		}
	}
	r, err := actorRow(a)
	if err != nil {
		return 0, err
	}
	return t.put(ctx, r)
}

// PutIncident stores an incident and its attributions, and tombstones the
// incident's current attributions that the new record no longer carries.
func (t *importTx) PutIncident(ctx context.Context, in *plotline.Incident, sources ...plotline.Source) (plotline.PutResult, error) {
	if err := t.live(); err != nil {
		return 0, err
	}
	srcRows := make([]row, len(sources))
	for i := range sources {
		if err := firstInvalid(fmt.Sprintf("sources[%d].", i), sources[i].Validate()); err != nil {
			return 0, err
		}
		r, err := sourceRow(&sources[i])
		if err != nil {
			return 0, err
		}
		srcRows[i] = r
	}
	for i := range in.Attributions {
		if in.Attributions[i].IncidentID == "" {
			in.Attributions[i].IncidentID = in.ID
		}
		if in.Attributions[i].IncidentID != in.ID {
			return 0, plotline.FieldError(fmt.Sprintf("incident.attributions[%d].incident", i), "%q does not match the incident %q", in.Attributions[i].IncidentID, in.ID)
		}
	}
	if err := firstInvalid("incident.", in.Validate()); err != nil {
		return 0, err
	}
	own := make(map[string]bool, len(srcRows))
	for _, r := range srcRows {
		own[r.id] = true
	}
	for i, id := range in.Sources {
		if own[id] {
			continue
		}
		if err := t.mustExist(ctx, fmt.Sprintf("incident.sources[%d]", i), plotline.RecSource, id); err != nil {
			return 0, err
		}
	}
	attrRows := make([]row, len(in.Attributions))
	for i := range in.Attributions {
		a := &in.Attributions[i]
		p := fmt.Sprintf("incident.attributions[%d].", i)
		if err := t.mustExist(ctx, p+"actor", plotline.RecActor, a.ActorID); err != nil {
			return 0, err
		}
		for j, s := range a.Sources {
			if own[s.ID] {
				continue
			}
			if err := t.mustExist(ctx, fmt.Sprintf("%ssources[%d]", p, j), plotline.RecSource, s.ID); err != nil {
				return 0, err
			}
		}
		r, err := attributionRow(a)
		if err != nil {
			return 0, err
		}
		attrRows[i] = r
	}
	r, err := incidentRow(*in)
	if err != nil {
		return 0, err
	}
	all := append(append(srcRows, r), attrRows...)
	results, dropped, err := t.putAll(ctx, all, in.ID)
	if err != nil {
		return 0, err
	}
	res := results[len(srcRows)]
	if res == plotline.PutCreated {
		return res, nil
	}
	for _, ares := range results[len(srcRows)+1:] {
		if ares != plotline.PutUnchanged {
			res = plotline.PutUpdated
		}
	}
	if dropped > 0 {
		res = plotline.PutUpdated
	}
	return res, nil
}

// notRepeated refuses a record of a fresh namespace this import already
// wrote: a hash match is confirmed against the table after a flush.
func (t *importTx) notRepeated(ctx context.Context, r row) error {
	if _, maybe := t.seen[maphash.String(t.seed, r.kind+"\x00"+r.id)]; !maybe {
		return nil
	}
	if err := t.flush(ctx); err != nil {
		return err
	}
	var again bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+r.kind+` WHERE id = $1)`, r.id).Scan(&again); err != nil {
		return fmt.Errorf("%s %q: %w", r.kind, r.id, err)
	}
	if again {
		return plotline.Errorf(plotline.ECONFLICT, "%s %q appears twice in this import", r.kind, r.id)
	}
	return nil
}

// AddPendingName records (or refreshes) an unmatched name in the review list.
func (t *importTx) AddPendingName(ctx context.Context, p *plotline.PendingName) error {
	if err := t.live(); err != nil {
		return err
	}
	_, err := t.tx.Exec(ctx, `INSERT INTO pending_name (dataset, name_key, name, actor_id, example, suggestion, reason, first_seen, last_seen)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
		ON CONFLICT (dataset, name_key) DO UPDATE SET last_seen = excluded.last_seen, actor_id = excluded.actor_id,
			suggestion = excluded.suggestion, reason = excluded.reason`,
		p.Dataset, p.Key, p.Name, p.ActorID, p.Example, p.Suggestion, p.Reason, t.at)
	if err != nil {
		return fmt.Errorf("pending name %q: %w", p.Name, err)
	}
	return nil
}

// Commit makes the import visible and notifies listeners. An import that
// changed nothing leaves no change behind and the clock as it was.
func (t *importTx) Commit() (*plotline.Change, error) {
	if err := t.live(); err != nil {
		return nil, err
	}
	t.done = true
	ctx := t.ctx
	fail := func(err error) (*plotline.Change, error) {
		t.tx.Rollback(ctx) //nolint:errcheck // err is the one to report
		return nil, err
	}
	if err := t.flush(ctx); err != nil {
		return fail(err)
	}
	if t.ch.Created+t.ch.Updated+t.ch.Deleted == 0 {
		if _, err := t.tx.Exec(ctx, `DELETE FROM changes WHERE id = $1`, t.ch.ID); err != nil {
			return fail(err)
		}
		if _, err := t.tx.Exec(ctx, `UPDATE clock SET last_change = $1, last_at = $2`, t.prevChange, t.prevAt); err != nil {
			return fail(err)
		}
		t.ch.ID = 0
	} else if _, err := t.tx.Exec(ctx, `SELECT pg_notify($1, $2)`, t.db.channel, strconv.FormatInt(t.ch.ID, 10)); err != nil {
		return fail(fmt.Errorf("notify: %w", err))
	}
	if err := t.tx.Commit(ctx); err != nil {
		// Deferred foreign keys are checked here.
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			return nil, constraintError("import", err)
		}
		return nil, fmt.Errorf("commit import: %w", err)
	}
	ch := t.ch
	return &ch, nil
}

// Rollback abandons the import; after Commit it is a no-op.
func (t *importTx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	return t.tx.Rollback(t.ctx)
}
