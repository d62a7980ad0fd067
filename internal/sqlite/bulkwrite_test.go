package sqlite

import (
	"fmt"
	"testing"
)

// testAndAdd adds kind and id to s and reports whether they may have been added before.
func testAndAdd(s *seenIDs, kind, id string) bool {
	maybe := s.test(kind, id)
	s.add(kind, id)
	return maybe
}

// seenIDs never misses an ID added before, across filters, and rarely
// says "maybe" for a new one.
func TestSeenIDs(t *testing.T) {
	var s seenIDs
	const n = seenPerFilter + 1000 // fills the first filter and starts a second
	for i := range n {
		testAndAdd(&s, "incident", fmt.Sprint("x:", i))
	}
	if len(s.filters) != 2 {
		t.Fatalf("%d filters after %d IDs; want 2", len(s.filters), n)
	}
	for _, i := range []int{0, 1, seenPerFilter - 1, seenPerFilter, n - 1} {
		if !testAndAdd(&s, "incident", fmt.Sprint("x:", i)) {
			t.Errorf("x:%d added before: not seen", i)
		}
	}
	if first, again := testAndAdd(&s, "source", "x:0"), testAndAdd(&s, "source", "x:0"); first == again {
		t.Error("the kind is part of the key: source x:0 is new, then seen")
	}
	maybe := 0
	for i := range 100_000 {
		if testAndAdd(&s, "incident", fmt.Sprint("y:", i)) {
			maybe++
		}
	}
	if maybe > 20 { // expected about 2 at a rate of 1e-5 per filter
		t.Errorf("%d of 100,000 new IDs reported maybe seen", maybe)
	}
}
