// Package gtd imports the Global Terrorism Database (START, University of
// Maryland) in its official 135-column layout, as CSV (UTF-8, or Latin-1
// with CRLF as in the 0718 release) or as an XLSX workbook.
//
// Codebook mapping:
//   - eventid → incident ID "gtd:<eventid>", Origin "gtd", OriginID eventid;
//   - iyear/imonth/iday: iday 0 → month precision, imonth 0 → year precision;
//     approxdate "Month D-D, YYYY" → a range, any other approxdate → month
//     precision (the coded day is only an estimate), kept in a tag;
//   - −9 / −99 and blanks → unknown;
//   - country_txt → ISO 3166-1 alpha-3 (historical states → their
//     present-day state, the GTD name kept as a "gtd:country=" tag;
//     Kosovo → XKX, the user-assigned code GTD, ACLED and UCDP use);
//   - specificity 1 → place, 2–4 → admin1, 5 → country;
//   - gname/gname2/gname3 → attributions through entity resolution:
//     claimed=1 → basis claim asserted by the group (via claimmode_txt);
//     otherwise basis media asserted by GTD, with likelihood "likely" and
//     confidence low when guncertain=1 (GTD: "suspected");
//   - related → "related:gtd:<eventid>" tags (incident links);
//   - scite1–3 → one source each, linked to GTD's incident page;
//   - nkill/nwound → Killed/Injured best; nperps → Perpetrators; nperpcap → Arrests;
//     -9 and -99 (the codebook's unknown) are unknown, any other negative is a row error.
package gtd

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
)

// Name is the dataset name: the origin and ID prefix of imported records.
const Name = "gtd"

// Dataset is GTD itself as a source.
func Dataset() ingest.Dataset {
	return ingest.Dataset{Name: Name, Source: plotline.Source{
		ID: Name, Publisher: "National Consortium for the Study of Terrorism and Responses to Terrorism (START), University of Maryland",
		Title: "Global Terrorism Database (GTD)", URL: "https://www.start.umd.edu/gtd/", Kind: "research", TLP: "clear", Language: "en",
	}}
}

// Required are the columns the mapping reads; a file without them is not
// the GTD layout.
var Required = []string{"eventid", "iyear", "imonth", "iday", "approxdate", "country_txt", "provstate", "city",
	"latitude", "longitude", "specificity", "summary", "success", "attacktype1_txt", "targtype1_txt",
	"gname", "guncertain1", "claimed", "nkill", "nwound", "scite1", "related"}

// Reader maps GTD rows to records.
type Reader struct {
	t      ingest.Table
	closer io.Closer
}

// NewCSV reads GTD CSV; encoding "" means auto (UTF-8, Windows-1252 for
// fields that are not UTF-8). size is the stream length for progress (0 if unknown).
func NewCSV(r io.Reader, size int64, encoding string) (*Reader, error) {
	if encoding == "" {
		encoding = ingest.EncodingAuto
	}
	c, err := ingest.NewCSV(r, encoding, ',')
	if err != nil {
		return nil, err
	}
	c.Total = size
	return newReader(c, nil)
}

// NewXLSX reads the first worksheet of a GTD workbook.
func NewXLSX(r io.Reader) (*Reader, error) {
	x, err := ingest.OpenXLSX(r)
	if err != nil {
		return nil, err
	}
	rd, err := newReader(x, x)
	if err != nil {
		x.Close()
	}
	return rd, err
}

// Open opens a .csv or .xlsx file; Close closes it.
func Open(path, encoding string) (*Reader, error) {
	f, size, err := ingest.OpenFile(path)
	if err != nil {
		return nil, err
	}
	var rd *Reader
	if strings.EqualFold(filepath.Ext(path), ".xlsx") {
		rd, err = NewXLSX(f)
		f.Close() //nolint:errcheck // the workbook was read into memory; nothing to flush
		return rd, err
	}
	rd, err = NewCSV(f, size, encoding)
	if err != nil {
		f.Close()
		return nil, err
	}
	rd.closer = f
	return rd, nil
}

func newReader(t ingest.Table, c io.Closer) (*Reader, error) {
	if err := t.Require(Required...); err != nil {
		return nil, err
	}
	return &Reader{t: t, closer: c}, nil
}

// Close releases the input.
func (r *Reader) Close() error {
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

// Progress reports how far the reader is.
func (r *Reader) Progress() (int64, int64) { return r.t.Progress() }

// Next maps the next row.
func (r *Reader) Next() (*ingest.Record, error) {
	if err := r.t.Next(); err != nil {
		return nil, err
	}
	return r.mapRow()
}

func (r *Reader) mapRow() (*ingest.Record, error) {
	t := r.t
	get := t.Get
	eventid := get("eventid")
	if eventid == "" || strings.Trim(eventid, "0123456789") != "" || len(eventid) > 20 {
		return nil, t.Fail("eventid", "%q is not a GTD event ID (digits)", eventid)
	}
	id := Name + ":" + eventid
	rec := &ingest.Record{Row: t.Row(), Line: t.Line(), Raw: t.Raw}
	in := &rec.Incident
	in.ID, in.Origin, in.OriginID = id, Name, eventid
	in.Kind = plotline.KindAttack

	date, tags, err := r.date()
	if err != nil {
		return nil, err
	}
	in.Date = date
	in.Tags = tags

	countryTxt := get("country_txt")
	code, ok := ingest.CountryCode(countryTxt)
	if !ok {
		return nil, t.Fail("country_txt", "%q has no ISO 3166-1 alpha-3 code in Plotline's country table (%s)", countryTxt, ingest.WhyNoCode(countryTxt))
	}
	if ingest.Historical(countryTxt) {
		in.Tags = append(in.Tags, "gtd:country="+countryTxt)
	}
	in.Location.Country, in.TargetCountry = code, code
	in.Location.Admin1 = known(get("provstate"))
	in.Location.Place = known(get("city"))
	lat, lon, bad := ingest.LatLon(get("latitude"), get("longitude"))
	if bad != "" {
		return nil, t.Fail(bad, "%q is not a coordinate", get(bad))
	}
	in.Location.Lat, in.Location.Lon = lat, lon
	switch get("specificity") {
	case "1":
		in.Location.Precision = "place"
	case "2", "3", "4":
		in.Location.Precision = "admin1"
	case "5":
		in.Location.Precision = "country"
	default:
		in.Location.Precision = "unknown"
	}

	switch get("success") {
	case "1":
		in.Outcome, in.Stage = "completed", "execution"
	case "0":
		in.Outcome, in.Stage = "failed", "attempt"
	default:
		return nil, t.Fail("success", "%q is not 0 or 1", get("success"))
	}
	in.EventType = known(get("attacktype1_txt"))
	in.TargetType = known(get("targtype1_txt"))
	for _, c := range []string{"weaptype1_txt", "weaptype2_txt", "weaptype3_txt", "weaptype4_txt"} {
		if w := known(get(c)); w != "" {
			in.Weapons = append(in.Weapons, w)
		}
	}
	for _, f := range []struct {
		col string
		dst **int
	}{{"nkill", &in.Killed.Best}, {"nwound", &in.Injured.Best}, {"nperps", &in.Perpetrators}, {"nperpcap", &in.Arrests}} {
		n, ok := ingest.Count(get(f.col))
		if !ok {
			return nil, t.Fail(f.col, "%q is not a count", get(f.col))
		}
		*f.dst = n
	}
	in.Summary = get("summary")
	where := in.Location.Place
	if where == "" {
		where = in.Location.Admin1
	}
	if where != "" {
		where += ", "
	}
	in.Title = fmt.Sprintf("%s, %s%s", orDefault(in.EventType, "Attack"), where, countryTxt)
	if get("doubtterr") == "1" {
		in.Tags = append(in.Tags, "gtd:doubtterr")
		if alt := get("alternative_txt"); alt != "" {
			in.Tags = append(in.Tags, "gtd:alternative="+alt)
		}
	}
	for _, rel := range strings.FieldsFunc(get("related"), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if rel != eventid && strings.Trim(rel, "0123456789") == "" {
			in.Tags = append(in.Tags, "related:gtd:"+rel)
		}
	}

	in.Sources = []string{Name}
	for i, c := range []string{"scite1", "scite2", "scite3"} {
		if s := get(c); s != "" {
			src := citation(id, eventid, i+1, s)
			rec.Sources = append(rec.Sources, src)
			in.Sources = append(in.Sources, src.ID)
		}
	}
	refs := make([]plotline.SourceRef, len(in.Sources))
	for i, s := range in.Sources {
		refs[i] = plotline.SourceRef{ID: s}
	}
	for i, g := range []struct{ name, sub, claimed, mode, uncertain string }{
		{"gname", "gsubname", "claimed", "claimmode_txt", "guncertain1"},
		{"gname2", "gsubname2", "claim2", "claimmode2_txt", "guncertain2"},
		{"gname3", "gsubname3", "claim3", "claimmode3_txt", "guncertain3"},
	} {
		name := get(g.name)
		if name == "" || strings.EqualFold(name, "Unknown") {
			continue
		}
		a := plotline.Attribution{ID: fmt.Sprintf("%s/g%d", id, i+1), Basis: plotline.BasisMedia,
			AssertedBy: "START Global Terrorism Database, from news reports", StatedOn: in.Date, Link: "unknown", Sources: refs}
		var notes []string
		switch get(g.claimed) {
		case "1":
			a.Basis = plotline.BasisClaim
			a.AssertedBy = name
			if m := known(get(g.mode)); m != "" {
				a.AssertedBy += " (claim via " + m + ")"
			}
			notes = append(notes, "GTD: the group claimed responsibility")
		case "-9":
			notes = append(notes, "GTD: unknown whether the group claimed responsibility")
		}
		if get(g.uncertain) == "1" {
			a.Likelihood, a.Confidence = "likely", "low"
			notes = append(notes, "GTD: attribution suspected, not confirmed ("+g.uncertain+"=1)")
		}
		if sub := get(g.sub); sub != "" {
			notes = append(notes, "GTD sub-group: "+sub)
		}
		notes = append(notes, "GTD group name: "+name)
		a.Note = strings.Join(notes, "; ")
		rec.Claims = append(rec.Claims, ingest.Claim{Name: name, Attribution: a})
	}
	return rec, nil
}

// date maps iyear/imonth/iday/approxdate (and keeps approxdate and the
// resolution of extended incidents as tags).
func (r *Reader) date() (plotline.Date, []string, error) {
	t := r.t
	y, err := strconv.Atoi(t.Get("iyear"))
	if err != nil || y < 1900 || y > 2200 {
		return plotline.Date{}, nil, t.Fail("iyear", "%q is not a year", t.Get("iyear"))
	}
	m, err := strconv.Atoi(t.Get("imonth"))
	if err != nil || m < 0 || m > 12 {
		return plotline.Date{}, nil, t.Fail("imonth", "%q is not a month 0-12 (0 = unknown)", t.Get("imonth"))
	}
	d, err := strconv.Atoi(t.Get("iday"))
	if err != nil || d < 0 || d > 31 {
		return plotline.Date{}, nil, t.Fail("iday", "%q is not a day 0-31 (0 = unknown)", t.Get("iday"))
	}
	var tags []string
	approx := t.Get("approxdate")
	if approx != "" {
		tags = append(tags, "gtd:approxdate="+approx)
	}
	if t.Get("extended") == "1" {
		if res, ok := parseResolution(t.Get("resolution")); ok {
			tags = append(tags, "gtd:resolution="+res.String())
		}
	}
	switch {
	case m == 0:
		return plotline.MustDate(fmt.Sprintf("%04d", y)), tags, nil
	case d == 0:
		return plotline.MustDate(fmt.Sprintf("%04d-%02d", y, m)), tags, nil
	}
	day := plotline.MakeDay(y, time.Month(m), d)
	if day.Time().Day() != d {
		return plotline.Date{}, nil, t.Fail("iday", "%d-%02d-%02d is not a calendar day", y, m, d)
	}
	if approx != "" {
		if rng, ok := parseApprox(approx); ok && rng.Start <= day && day <= rng.End {
			return rng, tags, nil
		}
		return plotline.MustDate(fmt.Sprintf("%04d-%02d", y, m)), tags, nil
	}
	return plotline.DayDate(day), tags, nil
}

// parseApprox reads the common approxdate shapes "March 6-7, 1971" and
// "May 27 - June 5, 1970".
func parseApprox(s string) (plotline.Date, bool) {
	s = strings.TrimSpace(s)
	body, yearS, ok := strings.Cut(s, ",")
	if !ok {
		return plotline.Date{}, false
	}
	y, err := strconv.Atoi(strings.TrimSpace(yearS))
	if err != nil {
		return plotline.Date{}, false
	}
	a, b, ok := strings.Cut(body, "-")
	if !ok {
		return plotline.Date{}, false
	}
	pa := strings.Fields(a)
	pb := strings.Fields(b)
	if len(pa) != 2 || len(pb) < 1 || len(pb) > 2 {
		return plotline.Date{}, false
	}
	ma, err := time.Parse("January", pa[0])
	if err != nil {
		return plotline.Date{}, false
	}
	da, err1 := strconv.Atoi(pa[1])
	mb := ma
	dbS := pb[0]
	if len(pb) == 2 {
		if mb, err = time.Parse("January", pb[0]); err != nil {
			return plotline.Date{}, false
		}
		dbS = pb[1]
	}
	db, err2 := strconv.Atoi(dbS)
	if err1 != nil || err2 != nil || da < 1 || da > 31 || db < 1 || db > 31 {
		return plotline.Date{}, false
	}
	start, end := plotline.MakeDay(y, ma.Month(), da), plotline.MakeDay(y, mb.Month(), db)
	if end < start {
		return plotline.Date{}, false
	}
	return plotline.Date{Start: start, End: end, Precision: plotline.PrecisionRange}, true
}

// parseResolution reads GTD's resolution date: m/d/yyyy in CSV, an Excel
// serial day number in XLSX, or yyyy-mm-dd.
func parseResolution(s string) (plotline.Day, bool) {
	if s == "" {
		return 0, false
	}
	for _, layout := range []string{"1/2/2006", "2006-01-02", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return plotline.DayOf(t), true
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 1 && f < 200000 {
		return plotline.MakeDay(1899, time.December, 30) + plotline.Day(int(f)), true
	}
	return 0, false
}

// citation makes a source of one scite field. GTD citations read
// `"Title," Publisher, Month D, YYYY.`; the publisher is taken from there
// when the shape fits.
func citation(incidentID, eventid string, n int, text string) plotline.Source {
	src := plotline.Source{ID: fmt.Sprintf("%s/scite%d", incidentID, n), Kind: "news", TLP: "clear",
		Publisher: "unnamed publisher, as cited by GTD", Title: ingest.Truncate(text, 500),
		URL: "https://www.start.umd.edu/gtd/search/IncidentSummary.aspx?gtdid=" + eventid}
	for _, q := range []string{",\"", ",”", "\",", "”,"} {
		if i := strings.LastIndex(text, q); i > 0 {
			title := strings.Trim(text[:i], "\"“” ")
			rest := strings.TrimSpace(text[i+len(q):])
			pub, _, _ := strings.Cut(rest, ",")
			pub = strings.TrimSpace(strings.TrimSuffix(pub, "."))
			if title != "" && pub != "" && len(pub) < 120 {
				src.Title, src.Publisher = ingest.Truncate(title, 500), pub
			}
			break
		}
	}
	return src
}

func known(s string) string {
	if strings.EqualFold(s, "unknown") || s == "-9" || s == "-99" || s == "." {
		return ""
	}
	return s
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
