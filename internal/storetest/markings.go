package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
)

// MarkedFixture is Fixture with restricted material on the Istanbul attack:
// a TLP:RED source cited by the ISKP statement (next to its CLEAR one) and
// by the incident, a TLP:GREEN source nobody cites, and the Interior
// Ministry's statement marked AMBER on its own.
func MarkedFixture() *Batch {
	b := Fixture()
	b.Sources = append(b.Sources,
		plotline.Source{ID: "s-red", Publisher: "Partner service", Title: "Liaison note on the Istanbul attack",
			URL: "https://example.org/liaison", Kind: "government", TLP: "red", Published: plotline.MustDate("2024-02-05")},
		plotline.Source{ID: "s-green", Publisher: "Example News", Title: "Background", URL: "https://example.org/background",
			Kind: "news", TLP: "green", Published: plotline.MustDate("2024-02-01")})
	in := &b.Incidents[0]
	in.Sources = append(in.Sources, "s-red")
	in.Attributions[1].TLP = "amber"
	in.Attributions[2].Sources = append(in.Attributions[2].Sources, plotline.SourceRef{ID: "s-red"})
	return b
}

// Batch is plotline.Batch (so callers need not import both names).
type Batch = plotline.Batch

// Markings checks a store's plotline.MarkingReader: restricted sources by
// marking, the statements marked or citing them, and the record clock.
func Markings(t *testing.T, s plotline.Store) {
	mr, ok := s.(plotline.MarkingReader)
	if !ok {
		t.Skip("the store does not list its markings")
	}
	ctx := context.Background()
	mustApply(t, s, Fixture())
	before := time.Now()
	m, err := mr.Markings(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Sources) != 0 || len(m.Statements) != 0 {
		t.Errorf("CLEAR fixture: markings %+v; want none", m)
	}
	time.Sleep(time.Millisecond) // the record clock must move past before
	mustApply(t, s, MarkedFixture())
	m, err = mr.Markings(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"s-red": "red", "s-green": "green"}; len(m.Sources) != 2 || m.Sources["s-red"] != "red" || m.Sources["s-green"] != "green" {
		t.Errorf("sources %v; want %v", m.Sources, want)
	}
	var ids []string
	for _, a := range m.Statements {
		ids = append(ids, a.ID)
		if a.ID == "istanbul/gov-is" && a.TLP != "amber" {
			t.Errorf("the AMBER statement reads back marked %q", a.TLP)
		}
	}
	slices.Sort(ids)
	if want := []string{"istanbul/gov-is", "istanbul/gov-iskp"}; !slices.Equal(ids, want) {
		t.Errorf("statements %v; want %v", ids, want)
	}
	old, err := mr.Markings(ctx, plotline.AsOf{Recorded: &before})
	if err != nil {
		t.Fatal(err)
	}
	if len(old.Sources) != 0 || len(old.Statements) != 0 {
		t.Errorf("markings as recorded before the marked batch: %+v; want none", old)
	}
}
