package gen

import (
	"context"
	"fmt"

	"github.com/plotline-dev/plotline"
)

// Writer is what Write needs of a store: Apply for the source and actors,
// the streaming import path for the incidents.
type Writer interface {
	Apply(ctx context.Context, b *plotline.Batch) (*plotline.Change, error)
	plotline.ImportStore
}

// Write generates cfg's events into st: one batch with the source and the
// actors, then the incidents (with their attributions) in transactions of
// batchSize, each recorded as one change. progress, if not nil, is called
// after each transaction with the number of incidents written so far.
func Write(ctx context.Context, st Writer, cfg Config, batchSize int, progress func(done int)) error {
	if batchSize <= 0 {
		return plotline.FieldError("batch", "must be positive")
	}
	g := New(cfg)
	const by = "gen"
	note := fmt.Sprintf("plotline gen --rows %d --seed %d", cfg.Rows, cfg.Seed)
	if _, err := st.Apply(ctx, &plotline.Batch{By: by, Note: note + ": source and actors",
		Sources: []plotline.Source{Source()}, Actors: g.PlotlineActors()}); err != nil {
		return fmt.Errorf("gen: source and actors: %w", err)
	}
	batch := make([]plotline.Incident, 0, batchSize)
	done := 0
	// The streaming import path keeps Apply's versioning and reference
	// checks but reuses prepared statements: about twice as fast here.
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		tx, err := st.BeginImport(ctx, by, note)
		if err != nil {
			return err
		}
		for i := range batch {
			if _, err := tx.PutIncident(ctx, &batch[i]); err != nil {
				tx.Rollback() //nolint:errcheck // the put error is the one to report
				return fmt.Errorf("gen: incident %s: %w", batch[i].ID, err)
			}
		}
		if _, err := tx.Commit(); err != nil {
			return fmt.Errorf("gen: incidents %d–%d: %w", done+1, done+len(batch), err)
		}
		done += len(batch)
		if progress != nil {
			progress(done)
		}
		batch = batch[:0]
		return ctx.Err()
	}
	for {
		e, ok := g.Next()
		if !ok {
			break
		}
		batch = append(batch, g.Incident(&e))
		if len(batch) == batchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
