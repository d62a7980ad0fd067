package ucdp_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/ingest/ingesttest"
	"github.com/plotline-dev/plotline/internal/ingest/ucdp"
)

func TestRealGeoJSON(t *testing.T) {
	path := ingesttest.External(t, "ucdp-ged/optgeo__ucdp-23.1-482/GEDEvent_v23_1.geojson")
	actors, err := ucdp.OpenActors(ingesttest.External(t, "ucdp-ged/skytheacademic__who_keeps_the_peace/ucdp-actor-221.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// PROVENANCE.md: 1,725 actors (UTF-8 with BOM: the first column must still be ActorId).
	if len(actors) != 1725 {
		t.Errorf("%d actors; want 1725", len(actors))
	}
	db := ingesttest.OpenDB(t)
	r, err := ucdp.Open(path, actors)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sum, err := ingesttest.Run(t, db, ucdp.Dataset(), r, ingest.Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 1848 || sum.Imported != 1848 {
		t.Fatalf("summary %+v; want 1848 read and imported", sum)
	}
	ctx := context.Background()
	// The first feature, checked by hand: id 36210, 2009-02-20, LRA vs
	// Government of Uganda, where_prec 5, best=low=high=3, [26.486881, 5.399784].
	in, err := db.Incident(ctx, "ucdp:36210", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Date.String() != "2009-02-20" || in.Location.Country != "CAF" || in.Location.Precision != "admin1" ||
		*in.Location.Lat != 5.399784 || *in.Location.Lon != 26.486881 || *in.Killed.Best != 3 || *in.Killed.Low != 3 ||
		*in.Killed.High != 3 || in.EventType != "state-based conflict" || len(in.Attributions) != 2 {
		t.Errorf("ucdp:36210 = %+v", in)
	}
	list, err := db.Incidents(ctx, plotline.IncidentFilter{Origin: "ucdp"}, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	byType, ranges, unordered := map[string]int{}, 0, 0
	for _, in := range list {
		byType[in.EventType]++
		if in.Killed.Low == nil && in.Killed.Best != nil {
			unordered++
		}
		if in.Date.Precision == plotline.PrecisionRange {
			ranges++
		}
	}
	// PROVENANCE.md: type_of_violence 1: 401, 2: 371, 3: 1,076; 481 events span several days.
	if byType["state-based conflict"] != 401 || byType["non-state conflict"] != 371 || byType["one-sided violence"] != 1076 || ranges != 481 {
		t.Errorf("types %v, %d ranges; want 401/371/1076 and 481", byType, ranges)
	}
	// 20 features have low/best/high out of order (e.g. id 256002: 7, 6, 7): best only, with a tag.
	if unordered != 20 {
		t.Errorf("%d events kept best only; want the 20 unordered ones", unordered)
	}
}

func TestCSVWithActorList(t *testing.T) {
	actors, err := ucdp.OpenActors("testdata/actors-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	db := ingesttest.OpenDB(t)
	r, err := ucdp.Open("testdata/ged-sample.csv", actors)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sum, err := ingesttest.Run(t, db, ucdp.Dataset(), r, ingest.Options{File: "ged-sample.csv"})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 2 {
		t.Fatalf("summary %+v", sum)
	}
	ctx := context.Background()
	in, err := db.Incident(ctx, "ucdp:900001", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	// side_a "Test Group Alpha" matches nothing, but the actor list's
	// NameOrigFullEng for 9001 is an alias of is-khorasan; side_b Civilians is no actor.
	if len(in.Attributions) != 1 || in.Attributions[0].ActorID != "is-khorasan" || in.Location.Precision != "place" ||
		*in.Killed.Best != 3 || *in.Killed.Low != 2 || *in.Killed.High != 4 {
		t.Errorf("ucdp:900001 = %+v", in)
	}
	in, err = db.Incident(ctx, "ucdp:900002", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Date.String() != "2021-02-01..2021-02-07" || len(in.Attributions) != 2 {
		t.Errorf("ucdp:900002 = %+v", in)
	}
	pending, err := db.PendingNames(ctx, "ucdp")
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 {
		t.Errorf("pending %+v; want Government of Iraq and Test Group Beta", pending)
	}
}

func TestBadGeoJSON(t *testing.T) {
	good, err := os.ReadFile("testdata/ged-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	_ = good
	feature := `{"type":"Feature","properties":{"id":1,"type_of_violence":1,"side_a":"A","side_a_new_id":1,"side_b":"B","side_b_new_id":2,"where_prec":1,"adm_1":"","country":"Iraq","date_prec":1,"date_start":"2020-01-01T00:00:00","date_end":"2020-01-01T00:00:00","best":1,"low":1,"high":1},"geometry":{"type":"Point","coordinates":[44.1,33.2]}}`
	tests := []struct {
		name, body string
		want       []string
	}{
		{"not json", "hello", []string{"not GeoJSON"}},
		{"no features", `{"type":"FeatureCollection","name":"x"}`, []string{"features"}},
		{"truncated", `{"type":"FeatureCollection","features":[` + feature + `,` + feature[:60], []string{"feature 2"}},
		{"bad date", `{"type":"FeatureCollection","features":[` + strings.Replace(feature, "2020-01-01T00:00:00\",\"best", "2020-13-01\",\"best", 1) + `]}`, []string{"date_end", "row 1"}},
		{"missing property", `{"type":"FeatureCollection","features":[` + strings.Replace(feature, `"where_prec":1,`, "", 1) + `]}`, []string{"where_prec", "layout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := ingesttest.EmptyDB(t)
			before := ingesttest.Counts(t, db)
			r, err := ucdp.NewGeoJSON(strings.NewReader(tt.body), 0, nil)
			if err == nil {
				_, err = ingesttest.Run(t, db, ucdp.Dataset(), r, ingest.Options{File: "in.geojson"})
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if after := ingesttest.Counts(t, db); after["incident_v"] != before["incident_v"] || after["changes"] != before["changes"] {
				t.Errorf("database changed: %v → %v", before, after)
			}
		})
	}
}

func FuzzGeoJSON(f *testing.F) {
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":1,"type_of_violence":1,"side_a":"A","side_a_new_id":1,"side_b":"B","side_b_new_id":2,"where_prec":1,"adm_1":"","country":"Iraq","date_prec":1,"date_start":"2020-01-01","date_end":"2020-01-02","best":1,"low":1,"high":1},"geometry":{"type":"Point","coordinates":[44.1,33.2]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ucdp.NewGeoJSON(bytes.NewReader(data), 0, nil)
		if err != nil {
			return
		}
		drain(t, r)
	})
}

func FuzzCSV(f *testing.F) {
	b, err := os.ReadFile("testdata/ged-sample.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ucdp.NewCSV(bytes.NewReader(data), 0, nil)
		if err != nil {
			return
		}
		drain(t, r)
	})
}

func drain(t *testing.T, r ingest.Reader) {
	for i := 0; i < 1000; i++ {
		rec, err := r.Next()
		if err != nil {
			if _, ok := err.(*ingest.RowError); ok {
				continue
			}
			return
		}
		if !plotline.ValidID(rec.Incident.ID) {
			t.Fatalf("invalid ID %q", rec.Incident.ID)
		}
		if d := rec.Incident.Date; d.Known() && d.End < d.Start {
			t.Fatalf("date %v ends before it starts", d)
		}
	}
}
