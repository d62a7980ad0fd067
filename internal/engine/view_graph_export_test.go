package engine

import (
	"context"
	"maps"

	"github.com/plotline-dev/plotline"
)

// ViewBuilder returns a function building ix's view for clearance afresh
// (no cache, not even of its organisation), with the sources in red marked RED besides the store's own
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
	return func() *Index {
		orgs := ix.mk.orgs
		ix.mk.orgs = nil // no cached organisation either
		defer func() { ix.mk.orgs = orgs }()
		return ix.buildView(&mm, clearance)
	}, nil
}
