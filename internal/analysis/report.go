package analysis

import (
	"slices"
	"sort"

	"github.com/plotline-dev/plotline"
)

// ExternalOpsParams are the inputs of the external-operations report.
type ExternalOpsParams struct {
	From, To  plotline.Day
	RelatedTo string // actor ID; "" = no split
	Org       string // organisation root; "" = the root of RelatedTo (or "is")
	Rule      Rule
	AsOf      plotline.Day // world clock: what had been stated by this day
}

// UnitCount is one cell of the unit × target country × kind table.
type UnitCount struct {
	Unit          string `json:"unit"`
	UnitName      string `json:"unit_name"`
	TargetCountry string `json:"target_country"`
	Kind          string `json:"kind"`
	Count         int    `json:"count"`
}

// Disagreement is an incident whose claim names a different unit than an
// official (government or court) statement.
type Disagreement struct {
	Incident       string `json:"incident"`
	Title          string `json:"title"`
	ClaimedUnit    string `json:"claimed_unit"`
	AttributedUnit string `json:"attributed_unit"`
	AttributedBy   string `json:"attributed_by"`
	// Relation is "conflict" when neither unit contains the other, and
	// "unspecified" when one side named only a higher level (e.g. the claim
	// named the core, the government a province).
	Relation string `json:"relation"`
}

// IncidentLine is one counted (or boundary) incident, for the listing.
type IncidentLine struct {
	ID            string   `json:"id"`
	Title         string   `json:"title"`
	Date          string   `json:"date"`
	Kind          string   `json:"kind"`
	TargetCountry string   `json:"target_country"`
	Units         []string `json:"units"`
	Related       bool     `json:"related"`
}

// Coverage states what the report could see.
type Coverage struct {
	IncidentsKnown int      `json:"incidents_known"` // in the store and public by as_of
	First          string   `json:"first,omitempty"` // earliest incident date known
	Last           string   `json:"last,omitempty"`
	InPeriod       int      `json:"in_period"`    // certainly inside the period
	Boundary       int      `json:"boundary"`     // imprecise dates that may or may not fall inside
	NoCounted      int      `json:"no_counted"`   // in period, tied to the organisation only by statements the rule does not count
	NotExternal    int      `json:"not_external"` // in period, counted, but inside the named unit's home
	Origins        []string `json:"origins"`
}

// ExternalOpsReport answers the seed's paragraph.
type ExternalOpsReport struct {
	From          string         `json:"from"`
	To            string         `json:"to"`
	Org           string         `json:"org"`
	RelatedTo     string         `json:"related_to,omitempty"`
	RelatedName   string         `json:"related_to_name,omitempty"`
	Total         int            `json:"total"`
	Related       int            `json:"related"`
	Unrelated     int            `json:"unrelated"`
	ByKind        map[string]int `json:"by_kind"`
	ByUnit        []UnitCount    `json:"by_unit"`         // the unrelated incidents, unit × target × kind
	RelatedByUnit []UnitCount    `json:"related_by_unit"` // the related ones, likewise
	Disagreements []Disagreement `json:"disagreements"`
	Incidents     []IncidentLine `json:"incidents"`
	BoundaryList  []IncidentLine `json:"boundary_incidents"`
	Rule          string         `json:"rule"`
	RuleText      string         `json:"rule_text"`
	AsOf          string         `json:"as_of"`
	Coverage      Coverage       `json:"coverage"`
	// Withheld counts what the reader's clearance left out of the store the
	// report was computed on (plotline.Visibility); nil when nothing was.
	// It never depends on the period or the question asked.
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
	// Drafts says whether unpublished drafts were counted: always
	// "excluded", as reports read published versions only (workflow.go in
	// the root package).
	Drafts string `json:"drafts"`
}

// ExternalOps computes the report over incidents (with their attributions).
func ExternalOps(g *Graph, incidents []plotline.Incident, p ExternalOpsParams) *ExternalOpsReport {
	org := p.Org
	if org == "" && p.RelatedTo != "" {
		org = g.Root(p.RelatedTo, p.To)
	}
	if org == "" {
		org = "is"
	}
	r := &ExternalOpsReport{From: p.From.String(), To: p.To.String(), Org: org, RelatedTo: p.RelatedTo,
		Rule: p.Rule.Name, RuleText: p.Rule.String(), AsOf: p.AsOf.String(), ByKind: map[string]int{},
		ByUnit: []UnitCount{}, RelatedByUnit: []UnitCount{}, Disagreements: []Disagreement{}, Incidents: []IncidentLine{}, BoundaryList: []IncidentLine{},
		Drafts: "excluded"}
	if p.RelatedTo != "" {
		r.RelatedName = g.Name(p.RelatedTo)
	}
	unrelatedCells := map[UnitCount]int{}
	relatedCells := map[UnitCount]int{}
	origins := map[string]bool{}
	for _, raw := range incidents {
		in, ok := raw.AsKnownOn(p.AsOf)
		if !ok {
			continue
		}
		r.Coverage.IncidentsKnown++
		if r.Coverage.First == "" || in.Date.Start.String() < r.Coverage.First {
			r.Coverage.First = in.Date.Start.String()
		}
		if in.Date.End.String() > r.Coverage.Last {
			r.Coverage.Last = in.Date.End.String()
		}
		origin := in.Origin
		if origin == "" {
			origin = "curated"
		}
		origins[origin] = true
		if !in.Date.Overlaps(p.From, p.To) {
			continue
		}
		day := in.Date.Start // the organisation graph is read at the incident's (earliest) date
		var units []string
		for _, a := range p.Rule.Counted(&in, p.AsOf) {
			if g.Under(a.ActorID, org, day) && !slices.Contains(units, a.ActorID) {
				units = append(units, a.ActorID)
			}
		}
		units = g.MostSpecific(units, day)
		line := IncidentLine{ID: in.ID, Title: in.Title, Date: in.Date.String(), Kind: in.Kind, TargetCountry: in.TargetCountry, Units: units}
		if !in.Date.Within(p.From, p.To) {
			if len(units) > 0 {
				r.Coverage.Boundary++
				r.BoundaryList = append(r.BoundaryList, line)
			}
			continue
		}
		if len(units) == 0 {
			if orgStatement(g, &in, org, day, p.AsOf) {
				r.Coverage.NoCounted++
			}
			continue
		}
		r.Coverage.InPeriod++
		external := false
		for _, u := range units {
			if g.External(u, in.TargetCountry, day) {
				external = true
			}
		}
		if !external {
			r.Coverage.NotExternal++
			continue
		}
		related := false
		if p.RelatedTo != "" {
			for _, u := range units {
				if g.Under(u, p.RelatedTo, day) {
					related = true
				}
			}
		}
		line.Related = related
		r.Incidents = append(r.Incidents, line)
		r.Total++
		r.ByKind[in.Kind]++
		cells := unrelatedCells
		if related {
			r.Related++
			cells = relatedCells
		} else {
			r.Unrelated++
		}
		for _, u := range units {
			cells[UnitCount{Unit: u, TargetCountry: in.TargetCountry, Kind: in.Kind}]++
		}
		r.Disagreements = append(r.Disagreements, disagreements(g, &in, p.AsOf, day)...)
	}
	r.ByUnit = cellList(g, unrelatedCells)
	r.RelatedByUnit = cellList(g, relatedCells)
	for o := range origins {
		r.Coverage.Origins = append(r.Coverage.Origins, o)
	}
	sort.Strings(r.Coverage.Origins)
	return r
}

// orgStatement reports whether any standing statement ties in to org at all.
func orgStatement(g *Graph, in *plotline.Incident, org string, day, asOf plotline.Day) bool {
	for _, a := range in.Attributions {
		if a.StandsOn(asOf) && g.Under(a.ActorID, org, day) {
			return true
		}
	}
	return false
}

func cellList(g *Graph, cells map[UnitCount]int) []UnitCount {
	out := make([]UnitCount, 0, len(cells))
	for k, n := range cells {
		k.Count = n
		k.UnitName = g.Name(k.Unit)
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Unit != b.Unit {
			return a.Unit < b.Unit
		}
		if a.TargetCountry != b.TargetCountry {
			return a.TargetCountry < b.TargetCountry
		}
		return a.Kind < b.Kind
	})
	return out
}

// disagreements compares each standing claim with each standing official
// statement on one incident.
func disagreements(g *Graph, in *plotline.Incident, asOf, day plotline.Day) []Disagreement {
	var out []Disagreement
	for _, c := range in.Attributions {
		if c.Basis != plotline.BasisClaim || !c.StandsOn(asOf) {
			continue
		}
		for _, o := range in.Attributions {
			if (o.Basis != plotline.BasisGovernment && o.Basis != plotline.BasisCourt) || !o.StandsOn(asOf) || o.ActorID == c.ActorID {
				continue
			}
			rel := "conflict"
			if g.Under(c.ActorID, o.ActorID, day) || g.Under(o.ActorID, c.ActorID, day) {
				rel = "unspecified"
			}
			out = append(out, Disagreement{Incident: in.ID, Title: in.Title, ClaimedUnit: c.ActorID,
				AttributedUnit: o.ActorID, AttributedBy: o.AssertedBy, Relation: rel})
		}
	}
	return out
}
