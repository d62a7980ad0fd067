package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
)

// channelFor names the LISTEN/NOTIFY channel of a schema, so stores in
// different schemas of one database do not wake each other. PostgreSQL
// identifiers are at most 63 bytes; longer names are shortened by a hash.
func channelFor(schema string) string {
	ch := "plotline_changes." + schema
	if len(ch) > 63 {
		sum := sha256.Sum256([]byte(schema))
		ch = "plotline_changes." + hex.EncodeToString(sum[:20])
	}
	return ch
}

// Subscribe listens for changes applied by any process to this store's
// schema and delivers their IDs on the returned channel. The first value is
// the last change when listening began (so nothing applied between a
// reader's initial load and its subscription is missed); after that each
// committed change's ID, newest wins when the reader is slow. A lost
// connection is re-established with backoff, and the latest ID is delivered
// again on reconnecting. The channel is closed when ctx ends.
func (db *DB) Subscribe(ctx context.Context) <-chan int64 {
	out := make(chan int64, 1)
	go db.listen(ctx, out)
	return out
}

func (db *DB) listen(ctx context.Context, out chan int64) {
	defer close(out)
	backoff := 100 * time.Millisecond
	for {
		connected := db.listenOnce(ctx, out)
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 10*time.Second)
	}
}

// listenOnce holds one dedicated connection (not from the pool, so a
// subscriber never starves writers) until it fails or ctx ends. It reports
// whether it got as far as listening.
func (db *DB) listenOnce(ctx context.Context, out chan int64) bool {
	conn, err := pgx.ConnectConfig(ctx, db.pool.Config().ConnConfig.Copy())
	if err != nil {
		return false
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{db.channel}.Sanitize()); err != nil {
		return false
	}
	var last int64
	if err := conn.QueryRow(ctx, `SELECT last_change FROM clock`).Scan(&last); err != nil {
		return true
	}
	deliver(out, last)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		id, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			continue // not ours: only Apply and imports notify, always with an ID
		}
		deliver(out, id)
	}
}

// deliver puts id on out without blocking, replacing an undelivered older ID.
func deliver(out chan int64, id int64) {
	for {
		select {
		case out <- id:
			return
		default:
		}
		select {
		case old := <-out:
			id = max(id, old)
		default:
		}
	}
}
