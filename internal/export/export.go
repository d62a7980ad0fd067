// Package export writes Plotline records in the formats other tools read:
// CSV tables with a codebook, JSON, GeoJSON (RFC 7946) and STIX 2.1 bundles.
// It also reads back its own CSV, JSON and GeoJSON, which is what the
// round-trip guarantee rests on (see docs/exports.md).
//
// An export is built in two steps: Select narrows a snapshot to what the
// caller asked for and may publish (as-of day, filter, counting rule, TLP
// ceiling), and a Write function encodes the result. Select never reads the
// store itself; cmd/plotline wires the snapshot in.
package export

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

// DefaultMaxTLP is the most restricted marking an export carries unless the
// caller raises it: exports are safe to publish by default.
const DefaultMaxTLP = "green"

// Options say what an export contains.
type Options struct {
	// AsOf, when set, applies the world clock: incidents not yet public and
	// statements not yet made on that day are left out, and later
	// supersessions and retractions are not shown.
	AsOf *plotline.Day
	// Day is the day statements are judged standing on for the counting
	// rule: the as-of day when there is one, else today.
	Day plotline.Day
	// Filter keeps the incidents it returns true for; nil keeps all. It sees
	// the incident as known on the as-of day, after restricted sources and
	// the statements resting only on them were removed.
	Filter func(in *plotline.Incident) bool
	// Counted, when set, keeps only the statements a counting rule counts
	// (analysis.Rule.Counted). Incidents with none are kept, unattributed.
	Counted func(in *plotline.Incident, day plotline.Day) []plotline.Attribution
	// MaxTLP is the most restricted TLP 2.0 marking allowed, applied as a
	// clearance (plotline.Visibility): sources marked above it, statements
	// whose effective marking is above it, and records resting only on
	// withheld sources are left out. Empty means DefaultMaxTLP; a server
	// exporting for a user passes CeilingFor.
	MaxTLP string
	// AllActors exports every releasable actor and affiliation, not only the
	// actors the exported statements name and the units above them.
	AllActors bool

	// Rule and FilterText describe the selection in the export's manifest.
	Rule       string
	FilterText string
	// Stamp is the STIX "modified" time of every object: the end of the
	// as-of day, or the export time. It makes repeated exports identical.
	Stamp time.Time
	// Links are the pairs of incidents a reviewer linked as one incident
	// (duplicate review, "same"); those with both incidents exported are.
	Links [][2]string
}

// Meta describes how an export was selected; it travels with the data.
type Meta struct {
	AsOf   string `json:"as_of,omitempty"`
	Rule   string `json:"rule,omitempty"`
	Filter string `json:"filter,omitempty"`
	MaxTLP string `json:"max_tlp"`
}

// Data is what an export holds: records that reference only each other.
type Data struct {
	Meta         Meta
	Stamp        time.Time
	Sources      []plotline.Source
	Actors       []plotline.Actor
	Affiliations []plotline.Affiliation
	// Incidents carry the exported statements in Attributions.
	Incidents []plotline.Incident
	// Links: pairs of exported incidents linked as one (Options.Links),
	// each as A < B, sorted.
	Links [][2]string

	// Withheld counts records left out because every source they rest on is
	// marked above MaxTLP. It is reported to the user, never written out.
	Withheld Withheld
}

// Withheld counts records left out of an export for their TLP marking.
type Withheld = plotline.Withheld

// TLPRank orders TLP 2.0 labels from least to most restricted; -1 for an
// unknown label.
func TLPRank(tlp string) int { return slices.Index(plotline.TLPs, tlp) }

// ParseTLP accepts a TLP 2.0 label in any case, with or without "TLP:".
func ParseTLP(s string) (string, error) {
	v := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(s, "TLP:"), "tlp:"))
	if v == "" {
		return DefaultMaxTLP, nil
	}
	if TLPRank(v) < 0 {
		return "", plotline.FieldError("max-tlp", "%q is not a TLP 2.0 label (%s)", s, strings.Join(plotline.TLPs, ", "))
	}
	return v, nil
}

// CeilingFor returns the TLP ceiling of an export made on behalf of the
// acting user of ctx (plotline.Acting), e.g. by the server: the user's
// clearance when requested is empty, else requested lowered to it.
func CeilingFor(ctx context.Context, requested string) (string, error) {
	clearance := plotline.Acting(ctx).Clearance
	if TLPRank(clearance) < 0 {
		clearance = "clear" // an unknown clearance sees the least
	}
	if requested == "" {
		return ParseTLP(clearance)
	}
	t, err := ParseTLP(requested)
	if err != nil {
		return "", err
	}
	if !plotline.TLPAllows(clearance, t) {
		return ParseTLP(clearance)
	}
	return t, nil
}

// Select narrows snap to what opt asks for. Restricted sources are removed
// first, so neither the filter nor the output can reveal what rests on them.
func Select(snap *plotline.Snapshot, opt Options) (*Data, error) {
	maxTLP, err := ParseTLP(opt.MaxTLP)
	if err != nil {
		return nil, err
	}
	d := &Data{Meta: Meta{Rule: opt.Rule, Filter: opt.FilterText, MaxTLP: maxTLP}, Stamp: opt.Stamp}
	if opt.AsOf != nil {
		d.Meta.AsOf = opt.AsOf.String()
	}
	// The ceiling is a clearance: plotline.Visibility applies the same rules
	// as every other view (markings.go).
	vis := plotline.Visibility{Clearance: maxTLP, Marks: plotline.SourceMarks(snap.Sources)}
	for _, s := range snap.Sources {
		if !vis.Source(&s) {
			d.Withheld.Sources++
		}
	}

	actors := map[string]plotline.Actor{}
	for _, a := range snap.Actors {
		var ok bool
		if a, ok = vis.Actor(a); !ok || len(a.Sources) == 0 {
			d.Withheld.Actors++
			continue
		}
		actors[a.ID] = a
	}
	vis.ActorHidden = func(id string) bool { _, ok := actors[id]; return !ok }
	var affs []plotline.Affiliation
	for _, f := range snap.Affiliations {
		var ok bool
		if f, ok = vis.Affiliation(f); !ok || len(f.Sources) == 0 {
			d.Withheld.Affiliations++
			continue
		}
		affs = append(affs, f)
	}

	named := map[string]bool{}
	for _, in := range snap.Incidents {
		if opt.AsOf != nil {
			var ok bool
			if in, ok = in.AsKnownOn(*opt.AsOf); !ok {
				continue
			}
		}
		in, w, ok := vis.Incident(in)
		d.Withheld.Incidents += w.Incidents
		d.Withheld.Attributions += w.Attributions
		if !ok || len(in.Sources) == 0 {
			if ok {
				d.Withheld.Incidents++
			}
			continue
		}
		if opt.Filter != nil && !opt.Filter(&in) {
			continue
		}
		if opt.Counted != nil {
			in.Attributions = opt.Counted(&in, opt.Day)
		}
		sortStatements(in.Attributions)
		for _, a := range in.Attributions {
			named[a.ActorID] = true
		}
		d.Incidents = append(d.Incidents, in)
	}
	slices.SortStableFunc(d.Incidents, func(a, b plotline.Incident) int {
		return cmp.Or(cmp.Compare(a.Date.Start, b.Date.Start), strings.Compare(a.ID, b.ID))
	})

	d.Actors, d.Affiliations = closure(actors, affs, named, opt.AllActors)
	d.Sources = cited(snap.Sources, d)
	d.Links = exportedLinks(opt.Links, d.Incidents)
	return d, nil
}

// exportedLinks keeps the links between exported incidents, as A < B,
// sorted: a link to an incident left out would name it.
func exportedLinks(links [][2]string, incidents []plotline.Incident) [][2]string {
	in := make(map[string]bool, len(incidents))
	for _, i := range incidents {
		in[i.ID] = true
	}
	var out [][2]string
	for _, l := range links {
		if l[0] > l[1] {
			l[0], l[1] = l[1], l[0]
		}
		if in[l[0]] && in[l[1]] && l[0] != l[1] && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	return out
}

// sortStatements orders statements as the stores do: by day stated, then ID.
func sortStatements(as []plotline.Attribution) {
	slices.SortStableFunc(as, func(a, b plotline.Attribution) int {
		return cmp.Or(cmp.Compare(a.StatedOn.Start, b.StatedOn.Start), strings.Compare(a.ID, b.ID))
	})
}

// closure returns the named actors and every unit above them (through any
// affiliation, whatever its dates), with the affiliations among them.
func closure(actors map[string]plotline.Actor, affs []plotline.Affiliation, named map[string]bool, all bool) ([]plotline.Actor, []plotline.Affiliation) {
	in := map[string]bool{}
	if all {
		for id := range actors {
			in[id] = true
		}
	} else {
		parents := map[string][]string{}
		for _, f := range affs {
			parents[f.ChildID] = append(parents[f.ChildID], f.ParentID)
		}
		var walk func(id string)
		walk = func(id string) {
			if in[id] {
				return
			}
			in[id] = true
			for _, p := range parents[id] {
				walk(p)
			}
		}
		for id := range named {
			walk(id)
		}
	}
	var outA []plotline.Actor
	for id := range in {
		outA = append(outA, actors[id])
	}
	slices.SortFunc(outA, func(a, b plotline.Actor) int { return strings.Compare(a.ID, b.ID) })
	var outF []plotline.Affiliation
	for _, f := range affs {
		if in[f.ChildID] && in[f.ParentID] {
			outF = append(outF, f)
		}
	}
	slices.SortFunc(outF, func(a, b plotline.Affiliation) int { return strings.Compare(a.ID, b.ID) })
	return outA, outF
}

// cited returns the sources the exported records cite, by ID.
func cited(all []plotline.Source, d *Data) []plotline.Source {
	want := map[string]bool{}
	for _, a := range d.Actors {
		for _, s := range a.Sources {
			want[s] = true
		}
	}
	for _, f := range d.Affiliations {
		for _, s := range f.Sources {
			want[s] = true
		}
	}
	for _, in := range d.Incidents {
		for _, s := range in.Sources {
			want[s] = true
		}
		for _, a := range in.Attributions {
			for _, r := range a.Sources {
				want[r.ID] = true
			}
		}
	}
	var out []plotline.Source
	for _, s := range all {
		if want[s.ID] {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b plotline.Source) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// Batch turns read-back data into a batch that recreates it in a store.
func (d *Data) Batch(by, note string) *plotline.Batch {
	return &plotline.Batch{By: by, Note: note, Sources: d.Sources, Actors: d.Actors,
		Affiliations: d.Affiliations, Incidents: d.Incidents}
}
