// Package acled imports ACLED event exports: the 2020-era 31-column layout
// (data_id … iso3), the 2023+ layout (disorder_type, civilian_targeting,
// tags) and the older 25-column UPPER-CASE layout (GWNO … FATALITIES, with
// ALLY_ACTOR_n), in UTF-8 with LF or CRLF and notes with embedded newlines.
//
// Mapping:
//   - event_id_cnty → incident ID "acled:<lower-case id>", Origin "acled";
//   - event_date "01 February 1997", "01-January-2015" or "2015-01-01";
//   - time_precision 1 → that day; 2 (ACLED: a week or part of a month,
//     coded at its middle) → a range of seven days either side; 3 (only the
//     month known) → month precision;
//   - geo_precision 1 → place, 2 and 3 → admin1 (ACLED: near a place, or
//     only the region is known);
//   - actor1/assoc_actor_1/actor2/assoc_actor_2 (ALLY_ACTOR_n in the old
//     layout): every named actor is kept as a tag; armed actors (inter codes
//     1–4 and 8: state forces, rebels, militias, external forces) become
//     attributions through entity resolution, basis media asserted by ACLED;
//     rioters, protesters and civilians (5–7) do not;
//   - fatalities → Killed best; notes → Summary; source → a tag.
package acled

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
)

// Name is the dataset name.
const Name = "acled"

// Dataset is ACLED itself as a source.
func Dataset() ingest.Dataset {
	return ingest.Dataset{Name: Name, Source: plotline.Source{
		ID: Name, Publisher: "Armed Conflict Location & Event Data Project (ACLED)",
		Title: "ACLED event data", URL: "https://acleddata.com/", Kind: "research", TLP: "clear", Language: "en",
	}}
}

// fields maps the logical columns to their names in each layout.
var fields = map[string][]string{
	"id":        {"event_id_cnty", "EVENT_ID_CNTY"},
	"date":      {"event_date", "EVENT_DATE"},
	"tprec":     {"time_precision", "TIME_PRECISION"},
	"type":      {"event_type", "EVENT_TYPE"},
	"subtype":   {"sub_event_type", "SUB_EVENT_TYPE"},
	"actor1":    {"actor1", "ACTOR1"},
	"assoc1":    {"assoc_actor_1", "ALLY_ACTOR_1", "ASSOC_ACTOR_1"},
	"inter1":    {"inter1", "INTER1"},
	"actor2":    {"actor2", "ACTOR2"},
	"assoc2":    {"assoc_actor_2", "ALLY_ACTOR_2", "ASSOC_ACTOR_2"},
	"inter2":    {"inter2", "INTER2"},
	"country":   {"country", "COUNTRY"},
	"iso3":      {"iso3", "ISO3"},
	"admin1":    {"admin1", "ADMIN1"},
	"location":  {"location", "LOCATION"},
	"lat":       {"latitude", "LATITUDE"},
	"lon":       {"longitude", "LONGITUDE"},
	"gprec":     {"geo_precision", "GEO_PRECISION"},
	"source":    {"source", "SOURCE"},
	"notes":     {"notes", "NOTES"},
	"fatal":     {"fatalities", "FATALITIES"},
	"disorder":  {"disorder_type", "DISORDER_TYPE"},
	"civilians": {"civilian_targeting", "CIVILIAN_TARGETING"},
}

var required = []string{"id", "date", "tprec", "type", "actor1", "inter1", "actor2", "inter2", "country", "lat", "lon", "gprec", "notes", "fatal"}

// Reader maps ACLED rows to records.
type Reader struct {
	c      *ingest.CSV
	col    map[string]string // logical → header name
	closer io.Closer
}

// New reads an ACLED CSV export (UTF-8; encoding "" = utf-8).
func New(r io.Reader, size int64, encoding string) (*Reader, error) {
	c, err := ingest.NewCSV(r, encoding, ',')
	if err != nil {
		return nil, err
	}
	c.Total = size
	rd := &Reader{c: c, col: map[string]string{}}
	for logical, names := range fields {
		for _, n := range names {
			if c.Has(n) {
				rd.col[logical] = n
				break
			}
		}
	}
	for _, f := range required {
		if rd.col[f] == "" {
			if err := c.Require(fields[f][0]); err != nil {
				return nil, err
			}
		}
	}
	return rd, nil
}

// Open opens an ACLED CSV file; Close closes it.
func Open(path, encoding string) (*Reader, error) {
	f, size, err := ingest.OpenFile(path)
	if err != nil {
		return nil, err
	}
	rd, err := New(f, size, encoding)
	if err != nil {
		f.Close()
		return nil, err
	}
	rd.closer = f
	return rd, nil
}

// Close releases the input.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Progress reports bytes read.
func (r *Reader) Progress() (int64, int64) { return r.c.Progress() }

func (r *Reader) get(f string) string {
	if n := r.col[f]; n != "" {
		return r.c.Get(n)
	}
	return ""
}

func (r *Reader) fail(f, format string, args ...any) *ingest.RowError {
	name := r.col[f]
	if name == "" {
		name = fields[f][0]
	}
	return r.c.Fail(name, format, args...)
}

// Next maps the next row.
func (r *Reader) Next() (*ingest.Record, error) {
	if err := r.c.Next(); err != nil {
		return nil, err
	}
	evid := r.get("id")
	if evid == "" || strings.IndexFunc(evid, func(c rune) bool { return !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') }) >= 0 {
		return nil, r.fail("id", "%q is not an ACLED event ID", evid)
	}
	rec := &ingest.Record{Row: r.c.Row(), Line: r.c.Line(), Raw: r.c.Raw}
	in := &rec.Incident
	in.ID, in.Origin, in.OriginID = Name+":"+strings.ToLower(evid), Name, evid
	in.Kind = plotline.KindAttack

	day, err := parseDate(r.get("date"))
	if err != nil {
		return nil, r.fail("date", "%v", err)
	}
	switch p := r.get("tprec"); p {
	case "1":
		in.Date = plotline.DayDate(day)
	case "2":
		in.Date = plotline.Date{Start: day - 7, End: day + 7, Precision: plotline.PrecisionRange}
	case "3":
		t := day.Time()
		in.Date = plotline.Date{Start: plotline.MakeDay(t.Year(), t.Month(), 1), End: plotline.MakeDay(t.Year(), t.Month()+1, 0), Precision: plotline.PrecisionMonth}
	default:
		return nil, r.fail("tprec", "%q is not a time precision 1, 2 or 3", p)
	}

	country := r.get("country")
	code, ok := "", false
	if iso := r.get("iso3"); iso != "" {
		code, ok = ingest.CountryCode(iso)
	}
	if !ok {
		if code, ok = ingest.CountryCode(country); !ok {
			return nil, r.fail("country", "%q has no ISO 3166-1 alpha-3 code in Plotline's country table (%s)", country, ingest.WhyNoCode(country))
		}
	}
	in.Location.Country, in.TargetCountry = code, code
	in.Location.Admin1 = r.get("admin1")
	in.Location.Place = r.get("location")
	lat, lon, bad := ingest.LatLon(r.get("lat"), r.get("lon"))
	if bad != "" {
		return nil, r.fail(map[string]string{"latitude": "lat", "longitude": "lon"}[bad], "%q is not a coordinate", r.get(map[string]string{"latitude": "lat", "longitude": "lon"}[bad]))
	}
	in.Location.Lat, in.Location.Lon = lat, lon
	switch p := r.get("gprec"); p {
	case "1":
		in.Location.Precision = "place"
	case "2", "3":
		in.Location.Precision = "admin1"
	default:
		return nil, r.fail("gprec", "%q is not a geo precision 1, 2 or 3", p)
	}

	typ, sub := r.get("type"), r.get("subtype")
	in.EventType = typ
	if sub != "" {
		in.EventType += " / " + sub
	}
	in.Outcome = "completed"
	switch strings.ToLower(typ) {
	case "protests", "strategic developments", "riots/protests", "non-violent activity", "headquarters or base established", "non-violent transfer of territory":
		in.Outcome = "unknown"
	}
	n, ok := ingest.Count(r.get("fatal"))
	if !ok {
		return nil, r.fail("fatal", "%q is not a count", r.get("fatal"))
	}
	in.Killed.Best = n
	in.Summary = r.get("notes")
	what := sub
	if what == "" {
		what = typ
	}
	in.Title = strings.Trim(fmt.Sprintf("%s, %s, %s", what, in.Location.Place, country), ", ")
	if s := r.get("source"); s != "" {
		in.Tags = append(in.Tags, "acled:source="+s)
	}
	if d := r.get("disorder"); d != "" {
		in.Tags = append(in.Tags, "acled:disorder="+d)
	}
	if c := r.get("civilians"); c != "" {
		in.Tags = append(in.Tags, "acled:civilian_targeting="+c)
	}
	in.Sources = []string{Name}
	refs := []plotline.SourceRef{{ID: Name}}
	asserted := "ACLED, from its sources"
	if s := r.get("source"); s != "" {
		asserted = ingest.Truncate("ACLED, from "+s, 200)
	}
	for _, side := range []struct{ actor, assoc, inter, tag string }{{"actor1", "assoc1", "inter1", "actor1"}, {"actor2", "assoc2", "inter2", "actor2"}} {
		armed := armedInter(r.get(side.inter))
		names := []string{r.get(side.actor)}
		names = append(names, splitActors(r.get(side.assoc))...)
		for i, name := range names {
			if name == "" {
				continue
			}
			role := side.tag
			if i > 0 {
				role = "assoc_" + side.tag
			}
			in.Tags = append(in.Tags, "acled:"+role+"="+name)
			if !armed {
				continue
			}
			a := plotline.Attribution{ID: fmt.Sprintf("%s/%s-%d", in.ID, side.tag, i), Basis: plotline.BasisMedia,
				AssertedBy: asserted, StatedOn: in.Date, Link: "unknown", Sources: refs,
				Note: "ACLED " + role + ": " + name}
			rec.Claims = append(rec.Claims, ingest.Claim{Name: name, Attribution: a})
		}
	}
	return rec, nil
}

// armedInter reports whether an ACLED inter code (numeric, or the 2023+
// text) names an armed actor type.
func armedInter(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "1", "2", "3", "4", "8", "state forces", "rebel group", "political militia", "identity militia", "external/other forces":
		return true
	}
	return false
}

func splitActors(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var dateLayouts = []string{"02 January 2006", "2 January 2006", "02-January-2006", "2-January-2006", "2006-01-02", "02-Jan-2006"}

func parseDate(s string) (plotline.Day, error) {
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return plotline.DayOf(t), nil
		}
	}
	return 0, fmt.Errorf("%q is not an ACLED date (want \"01 February 1997\", \"01-January-2015\" or 2015-01-31)", s)
}
