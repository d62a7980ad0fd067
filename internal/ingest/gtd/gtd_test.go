package gtd_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"slices"
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
	if sum.Read != 4960 || sum.Imported != 4960 || sum.Rejected != 0 {
		t.Fatalf("summary %+v; want 4960 read, 4960 imported, 0 rejected\n%s", sum, rejects.String())
	}
	ctx := context.Background()
	// The one row in Kosovo (checked by hand: 2021-02-25, Pristina) takes
	// the user-assigned XKX, not another country's code.
	kx, err := db.Incident(ctx, "gtd:202102250020", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if kx.Location.Country != "XKX" || kx.Date.String() != "2021-02-25" {
		t.Errorf("gtd:202102250020 in %q on %s; want XKX on 2021-02-25", kx.Location.Country, kx.Date)
	}
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

func row(over map[string]string) map[string]string {
	r := map[string]string{"eventid": "202001010001", "iyear": "2020", "imonth": "1", "iday": "1", "country_txt": "Iraq",
		"provstate": "Baghdad", "city": "Baghdad", "latitude": "33.3", "longitude": "44.4", "specificity": "1",
		"summary": "Invented test row.", "success": "1", "attacktype1_txt": "Bombing/Explosion", "targtype1_txt": "Military",
		"gname": "Islamic State of Iraq and the Levant (ISIL)", "guncertain1": "0", "claimed": "1", "nkill": "1", "nwound": "-99",
		"scite1": "\"Invented headline,\" Example Wire, January 1, 2020."}
	for k, v := range over {
		r[k] = v
	}
	return r
}

func TestNewerReleaseUpdates(t *testing.T) {
	db := ingesttest.OpenDB(t)
	ctx := context.Background()
	imp := func(rows ...map[string]string) *ingest.Summary {
		r, err := gtd.NewCSV(bytes.NewReader(gtdCSV(rows...)), 0, "")
		if err != nil {
			t.Fatal(err)
		}
		sum, err := ingesttest.Run(t, db, gtd.Dataset(), r, ingest.Options{File: "release.csv"})
		if err != nil {
			t.Fatal(err)
		}
		return sum
	}
	imp(row(nil), row(map[string]string{"eventid": "202001010002", "iday": "0", "related": "202001010001, 202001010002"}))
	in, err := db.Incident(ctx, "gtd:202001010001", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Attributions) != 1 || in.Attributions[0].ActorID != "is" || in.Attributions[0].Basis != plotline.BasisClaim ||
		in.Injured.Best != nil || len(in.Sources) != 2 {
		t.Fatalf("first release: %+v", in)
	}
	src, err := db.Source(ctx, in.Sources[1], plotline.AsOf{})
	if err != nil || src.Publisher != "Example Wire" || src.Title != "Invented headline" {
		t.Errorf("scite1 source %+v, %v; want publisher Example Wire", src, err)
	}
	other, err := db.Incident(ctx, "gtd:202001010002", plotline.AsOf{})
	if err != nil || other.Date.String() != "2020-01" || !slices.Contains(other.Tags, "related:gtd:202001010001") {
		t.Errorf("month precision and related link: %+v %v", other, err)
	}
	// The newer release: more killed, the group no longer named, a guncertain change elsewhere.
	sum := imp(row(map[string]string{"nkill": "3", "gname": "Unknown", "claimed": ""}),
		row(map[string]string{"eventid": "202001010002", "iday": "0", "related": "202001010001, 202001010002", "guncertain1": "1", "claimed": "0"}))
	if sum.Updated != 2 || sum.Imported != 0 {
		t.Errorf("newer release %+v; want 2 updated", sum)
	}
	in, err = db.Incident(ctx, "gtd:202001010001", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if *in.Killed.Best != 3 || len(in.Attributions) != 0 {
		t.Errorf("after the newer release: %+v", in)
	}
	hist, err := db.History(ctx, plotline.Ref{Kind: plotline.RecAttribution, ID: "gtd:202001010001/g1"})
	if err != nil || len(hist) != 2 || !hist[1].Deleted {
		t.Errorf("attribution history %+v %v; want a tombstone after the first version", hist, err)
	}
	other, err = db.Incident(ctx, "gtd:202001010002", plotline.AsOf{})
	if err != nil || other.Attributions[0].Basis != plotline.BasisMedia || other.Attributions[0].Likelihood != "likely" || other.Attributions[0].Confidence != "low" {
		t.Errorf("guncertain1=1: %+v %v", other.Attributions, err)
	}
}

func TestBadGTD(t *testing.T) {
	tests := []struct {
		name     string
		body     []byte
		encoding string
		want     []string
	}{
		{"bad day", gtdCSV(row(map[string]string{"imonth": "2", "iday": "31"})), "", []string{"iday", "row 1", ":2:"}},
		{"bad eventid", gtdCSV(row(nil), row(map[string]string{"eventid": "2020-01"})), "", []string{"eventid", "row 2", ":3:"}},
		{"bad success", gtdCSV(row(map[string]string{"success": "yes"})), "", []string{"success"}},
		{"negative nkill", gtdCSV(row(map[string]string{"nkill": "-5"})), "", []string{"nkill", `"-5" is not a count`, "row 1"}},
		{"negative nwound", gtdCSV(row(map[string]string{"nwound": "-1"})), "", []string{"nwound", `"-1" is not a count`}},
		{"no country code", gtdCSV(row(map[string]string{"country_txt": "Soviet Union"})), "", []string{"country_txt", "geocoder"}},
		{"latin-1 with utf-8 asked", gtdCSV(row(map[string]string{"city": "Sa\xefda"})), "utf-8", []string{"city", "UTF-8", "byte 0xEF"}},
		{"wrong layout", []byte("eventid,iyear\n1,2020\n"), "", []string{"imonth", "line 1"}},
		{"truncated", append(gtdCSV(row(nil)), []byte("202001010002,2020,1")...), "", []string{"row 2", "fields"}},
		{"duplicate", gtdCSV(row(nil), row(nil)), "", []string{"row 2", "twice"}},
		{"xlsx given as csv", []byte("PK\x03\x04rest"), "", []string{"ZIP"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := ingesttest.EmptyDB(t)
			before := ingesttest.Counts(t, db)
			r, err := gtd.NewCSV(bytes.NewReader(tt.body), 0, tt.encoding)
			if err == nil {
				_, err = ingesttest.Run(t, db, gtd.Dataset(), r, ingest.Options{File: "in.csv"})
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if after := ingesttest.Counts(t, db); after["incident_v"] != before["incident_v"] || after["changes"] != before["changes"] || after["source_v"] != before["source_v"] {
				t.Errorf("database changed: %v → %v", before, after)
			}
		})
	}
}

func TestLatin1Auto(t *testing.T) {
	db := ingesttest.EmptyDB(t)
	r, err := gtd.NewCSV(bytes.NewReader(gtdCSV(row(map[string]string{"city": "Sa\xefda", "gname": ""}))), 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ingesttest.Run(t, db, gtd.Dataset(), r, ingest.Options{File: "in.csv"}); err != nil {
		t.Fatal(err)
	}
	in, err := db.Incident(context.Background(), "gtd:202001010001", plotline.AsOf{})
	if err != nil || in.Location.Place != "Saïda" {
		t.Errorf("place %q, %v; want Saïda decoded from Windows-1252", in.Location.Place, err)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add(gtdCSV(row(nil)))
	f.Add(gtdCSV(row(map[string]string{"approxdate": "May 27 - June 5, 2020", "iday": "28", "imonth": "5"})))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := gtd.NewCSV(bytes.NewReader(data), 0, "")
		if err != nil {
			return
		}
		for i := 0; i < 1000; i++ {
			rec, err := r.Next()
			if err != nil {
				if _, ok := err.(*ingest.RowError); ok {
					continue
				}
				return
			}
			in := rec.Incident
			if !plotline.ValidID(in.ID) || !in.Date.Known() || in.Date.End < in.Date.Start {
				t.Fatalf("mapped %+v", in)
			}
			for _, s := range rec.Sources {
				if !plotline.ValidID(s.ID) {
					t.Fatalf("source ID %q", s.ID)
				}
			}
		}
	})
}
