package plotline

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// maxIDLen is the longest record ID, in bytes.
const maxIDLen = 200

// ValidID reports whether s can be a record ID: lower-case, no spaces, at
// most 200 bytes; the regular expression ^[a-z0-9][a-z0-9._:/#-]{0,199}$,
// written as a loop because every imported row checks several IDs.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLen || !idStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !idStart(s[i]) && !idPunct(s[i]) {
			return false
		}
	}
	return true
}

// idStart reports whether c can begin an ID: a lower-case ASCII letter or a digit.
func idStart(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }

// idPunct reports whether c is punctuation an ID may hold after its first byte.
func idPunct(c byte) bool {
	switch c {
	case '.', '_', ':', '/', '#', '-':
		return true
	}
	return false
}

// CountryName returns the English name of an ISO 3166-1 alpha-3 code and
// whether the code exists.
func CountryName(code string) (string, bool) {
	c, ok := countries[code]
	return c[1], ok
}

// CountryAlpha2 returns the alpha-2 code of an alpha-3 code, "" if unknown.
func CountryAlpha2(code string) string { return countries[code][0] }

// CountryCodes returns every known alpha-3 code.
func CountryCodes() []string {
	out := make([]string, 0, len(countries))
	for k := range countries {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// validator collects field errors under a path prefix.
type validator struct {
	prefix string
	errs   []*Error
}

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, FieldError(v.prefix+field, format, args...))
}

func (v *validator) required(field, val string) {
	if strings.TrimSpace(val) == "" {
		v.add(field, "is required")
	}
}

func (v *validator) oneOf(field, val string, allowed []string, optional bool) {
	if val == "" && optional {
		return
	}
	if !slices.Contains(allowed, val) {
		if val == "" {
			v.add(field, "is required (one of %s)", strings.Join(allowed, ", "))
			return
		}
		v.add(field, "%q is not one of %s", val, strings.Join(allowed, ", "))
	}
}

func (v *validator) id(field, val string) {
	if !ValidID(val) {
		v.add(field, "%q is not a valid ID (lower-case letters, digits, '-', '.', ':', '/', '#')", val)
	}
}

func (v *validator) country(field, val string, optional bool) {
	if val == "" && optional {
		return
	}
	if _, ok := countries[val]; !ok {
		v.add(field, "%q is not an ISO 3166-1 alpha-3 country code", val)
	}
}

func (v *validator) rng(field string, r Range) {
	for name, p := range map[string]*int{"low": r.Low, "best": r.Best, "high": r.High} {
		if p != nil && *p < 0 {
			v.add(field+"."+name, "must not be negative")
		}
	}
	if r.Low != nil && r.High != nil && *r.Low > *r.High {
		v.add(field, "low %d is above high %d", *r.Low, *r.High)
	}
	if r.Best != nil && r.Low != nil && *r.Best < *r.Low {
		v.add(field+".best", "best %d is below low %d", *r.Best, *r.Low)
	}
	if r.Best != nil && r.High != nil && *r.Best > *r.High {
		v.add(field+".best", "best %d is above high %d", *r.Best, *r.High)
	}
}

func (v *validator) sources(field string, ids []string) {
	if len(ids) == 0 {
		v.add(field, "at least one source is required")
	}
	for i, s := range ids {
		v.id(fmt.Sprintf("%s[%d]", field, i), s)
	}
}

func (v *validator) result() []*Error { return v.errs }

// Validate checks an incident's own fields (not references to other records).
// Field names in the errors are the dataset's YAML keys.
func (in *Incident) Validate() []*Error {
	v := &validator{}
	v.id("id", in.ID)
	v.required("title", in.Title)
	v.oneOf("kind", in.Kind, IncidentKinds, false)
	v.oneOf("outcome", in.Outcome, Outcomes, false)
	v.oneOf("stage", in.Stage, Stages, true)
	if !in.Date.Known() {
		v.add("date", "is required")
	}
	if in.Disclosed.Known() && in.Date.Known() && in.Disclosed.End < in.Date.Start {
		v.add("disclosed", "%s is before the incident date %s", in.Disclosed, in.Date)
	}
	if in.Kind == KindAttack && in.Outcome == "foiled" {
		v.add("outcome", "an attack cannot be foiled; record a foiled attack as kind plot")
	}
	v.country("location.country", in.Location.Country, false)
	v.oneOf("location.precision", in.Location.Precision, LocPrecisions, true)
	if (in.Location.Lat == nil) != (in.Location.Lon == nil) {
		v.add("location.lat", "lat and lon go together")
	}
	if in.Location.Lat != nil && (*in.Location.Lat < -90 || *in.Location.Lat > 90) {
		v.add("location.lat", "%v is outside -90..90", *in.Location.Lat)
	}
	if in.Location.Lon != nil && (*in.Location.Lon < -180 || *in.Location.Lon > 180) {
		v.add("location.lon", "%v is outside -180..180", *in.Location.Lon)
	}
	v.country("target_country", in.TargetCountry, false)
	v.rng("killed", in.Killed)
	v.rng("injured", in.Injured)
	if in.Perpetrators != nil && *in.Perpetrators < 0 {
		v.add("perpetrators", "must not be negative")
	}
	if in.Arrests != nil && *in.Arrests < 0 {
		v.add("arrests", "must not be negative")
	}
	v.oneOf("documentation", in.Documentation, DocGrades, true)
	v.sources("sources", in.Sources)
	errs := v.result()
	for i := range in.Attributions {
		for _, e := range in.Attributions[i].Validate() {
			e.Field = fmt.Sprintf("attributions[%d].%s", i, e.Field)
			errs = append(errs, e)
		}
	}
	return errs
}

// Validate checks an attribution's own fields.
func (a *Attribution) Validate() []*Error {
	v := &validator{}
	v.id("id", a.ID)
	v.id("actor", a.ActorID)
	v.oneOf("basis", a.Basis, Bases, false)
	v.required("asserted_by", a.AssertedBy)
	if !a.StatedOn.Known() {
		v.add("stated_on", "is required")
	}
	v.oneOf("link", a.Link, Links, false)
	v.oneOf("likelihood", a.Likelihood, Likelihoods, true)
	v.oneOf("confidence", a.Confidence, Confidences, true)
	v.oneOf("tlp", a.TLP, TLPs, true)
	if a.SupersededOn.Known() && a.StatedOn.Known() && a.SupersededOn.End < a.StatedOn.Start {
		v.add("superseded_on", "%s is before stated_on %s", a.SupersededOn, a.StatedOn)
	}
	if a.RetractedOn.Known() && a.StatedOn.Known() && a.RetractedOn.End < a.StatedOn.Start {
		v.add("retracted_on", "%s is before stated_on %s", a.RetractedOn, a.StatedOn)
	}
	if len(a.Sources) == 0 {
		v.add("sources", "at least one source is required")
	}
	for i, s := range a.Sources {
		f := fmt.Sprintf("sources[%d]", i)
		v.id(f, s.ID)
		v.oneOf(f+".reliability", s.Reliability, Reliabilities, true)
		v.oneOf(f+".credibility", s.Credibility, Credibilities, true)
	}
	return v.result()
}

// Validate checks an actor's own fields.
func (a *Actor) Validate() []*Error {
	v := &validator{}
	v.id("id", a.ID)
	v.required("name", a.Name)
	v.oneOf("kind", a.Kind, ActorKinds, false)
	for i, al := range a.Aliases {
		v.required(fmt.Sprintf("aliases[%d].name", i), al.Name)
	}
	for i, h := range a.Home {
		f := fmt.Sprintf("home[%d]", i)
		v.country(f+".country", h.Country, false)
		if h.From.Known() && h.To.Known() && h.To.End < h.From.Start {
			v.add(f+".to", "%s is before from %s", h.To, h.From)
		}
	}
	if a.Founded.Known() && a.Dissolved.Known() && a.Dissolved.End < a.Founded.Start {
		v.add("dissolved", "%s is before founded %s", a.Dissolved, a.Founded)
	}
	v.sources("sources", a.Sources)
	return v.result()
}

// Validate checks an affiliation's own fields.
func (f *Affiliation) Validate() []*Error {
	v := &validator{}
	v.id("id", f.ID)
	v.id("child", f.ChildID)
	v.id("parent", f.ParentID)
	if f.ChildID == f.ParentID {
		v.add("parent", "an actor cannot be part of itself")
	}
	if f.From.Known() && f.To.Known() && f.To.End < f.From.Start {
		v.add("to", "%s is before from %s", f.To, f.From)
	}
	v.sources("sources", f.Sources)
	return v.result()
}

// Validate checks a source's own fields.
func (s *Source) Validate() []*Error {
	v := &validator{}
	v.id("id", s.ID)
	v.required("publisher", s.Publisher)
	v.required("title", s.Title)
	if u, err := url.Parse(s.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		v.add("url", "%q is not an http(s) URL", s.URL)
	}
	v.oneOf("kind", s.Kind, SourceKinds, false)
	v.oneOf("reliability", s.Reliability, Reliabilities, true)
	v.oneOf("credibility", s.Credibility, Credibilities, true)
	v.oneOf("tlp", s.TLP, TLPs, false)
	if s.ArchiveURL != "" {
		if u, err := url.Parse(s.ArchiveURL); err != nil || u.Host == "" {
			v.add("archive_url", "%q is not a URL", s.ArchiveURL)
		}
	}
	return v.result()
}
