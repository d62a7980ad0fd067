package plotline_test

import (
	"encoding/json"
	"testing"

	"github.com/plotline-dev/plotline"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in         string
		start, end string
		prec       plotline.Precision
	}{
		{"2024-01-28", "2024-01-28", "2024-01-28", plotline.PrecisionDay},
		{"2024-02", "2024-02-01", "2024-02-29", plotline.PrecisionMonth},
		{"2023-02", "2023-02-01", "2023-02-28", plotline.PrecisionMonth},
		{"2024-Q2", "2024-04-01", "2024-06-30", plotline.PrecisionQuarter},
		{"2024-Q4", "2024-10-01", "2024-12-31", plotline.PrecisionQuarter},
		{"2024", "2024-01-01", "2024-12-31", plotline.PrecisionYear},
		{"2023-12-25..2024-01-05", "2023-12-25", "2024-01-05", plotline.PrecisionRange},
	}
	for _, tt := range tests {
		d, err := plotline.ParseDate(tt.in)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", tt.in, err)
			continue
		}
		if d.Start.String() != tt.start || d.End.String() != tt.end || d.Precision != tt.prec {
			t.Errorf("ParseDate(%q) = %s..%s %s; want %s..%s %s", tt.in, d.Start, d.End, d.Precision, tt.start, tt.end, tt.prec)
		}
		if d.String() != tt.in {
			t.Errorf("ParseDate(%q).String() = %q", tt.in, d.String())
		}
	}
	for _, bad := range []string{"2024-13", "2024-02-30", "2024-Q5", "24", "2024-01-05..2024-01-01", "yesterday", "2024/01/01"} {
		if _, err := plotline.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted a bad date", bad)
		}
	}
	if d, err := plotline.ParseDate(""); err != nil || d.Known() {
		t.Errorf("empty date = %v, %v; want unknown", d, err)
	}
}

func TestDateWithinOverlaps(t *testing.T) {
	from, _ := plotline.ParseDay("2024-01-01")
	to, _ := plotline.ParseDay("2024-06-30")
	for _, tt := range []struct {
		in               string
		within, overlaps bool
	}{
		{"2024-06", true, true},
		{"2024-07", false, false},
		{"2024", false, true},
		{"2024-Q2", true, true},
		{"2023-12-25..2024-01-05", false, true},
		{"", false, false},
	} {
		d := plotline.MustDate(tt.in)
		if d.Within(from, to) != tt.within || d.Overlaps(from, to) != tt.overlaps {
			t.Errorf("%q: within %v overlaps %v; want %v %v", tt.in, d.Within(from, to), d.Overlaps(from, to), tt.within, tt.overlaps)
		}
	}
}

func TestDateJSON(t *testing.T) {
	type rec struct {
		D plotline.Date `json:"d"`
		U plotline.Date `json:"u"`
	}
	b, err := json.Marshal(rec{D: plotline.MustDate("2024-03")})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"d":"2024-03","u":null}` {
		t.Errorf("marshal = %s", b)
	}
	var back rec
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.D != plotline.MustDate("2024-03") || back.U.Known() {
		t.Errorf("round trip = %+v", back)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2024-01-28", "2024-02", "2024-Q3", "2024", "2023-12-25..2024-01-05", "", "2024-Q", ".."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := plotline.ParseDate(s)
		if err != nil || !d.Known() {
			return
		}
		if d.End < d.Start {
			t.Fatalf("%q parsed to an inverted date %v", s, d)
		}
		again, err := plotline.ParseDate(d.String())
		if err != nil || again != d {
			t.Fatalf("%q: String() %q does not parse back to the same date (%v, %v)", s, d.String(), again, err)
		}
	})
}

func TestAsKnownOn(t *testing.T) {
	in := plotline.Incident{ID: "x", Date: plotline.MustDate("2024-05-20"), Disclosed: plotline.MustDate("2024-08-01"),
		Attributions: []plotline.Attribution{
			{ID: "a", StatedOn: plotline.MustDate("2024-08-01"), SupersededOn: plotline.MustDate("2024-10-01")},
			{ID: "b", StatedOn: plotline.MustDate("2024-09")},
		}}
	if _, ok := in.AsKnownOn(plotline.MustDate("2024-07-31").Start); ok {
		t.Error("an incident disclosed on 1 August is not known on 31 July")
	}
	k, ok := in.AsKnownOn(plotline.MustDate("2024-09-15").Start)
	if !ok || len(k.Attributions) != 1 || k.Attributions[0].SupersededOn.Known() {
		t.Errorf("on 15 September: %+v; want statement a only, not yet superseded", k.Attributions)
	}
	k, _ = in.AsKnownOn(plotline.MustDate("2024-10-02").Start)
	if len(k.Attributions) != 2 || !k.Attributions[0].SupersededOn.Known() {
		t.Errorf("on 2 October: %+v; want both, a superseded", k.Attributions)
	}
}
