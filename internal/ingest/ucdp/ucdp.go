// Package ucdp imports the UCDP Georeferenced Event Dataset (GED), as the
// official CSV or as GeoJSON (features with the GED properties and a Point
// geometry), with the UCDP Actor Dataset to name the sides.
//
// Mapping:
//   - id → incident ID "ucdp:<id>", Origin "ucdp" (relid is not used: it is
//     not stable across conversions);
//   - date_start..date_end → that day, or a range; date_prec kept as a tag;
//   - where_prec 1–2 → place, 3–5 → admin1, 6 → country, 7 → unknown;
//   - best/low/high → Killed low/best/high;
//   - side_a/side_b → attributions (basis media, asserted by UCDP) through
//     entity resolution; the actor list's names for side_a_new_id /
//     side_b_new_id (NameData, NameOrig, NameOrigFull, NameOrigFullEng) are
//     tried when the side's own name does not match; "Civilians" is no actor;
//   - type_of_violence 1/2/3 → EventType state-based / non-state / one-sided.
package ucdp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
)

// Name is the dataset name.
const Name = "ucdp"

// Dataset is UCDP GED itself as a source.
func Dataset() ingest.Dataset {
	return ingest.Dataset{Name: Name, Source: plotline.Source{
		ID: Name, Publisher: "Uppsala Conflict Data Program (UCDP), Uppsala University",
		Title: "UCDP Georeferenced Event Dataset (GED)", URL: "https://ucdp.uu.se/downloads/", Kind: "research", TLP: "clear", Language: "en",
	}}
}

// Actors maps UCDP actor IDs to the names the actor list gives them.
type Actors map[string][]string

// ReadActors reads the UCDP Actor Dataset CSV (UTF-8 with a BOM).
func ReadActors(r io.Reader) (Actors, error) {
	c, err := ingest.NewCSV(r, ingest.EncodingUTF8, ',')
	if err != nil {
		return nil, err
	}
	if err := c.Require("ActorId", "NameData"); err != nil {
		return nil, err
	}
	out := Actors{}
	for {
		err := c.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		id := c.Get("ActorId")
		if _, err := strconv.Atoi(id); err != nil {
			return nil, c.Fail("ActorId", "%q is not an actor ID", id)
		}
		var names []string
		for _, col := range []string{"NameData", "NameOrig", "NameOrigFull", "NameOrigFullEng", "NewName", "NewNameFullEng"} {
			n := c.Get(col)
			if n != "" && n != "n/a" && !contains(names, n) {
				names = append(names, n)
			}
		}
		out[id] = names
	}
}

// OpenActors reads an actor list file.
func OpenActors(path string) (Actors, error) {
	f, _, err := ingest.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadActors(f)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// props is one event's fields, whatever the container.
type props interface {
	get(col string) string
}

// Reader maps GED events (CSV rows or GeoJSON features) to records.
type Reader struct {
	actors Actors
	csv    *ingest.CSV
	geo    *geoStream
	closer io.Closer
}

// Required are the GED fields the mapping reads.
var Required = []string{"id", "type_of_violence", "side_a", "side_a_new_id", "side_b", "side_b_new_id", "where_prec",
	"adm_1", "country", "date_prec", "date_start", "date_end", "best", "low", "high"}

// NewCSV reads GED CSV (UTF-8).
func NewCSV(r io.Reader, size int64, actors Actors) (*Reader, error) {
	c, err := ingest.NewCSV(r, ingest.EncodingUTF8, ',')
	if err != nil {
		return nil, err
	}
	c.Total = size
	if err := c.Require(append(Required, "latitude", "longitude")...); err != nil {
		return nil, err
	}
	return &Reader{actors: actors, csv: c}, nil
}

// NewGeoJSON reads a GED FeatureCollection, one feature at a time.
func NewGeoJSON(r io.Reader, size int64, actors Actors) (*Reader, error) {
	g, err := newGeoStream(r, size)
	if err != nil {
		return nil, err
	}
	return &Reader{actors: actors, geo: g}, nil
}

// Open opens a .csv, .geojson or .json file.
func Open(path string, actors Actors) (*Reader, error) {
	f, size, err := ingest.OpenFile(path)
	if err != nil {
		return nil, err
	}
	var rd *Reader
	switch strings.ToLower(filepath.Ext(path)) {
	case ".geojson", ".json":
		rd, err = NewGeoJSON(f, size, actors)
	default:
		rd, err = NewCSV(f, size, actors)
	}
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
func (r *Reader) Progress() (int64, int64) {
	if r.csv != nil {
		return r.csv.Progress()
	}
	return r.geo.count.n, r.geo.total
}

type csvProps struct{ c *ingest.CSV }

func (p csvProps) get(col string) string { return p.c.Get(col) }

// Next maps the next event.
func (r *Reader) Next() (*ingest.Record, error) {
	if r.csv != nil {
		if err := r.csv.Next(); err != nil {
			return nil, err
		}
		c := r.csv
		fail := func(col, format string, args ...any) error { return c.Fail(col, format, args...) }
		return r.mapEvent(csvProps{c}, c.Row(), c.Line(), c.Get("latitude"), c.Get("longitude"), fail, c.Raw)
	}
	f, err := r.geo.next()
	if err != nil {
		return nil, err
	}
	raw := func() []string { return []string{string(f.raw)} }
	fail := func(col, format string, args ...any) error {
		return &ingest.RowError{Row: f.n, Line: f.line, Column: col, Reason: fmt.Sprintf(format, args...), Raw: raw()}
	}
	if f.err != "" {
		return nil, fail("", "%s", f.err)
	}
	lat, lon := "", ""
	if len(f.Geometry.Coordinates) == 2 {
		lon, lat = f.Geometry.Coordinates[0].String(), f.Geometry.Coordinates[1].String()
	}
	return r.mapEvent(f.Properties, f.n, f.line, lat, lon, fail, raw)
}

func (r *Reader) mapEvent(p props, row, line int, lat, lon string, fail func(col, format string, args ...any) error, raw func() []string) (*ingest.Record, error) {
	id := p.get("id")
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return nil, fail("id", "%q is not a GED event ID", id)
	}
	rec := &ingest.Record{Row: row, Line: line, Raw: raw}
	in := &rec.Incident
	in.ID, in.Origin, in.OriginID = Name+":"+id, Name, id
	in.Kind, in.Outcome = plotline.KindAttack, "completed"
	start, err := gedDay(p.get("date_start"))
	if err != nil {
		return nil, fail("date_start", "%v", err)
	}
	end, err := gedDay(p.get("date_end"))
	if err != nil {
		return nil, fail("date_end", "%v", err)
	}
	switch {
	case end < start:
		return nil, fail("date_end", "%s is before date_start %s", end, start)
	case end == start:
		in.Date = plotline.DayDate(start)
	default:
		in.Date = plotline.Date{Start: start, End: end, Precision: plotline.PrecisionRange}
	}
	if dp := p.get("date_prec"); dp != "" {
		in.Tags = append(in.Tags, "ucdp:date_prec="+dp)
	}
	country := p.get("country")
	code, ok := ingest.CountryCode(country)
	if !ok {
		return nil, fail("country", "%q has no ISO 3166-1 alpha-3 code in Plotline's country table (%s)", country, ingest.WhyNoCode(country))
	}
	in.Location.Country, in.TargetCountry = code, code
	in.Location.Admin1 = p.get("adm_1")
	in.Location.Place = p.get("where_coordinates")
	la, lo, bad := ingest.LatLon(lat, lon)
	if bad != "" {
		return nil, fail(bad, "not a coordinate")
	}
	in.Location.Lat, in.Location.Lon = la, lo
	switch p.get("where_prec") {
	case "1", "2":
		in.Location.Precision = "place"
	case "3", "4", "5":
		in.Location.Precision = "admin1"
	case "6":
		in.Location.Precision = "country"
	case "7":
		in.Location.Precision = "unknown"
	default:
		return nil, fail("where_prec", "%q is not a GED location precision 1-7", p.get("where_prec"))
	}
	for _, f := range []struct {
		col string
		dst **int
	}{{"best", &in.Killed.Best}, {"low", &in.Killed.Low}, {"high", &in.Killed.High}} {
		n, ok := ingest.Count(p.get(f.col))
		if !ok {
			return nil, fail(f.col, "%q is not a count", p.get(f.col))
		}
		*f.dst = n
	}
	if k := in.Killed; k.Low != nil && k.Best != nil && k.High != nil && !(*k.Low <= *k.Best && *k.Best <= *k.High) {
		// Some GED releases carry unordered estimates; keep best, say so.
		in.Tags = append(in.Tags, fmt.Sprintf("ucdp:deaths=low %d, best %d, high %d (not ordered in the source; only best kept)", *k.Low, *k.Best, *k.High))
		in.Killed.Low, in.Killed.High = nil, nil
	}
	switch p.get("type_of_violence") {
	case "1":
		in.EventType = "state-based conflict"
	case "2":
		in.EventType = "non-state conflict"
	case "3":
		in.EventType = "one-sided violence"
	default:
		return nil, fail("type_of_violence", "%q is not 1, 2 or 3", p.get("type_of_violence"))
	}
	in.Title = ingest.Truncate(strings.Trim(p.get("dyad_name")+", "+orDefault(in.Location.Place, country), ", "), 300)
	in.Summary = strings.TrimSpace(p.get("where_description"))
	if h := p.get("source_headline"); h != "" {
		in.Summary = strings.TrimSpace(in.Summary + "\n" + h)
	}
	if a := p.get("source_article"); a != "" {
		in.Tags = append(in.Tags, "ucdp:source_article="+ingest.Truncate(a, 300))
	}
	in.Sources = []string{Name}
	refs := []plotline.SourceRef{{ID: Name}}
	for _, side := range []struct{ name, ids, tag string }{{"side_a", "side_a_new_id", "side_a"}, {"side_b", "side_b_new_id", "side_b"}} {
		names, ids := p.get(side.name), p.get(side.ids)
		parts, idParts := []string{names}, []string{ids}
		if strings.Contains(ids, ",") {
			idParts = splitList(ids)
			if np := splitList(names); len(np) == len(idParts) {
				parts = np
			} else {
				parts = []string{names}
				idParts = idParts[:1]
			}
		}
		for i, name := range parts {
			if name == "" || strings.EqualFold(name, "Civilians") {
				continue
			}
			a := plotline.Attribution{ID: fmt.Sprintf("%s/%s-%d", in.ID, side.tag, i), Basis: plotline.BasisMedia,
				AssertedBy: "UCDP Georeferenced Event Dataset", StatedOn: in.Date, Link: "unknown", Sources: refs,
				Note: fmt.Sprintf("UCDP %s: %s (actor %s)", side.tag, name, idParts[min(i, len(idParts)-1)])}
			var alt []string
			if i < len(idParts) {
				for _, n := range r.actors[idParts[i]] {
					if n != name {
						alt = append(alt, n)
					}
				}
			}
			rec.Claims = append(rec.Claims, ingest.Claim{Name: name, Alt: alt, Attribution: a})
		}
	}
	return rec, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

func gedDay(s string) (plotline.Day, error) {
	for _, l := range []string{"2006-01-02", "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04:05.000"} {
		if t, err := time.Parse(l, s); err == nil {
			return plotline.DayOf(t), nil
		}
	}
	return 0, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// geoStream decodes a FeatureCollection's features one at a time.
type geoStream struct {
	dec   *json.Decoder
	count *countingReader
	total int64
	n     int
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

type feature struct {
	Properties geoProps `json:"properties"`
	Geometry   struct {
		Type        string        `json:"type"`
		Coordinates []json.Number `json:"coordinates"`
	} `json:"geometry"`
	n, line int
	raw     json.RawMessage
	err     string
}

// geoProps keeps every property as text, numbers as written.
type geoProps map[string]string

func (p geoProps) get(col string) string { return strings.TrimSpace(p[col]) }

func (p *geoProps) UnmarshalJSON(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := geoProps{}
	for k, v := range m {
		var s string
		switch {
		case bytes.Equal(v, []byte("null")):
		case len(v) > 0 && v[0] == '"':
			if err := json.Unmarshal(v, &s); err != nil {
				return err
			}
		default:
			s = string(v)
		}
		out[k] = s
	}
	*p = out
	return nil
}

func newGeoStream(r io.Reader, size int64) (*geoStream, error) {
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 1<<16)
	g := &geoStream{count: cr, total: size}
	g.dec = json.NewDecoder(br)
	g.dec.UseNumber()
	tok, err := g.dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, &ingest.LayoutError{Line: 1, Reason: "not GeoJSON: the file does not start with an object"}
	}
	for {
		tok, err := g.dec.Token()
		if err != nil {
			return nil, &ingest.LayoutError{Line: 1, Reason: fmt.Sprintf("not a GeoJSON FeatureCollection: %v", err)}
		}
		key, ok := tok.(string)
		if !ok {
			return nil, &ingest.LayoutError{Line: 1, Reason: "not a GeoJSON FeatureCollection: no \"features\" array"}
		}
		if key == "features" {
			if t, err := g.dec.Token(); err != nil || t != json.Delim('[') {
				return nil, &ingest.LayoutError{Line: 1, Reason: "\"features\" is not an array"}
			}
			return g, nil
		}
		var skip json.RawMessage
		if err := g.dec.Decode(&skip); err != nil {
			return nil, &ingest.LayoutError{Line: 1, Reason: fmt.Sprintf("not GeoJSON: %v", err)}
		}
	}
}

func (g *geoStream) next() (*feature, error) {
	if !g.dec.More() {
		return nil, io.EOF
	}
	g.n++
	var raw json.RawMessage
	if err := g.dec.Decode(&raw); err != nil {
		// Broken JSON: the stream cannot be resynchronised.
		return nil, &ingest.LayoutError{Line: g.n, Reason: fmt.Sprintf("feature %d (byte %d): %v", g.n, g.dec.InputOffset(), err)}
	}
	f := &feature{n: g.n, line: g.n, raw: raw}
	if err := json.Unmarshal(raw, f); err != nil {
		f.err = fmt.Sprintf("feature %d: %v", g.n, err)
	}
	if f.Properties == nil && f.err == "" {
		f.err = fmt.Sprintf("feature %d has no properties", g.n)
	}
	if f.err == "" {
		for _, c := range Required {
			if _, ok := f.Properties[c]; !ok {
				f.err = fmt.Sprintf("feature %d has no property %q: not the GED layout", g.n, c)
				break
			}
		}
	}
	return f, nil
}
