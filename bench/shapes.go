package main

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/gen"
	"github.com/plotline-dev/plotline/internal/query"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// result is a shape's answer as sorted lines, so that three systems'
// answers compare with ==.
type result []string

type runner func(ctx context.Context) (result, error)

// shape is one question asked of each system; a nil runner is "n/a".
type shape struct {
	name   string
	target time.Duration // the engine's median target
	engine runner
	sqlite runner
	duckdb runner
	// expect, when set, is the answer the engine must give (for a shape
	// without baselines).
	expect result
	// note says what the baselines do, printed under the table.
	note string
}

type engineSys struct {
	eng                   *engine.Engine
	build                 time.Duration
	stats                 engine.Stats
	heapBefore, heapAfter uint64
}

func buildEngine(ctx context.Context, db *sqlite.DB) (*engineSys, error) {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	s := &engineSys{heapBefore: ms.HeapAlloc}
	start := time.Now()
	eng, err := engine.New(ctx, db)
	if err != nil {
		return nil, err
	}
	s.build = time.Since(start)
	s.eng, s.stats = eng, eng.Stats()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	s.heapAfter = ms.HeapAlloc
	return s, nil
}

// The questions. They name real values of the generated data: the busiest
// countries, the busiest armed group, a group name word for text search.
func benchShapes(ctx context.Context, cfg config, db *sqlite.DB, duck *sql.DB, sys *engineSys) ([]shape, error) {
	g := gen.New(gen.Config{Seed: cfg.seed, Rows: cfg.rows})
	cs := g.Countries()
	three := []string{cs[0].Code, cs[2].Code, cs[3].Code}
	actor := g.TopArmedGroup(0)
	capWord := strings.Fields(g.TopArmedGroup(4).Name)[0]
	word := strings.ToLower(capWord)
	const (
		fromYear, toYear = 2015, 2020
		w, s, e, n       = 75.00005, 20.00005, 80.00005, 25.00005 // a box in central India
	)
	from, to := plotline.MakeDay(fromYear, 1, 1), plotline.MakeDay(toYear, 12, 31)
	sq := db.ReadDB()
	inList := "'" + strings.Join(three, "','") + "'"
	cur := `i.rec_to IS NULL AND i.deleted = 0`
	attJoin := `JOIN attribution_v a ON a.incident_id = i.id AND a.rec_to IS NULL AND a.deleted = 0`

	count := func(q string, groupBy []string, measure string, limit int, line func(engine.Row) string) runner {
		return func(ctx context.Context) (result, error) {
			pq, err := query.Parse(q)
			if err != nil {
				return nil, err
			}
			t, err := sys.eng.Count(ctx, engine.Request{Query: pq, GroupBy: groupBy, Measure: measure, Limit: limit})
			if err != nil {
				return nil, err
			}
			if groupBy == nil {
				return result{fmt.Sprint(t.Total)}, nil
			}
			out := make(result, 0, len(t.Rows))
			for _, r := range t.Rows {
				out = append(out, line(r))
			}
			return sorted(out), nil
		}
	}
	keysCount := func(r engine.Row) string { return strings.Join(r.Keys, "\t") + "\t" + fmt.Sprint(r.Count) }

	shapes := []shape{
		{
			name:   fmt.Sprintf("count by country x year, %d-%d", fromYear, toYear),
			target: 15 * time.Millisecond,
			engine: count(fmt.Sprintf("date:%d..%d", fromYear, toYear), []string{"country", "year"}, "", 0, keysCount),
			sqlite: sqlRunner(sq, `SELECT i.country, strftime('%Y', i.date_start * 86400, 'unixepoch'), count(*) FROM incident_v i
				WHERE `+cur+` AND i.date_start <= ? AND i.date_end >= ? GROUP BY 1, 2`, int64(to), int64(from)),
			duckdb: sqlRunner(duck, `SELECT country, CAST(year(d) AS VARCHAR), count(*) FROM inc
				WHERE d <= ? AND dend >= ? GROUP BY ALL`, to.Time(), from.Time()),
		},
		{
			name:   fmt.Sprintf("top-20 actors, Battles in %s", strings.Join(three, ",")),
			target: 15 * time.Millisecond,
			engine: count("event_type:Battles country:"+strings.Join(three, ","), []string{"unit"}, "", 20, keysCount),
			// CROSS JOIN keeps incidents as the outer loop: without ANALYZE
			// statistics SQLite starts from the actor index and runs 50x slower.
			sqlite: sqlRunner(sq, `SELECT a.actor_id, count(DISTINCT i.id) AS n FROM incident_v i CROSS `+attJoin+`
				WHERE `+cur+` AND i.event_type = 'Battles' AND i.country IN (`+inList+`) GROUP BY 1 ORDER BY n DESC, 1 LIMIT 20`),
			duckdb: sqlRunner(duck, `SELECT a.actor, count(DISTINCT i.key) AS n FROM inc i JOIN att a ON a.key = i.key
				WHERE i.event_type = 'Battles' AND i.country IN (`+inList+`) GROUP BY 1 ORDER BY n DESC, 1 LIMIT 20`),
		},
		{
			name:   "monthly series of one actor (" + actor.ID + ")",
			target: 15 * time.Millisecond,
			engine: func(ctx context.Context) (result, error) {
				pq, err := query.Parse("actor:" + actor.ID)
				if err != nil {
					return nil, err
				}
				ser, err := sys.eng.Series(ctx, engine.SeriesRequest{Request: engine.Request{Query: pq}, Interval: "month"})
				if err != nil {
					return nil, err
				}
				var out result
				for _, b := range ser.Buckets {
					if b.Strict != b.Possible {
						return nil, fmt.Errorf("bucket %s: strict %d != possible %d for day-precision data", b.Label, b.Strict, b.Possible)
					}
					if b.Strict > 0 {
						out = append(out, b.From.String()[:7]+"\t"+fmt.Sprint(b.Strict))
					}
				}
				return sorted(out), nil
			},
			sqlite: sqlRunner(sq, `SELECT strftime('%Y-%m', i.date_start * 86400, 'unixepoch'), count(DISTINCT i.id) FROM incident_v i `+attJoin+`
				WHERE `+cur+` AND a.actor_id = ? GROUP BY 1`, actor.ID),
			duckdb: sqlRunner(duck, `SELECT strftime(i.d, '%Y-%m'), count(DISTINCT i.key) FROM inc i JOIN att a ON a.key = i.key
				WHERE a.actor = ? GROUP BY 1`, actor.ID),
		},
		{
			name:   "bounding-box count",
			target: 5 * time.Millisecond,
			engine: count(fmt.Sprintf("bbox:%v,%v,%v,%v", w, s, e, n), nil, "", 0, nil),
			sqlite: sqlRunner(sq, `SELECT count(*) FROM incident_v i WHERE `+cur+` AND i.lat BETWEEN ? AND ? AND i.lon BETWEEN ? AND ?`, s, n, w, e),
			duckdb: sqlRunner(duck, `SELECT count(*) FROM inc WHERE lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?`, s, n, w, e),
		},
		{
			name:   fmt.Sprintf("text match %q", word),
			target: 5 * time.Millisecond,
			engine: count("text:"+word, nil, "", 0, nil),
			sqlite: sqlRunner(sq, `SELECT count(*) FROM incident_fts f JOIN incident_v i ON i.rowid = f.rowid
				WHERE incident_fts MATCH ? AND `+cur, `"`+word+`"`),
			// contains() is DuckDB's fastest exact test here (ILIKE took 10x
			// longer on these non-ASCII notes; its fts extension is not to be
			// had offline). The generated name is always capitalised, and the
			// answers are compared, so the case-sensitive test is exact.
			duckdb: sqlRunner(duck, `SELECT count(*) FROM inc WHERE contains(title, ?) OR contains(summary, ?)`, capWord, capWord),
			note:   "text: SQLite FTS5 (the store's incident_fts) for engine and SQL; DuckDB contains() on title and summary (substring, case-sensitive: the word is an invented, always capitalised group name; ILIKE was 10x slower; the counts are compared)",
		},
		{
			name:   "sum killed by admin1, locprec:place killed:5..",
			target: 15 * time.Millisecond,
			engine: count("locprec:place killed:5..", []string{"admin1"}, "sum:killed", 0, func(r engine.Row) string {
				return r.Keys[0] + "\t" + fmt.Sprint(r.Count) + "\t" + fmt.Sprint(r.Value)
			}),
			sqlite: sqlRunner(sq, `SELECT coalesce(i.admin1, ''), count(*), sum(i.killed) FROM incident_v i
				WHERE `+cur+` AND i.loc_prec = 'place' AND i.killed >= 5 GROUP BY 1`),
			duckdb: sqlRunner(duck, `SELECT coalesce(admin1, ''), count(*), sum(killed) FROM inc
				WHERE locprec = 'place' AND killed >= 5 GROUP BY 1`),
		},
	}
	return shapes, nil
}

// sqlRunner runs q and returns its rows as tab-separated lines.
func sqlRunner(db *sql.DB, q string, args ...any) runner {
	return func(ctx context.Context) (result, error) {
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		cols, err := rows.Columns()
		if err != nil {
			return nil, err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		var out result
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				return nil, err
			}
			parts := make([]string, len(vals))
			for i, v := range vals {
				switch v := v.(type) {
				case nil:
					parts[i] = ""
				case []byte:
					parts[i] = string(v)
				default:
					parts[i] = fmt.Sprint(v)
				}
			}
			out = append(out, strings.Join(parts, "\t"))
		}
		return sorted(out), rows.Err()
	}
}
