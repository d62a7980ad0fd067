package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
)

var _ engine.Source = (*DB)(nil)

// The columns of the engine indexes of migration 0004, in the order their
// expressions join them.
var (
	incidentScanCols = []string{"eng", "kind", "outcome", "stage", "date_start", "date_end", "date_prec", "pub_start", "pub_end",
		"country", "admin1", "place", "loc_prec", "lat", "lon", "target_country", "target_type", "event_type", "origin",
		"documentation", "weapons", "tags", "sources", "killed", "injured", "perpetrators", "arrests"}
	attributionScanCols = []string{"eng", "id", "actor_id", "basis", "link", "likelihood", "confidence", "asserted_by",
		"stated_start", "stated_end", "superseded_end", "retracted_end"}
)

// scanExpr is the indexed expression of migration 0004 over cols: every
// column, NULL as the empty string, joined by char(30).
func scanExpr(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "coalesce(" + c + ", '')"
	}
	return strings.Join(parts, " || char(30) || ")
}

// ScanIndex feeds the analytics engine every record current at the record
// instant (nil: now). The current records are read in parallel parts (ID
// ranges, one read transaction per worker, all at the same last change)
// from the engine indexes of migration 0004; a past instant is read from
// the tables in one transaction. Versions written before migration 0002 (eng
// IS NULL) are decoded from their JSON.
func (db *DB) ScanIndex(ctx context.Context, recorded *time.Time, l engine.Loader) (int64, error) {
	if recorded != nil {
		return db.scanAt(ctx, recorded, l)
	}
	snap, err := db.openSnapshot(ctx, max(1, min(runtime.GOMAXPROCS(0), runtime.NumCPU())))
	if err != nil {
		return 0, fmt.Errorf("scan index: %w", err)
	}
	defer snap.close()
	txs, change := snap.txs, snap.change
	if err := scanOrganisation(ctx, txs[0], nil, l); err != nil {
		return 0, err
	}
	bounds, size, err := partBounds(ctx, txs[0], 4*len(txs))
	if err != nil {
		return 0, fmt.Errorf("scan index: %w", err)
	}
	parts := l.Parts(len(bounds) + 1)
	var next atomic.Int64
	errs := make([]error, len(txs))
	var wg sync.WaitGroup
	for w, tx := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(parts) || errs[w] != nil {
					return
				}
				lo, hi := "", ""
				if k > 0 {
					lo = bounds[k-1]
				}
				if k < len(bounds) {
					hi = bounds[k]
				}
				errs[w] = scanPart(ctx, tx, lo, hi, size, parts[k])
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return change, nil
}

// snapshot is a set of read transactions at the same last change.
type snapshot struct {
	conns  []*sql.Conn
	txs    []*sql.Tx
	change int64
}

// scanMmap maps the database file (up to SQLite's 2 GB limit here) for a
// scan's connections: pages are read from the page cache without a system
// call each (a fifth of the index build's SQLite time). Pooled
// connections go back unmapped.
const scanMmap = `PRAGMA mmap_size = 2147418112`

func (s *snapshot) close() {
	for _, tx := range s.txs {
		tx.Rollback() //nolint:errcheck // read-only
	}
	for _, c := range s.conns {
		// Best effort: a connection left mapped only maps.
		c.ExecContext(context.Background(), `PRAGMA mmap_size = 0`) //nolint:errcheck // see above
		c.Close()                                                   //nolint:errcheck // returns it to the pool
	}
	s.conns, s.txs = nil, nil
}

// openSnapshot opens up to n read transactions that all see the same last
// change (a write between two openings starts them over). It takes only
// connections the pool can spare quickly, so concurrent scans never wait on
// each other; there is always at least one.
func (db *DB) openSnapshot(ctx context.Context, n int) (*snapshot, error) {
	for attempt := 0; ; attempt++ {
		s := &snapshot{}
		same := true
		for i := range n {
			conn, err := db.spareConn(ctx, i == 0)
			if err != nil {
				s.close()
				return nil, err
			}
			if conn == nil {
				break
			}
			s.conns = append(s.conns, conn)
			if _, err := conn.ExecContext(ctx, scanMmap); err != nil {
				s.close()
				return nil, err
			}
			tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
			if err != nil {
				s.close()
				return nil, err
			}
			s.txs = append(s.txs, tx)
			var c sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM changes`).Scan(&c); err != nil {
				s.close()
				return nil, err
			}
			if i == 0 {
				s.change = c.Int64
			} else if c.Int64 != s.change {
				same = false
				break
			}
		}
		if same {
			return s, nil
		}
		s.close()
		if attempt >= 3 {
			n = 1 // writes keep coming: one transaction is always consistent
		}
	}
}

// spareConn returns a read connection: waiting for it when must is set,
// else only one free within a few milliseconds (nil when none is).
func (db *DB) spareConn(ctx context.Context, must bool) (*sql.Conn, error) {
	if must {
		return db.read.Conn(ctx)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	conn, err := db.read.Conn(wctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, nil
	}
	return conn, nil
}

// partBounds splits the incident IDs into about n ranges of equal size,
// returning the first ID of every range but the first, and the size. It
// counts the identity table (every ID ever stored: only the balance
// depends on it).
func partBounds(ctx context.Context, tx *sql.Tx, n int) ([]string, int, error) {
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM incident`).Scan(&total); err != nil {
		return nil, 0, err
	}
	size := total / n
	if size < 64 {
		return nil, total, nil
	}
	var bounds []string
	prev := ""
	for range n - 1 {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id FROM incident WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?`, prev, size-1).Scan(&id)
		if err == sql.ErrNoRows {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		bounds = append(bounds, id)
		prev = id
	}
	return bounds, size, nil
}

// partRange returns the SQL condition on column col for lo <= ID < hi
// ("" hi: unbounded), and its arguments.
func partRange(col, lo, hi string) (string, []any) {
	if hi == "" {
		return col + ` >= ?`, []any{lo}
	}
	return col + ` >= ? AND ` + col + ` < ?`, []any{lo, hi}
}

// incidentScanSQL and attributionScanSQL read the current versions of an
// ID range (cond) from the engine indexes, in ID order, one value per row:
// the rowid and the indexed expression joined by char(30).
func incidentScanSQL(cond string) string {
	return `SELECT rowid || char(30) || id || char(30) || (` + scanExpr(incidentScanCols) + `)
		FROM incident_v INDEXED BY incident_v_engine WHERE rec_to IS NULL AND deleted = 0 AND ` + cond + ` ORDER BY id`
}

func attributionScanSQL(cond string) string {
	return `SELECT rowid || char(30) || incident_id || char(30) || (` + scanExpr(attributionScanCols) + `)
		FROM attribution_v INDEXED BY attribution_v_engine WHERE rec_to IS NULL AND deleted = 0 AND ` + cond + ` ORDER BY incident_id`
}

// scanPart feeds the current incidents with lo <= ID < hi ("": unbounded)
// and their attributions, from the engine indexes, about size of each
// expected. Each row is one value (a string the driver allocates; scanning
// it into a string copies nothing), its fields sliced from it. Reading rows costs
// about what one group_concat per part did, without building a string of
// the whole part (fresh memory: page faults cost more than the copy). A row
// the fast path cannot read (written before migration 0002, a number it
// cannot parse, a text holding char(30)) is read from the table afterwards.
func scanPart(ctx context.Context, tx *sql.Tx, lo, hi string, size int, l engine.PartLoader) error {
	l.Grow(size, size+size/4)
	cond, args := partRange("id", lo, hi)
	rows, err := tx.QueryContext(ctx, incidentScanSQL(cond), args...)
	if err != nil {
		return fmt.Errorf("scan incidents: %w", err)
	}
	var slow []int64 // rowids to read from the table
	var r engine.IncidentRow
	var rec string
	var f [2 + 27]string
	for rows.Next() {
		if err := rows.Scan(&rec); err != nil {
			rows.Close()
			return fmt.Errorf("scan incidents: %w", err)
		}
		ok := splitFields(rec, f[:])
		key, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			rows.Close()
			return fmt.Errorf("scan incidents: bad row %q", rec)
		}
		if !ok || f[2] == "" || !incidentFields(&r, (*[27]string)(f[2:])) {
			slow = append(slow, key)
			continue
		}
		r.Key, r.ID = key, f[1]
		l.Incident(&r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan incidents: %w", err)
	}
	for _, k := range slow {
		if err := scanIncidents(ctx, tx, `v.rowid = ?`, []any{k}, l); err != nil {
			return err
		}
	}
	cond, args = partRange("incident_id", lo, hi)
	rows, err = tx.QueryContext(ctx, attributionScanSQL(cond), args...)
	if err != nil {
		return fmt.Errorf("scan attributions: %w", err)
	}
	slow = slow[:0]
	var a engine.AttributionRow
	var g [2 + 12]string
	for rows.Next() {
		if err := rows.Scan(&rec); err != nil {
			rows.Close()
			return fmt.Errorf("scan attributions: %w", err)
		}
		ok := splitFields(rec, g[:])
		key, err := strconv.ParseInt(g[0], 10, 64)
		if err != nil {
			rows.Close()
			return fmt.Errorf("scan attributions: bad row %q", rec)
		}
		if !ok || g[2] == "" || !attributionFields(&a, (*[12]string)(g[2:])) {
			slow = append(slow, key)
			continue
		}
		a.IncidentID = g[1]
		l.Attribution(&a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan attributions: %w", err)
	}
	for _, k := range slow {
		if err := scanAttributions(ctx, tx, `v.rowid = ?`, []any{k}, l); err != nil {
			return err
		}
	}
	return nil
}

// splitFields splits s at char(30) into exactly len(f) fields.
func splitFields(s string, f []string) bool {
	for i := range f {
		j := strings.IndexByte(s, 30)
		if j < 0 {
			f[i] = s
			return i == len(f)-1
		}
		f[i], s = s[:j], s[j+1:]
	}
	return false
}

// num parses an integer field; "" is NULL.
func num(s string) (v int64, null, ok bool) {
	if s == "" {
		return 0, true, true
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, false, err == nil
}

func incidentFields(r *engine.IncidentRow, f *[27]string) bool {
	ok := true
	day := func(s string) (plotline.Day, bool) {
		v, null, good := num(s)
		ok = ok && good
		return plotline.Day(v), null
	}
	count := func(s string) int64 {
		v, null, good := num(s)
		ok = ok && good
		if null {
			return -1
		}
		return v
	}
	r.Kind, r.Outcome, r.Stage = f[1], f[2], f[3]
	ds, _ := day(f[4])
	de, _ := day(f[5])
	r.Date = plotline.Date{Start: ds, End: de, Precision: plotline.Precision(f[6])}
	ps, psNull := day(f[7])
	pe, peNull := day(f[8])
	r.Disclosed = plotline.Date{}
	if !psNull && !peNull {
		r.Disclosed = plotline.Date{Start: ps, End: pe, Precision: plotline.PrecisionRange}
	}
	r.Country, r.Admin1, r.Place, r.LocPrecision = f[9], f[10], f[11], f[12]
	r.HasLatLon = f[13] != "" && f[14] != ""
	r.Lat, r.Lon = 0, 0
	if r.HasLatLon {
		lat, err1 := strconv.ParseFloat(f[13], 64)
		lon, err2 := strconv.ParseFloat(f[14], 64)
		ok = ok && err1 == nil && err2 == nil
		r.Lat, r.Lon = lat, lon
	}
	r.Target, r.TargetType, r.EventType, r.Origin, r.Doc = f[15], f[16], f[17], f[18], f[19]
	r.Weapons, r.Tags, r.Sources = appendUS(r.Weapons[:0], f[20]), appendUS(r.Tags[:0], f[21]), appendUS(r.Sources[:0], f[22])
	r.Killed, r.Injured, r.Perpetrators, r.Arrests = count(f[23]), count(f[24]), count(f[25]), count(f[26])
	return ok
}

func attributionFields(a *engine.AttributionRow, g *[12]string) bool {
	a.ID, a.ActorID, a.Basis, a.Link, a.Likelihood, a.Confidence, a.AssertedBy = g[1], g[2], g[3], g[4], g[5], g[6], g[7]
	ok := true
	val := func(s string) sql.NullInt64 {
		v, null, good := num(s)
		ok = ok && good
		return sql.NullInt64{Int64: v, Valid: !null}
	}
	sup, ret := val(g[10]), val(g[11])
	a.StatedOn = rangeDate(val(g[8]), val(g[9]))
	a.SupersededOn = rangeDate(sup, sup)
	a.RetractedOn = rangeDate(ret, ret)
	return ok
}

// appendUS appends the parts of a unit-separated list to dst.
func appendUS(dst []string, s string) []string {
	for s != "" {
		i := strings.IndexByte(s, 31)
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
	return dst
}

// scanAt feeds the records current at a past record instant, from the
// tables, in one transaction and one part.
func (db *DB) scanAt(ctx context.Context, recorded *time.Time, l engine.Loader) (int64, error) {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("scan index: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var change sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM changes`).Scan(&change); err != nil {
		return 0, fmt.Errorf("scan index: %w", err)
	}
	if err := scanOrganisation(ctx, tx, recorded, l); err != nil {
		return 0, err
	}
	cond, args := current(plotline.AsOf{Recorded: recorded})
	p := l.Parts(1)[0]
	if err := scanIncidents(ctx, tx, cond, args, p); err != nil {
		return 0, err
	}
	if err := scanAttributions(ctx, tx, cond, args, p); err != nil {
		return 0, err
	}
	return change.Int64, nil
}

func scanOrganisation(ctx context.Context, tx *sql.Tx, recorded *time.Time, l engine.Loader) error {
	cond, args := current(plotline.AsOf{Recorded: recorded})
	actors, err := txData[plotline.Actor](ctx, tx, `SELECT v.data FROM actor_v v WHERE `+cond+` ORDER BY v.id`, args...)
	if err != nil {
		return fmt.Errorf("scan actors: %w", err)
	}
	affs, err := txData[plotline.Affiliation](ctx, tx, `SELECT v.data FROM affiliation_v v WHERE `+cond+` ORDER BY v.id`, args...)
	if err != nil {
		return fmt.Errorf("scan affiliations: %w", err)
	}
	l.Organisation(actors, affs)
	return nil
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

// scanIncidents feeds the incident versions matching cond, column by column
// (the past-instant scan, and rows the fast path cannot read).
func scanIncidents(ctx context.Context, tx *sql.Tx, cond string, args []any, l engine.PartLoader) error {
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

// scanAttributions feeds the attribution versions matching cond, column by
// column.
func scanAttributions(ctx context.Context, tx *sql.Tx, cond string, args []any, l engine.PartLoader) error {
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

// MatchText returns the keys of the incident versions whose title or
// summary contains text as a phrase (FTS5, unicode61 tokens, case and
// diacritics folded). Versions that are no longer current are included: the
// engine keeps only the keys its index holds, so the full-text index is
// read alone, without a lookup per match in the versions table.
func (db *DB) MatchText(ctx context.Context, text string, _ *time.Time) ([]int64, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	phrase := `"` + strings.ReplaceAll(text, `"`, `""`) + `"`
	var list sql.NullString
	// One row holding every rowid: the driver's cost per row would
	// dominate a search matching tens of thousands of versions.
	if err := db.read.QueryRowContext(ctx, `SELECT group_concat(rowid) FROM incident_fts WHERE incident_fts MATCH ?`, phrase).Scan(&list); err != nil {
		return nil, fmt.Errorf("text search: %w", err)
	}
	s := list.String
	out := make([]int64, 0, strings.Count(s, ",")+1)
	for s != "" {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			i = len(s)
		}
		k, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("text search: %w", err)
		}
		out = append(out, k)
		s = s[min(i+1, len(s)):]
	}
	return out, nil
}
