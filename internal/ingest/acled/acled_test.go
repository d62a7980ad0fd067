package acled_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/ingest/acled"
	"github.com/plotline-dev/plotline/internal/ingest/ingesttest"
)

func TestRealFiles(t *testing.T) {
	tests := []struct {
		file string
		rows int
		id   string
		// checked by hand against the file
		check func(t *testing.T, in *plotline.Incident)
	}{
		{"acled/dkoban__geo_stuff/ACLED.csv", 496, "acled:afg44295", func(t *testing.T, in *plotline.Incident) {
			// 01 March 2020, Air/drone strike, NATO + US forces vs Islamic State (Afghanistan), Chawkay, Kunar, 6 killed, geo_precision 2.
			if in.Date.String() != "2020-03-01" || in.EventType != "Explosions/Remote violence / Air/drone strike" ||
				in.Location.Country != "AFG" || in.Location.Admin1 != "Kunar" || in.Location.Place != "Chawkay" ||
				*in.Location.Lat != 34.6925 || in.Location.Precision != "admin1" || *in.Killed.Best != 6 {
				t.Errorf("%+v", in)
			}
			if len(in.Attributions) != 3 {
				t.Errorf("%d attributions; want NATO, US forces (assoc) and Islamic State (Afghanistan)", len(in.Attributions))
			}
		}},
		{"acled/ElliottMess__WSC_bfa_analysis/1997-01-01-2020-12-10-Burkina_Faso.csv", 3010, "acled:bfo3862", func(t *testing.T, in *plotline.Incident) {
			// time_precision 3, "15 November 2019 (month of)" → month precision; 24 killed.
			if in.Date.String() != "2019-11" || in.Date.Precision != plotline.PrecisionMonth || *in.Killed.Best != 24 || in.Location.Place != "Djibo" {
				t.Errorf("%+v", in)
			}
		}},
		{"acled/katehara__ACLED---Data-Mining/acled.csv", 10194, "acled:1bng", func(t *testing.T, in *plotline.Incident) {
			// old layout: 01-January-2015, Riots/Protests, Bagachra, Khulna; notes span lines (CRLF file, LF inside).
			if in.Date.String() != "2015-01-01" || in.Location.Country != "BGD" || in.Location.Place != "Bagachra" ||
				!strings.Contains(in.Summary, "\nPolice arrested two people") || in.Outcome != "unknown" || len(in.Attributions) != 0 {
				t.Errorf("%+v", in)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := ingesttest.External(t, tt.file)
			db := ingesttest.OpenDB(t)
			r, err := acled.Open(path, "")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			sum, err := ingesttest.Run(t, db, acled.Dataset(), r, ingest.Options{File: path})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Read != tt.rows || sum.Imported != tt.rows {
				t.Fatalf("summary %+v; want %d read and imported", sum, tt.rows)
			}
			in, err := db.Incident(context.Background(), tt.id, plotline.AsOf{})
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, in)
		})
	}
}

const header31 = "data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,sub_event_type,actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,iso3\n"

func row31(id, date, tprec, lat, fatalities string) string {
	return "1,4," + id + ",1," + date + ",2020," + tprec + ",Explosions/Remote violence,Suicide bomb,Islamic State (Afghanistan),,2,Civilians (Afghanistan),,7,27,Caucasus and Central Asia,Afghanistan,Kabul,Kabul,,Kabul," + lat + ",69.17,1,Reuters,International,\"On that day, a \"\"test\"\" event,\r\nover two lines.\"," + fatalities + ",1583771101,AFG\r\n"
}

func TestBadInputNamesRowAndColumn(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string // substrings of the error
	}{
		{"bad date", header31 + row31("AFG1", "01 March 2020", "1", "34.5", "3") + row31("AFG2", "2020/03/02", "1", "34.5", "3"), []string{":4:", "event_date", "row 2"}},
		{"bad precision", header31 + row31("AFG1", "01 March 2020", "7", "34.5", "3"), []string{"time_precision", "row 1"}},
		{"bad latitude", header31 + row31("AFG1", "01 March 2020", "1", "134.5", "3"), []string{"latitude"}},
		{"bad count", header31 + row31("AFG1", "01 March 2020", "1", "34.5", "many"), []string{"fatalities"}},
		{"truncated", header31 + row31("AFG1", "01 March 2020", "1", "34.5", "3") + "1,4,AFG2,1,02 March 2020", []string{"row 2", "fields"}},
		{"unterminated quote", header31 + strings.TrimSuffix(row31("AFG1", "01 March 2020", "1", "34.5", "3"), "\",\"3\",1583771101,AFG\r\n")[:200], []string{"row 1"}},
		{"wrong layout", "a,b,c\n1,2,3\n", []string{"event_id_cnty", "line 1"}},
		{"duplicate id", header31 + row31("AFG1", "01 March 2020", "1", "34.5", "3") + row31("AFG1", "01 March 2020", "1", "34.5", "3"), []string{"row 2", "twice"}},
		{"latin-1", header31 + strings.Replace(row31("AFG1", "01 March 2020", "1", "34.5", "3"), "Kabul,Kabul", "K\xe4bul,Kabul", 1), []string{"admin1", "UTF-8", "latin1"}},
		{"utf-16", "\xff\xfed\x00a\x00", []string{"UTF-16"}},
		{"empty", "", []string{"empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := ingesttest.EmptyDB(t)
			before := ingesttest.Counts(t, db)
			r, err := acled.New(strings.NewReader(tt.body), 0, "")
			if err == nil {
				_, err = ingesttest.Run(t, db, acled.Dataset(), r, ingest.Options{File: "in.csv"})
			}
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if e, ok := err.(interface{ Error() string }); ok {
				msg = e.Error()
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			if after := ingesttest.Counts(t, db); after["incident_v"] != before["incident_v"] || after["changes"] != before["changes"] || after["source_v"] != before["source_v"] {
				t.Errorf("database changed: before %v after %v", before, after)
			}
		})
	}
}

func TestKeepGoingWritesRejects(t *testing.T) {
	db := ingesttest.EmptyDB(t)
	body := header31 + row31("AFG1", "01 March 2020", "1", "34.5", "3") + row31("AFG2", "2020/03/02", "1", "34.5", "3") + row31("AFG3", "03 March 2020", "2", "34.5", "1")
	r, err := acled.New(strings.NewReader(body), 0, "")
	if err != nil {
		t.Fatal(err)
	}
	var rej bytes.Buffer
	sum, err := ingesttest.Run(t, db, acled.Dataset(), r, ingest.Options{File: "in.csv", KeepGoing: true, Rejects: &rej})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 3 || sum.Imported != 2 || sum.Rejected != 1 {
		t.Errorf("summary %+v; want 3 read, 2 imported, 1 rejected", sum)
	}
	if got := rej.String(); !strings.HasPrefix(got, "row,line,column,reason,record\n2,4,event_date,") || !strings.Contains(got, "AFG2") {
		t.Errorf("rejects:\n%s", got)
	}
	in, err := db.Incident(context.Background(), "acled:afg3", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	// time_precision 2 → a range of a week either side of the coded day.
	if in.Date.String() != "2020-02-25..2020-03-10" || in.Summary != "On that day, a \"test\" event,\nover two lines." {
		t.Errorf("afg3 date %s summary %q", in.Date, in.Summary)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(header31 + row31("AFG1", "01 March 2020", "1", "34.5", "3")))
	f.Add([]byte("GWNO,EVENT_ID_CNTY,EVENT_ID_NO_CNTY,EVENT_DATE,YEAR,TIME_PRECISION,EVENT_TYPE,ACTOR1,ALLY_ACTOR_1,INTER1,ACTOR2,ALLY_ACTOR_2,INTER2,INTERACTION,COUNTRY,ADMIN1,ADMIN2,ADMIN3,LOCATION,LATITUDE,LONGITUDE,GEO_PRECISION,SOURCE,NOTES,FATALITIES\r\n771,1BNG,1,01-January-2015,2015,1,Riots/Protests,Rioters (Bangladesh),,5,,,0,50,Bangladesh,Khulna,,Sharsha,Bagachra,22.95,88.96,1,UNB,\"a\nb\",0\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := acled.New(bytes.NewReader(data), 0, "")
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
			if errs := rec.Incident.Validate(); len(errs) > 0 {
				// Mapped records may fail validation (the runner reports
				// them as row errors), but must never carry an invalid ID.
				if !plotline.ValidID(rec.Incident.ID) {
					t.Fatalf("invalid ID %q", rec.Incident.ID)
				}
			}
		}
	})
}
