package export

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/plotline-dev/plotline"
)

// The CSV export is a folder of tables, one row per record, joined by IDs,
// plus codebook.csv describing every column and manifest.csv describing the
// selection. Columns marked derived in the codebook are for readers'
// convenience and are ignored when the tables are read back.

// column describes one CSV column for the codebook.
type column struct {
	name, typ, desc string
	values          []string // allowed values, when the column has a vocabulary
	derived         bool
}

type table struct {
	name, desc string
	cols       []column
}

func (t table) header() []string {
	h := make([]string, len(t.cols))
	for i, c := range t.cols {
		h[i] = c.name
	}
	return h
}

const (
	tIncidents          = "incidents.csv"
	tAttributions       = "attributions.csv"
	tAttributionSources = "attribution_sources.csv"
	tActors             = "actors.csv"
	tActorAliases       = "actor_aliases.csv"
	tActorHomes         = "actor_homes.csv"
	tAffiliations       = "affiliations.csv"
	tSources            = "sources.csv"
	tLinks              = "links.csv"
	tManifest           = "manifest.csv"
	tCodebook           = "codebook.csv"
)

const (
	dateDesc = "date as YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY or DAY..DAY (the shape gives the precision); empty when unknown"
	listDesc = "list separated by ';' (a literal ';' or '\\' inside an item is escaped with '\\')"
	idsDesc  = "IDs separated by ';'"
)

// tables returns the CSV layout, in the order files are written.
func tables() []table {
	return []table{
		{tIncidents, "one row per incident (attack or plot)", []column{
			{name: "id", typ: "id", desc: "stable incident ID"},
			{name: "title", typ: "text", desc: "short title"},
			{name: "kind", typ: "code", desc: "attack or plot", values: plotline.IncidentKinds},
			{name: "outcome", typ: "code", desc: "how it ended", values: plotline.Outcomes},
			{name: "stage", typ: "code", desc: "furthest stage reached; empty when unknown", values: plotline.Stages},
			{name: "date", typ: "date", desc: "when it happened: " + dateDesc},
			{name: "date_precision", typ: "code", desc: "precision of date", values: []string{"day", "month", "quarter", "year", "range"}, derived: true},
			{name: "date_start", typ: "day", desc: "first day date may be (YYYY-MM-DD)", derived: true},
			{name: "date_end", typ: "day", desc: "last day date may be (YYYY-MM-DD)", derived: true},
			{name: "disclosed", typ: "date", desc: "when it became public, if later than date: " + dateDesc},
			{name: "country", typ: "iso3", desc: "ISO 3166-1 alpha-3 code of where it happened or was to happen"},
			{name: "admin1", typ: "text", desc: "first-level administrative division"},
			{name: "place", typ: "text", desc: "town, city or site"},
			{name: "lat", typ: "number", desc: "WGS 84 latitude, decimal degrees"},
			{name: "lon", typ: "number", desc: "WGS 84 longitude, decimal degrees"},
			{name: "location_precision", typ: "code", desc: "what lat/lon stand for", values: plotline.LocPrecisions},
			{name: "target_country", typ: "iso3", desc: "ISO 3166-1 alpha-3 code of the country targeted"},
			{name: "target_type", typ: "text", desc: "what was targeted"},
			{name: "event_type", typ: "text", desc: "an imported dataset's own classification (ACLED event_type, GTD attacktype1_txt, UCDP type_of_violence)"},
			{name: "weapons", typ: "list", desc: "weapons: " + listDesc},
			{name: "killed_low", typ: "integer", desc: "people killed, lowest estimate; empty when unknown"},
			{name: "killed_best", typ: "integer", desc: "people killed, best estimate; empty when unknown"},
			{name: "killed_high", typ: "integer", desc: "people killed, highest estimate; empty when unknown"},
			{name: "injured_low", typ: "integer", desc: "people injured, lowest estimate"},
			{name: "injured_best", typ: "integer", desc: "people injured, best estimate"},
			{name: "injured_high", typ: "integer", desc: "people injured, highest estimate"},
			{name: "perpetrators", typ: "integer", desc: "number of perpetrators"},
			{name: "arrests", typ: "integer", desc: "number of arrests"},
			{name: "documentation", typ: "code", desc: "how well the incident is evidenced", values: plotline.DocGrades},
			{name: "summary", typ: "text", desc: "summary"},
			{name: "tags", typ: "list", desc: "tags: " + listDesc},
			{name: "sources", typ: "ids", desc: "sources.csv IDs: " + idsDesc},
			{name: "origin", typ: "text", desc: "dataset an imported incident came from (gtd, acled, ucdp…); empty for curated records"},
			{name: "origin_id", typ: "text", desc: "the record's ID in that dataset"},
		}},
		{tAttributions, "one row per attribution statement linking an incident to an actor; several may stand on one incident", []column{
			{name: "id", typ: "id", desc: "stable statement ID"},
			{name: "incident", typ: "id", desc: "incidents.csv ID"},
			{name: "actor", typ: "id", desc: "actors.csv ID of the actor named"},
			{name: "actor_name", typ: "text", desc: "that actor's name", derived: true},
			{name: "basis", typ: "code", desc: "who is speaking", values: plotline.Bases},
			{name: "asserted_by", typ: "text", desc: "who made the statement"},
			{name: "stated_on", typ: "date", desc: "when it became public: " + dateDesc},
			{name: "link", typ: "code", desc: "how the actor is said to be linked", values: plotline.Links},
			{name: "likelihood", typ: "code", desc: "ICD 203 estimative likelihood", values: plotline.Likelihoods},
			{name: "confidence", typ: "code", desc: "analytic confidence", values: plotline.Confidences},
			{name: "superseded_on", typ: "date", desc: "when a later statement replaced it: " + dateDesc},
			{name: "retracted_on", typ: "date", desc: "when it was withdrawn: " + dateDesc},
			{name: "note", typ: "text", desc: "note"},
			{name: "tlp", typ: "code", desc: "the statement's own TLP 2.0 marking; empty is clear (its effective marking is the most restrictive of this and its sources')", values: plotline.TLPs},
		}},
		{tAttributionSources, "the sources each statement cites, in order, with an Admiralty grade for that statement", []column{
			{name: "attribution", typ: "id", desc: "attributions.csv ID"},
			{name: "source", typ: "id", desc: "sources.csv ID"},
			{name: "reliability", typ: "code", desc: "Admiralty source reliability", values: plotline.Reliabilities},
			{name: "credibility", typ: "code", desc: "Admiralty information credibility", values: plotline.Credibilities},
		}},
		{tActors, "one row per actor: an organisation or a unit of one", []column{
			{name: "id", typ: "id", desc: "stable actor ID"},
			{name: "name", typ: "text", desc: "name"},
			{name: "kind", typ: "code", desc: "place in an organisation", values: plotline.ActorKinds},
			{name: "founded", typ: "date", desc: dateDesc},
			{name: "dissolved", typ: "date", desc: dateDesc},
			{name: "sources", typ: "ids", desc: "sources.csv IDs: " + idsDesc},
			{name: "note", typ: "text", desc: "note"},
		}},
		{tActorAliases, "other names of actors, in order", []column{
			{name: "actor", typ: "id", desc: "actors.csv ID"},
			{name: "name", typ: "text", desc: "the alias"},
			{name: "lang", typ: "text", desc: "BCP 47 language"},
			{name: "script", typ: "text", desc: "ISO 15924 script"},
			{name: "weak", typ: "boolean", desc: "true for a short, ambiguous acronym that never matches alone", values: []string{"true", ""}},
		}},
		{tActorHomes, "actors' home countries, with dates; operations elsewhere are external", []column{
			{name: "actor", typ: "id", desc: "actors.csv ID"},
			{name: "country", typ: "iso3", desc: "ISO 3166-1 alpha-3 code"},
			{name: "from", typ: "date", desc: dateDesc},
			{name: "to", typ: "date", desc: dateDesc},
		}},
		{tAffiliations, "dated organisation graph: child was part of parent from..to", []column{
			{name: "id", typ: "id", desc: "stable affiliation ID"},
			{name: "child", typ: "id", desc: "actors.csv ID of the unit"},
			{name: "parent", typ: "id", desc: "actors.csv ID of the unit above it"},
			{name: "from", typ: "date", desc: dateDesc},
			{name: "to", typ: "date", desc: dateDesc},
			{name: "sources", typ: "ids", desc: "sources.csv IDs: " + idsDesc},
			{name: "note", typ: "text", desc: "note"},
		}},
		{tSources, "documents that state the facts", []column{
			{name: "id", typ: "id", desc: "stable source ID"},
			{name: "publisher", typ: "text", desc: "publisher"},
			{name: "title", typ: "text", desc: "title"},
			{name: "url", typ: "url", desc: "where it is published"},
			{name: "language", typ: "text", desc: "BCP 47 language"},
			{name: "published", typ: "date", desc: dateDesc},
			{name: "kind", typ: "code", desc: "kind of source", values: plotline.SourceKinds},
			{name: "reliability", typ: "code", desc: "Admiralty source reliability", values: plotline.Reliabilities},
			{name: "credibility", typ: "code", desc: "Admiralty information credibility", values: plotline.Credibilities},
			{name: "tlp", typ: "code", desc: "TLP 2.0 marking", values: plotline.TLPs},
			{name: "archive_url", typ: "url", desc: "archived copy"},
			{name: "sha256", typ: "text", desc: "SHA-256 of the archived copy, hex"},
		}},
		{tLinks, "pairs of incidents a reviewer linked as one incident (duplicate review): counted once, both records kept", []column{
			{name: "a", typ: "id", desc: "incidents.csv ID"},
			{name: "b", typ: "id", desc: "incidents.csv ID of the other record of the same incident"},
		}},
		{tManifest, "how the export was selected", []column{
			{name: "key", typ: "text", desc: "as_of, rule, filter or max_tlp"},
			{name: "value", typ: "text", desc: "its value; empty when not set"},
		}},
		{tCodebook, "this codebook", []column{
			{name: "table", typ: "text", desc: "file name"},
			{name: "column", typ: "text", desc: "column name"},
			{name: "type", typ: "text", desc: "id, text, code, date, day, iso3, number, integer, boolean, list, ids or url; a text, list or url cell that begins with = + - @ tab, carriage return or ' has one more ' in front, so that spreadsheets do not run it as a formula"},
			{name: "description", typ: "text", desc: "what it holds"},
			{name: "values", typ: "list", desc: "allowed values for codes, separated by ';'"},
			{name: "derived", typ: "boolean", desc: "true when computed from other columns and ignored on re-import"},
		}},
	}
}

func tableNamed(name string) table {
	for _, t := range tables() {
		if t.name == name {
			return t
		}
	}
	panic("export: no CSV table " + name) // a programming error: names are constants
}

// WriteCSV writes d as CSV tables into dir, creating it when needed.
func WriteCSV(dir string, d *Data) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("csv export: %w", err)
	}
	names := map[string]string{}
	for _, a := range d.Actors {
		names[a.ID] = a.Name
	}
	rows := map[string][][]string{}
	add := func(t string, row ...string) { rows[t] = append(rows[t], row) }
	for _, in := range d.Incidents {
		l := in.Location
		add(tIncidents, in.ID, in.Title, in.Kind, in.Outcome, in.Stage, in.Date.String(), string(in.Date.Precision),
			dayOrEmpty(in.Date, false), dayOrEmpty(in.Date, true), in.Disclosed.String(), l.Country, l.Admin1, l.Place,
			floatStr(l.Lat), floatStr(l.Lon), l.Precision, in.TargetCountry, in.TargetType, in.EventType, joinList(in.Weapons),
			intStr(in.Killed.Low), intStr(in.Killed.Best), intStr(in.Killed.High),
			intStr(in.Injured.Low), intStr(in.Injured.Best), intStr(in.Injured.High),
			intStr(in.Perpetrators), intStr(in.Arrests), in.Documentation, in.Summary, joinList(in.Tags),
			strings.Join(in.Sources, ";"), in.Origin, in.OriginID)
		for _, a := range in.Attributions {
			add(tAttributions, a.ID, in.ID, a.ActorID, names[a.ActorID], a.Basis, a.AssertedBy, a.StatedOn.String(), a.Link,
				a.Likelihood, a.Confidence, a.SupersededOn.String(), a.RetractedOn.String(), a.Note, a.TLP)
			for _, r := range a.Sources {
				add(tAttributionSources, a.ID, r.ID, r.Reliability, r.Credibility)
			}
		}
	}
	for _, a := range d.Actors {
		add(tActors, a.ID, a.Name, a.Kind, a.Founded.String(), a.Dissolved.String(), strings.Join(a.Sources, ";"), a.Note)
		for _, al := range a.Aliases {
			add(tActorAliases, a.ID, al.Name, al.Lang, al.Script, boolStr(al.Weak))
		}
		for _, h := range a.Home {
			add(tActorHomes, a.ID, h.Country, h.From.String(), h.To.String())
		}
	}
	for _, f := range d.Affiliations {
		add(tAffiliations, f.ID, f.ChildID, f.ParentID, f.From.String(), f.To.String(), strings.Join(f.Sources, ";"), f.Note)
	}
	for _, s := range d.Sources {
		add(tSources, s.ID, s.Publisher, s.Title, s.URL, s.Language, s.Published.String(), s.Kind, s.Reliability,
			s.Credibility, s.TLP, s.ArchiveURL, s.SHA256)
	}
	for _, l := range d.Links {
		add(tLinks, l[0], l[1])
	}
	add(tManifest, "as_of", d.Meta.AsOf)
	add(tManifest, "rule", d.Meta.Rule)
	add(tManifest, "filter", d.Meta.Filter)
	add(tManifest, "max_tlp", d.Meta.MaxTLP)
	for _, t := range tables() {
		for _, c := range t.cols {
			add(tCodebook, t.name, c.name, c.typ, c.desc, strings.Join(c.values, ";"), boolStr(c.derived))
		}
	}
	for _, t := range tables() {
		if err := writeTable(filepath.Join(dir, t.name), t, rows[t.name]); err != nil {
			return err
		}
	}
	return nil
}

// Spreadsheets run a cell that begins with =, +, -, @, tab or carriage
// return as a formula (OWASP "CSV injection"): imported or hostile text
// could then fetch URLs or start programs on the reader's machine. A free
// text cell (text, list or url) that begins with one of those, or with an
// apostrophe, is written with one more apostrophe in front, which
// spreadsheets show as text; ReadCSV removes it, so round trips are exact.
const formulaStart = "=+-@\t\r'"

func freeText(c column) bool { return c.typ == "text" || c.typ == "list" || c.typ == "url" }

// SafeCell is neutralise for other CSV writers (the web table download):
// a free-text cell that a spreadsheet would run as a formula gets one more
// apostrophe in front.
func SafeCell(s string) string { return neutralise(s) }

func neutralise(s string) string {
	if s != "" && strings.IndexByte(formulaStart, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

func writeTable(path string, t table, rows [][]string) (err error) {
	for _, row := range rows {
		for i, c := range t.cols {
			if freeText(c) {
				row[i] = neutralise(row[i])
			}
		}
	}
	header := t.header()
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("csv export: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("csv export: %w", cerr)
		}
	}()
	w := csv.NewWriter(f)
	w.Write(header) // errors surface from w.Error below
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		return fmt.Errorf("csv export %s: %w", filepath.Base(path), err)
	}
	return nil
}

// ReadCSV reads a CSV export folder back. Errors name the file, line and column.
func ReadCSV(dir string) (*Data, error) {
	d := &Data{}
	var errs []error
	read := func(name string, fn func(r *row) error) {
		if err := readTable(dir, name, fn); err != nil {
			errs = append(errs, err)
		}
	}
	attrs := map[string]*plotline.Attribution{}
	var order []string
	read(tAttributions, func(r *row) error {
		a := &plotline.Attribution{ID: r.get("id"), IncidentID: r.get("incident"), ActorID: r.get("actor"), Basis: r.get("basis"),
			AssertedBy: r.get("asserted_by"), StatedOn: r.date("stated_on"), Link: r.get("link"), Likelihood: r.get("likelihood"),
			Confidence: r.get("confidence"), SupersededOn: r.date("superseded_on"), RetractedOn: r.date("retracted_on"), Note: r.get("note"),
			TLP: r.get("tlp"), Sources: []plotline.SourceRef{}}
		if _, dup := attrs[a.ID]; dup {
			return r.fail("id", "attribution %q appears twice", a.ID)
		}
		attrs[a.ID] = a
		order = append(order, a.ID)
		return r.err
	})
	read(tAttributionSources, func(r *row) error {
		a, ok := attrs[r.get("attribution")]
		if !ok {
			return r.fail("attribution", "no attribution %q in %s", r.get("attribution"), tAttributions)
		}
		a.Sources = append(a.Sources, plotline.SourceRef{ID: r.get("source"), Reliability: r.get("reliability"), Credibility: r.get("credibility")})
		return nil
	})
	byIncident := map[string][]plotline.Attribution{}
	for _, id := range order {
		a := attrs[id]
		byIncident[a.IncidentID] = append(byIncident[a.IncidentID], *a)
	}
	read(tIncidents, func(r *row) error {
		in := plotline.Incident{ID: r.get("id"), Title: r.get("title"), Kind: r.get("kind"), Outcome: r.get("outcome"),
			Stage: r.get("stage"), Date: r.date("date"), Disclosed: r.date("disclosed"),
			Location: plotline.Location{Country: r.get("country"), Admin1: r.get("admin1"), Place: r.get("place"),
				Lat: r.float("lat"), Lon: r.float("lon"), Precision: r.get("location_precision")},
			TargetCountry: r.get("target_country"), TargetType: r.get("target_type"), EventType: r.get("event_type"),
			Weapons:      splitList(r.get("weapons")),
			Killed:       plotline.Range{Low: r.int("killed_low"), Best: r.int("killed_best"), High: r.int("killed_high")},
			Injured:      plotline.Range{Low: r.int("injured_low"), Best: r.int("injured_best"), High: r.int("injured_high")},
			Perpetrators: r.int("perpetrators"), Arrests: r.int("arrests"), Documentation: r.get("documentation"),
			Summary: r.get("summary"), Tags: splitList(r.get("tags")), Sources: splitIDs(r.get("sources")),
			Origin: r.get("origin"), OriginID: r.get("origin_id"), Attributions: byIncident[r.get("id")]}
		delete(byIncident, in.ID)
		d.Incidents = append(d.Incidents, in)
		return r.err
	})
	for id := range byIncident {
		errs = append(errs, plotline.Errorf(plotline.EINVALID, "%s: statements name incident %q, which is not in %s", tAttributions, id, tIncidents))
	}
	if _, err := os.Stat(filepath.Join(dir, tLinks)); err == nil { // exports before links had none
		incidents := map[string]bool{}
		for _, in := range d.Incidents {
			incidents[in.ID] = true
		}
		read(tLinks, func(r *row) error {
			for _, col := range []string{"a", "b"} {
				if !incidents[r.get(col)] {
					return r.fail(col, "no incident %q in %s", r.get(col), tIncidents)
				}
			}
			d.Links = append(d.Links, [2]string{r.get("a"), r.get("b")})
			return nil
		})
	}
	actors := map[string]int{}
	read(tActors, func(r *row) error {
		actors[r.get("id")] = len(d.Actors)
		d.Actors = append(d.Actors, plotline.Actor{ID: r.get("id"), Name: r.get("name"), Kind: r.get("kind"),
			Founded: r.date("founded"), Dissolved: r.date("dissolved"), Sources: splitIDs(r.get("sources")), Note: r.get("note")})
		return r.err
	})
	actor := func(r *row) (*plotline.Actor, error) {
		i, ok := actors[r.get("actor")]
		if !ok {
			return nil, r.fail("actor", "no actor %q in %s", r.get("actor"), tActors)
		}
		return &d.Actors[i], nil
	}
	read(tActorAliases, func(r *row) error {
		a, err := actor(r)
		if err != nil {
			return err
		}
		a.Aliases = append(a.Aliases, plotline.Alias{Name: r.get("name"), Lang: r.get("lang"), Script: r.get("script"), Weak: r.bool("weak")})
		return r.err
	})
	read(tActorHomes, func(r *row) error {
		a, err := actor(r)
		if err != nil {
			return err
		}
		a.Home = append(a.Home, plotline.HomeCountry{Country: r.get("country"), From: r.date("from"), To: r.date("to")})
		return r.err
	})
	read(tAffiliations, func(r *row) error {
		d.Affiliations = append(d.Affiliations, plotline.Affiliation{ID: r.get("id"), ChildID: r.get("child"), ParentID: r.get("parent"),
			From: r.date("from"), To: r.date("to"), Sources: splitIDs(r.get("sources")), Note: r.get("note")})
		return r.err
	})
	read(tSources, func(r *row) error {
		d.Sources = append(d.Sources, plotline.Source{ID: r.get("id"), Publisher: r.get("publisher"), Title: r.get("title"),
			URL: r.get("url"), Language: r.get("language"), Published: r.date("published"), Kind: r.get("kind"),
			Reliability: r.get("reliability"), Credibility: r.get("credibility"), TLP: r.get("tlp"),
			ArchiveURL: r.get("archive_url"), SHA256: r.get("sha256")})
		return r.err
	})
	read(tManifest, func(r *row) error {
		v := r.get("value")
		switch r.get("key") {
		case "as_of":
			d.Meta.AsOf = v
		case "rule":
			d.Meta.Rule = v
		case "filter":
			d.Meta.Filter = v
		case "max_tlp":
			d.Meta.MaxTLP = v
		default:
			return r.fail("key", "unknown manifest key %q", r.get("key"))
		}
		return nil
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// row is one CSV record being read; the first conversion error sticks.
type row struct {
	file string
	line int
	idx  map[string]int
	rec  []string
	err  error
}

func (r *row) get(col string) string { return r.rec[r.idx[col]] }

func (r *row) fail(col, format string, args ...any) error {
	return &plotline.Error{Code: plotline.EINVALID, File: r.file, Line: r.line, Field: col, Message: fmt.Sprintf(format, args...)}
}

func (r *row) keep(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *row) date(col string) plotline.Date {
	d, err := plotline.ParseDate(r.get(col))
	if err != nil {
		r.keep(r.fail(col, "%v", err))
	}
	return d
}

func (r *row) int(col string) *int {
	s := r.get(col)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		r.keep(r.fail(col, "%q is not a whole number", s))
		return nil
	}
	return &n
}

func (r *row) float(col string) *float64 {
	s := r.get(col)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		r.keep(r.fail(col, "%q is not a number", s))
		return nil
	}
	return &f
}

func (r *row) bool(col string) bool {
	switch r.get(col) {
	case "true":
		return true
	case "", "false":
		return false
	}
	r.keep(r.fail(col, "%q is not true, false or empty", r.get(col)))
	return false
}

// readTable reads one table, checking its header is the expected layout.
func readTable(dir, name string, fn func(r *row) error) error {
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		return plotline.Errorf(plotline.EINVALID, "csv export folder %s: %v", dir, err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	t := tableNamed(name)
	want := t.header()
	cr.FieldsPerRecord = len(want)
	head, err := cr.Read()
	if err != nil {
		return &plotline.Error{Code: plotline.EINVALID, File: name, Line: 1, Message: fmt.Sprintf("header: %v", err)}
	}
	if !slices.Equal(head, want) {
		return &plotline.Error{Code: plotline.EINVALID, File: name, Line: 1,
			Message: fmt.Sprintf("header is %s; want %s", strings.Join(head, ","), strings.Join(want, ","))}
	}
	idx := map[string]int{}
	for i, c := range want {
		idx[c] = i
	}
	var errs []error
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			errs = append(errs, &plotline.Error{Code: plotline.EINVALID, File: name, Line: line, Message: err.Error()})
			break
		}
		for i, c := range t.cols {
			if freeText(c) && strings.HasPrefix(rec[i], "'") {
				rec[i] = rec[i][1:] // see neutralise
			}
		}
		if err := fn(&row{file: name, line: line, idx: idx, rec: rec}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func dayOrEmpty(d plotline.Date, end bool) string {
	switch {
	case !d.Known():
		return ""
	case end:
		return d.End.String()
	}
	return d.Start.String()
}

func intStr(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func floatStr(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'g', -1, 64)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return ""
}

func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ";")
}

// joinList joins free-text items with ';', escaping ';' and '\' in them.
func joinList(items []string) string {
	esc := strings.NewReplacer(`\`, `\\`, `;`, `\;`)
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = esc.Replace(s)
	}
	return strings.Join(out, ";")
}

// splitList undoes joinList.
func splitList(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case s[i] == ';':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(out, cur.String())
}
