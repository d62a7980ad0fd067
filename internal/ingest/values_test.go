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
