package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/bits-and-blooms/bloom/v3"
)

// bulkRows is how many versions one multi-row INSERT of bulkWriter writes.
// Each statement costs the driver and SQLite a fixed overhead (locks,
// binding, starting the VM) that 64 rows share; 64 incident rows bind
// about 2,100 values, far below SQLite's limit of 32,766.
const bulkRows = 64

// bulkWriter writes the first versions of new records (putFresh) in
// multi-row INSERTs, on a goroutine of its own: SQLite stores one batch
// while the importer reads, maps and encodes the next rows on another core.
//
// Nothing else may use the transaction while batches are in flight, and a
// query must see every version put before it: every other statement of
// the import runs after sync, which writes the partly filled batches and
// waits until the goroutine is idle. A failed batch fails the import (the
// error comes back from the next add or sync); the rows it held were valid
// and new when they were put, so it is a storage error, never a row's.
type bulkWriter struct {
	tx    *sql.Tx
	kinds map[string]*bulkKind
	jobs  chan bulkJob
	free  chan []any
	busy  sync.WaitGroup // jobs sent and not yet written
	done  chan struct{}  // closed when the goroutine has ended
	// after runs on the goroutine after each batch written, with its table
	// and number of rows (the import indexes full text as it goes).
	after func(ctx context.Context, table string, rows int) error

	mu  sync.Mutex
	err error
}

// bulkKind is the batch being filled for one version table.
type bulkKind struct {
	table         string
	width         int // values per row
	multi, single *sql.Stmt
	args          []any
}

type bulkJob struct {
	k    *bulkKind
	args []any
}

func newBulkWriter(tx *sql.Tx, after func(ctx context.Context, table string, rows int) error) *bulkWriter {
	w := &bulkWriter{tx: tx, kinds: map[string]*bulkKind{}, jobs: make(chan bulkJob, 4),
		free: make(chan []any, 8), done: make(chan struct{}), after: after}
	go w.run()
	return w
}

// add queues one row of values for table's columns cols. It returns the
// error of an earlier batch, if one failed.
func (w *bulkWriter) add(ctx context.Context, table string, cols []string, vals ...any) error {
	k := w.kinds[table]
	if k == nil {
		var err error
		if k, err = w.prepare(ctx, table, cols); err != nil {
			return err
		}
		w.kinds[table] = k
	}
	if len(vals) != k.width {
		return fmt.Errorf("%s: %d values for %d columns", table, len(vals), k.width)
	}
	if k.args == nil {
		k.args = w.buffer(k.width)
	}
	k.args = append(k.args, vals...)
	if len(k.args) == k.width*bulkRows {
		w.send(k)
	}
	return w.failed()
}

func (w *bulkWriter) prepare(ctx context.Context, table string, cols []string) (*bulkKind, error) {
	row := `(?` + strings.Repeat(", ?", len(cols)-1) + `)`
	head := `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES `
	k := &bulkKind{table: table, width: len(cols)}
	var err error
	if k.single, err = w.tx.PrepareContext(ctx, head+row); err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	if k.multi, err = w.tx.PrepareContext(ctx, head+row+strings.Repeat(", "+row, bulkRows-1)); err != nil {
		k.single.Close() //nolint:errcheck // the prepare error is the one to report
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return k, nil
}

// buffer is an empty argument slice for a batch, reused when one is free.
func (w *bulkWriter) buffer(width int) []any {
	select {
	case b := <-w.free:
		if cap(b) >= width*bulkRows {
			return b[:0]
		}
	default:
	}
	return make([]any, 0, width*bulkRows)
}

func (w *bulkWriter) send(k *bulkKind) {
	w.busy.Add(1)
	w.jobs <- bulkJob{k: k, args: k.args}
	k.args = nil
}

func (w *bulkWriter) run() {
	defer close(w.done)
	ctx := context.Background() // the import's statements run under a context that is never done (ingest.Run)
	for j := range w.jobs {
		if w.failed() == nil {
			err := j.exec(ctx)
			if err == nil && w.after != nil {
				err = w.after(ctx, j.k.table, len(j.args)/j.k.width)
			}
			if err != nil {
				w.mu.Lock()
				w.err = fmt.Errorf("write %s: %w", j.k.table, err)
				w.mu.Unlock()
			}
		}
		clear(j.args) // drop the references to the rows' strings
		select {
		case w.free <- j.args[:0]:
		default:
		}
		w.busy.Done()
	}
}

func (j bulkJob) exec(ctx context.Context) error {
	if len(j.args) == j.k.width*bulkRows {
		_, err := j.k.multi.ExecContext(ctx, j.args...)
		return err
	}
	for i := 0; i < len(j.args); i += j.k.width {
		if _, err := j.k.single.ExecContext(ctx, j.args[i:i+j.k.width]...); err != nil {
			return err
		}
	}
	return nil
}

func (w *bulkWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// sync writes every queued row and waits for the goroutine to be idle.
func (w *bulkWriter) sync() error {
	for _, k := range w.kinds {
		if len(k.args) > 0 {
			w.send(k)
		}
	}
	w.busy.Wait()
	return w.failed()
}

// close ends the goroutine after the queued batches (written with flush,
// dropped without) and closes the statements.
func (w *bulkWriter) close(flush bool) error {
	var err error
	if flush {
		err = w.sync()
	} else {
		w.mu.Lock()
		if w.err == nil {
			w.err = errDropped // the goroutine skips what is still queued
		}
		w.mu.Unlock()
	}
	close(w.jobs)
	<-w.done
	for _, k := range w.kinds {
		k.single.Close() //nolint:errcheck // closing a statement of a finished transaction cannot fail usefully
		k.multi.Close()  //nolint:errcheck // as above
	}
	return err
}

var errDropped = errors.New("import rolled back")

// seenIDs remembers the IDs an import put, so that a second put of one is
// found without a lookup in the database (the rows may still be queued). A Bloom filter answers "not seen" for certain and
// "maybe" with a small false-positive rate; only a maybe is looked up.
// Each filter holds seenPerFilter IDs (2.9 MB at a rate of 1 in 100,000);
// a full one is kept and a new one started, so memory grows by about 3 bytes
// per record and the rate stays low for any file size.
type seenIDs struct {
	filters []*bloom.BloomFilter
	n       int // IDs in the newest filter
	key     []byte
}

const seenPerFilter = 1 << 20

// test reports whether kind and id may have been added.
func (s *seenIDs) test(kind, id string) bool {
	s.setKey(kind, id)
	for _, f := range s.filters {
		if f.Test(s.key) {
			return true
		}
	}
	return false
}

// add adds kind and id.
func (s *seenIDs) add(kind, id string) {
	s.setKey(kind, id)
	if len(s.filters) == 0 || s.n == seenPerFilter {
		s.filters = append(s.filters, bloom.NewWithEstimates(seenPerFilter, 1e-5))
		s.n = 0
	}
	s.filters[len(s.filters)-1].Add(s.key)
	s.n++
}

func (s *seenIDs) setKey(kind, id string) {
	s.key = append(append(append(s.key[:0], kind...), 0), id...)
}
