package sqlite

import (
	"fmt"
	"testing"
)

// seenIDs never misses an ID added before, across filters, and rarely
// says "maybe" for a new one.
func TestSeenIDs(t *testing.T) {
	var s seenIDs
	const n = seenPerFilter + 1000 // fills the first filter and starts a second
	for i := range n {
		s.testAndAdd("incident", fmt.Sprint("x:", i))
	}
	if len(s.filters) != 2 {
		t.Fatalf("%d filters after %d IDs; want 2", len(s.filters), n)
	}
	for _, i := range []int{0, 1, seenPerFilter - 1, seenPerFilter, n - 1} {
		if !s.testAndAdd("incident", fmt.Sprint("x:", i)) {
			t.Errorf("x:%d added before: not seen", i)
		}
	}
	if s.testAndAdd("source", "x:0") == s.testAndAdd("source", "x:0") {
		t.Error("the kind is part of the key: source x:0 is new, then seen")
	}
	maybe := 0
	for i := range 100_000 {
		if s.testAndAdd("incident", fmt.Sprint("y:", i)) {
			maybe++
		}
	}
	if maybe > 20 { // expected about 2 at a rate of 1e-5 per filter
		t.Errorf("%d of 100,000 new IDs reported maybe seen", maybe)
	}
}
