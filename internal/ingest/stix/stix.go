// Package stix imports STIX 2.1 bundles: threat actors and intrusion sets
// become actors, attributed-to relationships and opinions become
// attribution statements, reports become sources, and TLP markings are kept
// on the sources. Bundles written by Plotline's own export (internal/export)
// carry the Plotline property extension and are read back exactly.
//
// Objects are parsed one at a time with github.com/TcM1911/stix2. Objects
// of types Plotline has no record for (indicators, malware…) are ignored;
// objects it cannot turn into a valid record are rejected with the reason.
// Nothing is guessed: an incident without the Plotline extension has no
// kind, date or place Plotline could record, so it is rejected.
package stix

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/TcM1911/stix2"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/export"
)

// Options control an import.
type Options struct {
	// File names the input in errors.
	File string
	// BundleURL is where the bundle was obtained (http or https). Objects
	// that cite no report or URL of their own cite it; without it they are
	// rejected, since every Plotline record needs a source.
	BundleURL string
	// DefaultTLP marks objects that carry no TLP marking; empty means
	// "green" (shareable in the community, not published).
	DefaultTLP string
}

// Skip is one object left out, with why.
type Skip struct {
	Index    int    `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Rejected bool   `json:"rejected"` // false: a type or relationship Plotline does not record
	Reason   string `json:"reason"`
}

// Result is what an import produced.
type Result struct {
	Batch   *plotline.Batch
	Objects int
	Skipped []Skip
	// Links are pairs of imported incidents the bundle says are one
	// ("duplicate-of"), each as A < B: duplicate-review decisions to record.
	Links [][2]string
}

// Rejected counts the objects that could have been records but were not.
func (r *Result) Rejected() int {
	n := 0
	for _, s := range r.Skipped {
		if s.Rejected {
			n++
		}
	}
	return n
}

// handled are the object types the reader looks at.
var handled = []string{"identity", "marking-definition", "extension-definition", "report", "threat-actor", "intrusion-set",
	"relationship", "incident", "opinion"}

// object is one parsed STIX object with its position in the bundle.
type object struct {
	index int
	typ   string
	id    string
	raw   json.RawMessage
	obj   stix2.STIXObject
}

type reader struct {
	opt      Options
	res      *Result
	objs     []*object
	byID     map[string]*object
	markings map[string]string   // marking-definition ID -> TLP
	citedBy  map[string][]string // STIX ID -> source IDs of reports listing it
	sources  map[string]*plotline.Source
	srcOrder []string
	ids      map[string]string // STIX ID -> Plotline ID of accepted records
	actors   map[string]bool   // accepted actor IDs
	incs     map[string]int    // accepted incident ID -> index in the batch
	bundleID string
}

// Read imports one STIX 2.1 bundle (or a JSON array of STIX objects).
func Read(r io.Reader, opt Options) (*Result, error) {
	if opt.DefaultTLP == "" {
		opt.DefaultTLP = "green"
	}
	if export.TLPRank(opt.DefaultTLP) < 0 {
		return nil, plotline.FieldError("tlp", "%q is not a TLP 2.0 label", opt.DefaultTLP)
	}
	if opt.BundleURL != "" && !httpURL(opt.BundleURL) {
		return nil, plotline.FieldError("bundle-url", "%q is not an http(s) URL", opt.BundleURL)
	}
	rd := &reader{opt: opt, res: &Result{Batch: &plotline.Batch{By: "import:stix", Note: "STIX bundle " + opt.File}}, byID: map[string]*object{}, markings: map[string]string{},
		citedBy: map[string][]string{}, sources: map[string]*plotline.Source{}, ids: map[string]string{},
		actors: map[string]bool{}, incs: map[string]int{}}
	if err := rd.parse(r); err != nil {
		return nil, err
	}
	rd.readMarkings()
	rd.readReports()
	rd.readActors()
	rd.readAffiliations()
	rd.readIncidents()
	rd.readAttributions()
	rd.readLinks()
	rd.readOpinions()
	for _, o := range rd.objs {
		if !slices.Contains(handled, o.typ) {
			rd.skip(o, false, "type %s is not recorded", o.typ)
		}
	}
	for _, id := range rd.srcOrder {
		rd.res.Batch.Sources = append(rd.res.Batch.Sources, *rd.sources[id])
	}
	return rd.res, nil
}

func (rd *reader) fail(field, format string, args ...any) error {
	return &plotline.Error{Code: plotline.EINVALID, File: rd.opt.File, Field: field, Message: fmt.Sprintf(format, args...)}
}

// parse reads the envelope and parses every object on its own, so an error
// names the object and one object's custom properties cannot leak into the next.
func (rd *reader) parse(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return fmt.Errorf("read stix: %w", err)
	}
	var raws []json.RawMessage
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return rd.fail("", "not a JSON array of STIX objects: %v", err)
		}
	} else {
		var b struct {
			Type    string            `json:"type"`
			ID      string            `json:"id"`
			Objects []json.RawMessage `json:"objects"`
		}
		if err := json.Unmarshal(trimmed, &b); err != nil {
			return rd.fail("", "not a STIX bundle: %v", err)
		}
		if b.Type != "bundle" {
			return rd.fail("type", "got %q; want bundle", b.Type)
		}
		rd.bundleID, raws = b.ID, b.Objects
	}
	for i, raw := range raws {
		field := fmt.Sprintf("objects[%d]", i)
		var head struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return rd.fail(field, "not a STIX object: %v", err)
		}
		if head.Type == "" || !stix2.IsValidIdentifier(stix2.Identifier(head.ID)) || !strings.HasPrefix(head.ID, head.Type+"--") {
			return rd.fail(field, "type %q and id %q do not make a STIX identifier", head.Type, head.ID)
		}
		if _, dup := rd.byID[head.ID]; dup {
			return rd.fail(field+".id", "%s appears twice", head.ID)
		}
		obj, err := parseOne(raw)
		if err != nil {
			return rd.fail(field, "%s: %v", head.ID, err)
		}
		o := &object{index: i, typ: head.Type, id: head.ID, raw: raw, obj: obj}
		rd.objs = append(rd.objs, o)
		rd.byID[o.id] = o
	}
	rd.res.Objects = len(rd.objs)
	return nil
}

// parseOne parses one object with the stix2 library. The library panics on
// some malformed values (a timestamp or opinion that is not a string); that
// is turned into an error about the object.
func parseOne(raw json.RawMessage) (obj stix2.STIXObject, err error) {
	defer func() {
		if p := recover(); p != nil {
			obj, err = nil, fmt.Errorf("malformed object (%v)", p)
		}
	}()
	c, err := stix2.FromJSON(append(append([]byte{'['}, raw...), ']'))
	if err != nil {
		return nil, err
	}
	all := c.AllObjects()
	if len(all) != 1 || all[0] == nil {
		return nil, fmt.Errorf("not a STIX object")
	}
	return all[0], nil
}

func (rd *reader) skip(o *object, rejected bool, format string, args ...any) {
	rd.res.Skipped = append(rd.res.Skipped, Skip{Index: o.index, ID: o.id, Type: o.typ, Rejected: rejected, Reason: fmt.Sprintf(format, args...)})
}

func (rd *reader) ofType(types ...string) []*object {
	var out []*object
	for _, o := range rd.objs {
		if slices.Contains(types, o.typ) {
			out = append(out, o)
		}
	}
	return out
}

// plotlineExt decodes the Plotline property extension into v; false when absent.
func plotlineExt(exts stix2.Extensions, v any) (bool, error) {
	e, ok := exts[export.ExtensionID]
	if !ok {
		return false, nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return true, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return true, dec.Decode(v)
}

func (rd *reader) readMarkings() {
	for _, o := range rd.ofType("marking-definition") {
		m, ok := o.obj.(*stix2.MarkingDefinition)
		if !ok {
			continue
		}
		tlp := export.TLPOfMarking(o.id)
		if e, ok := m.Extensions[export.TLP2ExtensionID].(*stix2.CustomObject); ok && tlp == "" {
			tlp = strings.ToLower(e.GetAsString("tlp_2_0"))
		}
		if def, ok := m.Definition.(map[string]any); ok && tlp == "" && m.DefinitionType == "tlp" {
			if s, ok := def["tlp"].(string); ok {
				tlp = strings.ToLower(s)
			}
		}
		if tlp == "white" {
			tlp = "clear"
		}
		if export.TLPRank(tlp) >= 0 {
			rd.markings[o.id] = tlp
		}
	}
}

// tlpOf is the most restricted TLP among an object's markings.
func (rd *reader) tlpOf(refs []stix2.Identifier) string {
	best := -1
	for _, r := range refs {
		t, ok := rd.markings[string(r)]
		if !ok {
			t = export.TLPOfMarking(string(r))
		}
		best = max(best, export.TLPRank(t))
	}
	if best < 0 {
		return rd.opt.DefaultTLP
	}
	return plotline.TLPs[best]
}

func (rd *reader) addSource(s plotline.Source) {
	if old, ok := rd.sources[s.ID]; ok {
		if export.TLPRank(s.TLP) > export.TLPRank(old.TLP) {
			old.TLP = s.TLP
		}
		return
	}
	rd.sources[s.ID] = &s
	rd.srcOrder = append(rd.srcOrder, s.ID)
}

func (rd *reader) identityName(ref stix2.Identifier) string {
	if o, ok := rd.byID[string(ref)]; ok {
		if id, ok := o.obj.(*stix2.Identity); ok && id.Name != "" {
			return id.Name
		}
	}
	return ""
}

func (rd *reader) readReports() {
	for _, o := range rd.ofType("report") {
		rep, ok := o.obj.(*stix2.Report)
		if !ok {
			continue
		}
		var e export.SourceExt
		has, err := plotlineExt(rep.Extensions, &e)
		var s plotline.Source
		switch {
		case err != nil:
			rd.skip(o, true, "Plotline extension: %v", err)
			continue
		case has:
			published, err := plotline.ParseDate(e.Published)
			if err != nil {
				rd.skip(o, true, "published: %v", err)
				continue
			}
			s = plotline.Source{ID: e.PlotlineID, Publisher: e.Publisher, Title: rep.Name, URL: e.URL, Language: rep.Lang,
				Published: published, Kind: e.Kind, Reliability: e.Reliability, Credibility: e.Credibility, TLP: e.TLP,
				ArchiveURL: e.ArchiveURL, SHA256: e.SHA256}
		default:
			s = plotline.Source{ID: strings.ToLower(o.id), Title: rep.Name, Language: rep.Lang, Kind: "research",
				TLP: rd.tlpOf(rep.ObjectMarking), Publisher: rd.identityName(rep.CreatedBy)}
			if rep.Published != nil {
				s.Published = plotline.DayDate(plotline.DayOf(rep.Published.Time))
			}
			for _, r := range rep.ExternalReferences {
				if r != nil && httpURL(r.URL) {
					s.URL = r.URL
					if s.Publisher == "" {
						s.Publisher = r.Name
					}
					break
				}
			}
			if s.URL == "" {
				s.URL = rd.opt.BundleURL
			}
			if s.Publisher == "" {
				s.Publisher = "unknown (STIX report without a producer)"
			}
			if s.URL == "" {
				rd.skip(o, true, "the report has no http(s) URL; give the bundle's own URL (--bundle-url) to cite it")
				continue
			}
		}
		if errs := s.Validate(); len(errs) > 0 {
			rd.skip(o, true, "%v", errs[0])
			continue
		}
		rd.addSource(s)
		rd.ids[o.id] = s.ID
		for _, ref := range rep.Objects {
			rd.citedBy[string(ref)] = append(rd.citedBy[string(ref)], s.ID)
		}
	}
}

// citations returns the sources of a foreign object: the reports listing
// it, its external references with a URL, else the bundle itself.
func (rd *reader) citations(id string, refs []*stix2.ExternalReference, marking []stix2.Identifier) []string {
	out := slices.Clone(rd.citedBy[id])
	for _, r := range refs {
		if r == nil || !httpURL(r.URL) {
			continue
		}
		sum := sha256.Sum256([]byte(r.URL))
		s := plotline.Source{ID: "url:" + hex.EncodeToString(sum[:8]), Publisher: r.Name, Title: r.Description, URL: r.URL,
			Kind: "research", TLP: rd.tlpOf(marking)}
		if s.Title == "" {
			s.Title = strings.TrimSpace(r.Name + " " + r.ExternalID)
		}
		if len(s.Validate()) > 0 {
			continue
		}
		rd.addSource(s)
		if !slices.Contains(out, s.ID) {
			out = append(out, s.ID)
		}
	}
	if len(out) == 0 && rd.opt.BundleURL != "" {
		sum := sha256.Sum256([]byte(rd.opt.BundleURL))
		s := plotline.Source{ID: "stix-bundle:" + hex.EncodeToString(sum[:8]), Publisher: "unknown (STIX bundle)",
			Title: "STIX bundle " + rd.bundleID, URL: rd.opt.BundleURL, Kind: "research", TLP: rd.tlpOf(marking)}
		rd.addSource(s)
		out = append(out, s.ID)
	}
	return out
}

func (rd *reader) readActors() {
	for _, o := range rd.ofType("threat-actor", "intrusion-set") {
		var a plotline.Actor
		var exts stix2.Extensions
		var name, desc string
		var aliases []string
		var refs []*stix2.ExternalReference
		var marking []stix2.Identifier
		switch v := o.obj.(type) {
		case *stix2.ThreatActor:
			exts, name, desc, aliases, refs, marking = v.Extensions, v.Name, v.Description, v.Aliases, v.ExternalReferences, v.ObjectMarking
		case *stix2.IntrusionSet:
			exts, name, desc, aliases, refs, marking = v.Extensions, v.Name, v.Description, v.Aliases, v.ExternalReferences, v.ObjectMarking
		default:
			continue
		}
		var e export.ActorExt
		has, err := plotlineExt(exts, &e)
		switch {
		case err != nil:
			rd.skip(o, true, "Plotline extension: %v", err)
			continue
		case has:
			a = plotline.Actor{ID: e.PlotlineID, Name: name, Kind: e.Kind, Aliases: e.Aliases, Note: desc, Sources: e.SourceIDs}
			var derr error
			a.Founded, derr = plotline.ParseDate(e.Founded)
			if derr == nil {
				a.Dissolved, derr = plotline.ParseDate(e.Dissolved)
			}
			for _, h := range e.Home {
				hc := plotline.HomeCountry{Country: h.Country}
				var err1, err2 error
				hc.From, err1 = plotline.ParseDate(h.From)
				hc.To, err2 = plotline.ParseDate(h.To)
				if derr == nil {
					derr = cmpErr(err1, err2)
				}
				a.Home = append(a.Home, hc)
			}
			if derr != nil {
				rd.skip(o, true, "%v", derr)
				continue
			}
		default:
			a = plotline.Actor{ID: strings.ToLower(o.id), Name: name, Kind: plotline.ActorCore, Note: desc,
				Sources: rd.citations(o.id, refs, marking)}
			if o.typ == "intrusion-set" {
				a.Kind = plotline.ActorNetwork
			}
			for _, al := range aliases {
				if al != "" && al != name {
					a.Aliases = append(a.Aliases, plotline.Alias{Name: al})
				}
			}
			if len(a.Sources) == 0 {
				rd.skip(o, true, "cites no source: no report lists it, it has no external reference with a URL, and no --bundle-url was given")
				continue
			}
		}
		if !rd.valid(o, a.Validate(), a.Sources) {
			continue
		}
		rd.ids[o.id] = a.ID
		rd.actors[a.ID] = true
		rd.res.Batch.Actors = append(rd.res.Batch.Actors, a)
	}
}

func cmpErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// valid rejects a record that fails validation or cites an unknown source.
func (rd *reader) valid(o *object, errs []*plotline.Error, sources []string) bool {
	if len(errs) > 0 {
		rd.skip(o, true, "%v", errs[0])
		return false
	}
	for _, s := range sources {
		if _, ok := rd.sources[s]; !ok {
			rd.skip(o, true, "cites source %q, which is not in the bundle", s)
			return false
		}
	}
	return true
}

func (rd *reader) readAffiliations() {
	actors := rd.actors
	for _, o := range rd.ofType("relationship") {
		rel, ok := o.obj.(*stix2.Relationship)
		if !ok || string(rel.RelationshipType) != export.RelPartOf {
			continue
		}
		var e export.AffiliationExt
		has, err := plotlineExt(rel.Extensions, &e)
		if err != nil || !has {
			rd.skip(o, !has, "a part-of relationship without the Plotline extension is not read as an affiliation")
			continue
		}
		f := plotline.Affiliation{ID: e.PlotlineID, ChildID: e.ChildID, ParentID: e.ParentID, Note: rel.Description, Sources: e.SourceIDs}
		var err1, err2 error
		f.From, err1 = plotline.ParseDate(e.From)
		f.To, err2 = plotline.ParseDate(e.To)
		if err := cmpErr(err1, err2); err != nil {
			rd.skip(o, true, "%v", err)
			continue
		}
		if !actors[f.ChildID] || !actors[f.ParentID] {
			rd.skip(o, true, "names actor %q or %q, which is not imported", f.ChildID, f.ParentID)
			continue
		}
		if rd.valid(o, f.Validate(), f.Sources) {
			rd.res.Batch.Affiliations = append(rd.res.Batch.Affiliations, f)
		}
	}
}

func (rd *reader) readIncidents() {
	for _, o := range rd.ofType("incident") {
		inc, ok := o.obj.(*stix2.Incident)
		if !ok {
			continue
		}
		var e export.IncidentExt
		has, err := plotlineExt(inc.Extensions, &e)
		if err != nil || !has {
			rd.skip(o, true, "an incident without the Plotline extension has no kind, date or place to record; enter it by hand")
			continue
		}
		in := plotline.Incident{ID: e.PlotlineID, Title: inc.Name, Kind: e.Kind, Outcome: e.Outcome, Stage: e.Stage,
			Location: plotline.Location{Country: e.LocationCountry, Admin1: e.LocationAdmin1, Place: e.LocationPlace,
				Lat: e.Latitude, Lon: e.Longitude, Precision: e.LocationPrecision},
			TargetCountry: e.TargetCountry, TargetType: e.TargetType, EventType: e.EventType, Weapons: e.Weapons,
			Perpetrators: e.Perpetrators, Arrests: e.Arrests, Documentation: e.Documentation, Summary: inc.Description,
			Tags: e.Tags, Sources: e.SourceIDs, Origin: e.Origin, OriginID: e.OriginID}
		if e.Killed != nil {
			in.Killed = *e.Killed
		}
		if e.Injured != nil {
			in.Injured = *e.Injured
		}
		var err1, err2 error
		in.Date, err1 = plotline.ParseDate(e.Date)
		in.Disclosed, err2 = plotline.ParseDate(e.Disclosed)
		if err := cmpErr(err1, err2); err != nil {
			rd.skip(o, true, "%v", err)
			continue
		}
		if rd.valid(o, in.Validate(), in.Sources) {
			rd.ids[o.id] = in.ID
			rd.incs[in.ID] = len(rd.res.Batch.Incidents)
			rd.res.Batch.Incidents = append(rd.res.Batch.Incidents, in)
		}
	}
}

func (rd *reader) incident(id string) *plotline.Incident {
	if i, ok := rd.incs[id]; ok {
		return &rd.res.Batch.Incidents[i]
	}
	return nil
}

// attach adds a validated statement to its incident.
func (rd *reader) attach(o *object, a plotline.Attribution) bool {
	in := rd.incident(a.IncidentID)
	if in == nil {
		rd.skip(o, true, "names incident %q, which is not imported", a.IncidentID)
		return false
	}
	if !rd.actors[a.ActorID] {
		rd.skip(o, true, "names actor %q, which is not imported", a.ActorID)
		return false
	}
	ids := make([]string, len(a.Sources))
	for i, r := range a.Sources {
		ids[i] = r.ID
	}
	if !rd.valid(o, a.Validate(), ids) {
		return false
	}
	in.Attributions = append(in.Attributions, a)
	return true
}

func (rd *reader) readAttributions() {
	for _, o := range rd.ofType("relationship") {
		rel, ok := o.obj.(*stix2.Relationship)
		if !ok || string(rel.RelationshipType) == export.RelPartOf || string(rel.RelationshipType) == export.RelDuplicateOf {
			continue
		}
		if string(rel.RelationshipType) != export.RelAttributedTo {
			rd.skip(o, false, "relationship type %q is not recorded", rel.RelationshipType)
			continue
		}
		var e export.AttributionExt
		has, err := plotlineExt(rel.Extensions, &e)
		if err != nil {
			rd.skip(o, true, "Plotline extension: %v", err)
			continue
		}
		if has {
			a, err := fromExt(&e, rel.Description)
			if err != nil {
				rd.skip(o, true, "%v", err)
				continue
			}
			if rd.attach(o, a) {
				rd.ids[o.id] = a.ID
			}
			continue
		}
		inc, actor := rd.ids[string(rel.Source)], rd.ids[string(rel.Target)]
		if !strings.HasPrefix(string(rel.Source), "incident--") || !isActorRef(string(rel.Target)) {
			rd.skip(o, false, "attributed-to from %s to %s is not an incident attribution", typeOf(rel.Source), typeOf(rel.Target))
			continue
		}
		if inc == "" || actor == "" {
			rd.skip(o, true, "its incident or actor was not imported")
			continue
		}
		a := plotline.Attribution{ID: strings.ToLower(o.id), IncidentID: inc, ActorID: actor, Basis: plotline.BasisAnalyst,
			AssertedBy: rd.producer(rel.CreatedBy), StatedOn: dayOf(rel.Created), Link: "unknown", Note: rel.Description}
		if rel.Confidence > 0 {
			a.Likelihood = export.ConfidenceLikelihood(rel.Confidence)
		}
		if rel.Revoked {
			a.RetractedOn = dayOf(rel.Modified)
		}
		for _, s := range rd.citations(o.id, rel.ExternalReferences, rel.ObjectMarking) {
			a.Sources = append(a.Sources, plotline.SourceRef{ID: s})
		}
		if rd.attach(o, a) {
			rd.ids[o.id] = a.ID
		}
	}
}

// readLinks reads "duplicate-of" relationships between two imported
// incidents as links (Result.Links); others are skipped with the reason.
func (rd *reader) readLinks() {
	for _, o := range rd.ofType("relationship") {
		rel, ok := o.obj.(*stix2.Relationship)
		if !ok || string(rel.RelationshipType) != export.RelDuplicateOf {
			continue
		}
		src, tgt := string(rel.Source), string(rel.Target)
		if !strings.HasPrefix(src, "incident--") || !strings.HasPrefix(tgt, "incident--") {
			rd.skip(o, false, "duplicate-of from %s to %s is not between incidents", typeOf(rel.Source), typeOf(rel.Target))
			continue
		}
		a, b := rd.ids[src], rd.ids[tgt]
		if a == "" || b == "" || a == b {
			rd.skip(o, false, "duplicate-of: one of its incidents was not imported")
			continue
		}
		if a > b {
			a, b = b, a
		}
		rd.res.Links = append(rd.res.Links, [2]string{a, b})
	}
}

func fromExt(e *export.AttributionExt, note string) (plotline.Attribution, error) {
	a := plotline.Attribution{ID: e.PlotlineID, IncidentID: e.IncidentID, ActorID: e.ActorID, Basis: e.Basis,
		AssertedBy: e.AssertedBy, Link: e.Link, Likelihood: e.Likelihood, Confidence: e.AnalyticConfidence, Note: note}
	var errs [3]error
	a.StatedOn, errs[0] = plotline.ParseDate(e.StatedOn)
	a.SupersededOn, errs[1] = plotline.ParseDate(e.SupersededOn)
	a.RetractedOn, errs[2] = plotline.ParseDate(e.RetractedOn)
	for _, r := range e.Sources {
		a.Sources = append(a.Sources, plotline.SourceRef{ID: r.SourceID, Reliability: r.Reliability, Credibility: r.Credibility})
	}
	return a, cmpErr(errs[:]...)
}

// opinionLikelihood reads an opinion on an attribution as a likelihood.
func opinionLikelihood(v stix2.OpinionValue) string {
	switch v {
	case stix2.OpinionStronglyAgree:
		return "very-likely"
	case stix2.OpinionAgree:
		return "likely"
	case stix2.OpinionNeutral:
		return "roughly-even-chance"
	case stix2.OpinionDisagree:
		return "unlikely"
	case stix2.OpinionStronglyDisagree:
		return "very-unlikely"
	}
	return ""
}

// readOpinions turns an opinion on an attributed-to relationship, or on an
// incident and an actor together, into an analyst's statement.
func (rd *reader) readOpinions() {
	for _, o := range rd.ofType("opinion") {
		op, ok := o.obj.(*stix2.Opinion)
		if !ok {
			continue
		}
		var pairs [][2]string
		var via []plotline.SourceRef
		var incs, actors []string
		for _, ref := range op.Objects {
			r := string(ref)
			switch {
			case strings.HasPrefix(r, "relationship--"):
				ro, ok := rd.byID[r]
				if !ok {
					continue
				}
				if rel, ok := ro.obj.(*stix2.Relationship); ok && string(rel.RelationshipType) == export.RelAttributedTo {
					if in := rd.incident(rd.ids[string(rel.Source)]); in != nil {
						for _, a := range in.Attributions {
							if a.ID == rd.ids[r] {
								pairs = append(pairs, [2]string{a.IncidentID, a.ActorID})
								via = append(via, a.Sources...)
							}
						}
					}
				}
			case strings.HasPrefix(r, "incident--") && rd.ids[r] != "":
				incs = append(incs, rd.ids[r])
			case isActorRef(r) && rd.ids[r] != "":
				actors = append(actors, rd.ids[r])
			}
		}
		for _, in := range incs {
			for _, ac := range actors {
				pairs = append(pairs, [2]string{in, ac})
			}
		}
		if len(pairs) == 0 {
			rd.skip(o, false, "the opinion is not about an imported attribution, or an imported incident and actor")
			continue
		}
		asserted := strings.Join(op.Authors, ", ")
		if asserted == "" {
			asserted = rd.producer(op.CreatedBy)
		}
		var srcs []plotline.SourceRef
		for _, s := range rd.citations(o.id, op.ExternalReferences, op.ObjectMarking) {
			srcs = append(srcs, plotline.SourceRef{ID: s})
		}
		if len(srcs) == 0 {
			srcs = via
		}
		for i, p := range pairs {
			id := strings.ToLower(o.id)
			if len(pairs) > 1 {
				id = fmt.Sprintf("%s#%d", id, i+1)
			}
			a := plotline.Attribution{ID: id, IncidentID: p[0], ActorID: p[1], Basis: plotline.BasisAnalyst, AssertedBy: asserted,
				StatedOn: dayOf(op.Created), Link: "unknown", Likelihood: opinionLikelihood(op.Value), Note: op.Explanation,
				Sources: srcs}
			rd.attach(o, a)
		}
	}
}

func (rd *reader) producer(ref stix2.Identifier) string {
	if n := rd.identityName(ref); n != "" {
		return n
	}
	return "unknown STIX producer"
}

func dayOf(t *stix2.Timestamp) plotline.Date {
	if t == nil {
		return plotline.Date{}
	}
	return plotline.DayDate(plotline.DayOf(t.Time))
}

func isActorRef(id string) bool {
	return strings.HasPrefix(id, "threat-actor--") || strings.HasPrefix(id, "intrusion-set--")
}

func typeOf(id stix2.Identifier) string {
	t, _, _ := strings.Cut(string(id), "--")
	return t
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
