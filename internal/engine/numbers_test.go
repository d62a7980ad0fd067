package engine_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
)

// Number ranges are answered exactly around the one-byte copy's limits (0
// unknown, 255 for 254 and up): values at and above 254, ranges that stop
// below a column's largest value, and unknowns that never match.
func TestNumberRangesAtByteLimits(t *testing.T) {
	ctx := context.Background()
	values := []int{-1, 0, 1, 5, 252, 253, 254, 255, 300, 1000, 70000}
	m := &memSource{}
	for i, v := range values {
		in := plotline.Incident{ID: fmt.Sprintf("n-%02d", i), Kind: "attack", Date: plotline.MustDate("2020-01-02"),
			Location: plotline.Location{Country: "IRQ"}}
		if v >= 0 {
			k := v
			in.Killed = plotline.Range{Best: &k}
		}
		m.incs = append(m.incs, in)
	}
	ix, err := engine.Build(ctx, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q      string
		lo, hi int // inclusive; -1: open
	}{
		{"killed:5..", 5, -1}, {"killed:253..", 253, -1}, {"killed:254..", 254, -1}, {"killed:255..", 255, -1},
		{"killed:..253", -1, 253}, {"killed:..254", -1, 254}, {"killed:250..260", 250, 260},
		{"killed:254..1000", 254, 1000}, {"killed:300..70000", 300, 70000}, {"killed:0..0", 0, 0},
		{"killed:1001..", 1001, -1}, {"killed:253..253", 253, 253}, {"killed:254..254", 254, 254},
	} {
		var want []string
		for i, v := range values {
			if v >= 0 && (c.lo < 0 || v >= c.lo) && (c.hi < 0 || v <= c.hi) {
				want = append(want, fmt.Sprintf("n-%02d", i))
			}
		}
		got, err := ix.Match(ctx, engine.Request{Query: mustQuery(t, c.q), Limit: 100})
		if err != nil {
			t.Fatalf("%s: %v", c.q, err)
		}
		if fmt.Sprint(got.IDs) != fmt.Sprint(want) && !(len(got.IDs) == 0 && len(want) == 0) {
			t.Errorf("%s: got %v, want %v", c.q, got.IDs, want)
		}
	}
}
