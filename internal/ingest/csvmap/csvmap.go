package csvmap

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
)

// AsDataset is the mapped spreadsheet as a source.
func (m *Mapping) AsDataset() ingest.Dataset {
	return ingest.Dataset{Name: m.Dataset, Source: plotline.Source{
		ID: m.Dataset, Publisher: m.Source.Publisher, Title: m.Source.Title, URL: m.Source.URL, Kind: m.Source.Kind, TLP: m.Source.TLP,
	}}
}

// Reader maps rows with a Mapping.
type Reader struct {
	m      *Mapping
	c      *ingest.CSV
	closer io.Closer
}

// New reads CSV from r with mapping m. Every mapped column must be in the header.
func New(r io.Reader, size int64, m *Mapping) (*Reader, error) {
	comma, _ := utf8.DecodeRuneInString(m.Delimiter)
	c, err := ingest.NewCSV(r, m.Encoding, comma)
	if err != nil {
		return nil, err
	}
	c.Total = size
	for _, f := range sortedKeys(m.Columns) {
		if col := m.Columns[f]; !c.Has(col) {
			return nil, missingColumn(m, f, col, c.Header())
		}
	}
	return &Reader{m: m, c: c}, nil
}

// missingColumn says that the mapping, not the sheet, names the column, so
// the user knows which file to fix.
func missingColumn(m *Mapping, field, col string, header []string) error {
	by := "the mapping"
	if m.File != "" {
		by = "mapping " + m.File
	}
	shown := header
	if len(shown) > 8 {
		shown = append(shown[:8:8], "…")
	}
	return &ingest.LayoutError{Line: 1, Column: col, Reason: fmt.Sprintf("column %q named by %s (%s) is not in the header (%d columns: %s)",
		col, by, field, len(header), strings.Join(shown, ","))}
}

// Open opens a CSV file; Close closes it.
func Open(path string, m *Mapping) (*Reader, error) {
	f, size, err := ingest.OpenFile(path)
	if err != nil {
		return nil, err
	}
	rd, err := New(f, size, m)
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

// get returns a field's value: the column's value translated through the
// value map, or the default when the column is unmapped or empty.
func (r *Reader) get(field string) string {
	v := ""
	if col := r.m.Columns[field]; col != "" {
		v = r.c.Get(col)
	}
	if vm := r.m.Values[field]; vm != nil {
		if t, ok := vm[v]; ok {
			v = t
		}
	}
	if v == "" {
		v = r.m.Defaults[field]
	}
	return v
}

func (r *Reader) fail(field, format string, args ...any) *ingest.RowError {
	col := r.m.Columns[field]
	if col == "" {
		col = field
	}
	return r.c.Fail(col, format, args...)
}

func (r *Reader) list(field string) []string {
	v := r.get(field)
	if v == "" {
		return nil
	}
	sep := r.m.Split[field]
	if sep == "" {
		return []string{v}
	}
	var out []string
	for _, p := range strings.Split(v, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Next maps the next row.
func (r *Reader) Next() (*ingest.Record, error) {
	if err := r.c.Next(); err != nil {
		return nil, err
	}
	m := r.m
	rawID := r.get("id")
	slug := ingest.Slug(rawID)
	if slug == "" {
		return nil, r.fail("id", "%q cannot be a record ID", rawID)
	}
	rec := &ingest.Record{Row: r.c.Row(), Line: r.c.Line(), Raw: r.c.Raw}
	in := &rec.Incident
	in.ID, in.Origin, in.OriginID = m.Dataset+":"+slug, m.Dataset, rawID
	if !plotline.ValidID(in.ID) {
		return nil, r.fail("id", "%q makes the ID %q, which is not valid (too long?)", rawID, in.ID)
	}
	var err error
	if in.Date, err = r.date("date"); err != nil {
		return nil, err
	}
	if !in.Date.Known() {
		return nil, r.fail("date", "is empty")
	}
	if m.Columns["disclosed"] != "" {
		if in.Disclosed, err = r.date("disclosed"); err != nil {
			return nil, err
		}
	}
	in.Kind, in.Outcome, in.Stage = r.get("kind"), r.get("outcome"), r.get("stage")
	if in.Kind == "" {
		in.Kind = plotline.KindAttack
	}
	if in.Outcome == "" {
		in.Outcome = "unknown"
	}
	country := r.get("country")
	code, ok := ingest.CountryCode(country)
	if !ok {
		return nil, r.fail("country", "%q is not a country name or ISO 3166-1 alpha-3 code (add it under values: country:)", country)
	}
	in.Location.Country = code
	in.TargetCountry = code
	if tc := r.get("target_country"); tc != "" {
		if in.TargetCountry, ok = ingest.CountryCode(tc); !ok {
			return nil, r.fail("target_country", "%q is not a country name or code", tc)
		}
	}
	in.Location.Admin1, in.Location.Place, in.Location.Precision = r.get("admin1"), r.get("place"), r.get("location_precision")
	lat, lon, bad := ingest.LatLon(r.get("lat"), r.get("lon"))
	if bad != "" {
		f := map[string]string{"latitude": "lat", "longitude": "lon"}[bad]
		return nil, r.fail(f, "%q is not a coordinate", r.get(f))
	}
	in.Location.Lat, in.Location.Lon = lat, lon
	in.TargetType, in.EventType = r.get("target_type"), r.get("event_type")
	in.Weapons = r.list("weapons")
	for _, f := range []struct {
		field string
		dst   **int
	}{{"killed", &in.Killed.Best}, {"killed_low", &in.Killed.Low}, {"killed_high", &in.Killed.High},
		{"injured", &in.Injured.Best}, {"perpetrators", &in.Perpetrators}, {"arrests", &in.Arrests}} {
		n, ok := ingest.Count(r.get(f.field))
		if !ok {
			return nil, r.fail(f.field, "%q is not a count", r.get(f.field))
		}
		*f.dst = n
	}
	in.Summary = r.get("summary")
	in.Title = r.get("title")
	if in.Title == "" {
		in.Title = ingest.Truncate(firstLine(in.Summary), 120)
	}
	in.Tags = r.list("tags")
	in.Sources = []string{m.Dataset}
	refs := []plotline.SourceRef{{ID: m.Dataset}}
	for i, g := range r.list("group") {
		a := plotline.Attribution{ID: fmt.Sprintf("%s/group-%d", in.ID, i+1), Basis: m.Attribution.Basis, AssertedBy: m.Attribution.AssertedBy,
			StatedOn: in.PublicOn(), Link: m.Attribution.Link, Sources: refs, Note: "group as the spreadsheet names it: " + g}
		rec.Claims = append(rec.Claims, ingest.Claim{Name: g, Attribution: a})
	}
	return rec, nil
}

// date reads a date: with date_format, a day in that layout; otherwise
// Plotline's shapes (YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY, A..B).
func (r *Reader) date(field string) (plotline.Date, error) {
	s := r.get(field)
	if s == "" {
		return plotline.Date{}, nil
	}
	if r.m.DateFormat != "" {
		if t, err := time.Parse(r.m.DateFormat, s); err == nil {
			return plotline.DayDate(plotline.DayOf(t)), nil
		}
	}
	d, err := plotline.ParseDate(s)
	if err != nil {
		if r.m.DateFormat != "" {
			return plotline.Date{}, r.fail(field, "%q matches neither date_format %q nor YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY", s, r.m.DateFormat)
		}
		return plotline.Date{}, r.fail(field, "%v", err)
	}
	return d, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i]
	}
	return s
}
