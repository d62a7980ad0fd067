package postgres

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
)

var _ engine.Source = (*DB)(nil)

// The columns the engine reads, in the order the decoders below expect them.
const (
	incidentScanCols = `v.k, v.id, v.eng, v.kind, v.outcome, v.stage, v.date_start, v.date_end, v.date_prec, v.pub_start, v.pub_end,
		v.country, v.admin1, v.place, v.loc_prec, v.lat, v.lon, v.target_country, v.target_type, v.event_type, v.origin,
		v.documentation, v.weapons, v.tags, v.sources, v.killed, v.injured, v.perpetrators, v.arrests,
		CASE WHEN v.eng IS NULL THEN v.data END`
	attributionScanCols = `v.id, v.incident_id, v.actor_id, v.basis, v.eng, v.link, v.likelihood, v.confidence, v.asserted_by,
		v.stated_start, v.stated_end, v.superseded_end, v.retracted_end, CASE WHEN v.eng IS NULL THEN v.data END`
)

// ScanIndex feeds the analytics engine every record current at the record
// instant (nil: now). The current records are read in parallel parts (ID
// ranges of the incident identity table) by several pooled connections
// whose repeatable-read transactions share one exported snapshot, so every
// part sees the same last change; a past instant is read in one
// transaction and one part. Versions written before migration 0002 (eng IS
// NULL) are decoded from their JSON.
func (db *DB) ScanIndex(ctx context.Context, recorded *time.Time, l engine.Loader) (int64, error) {
	txs, change, err := db.openSnapshot(ctx, scanWorkers(db.pool))
	if err != nil {
		return 0, fmt.Errorf("scan index: %w", err)
	}
	defer func() {
		for _, tx := range txs {
			tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
		}
	}()
	if err := scanOrganisation(ctx, txs[0], recorded, l); err != nil {
		return 0, err
	}
	if recorded != nil {
		var a args
		cond := current(plotline.AsOf{Recorded: recorded}, &a)
		p := l.Parts(1)[0]
		if err := scanIncidents(ctx, txs[0], cond, a, p); err != nil {
			return 0, err
		}
		if err := scanAttributions(ctx, txs[0], cond, a, p); err != nil {
			return 0, err
		}
		return change, nil
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
		wg.Go(func() {
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
				parts[k].Grow(size, 0)
				cond, a := partRange("id", lo, hi)
				if errs[w] = scanIncidents(ctx, tx, cond, a, parts[k]); errs[w] == nil {
					cond, a = partRange("incident_id", lo, hi)
					errs[w] = scanAttributions(ctx, tx, cond, a, parts[k])
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return change, nil
}

// scanWorkers is how many connections a scan of the current records uses:
// one per processor, at most four, and never the pool's last connection,
// so that a scan leaves room for the requests it serves.
func scanWorkers(pool *pgxpool.Pool) int {
	return max(1, min(runtime.GOMAXPROCS(0), 4, int(pool.Config().MaxConns)-1))
}

// snapshotID is the shape of pg_export_snapshot's result, checked before
// it is spliced into SET TRANSACTION SNAPSHOT (which takes no parameters).
var snapshotID = regexp.MustCompile(`^[0-9A-Fa-f-]+$`)

// openSnapshot begins n read-only repeatable-read transactions that all see
// the first one's snapshot (pg_export_snapshot), and returns them with the
// last change that snapshot holds. Connections beyond the first are taken
// only if the pool hands them over quickly.
func (db *DB) openSnapshot(ctx context.Context, n int) ([]pgx.Tx, int64, error) {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	first, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		return nil, 0, err
	}
	txs := []pgx.Tx{first}
	fail := func(err error) ([]pgx.Tx, int64, error) {
		for _, tx := range txs {
			tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only; err is the one to report
		}
		return nil, 0, err
	}
	var snap string
	var change int64
	if err := first.QueryRow(ctx, `SELECT pg_export_snapshot(), last_change FROM clock`).Scan(&snap, &change); err != nil {
		return fail(err)
	}
	if !snapshotID.MatchString(snap) {
		return fail(fmt.Errorf("unexpected snapshot ID %q", snap))
	}
	for len(txs) < n {
		wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		conn, err := db.pool.Acquire(wctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return fail(ctx.Err())
			}
			break // the pool is busy: fewer workers
		}
		tx, err := conn.BeginTx(ctx, opts)
		if err != nil {
			conn.Release()
			return fail(err)
		}
		// The transaction's Rollback releases the connection to the pool.
		txs = append(txs, releasing{tx, conn})
		if _, err := tx.Exec(ctx, `SET TRANSACTION SNAPSHOT '`+snap+`'`); err != nil {
			return fail(err)
		}
	}
	return txs, change, nil
}

// releasing is a transaction on an acquired connection that goes back to
// the pool when the transaction ends.
type releasing struct {
	pgx.Tx
	conn *pgxpool.Conn
}

func (r releasing) Rollback(ctx context.Context) error {
	err := r.Tx.Rollback(ctx)
	r.conn.Release()
	return err
}

// partBounds splits the incident IDs into about n ranges of equal size,
// returning the first ID of every range but the first, and the size. It
// counts the identity table (every ID ever stored: only the balance
// depends on it).
func partBounds(ctx context.Context, tx pgx.Tx, n int) ([]string, int, error) {
	var total int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM incident`).Scan(&total); err != nil {
		return nil, 0, err
	}
	size := total / n
	if size < 64 {
		return nil, total, nil
	}
	rows, err := tx.Query(ctx, `SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM incident) s
		WHERE n % $1 = 1 AND n > 1 ORDER BY id LIMIT $2`, size, n-1)
	if err != nil {
		return nil, 0, err
	}
	bounds, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return bounds, size, err
}

// partRange returns the condition selecting the current versions with lo
// <= col < hi ("": unbounded), and its arguments.
func partRange(col, lo, hi string) (string, args) {
	var a args
	cond := `v.rec_to IS NULL AND NOT v.deleted`
	if lo != "" {
		cond += ` AND v.` + col + ` >= ` + a.add(lo)
	}
	if hi != "" {
		cond += ` AND v.` + col + ` < ` + a.add(hi)
	}
	return cond, a
}

func scanOrganisation(ctx context.Context, tx pgx.Tx, recorded *time.Time, l engine.Loader) error {
	rec := plotline.AsOf{Recorded: recorded}
	actors, err := listAll[plotline.Actor](ctx, tx, plotline.RecActor, rec)
	if err != nil {
		return fmt.Errorf("scan index: %w", err)
	}
	affs, err := listAll[plotline.Affiliation](ctx, tx, plotline.RecAffiliation, rec)
	if err != nil {
		return fmt.Errorf("scan index: %w", err)
	}
	l.Organisation(actors, affs)
	return nil
}

// cols decodes the raw values of one row. Strings alias pgx's read buffer
// and are valid until the next row: the engine copies what it keeps
// (engine.PartLoader: rows may be reused after the call returns).
type cols struct {
	fd  []pgconn.FieldDescription
	raw [][]byte
	err error
}

func (c *cols) null(i int) bool { return c.raw[i] == nil }

func (c *cols) str(i int) string {
	b := c.raw[i]
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// int reads an integer column in the binary (big-endian) or text format.
func (c *cols) int(i int) (int64, bool) {
	b := c.raw[i]
	if b == nil {
		return 0, false
	}
	if c.fd[i].Format == pgx.BinaryFormatCode {
		switch len(b) {
		case 2:
			return int64(int16(binary.BigEndian.Uint16(b))), true
		case 4:
			return int64(int32(binary.BigEndian.Uint32(b))), true
		case 8:
			return int64(binary.BigEndian.Uint64(b)), true
		}
		c.fail(i)
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		c.fail(i)
	}
	return v, true
}

func (c *cols) float(i int) (float64, bool) {
	b := c.raw[i]
	if b == nil {
		return 0, false
	}
	if c.fd[i].Format == pgx.BinaryFormatCode {
		switch len(b) {
		case 4:
			return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), true
		case 8:
			return math.Float64frombits(binary.BigEndian.Uint64(b)), true
		}
		c.fail(i)
		return 0, false
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		c.fail(i)
	}
	return v, true
}

func (c *cols) fail(i int) {
	if c.err == nil {
		c.err = fmt.Errorf("column %s: cannot read %q", c.fd[i].Name, c.raw[i])
	}
}

// day reads a nullable day column; count a nullable number (-1: NULL).
func (c *cols) day(i int) (plotline.Day, bool) {
	v, ok := c.int(i)
	return plotline.Day(v), ok
}

func (c *cols) count(i int) int64 {
	if v, ok := c.int(i); ok {
		return v
	}
	return -1
}

// rangeOf is the range date of two day columns, unknown when either is NULL.
func (c *cols) rangeOf(i, j int) plotline.Date {
	s, ok1 := c.day(i)
	e, ok2 := c.day(j)
	if !ok1 || !ok2 {
		return plotline.Date{}
	}
	return plotline.Date{Start: s, End: e, Precision: plotline.PrecisionRange}
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

// scanIncidents feeds the incident versions matching cond, in ID order.
func scanIncidents(ctx context.Context, tx pgx.Tx, cond string, a args, l engine.PartLoader) error {
	rows, err := tx.Query(ctx, `SELECT `+incidentScanCols+` FROM incident_v v WHERE `+cond+` ORDER BY v.id`, a...)
	if err != nil {
		return fmt.Errorf("scan incidents: %w", err)
	}
	defer rows.Close()
	c := cols{fd: rows.FieldDescriptions()}
	var r engine.IncidentRow
	for rows.Next() {
		c.raw = rows.RawValues()
		r.Key, _ = c.int(0)
		r.ID = c.str(1)
		if c.null(2) {
			if err := legacyIncident(&r, c.raw[29]); err != nil {
				return err
			}
			l.Incident(&r)
			continue
		}
		r.Kind, r.Outcome, r.Stage = c.str(3), c.str(4), c.str(5)
		ds, _ := c.day(6)
		de, _ := c.day(7)
		r.Date = plotline.Date{Start: ds, End: de, Precision: plotline.Precision(c.str(8))}
		r.Disclosed = c.rangeOf(9, 10)
		r.Country, r.Admin1, r.Place, r.LocPrecision = c.str(11), c.str(12), c.str(13), c.str(14)
		lat, ok1 := c.float(15)
		lon, ok2 := c.float(16)
		r.Lat, r.Lon, r.HasLatLon = lat, lon, ok1 && ok2
		if !r.HasLatLon {
			r.Lat, r.Lon = 0, 0
		}
		r.Target, r.TargetType, r.EventType, r.Origin, r.Doc = c.str(17), c.str(18), c.str(19), c.str(20), c.str(21)
		r.Weapons, r.Tags, r.Sources = appendUS(r.Weapons[:0], c.str(22)), appendUS(r.Tags[:0], c.str(23)), appendUS(r.Sources[:0], c.str(24))
		r.Killed, r.Injured, r.Perpetrators, r.Arrests = c.count(25), c.count(26), c.count(27), c.count(28)
		if c.err != nil {
			return fmt.Errorf("scan incident %q: %w", r.ID, c.err)
		}
		l.Incident(&r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan incidents: %w", err)
	}
	return nil
}

// legacyIncident fills r from a version stored before the engine columns.
func legacyIncident(r *engine.IncidentRow, data []byte) error {
	var in plotline.Incident
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("decode stored incident %q: %w", r.ID, err)
	}
	ptrOr := func(p *int) int64 {
		if p == nil {
			return -1
		}
		return int64(*p)
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

// scanAttributions feeds the attribution versions matching cond, by
// incident ID then ID: the order SQLite's engine index gives them (an
// incident's statements keep it, and it shows in disagreements).
func scanAttributions(ctx context.Context, tx pgx.Tx, cond string, a args, l engine.PartLoader) error {
	rows, err := tx.Query(ctx, `SELECT `+attributionScanCols+` FROM attribution_v v WHERE `+cond+` ORDER BY v.incident_id, v.id`, a...)
	if err != nil {
		return fmt.Errorf("scan attributions: %w", err)
	}
	defer rows.Close()
	c := cols{fd: rows.FieldDescriptions()}
	var r engine.AttributionRow
	for rows.Next() {
		c.raw = rows.RawValues()
		if c.null(4) {
			var at plotline.Attribution
			if err := json.Unmarshal(c.raw[13], &at); err != nil {
				return fmt.Errorf("decode stored attribution %q: %w", c.str(0), err)
			}
			r = engine.AttributionRow{ID: at.ID, IncidentID: at.IncidentID, ActorID: at.ActorID, Basis: at.Basis, Link: at.Link,
				Likelihood: at.Likelihood, Confidence: at.Confidence, AssertedBy: at.AssertedBy, StatedOn: at.StatedOn,
				SupersededOn: at.SupersededOn, RetractedOn: at.RetractedOn}
			l.Attribution(&r)
			continue
		}
		r.ID, r.IncidentID, r.ActorID, r.Basis = c.str(0), c.str(1), c.str(2), c.str(3)
		r.Link, r.Likelihood, r.Confidence, r.AssertedBy = c.str(5), c.str(6), c.str(7), c.str(8)
		r.StatedOn = c.rangeOf(9, 10)
		r.SupersededOn = c.rangeOf(11, 11)
		r.RetractedOn = c.rangeOf(12, 12)
		if c.err != nil {
			return fmt.Errorf("scan attribution %q: %w", r.ID, c.err)
		}
		l.Attribution(&r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan attributions: %w", err)
	}
	return nil
}

// MatchText returns the keys (incident_v.k) of the incident versions whose
// title or summary contains text as a phrase: a tsvector of the 'simple'
// configuration (no stemming, no stop words; case folded, and diacritics by
// plotline_fold, as SQLite's FTS5 tokenizer folds them) searched through
// its GIN index with phraseto_tsquery. Versions that are no longer current
// are included: the engine keeps only the keys its index holds.
func (db *DB) MatchText(ctx context.Context, text string, _ *time.Time) ([]int64, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var keys []int64
	// One row holding every key: a search may match tens of thousands.
	if err := db.pool.QueryRow(ctx, `SELECT coalesce(array_agg(k), '{}') FROM incident_v
		WHERE fts @@ phraseto_tsquery('simple', plotline_fold($1))`, text).Scan(&keys); err != nil {
		return nil, fmt.Errorf("text search: %w", err)
	}
	return keys, nil
}
