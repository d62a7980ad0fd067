package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/dataset"
	"github.com/plotline-dev/plotline/internal/gen"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// openBenchStore opens the cached benchmark database, generating it (the
// curated dataset, then the synthetic events) when it is missing or was
// left incomplete by an interrupted run.
func openBenchStore(ctx context.Context, path string, cfg config) (*sqlite.DB, error) {
	if _, err := os.Stat(path); err == nil {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return nil, err
		}
		n, err := syntheticCount(ctx, db)
		if err != nil {
			db.Close()
			return nil, err
		}
		if n == cfg.rows {
			fmt.Printf("store: reusing %s\n", path)
			return db, nil
		}
		db.Close()
		fmt.Printf("store: %s holds %d of %d synthetic events; generating it again\n", path, n, cfg.rows)
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return nil, err
			}
		}
	}
	fmt.Printf("store: generating %s (%d events; this takes a while on 2 cores)\n", path, cfg.rows)
	start := time.Now()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Load(dataset.Files)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("curated dataset: %w", err)
	}
	if _, err := db.Apply(ctx, ds.Batch); err != nil {
		db.Close()
		return nil, fmt.Errorf("load curated dataset: %w", err)
	}
	last := time.Now()
	progress := func(done int) {
		if time.Since(last) < 10*time.Second && done < cfg.rows {
			return
		}
		last = time.Now()
		el := time.Since(start)
		fmt.Printf("store: %d/%d events, %s elapsed, about %s left\n", done, cfg.rows, el.Round(time.Second),
			(time.Duration(float64(el) / float64(done) * float64(cfg.rows-done))).Round(time.Second))
	}
	if err := gen.Write(ctx, db, gen.Config{Seed: cfg.seed, Rows: cfg.rows}, 10000, progress); err != nil {
		db.Close()
		return nil, err
	}
	fmt.Printf("store: generated in %s\n", time.Since(start).Round(time.Second))
	return db, nil
}

func syntheticCount(ctx context.Context, db *sqlite.DB) (int, error) {
	var n int
	err := db.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM incident_v WHERE origin = ? AND rec_to IS NULL AND deleted = 0`, gen.Origin).Scan(&n)
	return n, err
}

func lastChange(ctx context.Context, db *sqlite.DB) (int64, error) {
	var n sql.NullInt64
	err := db.ReadDB().QueryRowContext(ctx, `SELECT max(id) FROM changes`).Scan(&n)
	return n.Int64, err
}

// openDuck opens the DuckDB copy of the store's current incidents and
// attributions, loading it when missing or older than the store.
func openDuck(ctx context.Context, path string, db *sqlite.DB) (*sql.DB, error) {
	change, err := lastChange(ctx, db)
	if err != nil {
		return nil, err
	}
	if duck, err := sql.Open("duckdb", path); err == nil {
		var have int64
		if duck.QueryRowContext(ctx, `SELECT change FROM meta`).Scan(&have) == nil && have == change {
			fmt.Printf("duckdb: reusing %s\n", path)
			return duck, nil
		}
		duck.Close()
	}
	for _, suffix := range []string{"", ".wal"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	start := time.Now()
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return nil, err
	}
	duck := sql.OpenDB(connector)
	if err := loadDuck(ctx, connector, duck, db); err != nil {
		duck.Close()
		return nil, fmt.Errorf("load duckdb: %w", err)
	}
	if _, err := duck.ExecContext(ctx, `CREATE TABLE meta AS SELECT CAST(? AS BIGINT) AS change`, change); err != nil {
		duck.Close()
		return nil, err
	}
	fmt.Printf("duckdb: loaded %s from the store in %s\n", path, time.Since(start).Round(time.Second))
	return duck, nil
}

func loadDuck(ctx context.Context, connector *duckdb.Connector, duck *sql.DB, db *sqlite.DB) error {
	for _, q := range []string{
		`CREATE TABLE inc (key BIGINT, id VARCHAR, d DATE, dend DATE, country VARCHAR, admin1 VARCHAR,
			lat DOUBLE, lon DOUBLE, locprec VARCHAR, event_type VARCHAR, killed INTEGER, title VARCHAR, summary VARCHAR)`,
		`CREATE TABLE att (key BIGINT, actor VARCHAR)`,
	} {
		if _, err := duck.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	conn, err := connector.Connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	rows, err := db.ReadDB().QueryContext(ctx, `SELECT rowid, id, date_start, date_end, country, admin1, lat, lon, loc_prec,
		event_type, killed, json_extract(data, '$.title'), json_extract(data, '$.summary')
		FROM incident_v WHERE rec_to IS NULL AND deleted = 0`)
	if err != nil {
		return err
	}
	err = appendRows(conn, "inc", rows, func(scan func(...any) error) ([]driver.Value, error) {
		var key, ds, de int64
		var id string
		var country, admin1, locprec, event, title, summary sql.NullString
		var lat, lon sql.NullFloat64
		var killed sql.NullInt64
		if err := scan(&key, &id, &ds, &de, &country, &admin1, &lat, &lon, &locprec, &event, &killed, &title, &summary); err != nil {
			return nil, err
		}
		return []driver.Value{key, id, plotline.Day(ds).Time(), plotline.Day(de).Time(), null(country), null(admin1),
			nullF(lat), nullF(lon), null(locprec), null(event), nullI(killed), null(title), null(summary)}, nil
	})
	if err != nil {
		return fmt.Errorf("incidents: %w", err)
	}
	rows, err = db.ReadDB().QueryContext(ctx, `SELECT i.rowid, a.actor_id FROM attribution_v a
		JOIN incident_v i ON i.id = a.incident_id AND i.rec_to IS NULL AND i.deleted = 0
		WHERE a.rec_to IS NULL AND a.deleted = 0`)
	if err != nil {
		return err
	}
	err = appendRows(conn, "att", rows, func(scan func(...any) error) ([]driver.Value, error) {
		var key int64
		var actor string
		if err := scan(&key, &actor); err != nil {
			return nil, err
		}
		return []driver.Value{key, actor}, nil
	})
	if err != nil {
		return fmt.Errorf("attributions: %w", err)
	}
	return nil
}

func appendRows(conn driver.Conn, table string, rows *sql.Rows, read func(scan func(...any) error) ([]driver.Value, error)) error {
	defer rows.Close()
	app, err := duckdb.NewAppenderFromConn(conn, "", table)
	if err != nil {
		return err
	}
	for rows.Next() {
		vals, err := read(rows.Scan)
		if err != nil {
			app.Close()
			return err
		}
		if err := app.AppendRow(vals...); err != nil {
			app.Close()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		app.Close()
		return err
	}
	return app.Close()
}

func null(s sql.NullString) driver.Value {
	if !s.Valid {
		return nil
	}
	return s.String
}

func nullF(f sql.NullFloat64) driver.Value {
	if !f.Valid {
		return nil
	}
	return f.Float64
}

func nullI(n sql.NullInt64) driver.Value {
	if !n.Valid {
		return nil
	}
	return int32(n.Int64)
}
