package plotline

import "time"

// Kind of incident.
const (
	KindAttack = "attack"
	KindPlot   = "plot"
)

// Basis of an attribution: who is speaking.
const (
	BasisClaim      = "claim"      // the group's own claim
	BasisGovernment = "government" // a government, prosecutor, police or security service
	BasisCourt      = "court"      // a court's finding
	BasisMedia      = "media"      // a news organisation's own reporting
	BasisAnalyst    = "analyst"    // a named research outfit or analyst's assessment
)

// Actor kinds.
const (
	ActorCore         = "core"
	ActorDirectorate  = "directorate"
	ActorOffice       = "office"
	ActorProvince     = "province"
	ActorCell         = "cell"
	ActorNetwork      = "network"
	ActorUnaffiliated = "unaffiliated"
)

// Vocabularies. The Admiralty, estimative-language and TLP values follow the
// MISP taxonomies (CC0 1.0; github.com/MISP/misp-taxonomies, admiralty-scale,
// estimative-language and tlp machinetags).
var (
	IncidentKinds  = []string{KindAttack, KindPlot}
	Outcomes       = []string{"completed", "failed", "foiled", "abandoned", "unknown"}
	Stages         = []string{"planning", "preparation", "attempt", "execution"}
	Bases          = []string{BasisClaim, BasisGovernment, BasisCourt, BasisMedia, BasisAnalyst}
	Links          = []string{"directed", "guided", "inspired", "unknown"}
	ActorKinds     = []string{ActorCore, ActorDirectorate, ActorOffice, ActorProvince, ActorCell, ActorNetwork, ActorUnaffiliated}
	LocPrecisions  = []string{"exact", "place", "admin1", "country", "unknown"}
	DocGrades      = []string{"strong", "moderate", "thin"}
	SourceKinds    = []string{"group-claim", "government", "court", "news", "research"}
	Reliabilities  = []string{"A", "B", "C", "D", "E", "F"}
	Credibilities  = []string{"1", "2", "3", "4", "5", "6"}
	TLPs           = []string{"clear", "green", "amber", "amber+strict", "red"}
	Confidences    = []string{"low", "moderate", "high"}
	Likelihoods    = []string{"almost-no-chance", "very-unlikely", "unlikely", "roughly-even-chance", "likely", "very-likely", "almost-certain"}
	LikelihoodBand = map[string][2]int{
		"almost-no-chance": {1, 5}, "very-unlikely": {5, 20}, "unlikely": {20, 45},
		"roughly-even-chance": {45, 55}, "likely": {55, 80}, "very-likely": {80, 95}, "almost-certain": {95, 99},
	}
)

// Range is a count known as low / best / high. Nil fields are unknown; a
// source that gives one figure sets Best only.
type Range struct {
	Low  *int `json:"low,omitempty"`
	Best *int `json:"best,omitempty"`
	High *int `json:"high,omitempty"`
}

// Location is where an incident happened or was to happen.
type Location struct {
	Country   string   `json:"country"` // ISO 3166-1 alpha-3
	Admin1    string   `json:"admin1,omitempty"`
	Place     string   `json:"place,omitempty"`
	Lat       *float64 `json:"lat,omitempty"`
	Lon       *float64 `json:"lon,omitempty"`
	Precision string   `json:"precision,omitempty"`
}

// Incident is one attack or plot.
type Incident struct {
	ID            string   `json:"id"`
	Title         string   `json:"title"`
	Kind          string   `json:"kind"`
	Outcome       string   `json:"outcome"`
	Stage         string   `json:"stage,omitempty"`
	Date          Date     `json:"date"`
	Disclosed     Date     `json:"disclosed"` // when it became public; unknown = Date
	Location      Location `json:"location"`
	TargetCountry string   `json:"target_country"`
	TargetType    string   `json:"target_type,omitempty"`
	// EventType is an imported dataset's own classification (ACLED
	// event_type, GTD attacktype1_txt, UCDP type_of_violence); empty for curated records.
	EventType     string   `json:"event_type,omitempty"`
	Weapons       []string `json:"weapons,omitempty"`
	Killed        Range    `json:"killed"`
	Injured       Range    `json:"injured"`
	Perpetrators  *int     `json:"perpetrators,omitempty"`
	Arrests       *int     `json:"arrests,omitempty"`
	Documentation string   `json:"documentation,omitempty"`
	Summary       string   `json:"summary,omitempty"`
	Tags          []string `json:"tags,omitempty"`
	Sources       []string `json:"sources"`
	// Origin and OriginID name the dataset and record an imported incident
	// came from (e.g. "gtd", "202101010004"); empty for curated records.
	Origin   string `json:"origin,omitempty"`
	OriginID string `json:"origin_id,omitempty"`

	// Attributions are stored as records of their own; a read fills them in.
	Attributions []Attribution `json:"attributions,omitempty"`
}

// PublicOn is the date from which the incident was public knowledge.
func (in *Incident) PublicOn() Date {
	if in.Disclosed.Known() {
		return in.Disclosed
	}
	return in.Date
}

// SourceRef cites a source, optionally grading it for this one statement.
type SourceRef struct {
	ID          string `json:"id"`
	Reliability string `json:"reliability,omitempty"`
	Credibility string `json:"credibility,omitempty"`
}

// Attribution is one statement linking an incident to an actor. Several
// coexist on an incident; nothing merges them.
type Attribution struct {
	ID           string      `json:"id"`
	IncidentID   string      `json:"incident"`
	ActorID      string      `json:"actor"`
	Basis        string      `json:"basis"`
	AssertedBy   string      `json:"asserted_by"`
	StatedOn     Date        `json:"stated_on"`
	Link         string      `json:"link"`
	Likelihood   string      `json:"likelihood,omitempty"`
	Confidence   string      `json:"confidence,omitempty"`
	SupersededOn Date        `json:"superseded_on"`
	RetractedOn  Date        `json:"retracted_on"`
	Sources      []SourceRef `json:"sources"`
	Note         string      `json:"note,omitempty"`
	// TLP is the statement's own TLP 2.0 marking ("" is CLEAR). What a user
	// sees goes by its effective marking, the most restrictive of this and
	// its sources' markings (see markings.go).
	TLP string `json:"tlp,omitempty"`
}

// StandsOn reports whether the statement had been made, and had not been
// superseded or retracted, as known on day.
func (a *Attribution) StandsOn(day Day) bool {
	if !a.StatedOn.KnownBy(day) {
		return false
	}
	if a.SupersededOn.KnownBy(day) || a.RetractedOn.KnownBy(day) {
		return false
	}
	return true
}

// StatedBy reports whether the statement had been made by day, whatever
// happened to it later.
func (a *Attribution) StatedBy(day Day) bool { return a.StatedOn.KnownBy(day) }

// Alias is another name of an actor. Weak aliases are short acronyms that
// are ambiguous on their own and never match without corroboration.
type Alias struct {
	Name   string `json:"name"`
	Lang   string `json:"lang,omitempty"`
	Script string `json:"script,omitempty"`
	Weak   bool   `json:"weak,omitempty"`
}

// HomeCountry is a country an actor operates in as home ground, for a period.
// Operations elsewhere are "external".
type HomeCountry struct {
	Country string `json:"country"`
	From    Date   `json:"from"`
	To      Date   `json:"to"`
}

// Actor is an organisation or a unit of one.
type Actor struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Kind      string        `json:"kind"`
	Aliases   []Alias       `json:"aliases,omitempty"`
	Home      []HomeCountry `json:"home,omitempty"`
	Founded   Date          `json:"founded"`
	Dissolved Date          `json:"dissolved"`
	Sources   []string      `json:"sources"`
	Note      string        `json:"note,omitempty"`
}

// HomeOn reports whether country is one of the actor's home countries on day.
// A home period with an unknown start began before anything we know of; an
// unknown end still stands.
func (a *Actor) HomeOn(country string, day Day) bool {
	for _, h := range a.Home {
		if h.Country != country {
			continue
		}
		if h.From.Known() && day < h.From.Start {
			continue
		}
		if h.To.Known() && day > h.To.End {
			continue
		}
		return true
	}
	return false
}

// Affiliation says actor Child was part of actor Parent from From to To.
type Affiliation struct {
	ID       string   `json:"id"`
	ChildID  string   `json:"child"`
	ParentID string   `json:"parent"`
	From     Date     `json:"from"`
	To       Date     `json:"to"`
	Sources  []string `json:"sources"`
	Note     string   `json:"note,omitempty"`
}

// ValidOn reports whether the affiliation may stand on day: unknown ends are
// open, and a day inside a fuzzy boundary counts as valid.
func (f *Affiliation) ValidOn(day Day) bool {
	if f.From.Known() && day < f.From.Start {
		return false
	}
	if f.To.Known() && day > f.To.End {
		return false
	}
	return true
}

// Source is a public (or marked) document that states facts.
type Source struct {
	ID          string `json:"id"`
	Publisher   string `json:"publisher"`
	Title       string `json:"title"`
	URL         string `json:"url"`
	Language    string `json:"language,omitempty"`
	Published   Date   `json:"published"`
	Kind        string `json:"kind"`
	Reliability string `json:"reliability,omitempty"`
	Credibility string `json:"credibility,omitempty"`
	TLP         string `json:"tlp"`
	ArchiveURL  string `json:"archive_url,omitempty"`
	SHA256      string `json:"sha256,omitempty"`
}

// Version describes one stored version of a record.
type Version struct {
	Kind       string    `json:"kind"`
	ID         string    `json:"id"`
	Version    int       `json:"version"`
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
	Note       string    `json:"note,omitempty"`
	Deleted    bool      `json:"deleted"`
	// ChangeID is the change that wrote this version. Status is
	// StatusPublished: History lists published versions only; drafts
	// (numbered -ChangeID, never current in record time) are listed by the
	// workflow (see workflow.go).
	ChangeID int64  `json:"change_id,omitempty"`
	Status   string `json:"status,omitempty"`
	// Data is the record as stored in this version (JSON), nil for a tombstone.
	Data []byte `json:"data,omitempty"`
}

// AsKnownOn returns the incident as it was publicly known on day: only the
// attributions stated by then, with supersessions and retractions that came
// later removed. The second result is false when the incident itself was
// not yet public on day.
func (in Incident) AsKnownOn(day Day) (Incident, bool) {
	if !in.PublicOn().KnownBy(day) {
		return Incident{}, false
	}
	kept := make([]Attribution, 0, len(in.Attributions))
	for _, a := range in.Attributions {
		if !a.StatedBy(day) {
			continue
		}
		if !a.SupersededOn.KnownBy(day) {
			a.SupersededOn = Date{}
		}
		if !a.RetractedOn.KnownBy(day) {
			a.RetractedOn = Date{}
		}
		kept = append(kept, a)
	}
	in.Attributions = kept
	return in, true
}
