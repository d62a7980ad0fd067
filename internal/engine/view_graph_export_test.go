package engine

import (
	"context"
	"maps"

	"github.com/plotline-dev/plotline"
)

// ViewBuilder returns a function building ix's view for clearance afresh
// (no cache), with the sources in red marked RED besides the store's own
// markings: for benchmarks.
func ViewBuilder(ctx context.Context, ix *Index, clearance string, red ...string) (func() *Index, error) {
	m, err := ix.src.(plotline.MarkingReader).Markings(ctx, plotline.AsOf{Recorded: ix.recorded})
	if err != nil {
		return nil, err
	}
	mm := *m
	mm.Sources = maps.Clone(m.Sources)
	for _, id := range red {
		mm.Sources[id] = "red"
	}
	return func() *Index { return ix.buildView(&mm, clearance) }, nil
}
