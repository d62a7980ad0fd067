package export

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/plotline-dev/plotline"
)

// STIX 2.1 mapping (docs/exports.md has the full table):
//
//	incident     -> incident SDO + Plotline property extension
//	actor        -> threat-actor (threat_actor_types terrorist), or
//	                intrusion-set for cells and networks
//	affiliation  -> relationship "part-of" (child -> parent), dated
//	attribution  -> relationship "attributed-to" (incident -> actor) with
//	                confidence 0-100 and the statement's fields in the extension
//	link         -> relationship "duplicate-of" (incident B -> incident A) for
//	                two records linked as one incident
//	source       -> report SDO (object_refs: everything citing it) and an
//	                external reference on every object citing it
//	TLP          -> the official TLP 2.0 marking definitions
//
// Object IDs are UUIDv5 of the record kind and ID in STIXNamespace, so the
// same record always gets the same STIX ID; records that came from STIX keep
// the ID they came with.

const (
	// STIXNamespace is the UUIDv5 namespace of Plotline's STIX IDs.
	STIXNamespace = "38b18618-fcc3-4e4b-9165-4e2faa13d43f"
	// ExtensionID is the extension-definition carrying Plotline's fields.
	ExtensionID = "extension-definition--89f6ea2d-488f-494b-9d76-04fd23efb133"
	// IdentityID is the identity of Plotline as the producer of exports.
	IdentityID = "identity--44b6d41c-59af-40cd-99cb-bff61b4f906e"
	// TLP2ExtensionID is the OASIS extension that defines TLP 2.0 markings.
	TLP2ExtensionID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

	// RelAttributedTo, RelPartOf and RelDuplicateOf are the relationship
	// types used; duplicate-of (a STIX 2.1 common relationship) links two
	// incidents a reviewer decided are one.
	RelAttributedTo = "attributed-to"
	RelPartOf       = "part-of"
	RelDuplicateOf  = "duplicate-of"

	extensionVersion = "1.0.0"
	extensionCreated = "2025-01-01T00:00:00.000Z"
	stixTime         = "2006-01-02T15:04:05.000Z"
)

// TLPMarkingID returns the official STIX ID of a TLP 2.0 marking definition
// (OASIS cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
func TLPMarkingID(tlp string) string {
	switch tlp {
	case "clear":
		return "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	case "green":
		return "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	case "amber":
		return "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	case "amber+strict":
		return "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	case "red":
		return "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
	}
	return ""
}

// TLPOfMarking returns the TLP 2.0 label a marking-definition ID stands for:
// the TLP 2.0 IDs, and the STIX 2.1 TLP 1.0 IDs with WHITE read as CLEAR.
func TLPOfMarking(id string) string {
	for _, t := range plotline.TLPs {
		if TLPMarkingID(t) == id {
			return t
		}
	}
	switch id {
	case "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9":
		return "clear"
	case "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da":
		return "green"
	case "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82":
		return "amber"
	case "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed":
		return "red"
	}
	return ""
}

// STIX confidence mapping, from STIX 2.1 Part 1 Appendix B ("Confidence
// Scales"): the DNI (ICD 203) scale for likelihoods, None/Low/Med/High for
// the analytic confidence words, and the Admiralty credibility scale for
// source grades.

// LikelihoodConfidence maps an ICD 203 likelihood to STIX confidence.
func LikelihoodConfidence(l string) (int, bool) {
	v, ok := map[string]int{"almost-no-chance": 5, "very-unlikely": 15, "unlikely": 30, "roughly-even-chance": 50,
		"likely": 70, "very-likely": 85, "almost-certain": 95}[l]
	return v, ok
}

// ConfidenceLikelihood maps a STIX confidence back to an ICD 203
// likelihood, by the DNI scale's ranges.
func ConfidenceLikelihood(c int) string {
	switch {
	case c < 10:
		return "almost-no-chance"
	case c < 20:
		return "very-unlikely"
	case c < 40:
		return "unlikely"
	case c < 60:
		return "roughly-even-chance"
	case c < 80:
		return "likely"
	case c < 90:
		return "very-likely"
	}
	return "almost-certain"
}

// WordConfidence maps low / moderate / high to the None-Low-Med-High scale.
func WordConfidence(w string) (int, bool) {
	v, ok := map[string]int{"low": 15, "moderate": 50, "high": 85}[w]
	return v, ok
}

// CredibilityConfidence maps an Admiralty credibility grade to the STIX
// Admiralty Credibility scale; 6 (cannot be judged) has no value.
func CredibilityConfidence(c string) (int, bool) {
	v, ok := map[string]int{"1": 90, "2": 70, "3": 50, "4": 30, "5": 10}[c]
	return v, ok
}

// StatementConfidence is the STIX confidence of an attribution: its
// likelihood if stated, else its confidence word, else the best Admiralty
// credibility among the sources it cites; false when there is none.
func StatementConfidence(a *plotline.Attribution) (int, bool) {
	if v, ok := LikelihoodConfidence(a.Likelihood); ok {
		return v, true
	}
	if v, ok := WordConfidence(a.Confidence); ok {
		return v, true
	}
	best, found := 0, false
	for _, r := range a.Sources {
		if v, ok := CredibilityConfidence(r.Credibility); ok && v > best {
			best, found = v, true
		}
	}
	return best, found
}

// IncidentExt is the Plotline extension on an incident SDO.
type IncidentExt struct {
	ExtensionType     string          `json:"extension_type"`
	PlotlineID        string          `json:"plotline_id"`
	Kind              string          `json:"kind"`
	Outcome           string          `json:"outcome"`
	Stage             string          `json:"stage,omitempty"`
	Date              string          `json:"date"`
	DatePrecision     string          `json:"date_precision"`
	DateStart         string          `json:"date_start"`
	DateEnd           string          `json:"date_end"`
	Disclosed         string          `json:"disclosed,omitempty"`
	LocationCountry   string          `json:"location_country"`
	LocationAdmin1    string          `json:"location_admin1,omitempty"`
	LocationPlace     string          `json:"location_place,omitempty"`
	Latitude          *float64        `json:"latitude,omitempty"`
	Longitude         *float64        `json:"longitude,omitempty"`
	LocationPrecision string          `json:"location_precision,omitempty"`
	TargetCountry     string          `json:"target_country"`
	TargetType        string          `json:"target_type,omitempty"`
	EventType         string          `json:"event_type,omitempty"`
	Weapons           []string        `json:"weapons,omitempty"`
	Killed            *plotline.Range `json:"killed,omitempty"`
	Injured           *plotline.Range `json:"injured,omitempty"`
	Perpetrators      *int            `json:"perpetrators,omitempty"`
	Arrests           *int            `json:"arrests,omitempty"`
	Documentation     string          `json:"documentation,omitempty"`
	Tags              []string        `json:"tags,omitempty"`
	SourceIDs         []string        `json:"source_ids"`
	Origin            string          `json:"origin,omitempty"`
	OriginID          string          `json:"origin_id,omitempty"`
}

// AttributionExt is the Plotline extension on an attributed-to relationship.
type AttributionExt struct {
	ExtensionType      string         `json:"extension_type"`
	PlotlineID         string         `json:"plotline_id"`
	IncidentID         string         `json:"incident_id"`
	ActorID            string         `json:"actor_id"`
	Basis              string         `json:"basis"`
	AssertedBy         string         `json:"asserted_by"`
	StatedOn           string         `json:"stated_on"`
	Link               string         `json:"link"`
	Likelihood         string         `json:"likelihood,omitempty"`
	AnalyticConfidence string         `json:"analytic_confidence,omitempty"`
	SupersededOn       string         `json:"superseded_on,omitempty"`
	RetractedOn        string         `json:"retracted_on,omitempty"`
	Sources            []SourceRefExt `json:"sources"`
}

// SourceRefExt cites a source from a statement, with its Admiralty grade.
type SourceRefExt struct {
	SourceID    string `json:"source_id"`
	Reliability string `json:"reliability,omitempty"`
	Credibility string `json:"credibility,omitempty"`
}

// ActorExt is the Plotline extension on a threat-actor or intrusion-set.
type ActorExt struct {
	ExtensionType string           `json:"extension_type"`
	PlotlineID    string           `json:"plotline_id"`
	Kind          string           `json:"kind"`
	Aliases       []plotline.Alias `json:"aliases,omitempty"`
	Home          []HomeExt        `json:"home,omitempty"`
	Founded       string           `json:"founded,omitempty"`
	Dissolved     string           `json:"dissolved,omitempty"`
	SourceIDs     []string         `json:"source_ids"`
}

// HomeExt is a dated home country.
type HomeExt struct {
	Country string `json:"country"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
}

// AffiliationExt is the Plotline extension on a part-of relationship.
type AffiliationExt struct {
	ExtensionType string   `json:"extension_type"`
	PlotlineID    string   `json:"plotline_id"`
	ChildID       string   `json:"child_id"`
	ParentID      string   `json:"parent_id"`
	From          string   `json:"valid_from,omitempty"`
	To            string   `json:"valid_to,omitempty"`
	SourceIDs     []string `json:"source_ids"`
}

// SourceExt is the Plotline extension on a report.
type SourceExt struct {
	ExtensionType string `json:"extension_type"`
	PlotlineID    string `json:"plotline_id"`
	Publisher     string `json:"publisher"`
	URL           string `json:"url"`
	Kind          string `json:"kind"`
	Published     string `json:"published,omitempty"`
	Reliability   string `json:"reliability,omitempty"`
	Credibility   string `json:"credibility,omitempty"`
	TLP           string `json:"tlp"`
	ArchiveURL    string `json:"archive_url,omitempty"`
	SHA256        string `json:"sha256,omitempty"`
}

// stixObject is every STIX object the export writes; unused fields are empty.
type stixObject struct {
	Type               string         `json:"type"`
	SpecVersion        string         `json:"spec_version"`
	ID                 string         `json:"id"`
	CreatedByRef       string         `json:"created_by_ref,omitempty"`
	Created            string         `json:"created"`
	Modified           string         `json:"modified,omitempty"`
	Name               string         `json:"name,omitempty"`
	Description        string         `json:"description,omitempty"`
	Lang               string         `json:"lang,omitempty"`
	Confidence         *int           `json:"confidence,omitempty"`
	IdentityClass      string         `json:"identity_class,omitempty"`
	Schema             string         `json:"schema,omitempty"`
	Version            string         `json:"version,omitempty"`
	ExtensionTypes     []string       `json:"extension_types,omitempty"`
	ThreatActorTypes   []string       `json:"threat_actor_types,omitempty"`
	Aliases            []string       `json:"aliases,omitempty"`
	FirstSeen          string         `json:"first_seen,omitempty"`
	LastSeen           string         `json:"last_seen,omitempty"`
	ReportTypes        []string       `json:"report_types,omitempty"`
	Published          string         `json:"published,omitempty"`
	ObjectRefs         []string       `json:"object_refs,omitempty"`
	RelationshipType   string         `json:"relationship_type,omitempty"`
	SourceRef          string         `json:"source_ref,omitempty"`
	TargetRef          string         `json:"target_ref,omitempty"`
	StartTime          string         `json:"start_time,omitempty"`
	StopTime           string         `json:"stop_time,omitempty"`
	ExternalReferences []externalRef  `json:"external_references,omitempty"`
	ObjectMarkingRefs  []string       `json:"object_marking_refs,omitempty"`
	Extensions         map[string]any `json:"extensions,omitempty"`
}

type externalRef struct {
	SourceName  string            `json:"source_name"`
	Description string            `json:"description,omitempty"`
	URL         string            `json:"url,omitempty"`
	Hashes      map[string]string `json:"hashes,omitempty"`
	ExternalID  string            `json:"external_id,omitempty"`
}

type stixBundle struct {
	Type    string       `json:"type"`
	ID      string       `json:"id"`
	Objects []stixObject `json:"objects"`
}

// STIXID returns the STIX ID of a Plotline record of the given kind. A
// record whose ID already is a STIX ID of that type keeps it.
func STIXID(stixType, kind, id string) string {
	if strings.HasPrefix(id, stixType+"--") {
		if _, err := uuid.Parse(strings.TrimPrefix(id, stixType+"--")); err == nil {
			return id
		}
	}
	return stixType + "--" + uuid.NewSHA1(uuid.MustParse(STIXNamespace), []byte(kind+"/"+id)).String()
}

// ActorSTIXType is the STIX type an actor is written as: intrusion-set for
// cells and networks (clusters of people and activity run by an
// organisation), threat-actor for organisations and their units.
func ActorSTIXType(a *plotline.Actor) string {
	if a.Kind == plotline.ActorCell || a.Kind == plotline.ActorNetwork {
		return "intrusion-set"
	}
	return "threat-actor"
}

// stixWriter builds one bundle.
type stixWriter struct {
	d        *Data
	modified time.Time
	sources  map[string]plotline.Source
	cites    map[string][]string // source ID -> STIX IDs citing it
	used     map[string]bool     // TLP labels used
	actorIDs map[string]string
}

// WriteSTIX writes d as a STIX 2.1 bundle.
func WriteSTIX(w io.Writer, d *Data) error {
	sw := &stixWriter{d: d, modified: d.Stamp.UTC().Truncate(time.Millisecond), sources: map[string]plotline.Source{},
		cites: map[string][]string{}, used: map[string]bool{}, actorIDs: map[string]string{}}
	for _, s := range d.Sources {
		sw.sources[s.ID] = s
	}
	var actors, affs, incidents, attrs []stixObject
	for _, a := range d.Actors {
		sw.actorIDs[a.ID] = STIXID(ActorSTIXType(&a), plotline.RecActor, a.ID)
	}
	for _, a := range d.Actors {
		actors = append(actors, sw.actor(&a))
	}
	for _, f := range d.Affiliations {
		affs = append(affs, sw.affiliation(&f))
	}
	cites := make(map[string][]string, len(d.Incidents))
	for _, in := range d.Incidents {
		incidents = append(incidents, sw.incident(&in))
		for _, a := range in.Attributions {
			attrs = append(attrs, sw.attribution(&in, &a))
		}
		cites[in.ID] = in.Sources
	}
	var links []stixObject
	for _, l := range d.Links {
		links = append(links, sw.link(l, slices.Concat(cites[l[0]], cites[l[1]])))
	}
	var reports []stixObject
	for _, s := range d.Sources {
		reports = append(reports, sw.report(&s))
	}
	objs := []stixObject{sw.identity(), sw.extensionDefinition()}
	for _, t := range plotline.TLPs {
		if sw.used[t] {
			objs = append(objs, tlpMarking(t))
		}
	}
	objs = slices.Concat(objs, reports, actors, affs, incidents, attrs, links)
	b := stixBundle{Type: "bundle", ID: "bundle--" + uuid.NewSHA1(uuid.MustParse(STIXNamespace), bundleKey(objs)).String(), Objects: objs}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(b); err != nil {
		return fmt.Errorf("write stix export: %w", err)
	}
	return nil
}

// bundleKey makes the bundle ID depend on exactly what the bundle holds.
func bundleKey(objs []stixObject) []byte {
	b, err := json.Marshal(objs)
	if err != nil {
		panic(err) // stixObject always marshals
	}
	return b
}

func stamp(t time.Time) string { return t.UTC().Format(stixTime) }

// times returns created (from the record's own date; the export stamp when
// it has none) and modified (the export stamp, never before created).
func (sw *stixWriter) times(d plotline.Date) (string, string) {
	created := sw.modified
	if d.Known() {
		created = d.Start.Time()
	}
	mod := sw.modified
	if mod.Before(created) {
		mod = created
	}
	return stamp(created), stamp(mod)
}

// marking returns the marking of an object resting on the given sources: the
// most restricted of their TLPs.
func (sw *stixWriter) marking(ids []string) []string {
	best := -1
	for _, id := range ids {
		best = max(best, TLPRank(sw.sources[id].TLP))
	}
	if best < 0 {
		return nil
	}
	t := plotline.TLPs[best]
	sw.used[t] = true
	return []string{TLPMarkingID(t)}
}

// refs returns external references for the sources, and records the citing object.
func (sw *stixWriter) refs(stixID string, ids []string) []externalRef {
	var out []externalRef
	for _, id := range ids {
		s, ok := sw.sources[id]
		if !ok {
			continue
		}
		if !slices.Contains(sw.cites[id], stixID) {
			sw.cites[id] = append(sw.cites[id], stixID)
		}
		out = append(out, externalRef{SourceName: s.Publisher, Description: s.Title, URL: s.URL, ExternalID: id})
	}
	return out
}

func ext(v any) map[string]any { return map[string]any{ExtensionID: v} }

func dateStr(d plotline.Date) string { return d.String() }

func (sw *stixWriter) identity() stixObject {
	return stixObject{Type: "identity", SpecVersion: "2.1", ID: IdentityID, Created: extensionCreated, Modified: extensionCreated,
		Name: "Plotline", Description: "Plotline, an open-source tracker of terrorist external operations, as the producer of this export.",
		IdentityClass: "system"}
}

func (sw *stixWriter) extensionDefinition() stixObject {
	return stixObject{Type: "extension-definition", SpecVersion: "2.1", ID: ExtensionID, CreatedByRef: IdentityID,
		Created: extensionCreated, Modified: extensionCreated, Name: "Plotline record fields",
		Description: "Carries the fields of Plotline records that STIX 2.1 has no property for, so that a bundle can be read back into Plotline without loss.",
		Schema: "Plain-text definition in docs/exports.md of the Plotline source, section \"STIX 2.1\": on incident, threat-actor, intrusion-set, " +
			"report and relationship objects, the property extension holds plotline_id and the record's own fields with the names and " +
			"vocabularies of the Plotline JSON export (dates as YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY or DAY..DAY).",
		Version: extensionVersion, ExtensionTypes: []string{"property-extension"}}
}

// tlpMarking is the official TLP 2.0 marking-definition object.
func tlpMarking(t string) stixObject {
	return stixObject{Type: "marking-definition", SpecVersion: "2.1", ID: TLPMarkingID(t), Created: "2022-10-01T00:00:00.000Z",
		Name:       "TLP:" + strings.ToUpper(t),
		Extensions: map[string]any{TLP2ExtensionID: map[string]string{"extension_type": "property-extension", "tlp_2_0": t}}}
}

func (sw *stixWriter) report(s *plotline.Source) stixObject {
	id := STIXID("report", plotline.RecSource, s.ID)
	created, mod := sw.times(s.Published)
	ref := externalRef{SourceName: s.Publisher, Description: s.Title, URL: s.URL, ExternalID: s.ID}
	if isSHA256(s.SHA256) {
		ref.Hashes = map[string]string{"SHA-256": s.SHA256}
	}
	refs := []externalRef{ref}
	if s.ArchiveURL != "" {
		refs = append(refs, externalRef{SourceName: "archive", Description: "archived copy of " + s.Title, URL: s.ArchiveURL})
	}
	objects := slices.Clone(sw.cites[s.ID])
	slices.Sort(objects)
	sw.used[s.TLP] = true
	return stixObject{Type: "report", SpecVersion: "2.1", ID: id, CreatedByRef: IdentityID, Created: created, Modified: mod,
		Name: s.Title, Lang: s.Language, ReportTypes: []string{"threat-report"}, Published: created, ObjectRefs: objects,
		ExternalReferences: refs, ObjectMarkingRefs: []string{TLPMarkingID(s.TLP)},
		Extensions: ext(SourceExt{ExtensionType: "property-extension", PlotlineID: s.ID, Publisher: s.Publisher, URL: s.URL,
			Kind: s.Kind, Published: dateStr(s.Published), Reliability: s.Reliability, Credibility: s.Credibility, TLP: s.TLP,
			ArchiveURL: s.ArchiveURL, SHA256: s.SHA256})}
}

func isSHA256(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == 32 && strings.ToLower(s) == s
}

func (sw *stixWriter) actor(a *plotline.Actor) stixObject {
	id := sw.actorIDs[a.ID]
	created, mod := sw.times(a.Founded)
	o := stixObject{Type: ActorSTIXType(a), SpecVersion: "2.1", ID: id, CreatedByRef: IdentityID, Created: created, Modified: mod,
		Name: a.Name, Description: a.Note, ExternalReferences: sw.refs(id, a.Sources), ObjectMarkingRefs: sw.marking(a.Sources)}
	if o.Type == "threat-actor" {
		o.ThreatActorTypes = []string{"terrorist"}
	}
	for _, al := range a.Aliases {
		o.Aliases = append(o.Aliases, al.Name)
	}
	if a.Founded.Known() {
		o.FirstSeen = stamp(a.Founded.Start.Time())
	}
	if a.Dissolved.Known() {
		o.LastSeen = stamp(a.Dissolved.End.Time())
	}
	e := ActorExt{ExtensionType: "property-extension", PlotlineID: a.ID, Kind: a.Kind, Aliases: a.Aliases,
		Founded: dateStr(a.Founded), Dissolved: dateStr(a.Dissolved), SourceIDs: a.Sources}
	for _, h := range a.Home {
		e.Home = append(e.Home, HomeExt{Country: h.Country, From: dateStr(h.From), To: dateStr(h.To)})
	}
	o.Extensions = ext(e)
	return o
}

func (sw *stixWriter) affiliation(f *plotline.Affiliation) stixObject {
	id := STIXID("relationship", plotline.RecAffiliation, f.ID)
	created, mod := sw.times(f.From)
	o := stixObject{Type: "relationship", SpecVersion: "2.1", ID: id, CreatedByRef: IdentityID, Created: created, Modified: mod,
		RelationshipType: RelPartOf, SourceRef: sw.actorIDs[f.ChildID], TargetRef: sw.actorIDs[f.ParentID], Description: f.Note,
		ExternalReferences: sw.refs(id, f.Sources), ObjectMarkingRefs: sw.marking(f.Sources),
		Extensions: ext(AffiliationExt{ExtensionType: "property-extension", PlotlineID: f.ID, ChildID: f.ChildID, ParentID: f.ParentID,
			From: dateStr(f.From), To: dateStr(f.To), SourceIDs: f.Sources})}
	if f.From.Known() {
		o.StartTime = stamp(f.From.Start.Time())
	}
	if f.To.Known() {
		o.StopTime = stamp((f.To.End + 1).Time())
	}
	return o
}

func (sw *stixWriter) incident(in *plotline.Incident) stixObject {
	id := STIXID("incident", plotline.RecIncident, in.ID)
	created, mod := sw.times(in.PublicOn())
	l := in.Location
	e := IncidentExt{ExtensionType: "property-extension", PlotlineID: in.ID, Kind: in.Kind, Outcome: in.Outcome, Stage: in.Stage,
		Date: dateStr(in.Date), DatePrecision: string(in.Date.Precision), DateStart: dayOrEmpty(in.Date, false),
		DateEnd: dayOrEmpty(in.Date, true), Disclosed: dateStr(in.Disclosed), LocationCountry: l.Country, LocationAdmin1: l.Admin1,
		LocationPlace: l.Place, Latitude: l.Lat, Longitude: l.Lon, LocationPrecision: l.Precision, TargetCountry: in.TargetCountry,
		TargetType: in.TargetType, EventType: in.EventType, Weapons: in.Weapons, Killed: rangePtr(in.Killed),
		Injured: rangePtr(in.Injured), Perpetrators: in.Perpetrators, Arrests: in.Arrests, Documentation: in.Documentation,
		Tags: in.Tags, SourceIDs: in.Sources, Origin: in.Origin, OriginID: in.OriginID}
	return stixObject{Type: "incident", SpecVersion: "2.1", ID: id, CreatedByRef: IdentityID, Created: created, Modified: mod,
		Name: in.Title, Description: in.Summary, ExternalReferences: sw.refs(id, in.Sources), ObjectMarkingRefs: sw.marking(in.Sources),
		Extensions: ext(e)}
}

// link writes two records linked as one incident: B duplicate-of A, marked
// as the more restricted of the two incidents.
func (sw *stixWriter) link(l [2]string, sources []string) stixObject {
	id := STIXID("relationship", "link", l[0]+" "+l[1])
	created, mod := sw.times(plotline.Date{})
	return stixObject{Type: "relationship", SpecVersion: "2.1", ID: id, CreatedByRef: IdentityID, Created: created, Modified: mod,
		RelationshipType: RelDuplicateOf, SourceRef: STIXID("incident", plotline.RecIncident, l[1]),
		TargetRef: STIXID("incident", plotline.RecIncident, l[0]), ObjectMarkingRefs: sw.marking(sources),
		Description: "Linked as one incident in Plotline's duplicate review: both records are kept and counted once."}
}

func rangePtr(r plotline.Range) *plotline.Range {
	if r.Low == nil && r.Best == nil && r.High == nil {
		return nil
	}
	return &r
}

func (sw *stixWriter) attribution(in *plotline.Incident, a *plotline.Attribution) stixObject {
	id := STIXID("relationship", plotline.RecAttribution, a.ID)
	created, mod := sw.times(a.StatedOn)
	ids := make([]string, len(a.Sources))
	e := AttributionExt{ExtensionType: "property-extension", PlotlineID: a.ID, IncidentID: in.ID, ActorID: a.ActorID, Basis: a.Basis,
		AssertedBy: a.AssertedBy, StatedOn: dateStr(a.StatedOn), Link: a.Link, Likelihood: a.Likelihood,
		AnalyticConfidence: a.Confidence, SupersededOn: dateStr(a.SupersededOn), RetractedOn: dateStr(a.RetractedOn)}
	for i, r := range a.Sources {
		ids[i] = r.ID
		e.Sources = append(e.Sources, SourceRefExt{SourceID: r.ID, Reliability: r.Reliability, Credibility: r.Credibility})
	}
	o := stixObject{Type: "relationship", SpecVersion: "2.1", ID: id, CreatedByRef: IdentityID, Created: created, Modified: mod,
		RelationshipType: RelAttributedTo, SourceRef: STIXID("incident", plotline.RecIncident, in.ID), TargetRef: sw.actorIDs[a.ActorID],
		Description: a.Note, ExternalReferences: sw.refs(id, ids), ObjectMarkingRefs: sw.marking(ids), Extensions: ext(e)}
	if v, ok := StatementConfidence(a); ok {
		o.Confidence = &v
	}
	if a.StatedOn.Known() {
		o.StartTime = stamp(a.StatedOn.Start.Time())
	}
	var stop *plotline.Day
	for _, d := range []plotline.Date{a.SupersededOn, a.RetractedOn} {
		if d.Known() && (stop == nil || d.End < *stop) {
			stop = &d.End
		}
	}
	if stop != nil {
		o.StopTime = stamp((*stop + 1).Time())
	}
	return o
}
