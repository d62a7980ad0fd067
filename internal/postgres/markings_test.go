package postgres_test

import (
	"testing"

	"github.com/plotline-dev/plotline/internal/storetest"
)

func TestMarkings(t *testing.T) { storetest.Markings(t, MustOpenDB(t)) }
