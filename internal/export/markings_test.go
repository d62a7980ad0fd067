package export

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/storetest"
)

// markedFixture is the storetest fixture with the Interior Ministry's
// statement marked AMBER on its own and the ISKP statement also citing a
// TLP:RED source next to its CLEAR one.
func markedFixture() *plotline.Batch {
	b := storetest.Fixture()
	b.Sources = append(b.Sources, plotline.Source{ID: "s-red", Publisher: "Partner service", Title: "Liaison note",
		URL: "https://example.org/liaison", Kind: "government", TLP: "red"})
	in := &b.Incidents[0]
	in.Attributions[1].TLP = "amber"
	in.Attributions[2].Sources = append(in.Attributions[2].Sources, plotline.SourceRef{ID: "s-red"})
	return b
}

// TestSelectStatementMarkings checks that the ceiling is applied as a
// clearance to each statement's effective marking, in every format.
func TestSelectStatementMarkings(t *testing.T) {
	snap := snapshotOf(t, markedFixture())
	tests := []struct {
		max          string
		want         []string
		leaks        []string // must not appear in any format
		wantWithheld int
	}{
		{"green", []string{"istanbul/claim"}, []string{"Turkish Interior Ministry", "Turkish security services", "liaison"}, 2},
		{"amber+strict", []string{"istanbul/claim", "istanbul/gov-is"}, []string{"Turkish security services", "liaison"}, 1},
		{"red", []string{"istanbul/claim", "istanbul/gov-is", "istanbul/gov-iskp"}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.max, func(t *testing.T) {
			d, err := Select(snap, options("", "", tt.max))
			if err != nil {
				t.Fatal(err)
			}
			if got := statementIDs(d); !slices.Equal(got, tt.want) {
				t.Errorf("statements %v; want %v", got, tt.want)
			}
			if d.Withheld.Attributions != tt.wantWithheld {
				t.Errorf("withheld %d statements; want %d", d.Withheld.Attributions, tt.wantWithheld)
			}
			for _, f := range formats() {
				out := f.write(t, d)
				for _, leak := range tt.leaks {
					if bytes.Contains(out, []byte(leak)) {
						t.Errorf("%s export at %s contains %q", f.name, tt.max, leak)
					}
				}
			}
		})
	}
}

// TestStatementMarkingRoundTrips checks that an exported statement keeps
// its own marking when read back (a re-import must not make it CLEAR).
func TestStatementMarkingRoundTrips(t *testing.T) {
	d, err := Select(snapshotOf(t, markedFixture()), options("", "", "amber"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := WriteCSV(dir, d); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCSV(dir)
	if err != nil {
		t.Fatal(err)
	}
	var jb bytes.Buffer
	if err := WriteJSON(&jb, d); err != nil {
		t.Fatal(err)
	}
	jback, err := ReadJSON(&jb)
	if err != nil {
		t.Fatal(err)
	}
	for name, x := range map[string]*Data{"csv": back, "json": jback} {
		var got string
		for _, a := range x.Incidents[0].Attributions {
			if a.ID == "istanbul/gov-is" {
				got = a.TLP
			}
		}
		if got != "amber" {
			t.Errorf("%s: the AMBER statement reads back as %q", name, got)
		}
	}
}

func TestCeilingFor(t *testing.T) {
	user := func(clearance string) context.Context {
		return plotline.WithUser(context.Background(), &plotline.User{Name: "u", Role: plotline.RoleReader, Clearance: clearance})
	}
	tests := []struct {
		ctx       context.Context
		requested string
		want      string
	}{
		{context.Background(), "", "clear"}, // anonymous
		{context.Background(), "red", "clear"},
		{user("green"), "", "green"},
		{user("green"), "TLP:RED", "green"},
		{user("amber"), "clear", "clear"},
		{user("red"), "", "red"},
		{user("bogus"), "", "clear"},
		{plotline.WithUser(context.Background(), &plotline.LocalUser), "", "red"},
	}
	for _, tt := range tests {
		got, err := CeilingFor(tt.ctx, tt.requested)
		if err != nil || got != tt.want {
			t.Errorf("CeilingFor(%s, %q) = %q, %v; want %q", plotline.Acting(tt.ctx).Clearance, tt.requested, got, err, tt.want)
		}
	}
	if _, err := CeilingFor(user("red"), "purple"); plotline.ErrorCode(err) != plotline.EINVALID {
		t.Errorf("purple: err %v; want invalid", err)
	}
}
