package gtd_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/ingest/gtd"
	"github.com/plotline-dev/plotline/internal/ingest/ingesttest"
)

const (
	csv0718 = "gtd/Mojo-Rising__Global_Terrorism_v3/globalterrorismdb_0718dist_testset.csv"
	xlsx21  = "gtd/Rina-Irene-arch__Analyzing_Terrorism_Incidents_Tableau_Intern_Project/globalterrorismdb_2021Jan-June_1222dist.xlsx"
)

func TestImport0718CSV(t *testing.T) {
	path := ingesttest.External(t, csv0718)
	db := ingesttest.OpenDB(t)
	r, err := gtd.Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sum, err := ingesttest.Run(t, db, gtd.Dataset(), r, ingest.Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	// PROVENANCE.md: 839 records, eventid 197000000001 … 197104290001.
	if sum.Read != 839 || sum.Imported != 839 || sum.Rejected != 0 {
		t.Fatalf("summary %+v; want 839 read and imported", sum)
	}
	ctx := context.Background()
	// Row 1, checked by hand: 1970-07-02, Dominican Republic, Santo Domingo,
	// 18.456792 -69.951164, Assassination, nkill 1, nwound 0, gname MANO-D.
	in, err := db.Incident(ctx, "gtd:197000000001", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Date.String() != "1970-07-02" || in.Location.Country != "DOM" || in.Location.Place != "Santo Domingo" ||
		*in.Location.Lat != 18.456792 || in.EventType != "Assassination" || *in.Killed.Best != 1 || *in.Injured.Best != 0 ||
		in.Outcome != "completed" || in.Origin != "gtd" || in.OriginID != "197000000001" {
		t.Errorf("gtd:197000000001 = %+v", in)
	}
	if len(in.Attributions) != 1 || in.Attributions[0].Basis != plotline.BasisMedia || !strings.HasPrefix(in.Attributions[0].ActorID, "unresolved:gtd:") {
		t.Errorf("attributions %+v; want one media attribution to the placeholder of MANO-D", in.Attributions)
	}
	// iday 0 → month precision: 197001000001 (January 1970, Unknown day).
	in, err = db.Incident(ctx, "gtd:197001000001", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Date.Precision != plotline.PrecisionMonth || in.Date.String() != "1970-01" {
		t.Errorf("gtd:197001000001 date %v (%s); want month 1970-01", in.Date, in.Date.Precision)
	}
	// West Germany (FRG) → DEU with the GTD name kept.
	list, err := db.Incidents(ctx, plotline.IncidentFilter{Origin: "gtd"}, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	deu, claims := 0, 0
	for _, in := range list {
		for _, tag := range in.Tags {
			if tag == "gtd:country=West Germany (FRG)" && in.Location.Country == "DEU" {
				deu++
			}
		}
		for _, a := range in.Attributions {
			if a.Basis == plotline.BasisClaim {
				claims++
			}
		}
	}
	if deu != 29 {
		t.Errorf("%d West German incidents mapped to DEU with the tag; want 29", deu)
	}
	if claims != 37 {
		t.Errorf("%d claim attributions; want 37 (claimed=1 rows with a named group)", claims)
	}
	// Latin-1: a summary or city with a non-ASCII letter reads as UTF-8 now.
	pending, err := db.PendingNames(ctx, "gtd")
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) == 0 || pending[0].Name != "Left-Wing Militants" || pending[0].Incidents != 130 {
		t.Errorf("first pending name %+v; want Left-Wing Militants on 130 incidents", pending[:min(1, len(pending))])
	}
}

func TestReimportChangesNothing(t *testing.T) {
	path := ingesttest.External(t, csv0718)
	db := ingesttest.OpenDB(t)
	run := func() *ingest.Summary {
		r, err := gtd.Open(path, "")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		sum, err := ingesttest.Run(t, db, gtd.Dataset(), r, ingest.Options{File: path})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	run()
	before := ingesttest.Counts(t, db)
	sum := run()
	if sum.Unchanged != 839 || sum.Imported != 0 || sum.Updated != 0 || sum.Change.ID != 0 {
		t.Errorf("re-import %+v; want 839 unchanged and no change recorded", sum)
	}
	if after := ingesttest.Counts(t, db); after["incident_v"] != before["incident_v"] || after["changes"] != before["changes"] {
		t.Errorf("re-import wrote versions: before %v after %v", before, after)
	}
}

func TestImport2021XLSX(t *testing.T) {
	path := ingesttest.External(t, xlsx21)
	db := ingesttest.OpenDB(t)
	r, err := gtd.Open(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var rejects bytes.Buffer
	sum, err := ingesttest.Run(t, db, gtd.Dataset(), r, ingest.Options{File: path, KeepGoing: true, Rejects: &rejects})
	if err != nil {
		t.Fatal(err)
	}
	// One row is in Kosovo, whose XKX code is not in ISO 3166-1: rejected
	// with the reason, never placed in another country.
	if sum.Read != 4960 || sum.Imported != 4959 || sum.Rejected != 1 {
		t.Fatalf("summary %+v; want 4960 read, 4959 imported, 1 rejected", sum)
	}
	if !strings.Contains(rejects.String(), "Kosovo") || !strings.Contains(rejects.String(), "country_txt") {
		t.Errorf("reject file does not name the Kosovo row and column:\n%s", rejects.String())
	}
	ctx := context.Background()
	in, err := db.Incident(ctx, "gtd:202101010004", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	// Row 2, checked by hand: 2021-01-01, Beir al-Abd, North Sinai, Egypt,
	// Bombing/Explosion against Military, 2 killed 5 wounded, gname Unknown.
	if in.Date.String() != "2021-01-01" || in.Location.Country != "EGY" || in.Location.Admin1 != "North Sinai" ||
		in.Location.Place != "Beir al-Abd" || in.EventType != "Bombing/Explosion" || in.TargetType != "Military" ||
		in.Killed.Best == nil || *in.Killed.Best != 2 || *in.Injured.Best != 5 || len(in.Attributions) != 0 {
		t.Errorf("gtd:202101010004 = %+v", in)
	}
	byActor := map[string]int{}
	list, err := db.Incidents(ctx, plotline.IncidentFilter{Origin: "gtd"}, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range list {
		for _, a := range in.Attributions {
			if strings.HasSuffix(a.ID, "/g1") {
				byActor[a.ActorID]++
			}
		}
	}
	// PROVENANCE.md gname counts: ISIL 225, Khorasan Chapter 49, Central
	// Africa Province 21, ISGS 16, Sinai 8, Hind 2, Pakistan 2.
	for actor, want := range map[string]int{"is": 225, "is-khorasan": 49, "is-central-africa": 21, "is-sahel": 16, "is-sinai": 8, "is-hind": 2, "is-pakistan": 2} {
		if byActor[actor] != want {
			t.Errorf("%s is gname of %d incidents; want %d", actor, byActor[actor], want)
		}
	}
}

// gtdRow builds a minimal GTD-layout CSV with the given rows (column → value).
func gtdCSV(rows ...map[string]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(gtd.Required)
	for _, r := range rows {
		rec := make([]string, len(gtd.Required))
		for i, c := range gtd.Required {
			rec[i] = r[c]
		}
		w.Write(rec)
	}
	w.Flush()
	return b.Bytes()
}
