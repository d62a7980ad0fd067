package ingest_test

import (
	"testing"

	"github.com/plotline-dev/plotline/internal/ingest"
)

func TestHistorical(t *testing.T) {
	for name, want := range map[string]bool{
		"West Germany (FRG)": true, "east germany (gdr)": true, "EAST GERMANY": true, "Zaïre": true,
		"People's Republic of the Congo": true, "Rhodesia": true, "South Vietnam": true,
		"Germany": false, "Vietnam": false, "Yemen": false, "Republic of the Congo": false, "": false,
	} {
		if got := ingest.Historical(name); got != want {
			t.Errorf("Historical(%q) = %v; want %v", name, got, want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    int // -1: unknown (nil)
		wantErr bool
	}{
		{"", -1, false}, {" ", -1, false}, {"-9", -1, false}, {"-99", -1, false}, {"-99.0", -1, false},
		{"0", 0, false}, {"3", 3, false}, {"3.0", 3, false},
		{"-5", 0, true}, {"-1", 0, true}, {"-9.5", 0, true}, {"-100", 0, true}, {"x", 0, true}, {"2.5", 0, true},
	} {
		got, ok := ingest.Count(tt.in)
		switch {
		case ok == tt.wantErr:
			t.Errorf("Count(%q) ok = %v; want %v", tt.in, ok, !tt.wantErr)
		case !ok:
		case tt.want == -1 && got != nil:
			t.Errorf("Count(%q) = %d; want unknown", tt.in, *got)
		case tt.want >= 0 && (got == nil || *got != tt.want):
			t.Errorf("Count(%q) = %v; want %d", tt.in, got, tt.want)
		}
	}
}
