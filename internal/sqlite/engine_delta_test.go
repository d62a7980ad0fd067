package sqlite_test

import (
	"testing"

	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/engine/enginetest"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

func TestDeltaSource(t *testing.T) {
	enginetest.RunDeltaSource(t, func(t *testing.T) enginetest.Store { return MustOpenDB(t) })
}

var _ engine.DeltaSource = (*sqlite.DB)(nil)

func TestLinks(t *testing.T) {
	enginetest.RunLinks(t, func(t *testing.T) enginetest.LinkStore { return MustOpenDB(t) })
}
