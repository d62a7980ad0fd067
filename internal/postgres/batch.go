package postgres

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/plotline-dev/plotline"
)

// This file turns a batch into rows exactly as internal/sqlite does (same
// JSON bytes, same query columns, same validation errors and field paths),
// so both stores hold byte-identical data and migrate-store can compare
// them. The conformance suite holds the two in step.

// row is one record ready to store: its kind, ID, JSON body and the extra
// columns its version table keeps for querying.
type row struct {
	kind string
	id   string
	data []byte
	cols []string
	vals []any
}

func sourceRow(s *plotline.Source) (row, error) {
	b, err := json.Marshal(s)
	return row{kind: plotline.RecSource, id: s.ID, data: b, cols: []string{"tlp"}, vals: []any{s.TLP}}, err
}

func actorRow(a *plotline.Actor) (row, error) {
	b, err := json.Marshal(a)
	return row{kind: plotline.RecActor, id: a.ID, data: b}, err
}

func affiliationRow(f *plotline.Affiliation) (row, error) {
	b, err := json.Marshal(f)
	return row{kind: plotline.RecAffiliation, id: f.ID, data: b,
		cols: []string{"child_id", "parent_id"}, vals: []any{f.ChildID, f.ParentID}}, err
}

func incidentRow(in plotline.Incident) (row, error) {
	in.Attributions = nil // stored as records of their own
	b, err := json.Marshal(in)
	pub := in.PublicOn()
	var lat, lon any
	if in.Location.Lat != nil && in.Location.Lon != nil {
		lat, lon = *in.Location.Lat, *in.Location.Lon
	}
	return row{kind: plotline.RecIncident, id: in.ID, data: b,
		cols: []string{"kind", "date_start", "date_end", "country", "target_country", "origin", "origin_id",
			"eng", "outcome", "stage", "date_prec", "pub_start", "pub_end", "admin1", "place", "loc_prec", "lat", "lon",
			"target_type", "event_type", "documentation", "weapons", "tags", "sources", "killed", "injured", "perpetrators", "arrests"},
		vals: []any{in.Kind, int32(in.Date.Start), int32(in.Date.End), in.Location.Country, in.TargetCountry, in.Origin, in.OriginID,
			int32(1), in.Outcome, in.Stage, string(in.Date.Precision), dayOrNil(pub, false), dayOrNil(pub, true), in.Location.Admin1,
			in.Location.Place, in.Location.Precision, lat, lon, in.TargetType, in.EventType, in.Documentation,
			strings.Join(in.Weapons, "\x1f"), strings.Join(in.Tags, "\x1f"), strings.Join(in.Sources, "\x1f"),
			intOrNil(in.Killed.Best), intOrNil(in.Injured.Best), intOrNil(in.Perpetrators), intOrNil(in.Arrests)}}, err
}

func attributionRow(a *plotline.Attribution) (row, error) {
	b, err := json.Marshal(a)
	return row{kind: plotline.RecAttribution, id: a.ID, data: b,
		cols: []string{"incident_id", "actor_id", "basis",
			"eng", "link", "likelihood", "confidence", "asserted_by", "stated_start", "stated_end", "superseded_end", "retracted_end"},
		vals: []any{a.IncidentID, a.ActorID, a.Basis,
			int32(1), a.Link, a.Likelihood, a.Confidence, a.AssertedBy, dayOrNil(a.StatedOn, false), dayOrNil(a.StatedOn, true),
			dayOrNil(a.SupersededOn, true), dayOrNil(a.RetractedOn, true)}}, err
}

// dayOrNil returns a known date's first (or last) day for an engine column.
func dayOrNil(d plotline.Date, end bool) any {
	switch {
	case !d.Known():
		return nil
	case end:
		return int32(d.End)
	}
	return int32(d.Start)
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return int32(*p)
}

// rowOf decodes a stored record and recomputes its row, for imports.
func rowOf(kind string, data []byte) (row, error) {
	var r row
	var err error
	switch kind {
	case plotline.RecSource:
		var s plotline.Source
		if err = json.Unmarshal(data, &s); err == nil {
			r, err = sourceRow(&s)
		}
	case plotline.RecActor:
		var a plotline.Actor
		if err = json.Unmarshal(data, &a); err == nil {
			r, err = actorRow(&a)
		}
	case plotline.RecAffiliation:
		var f plotline.Affiliation
		if err = json.Unmarshal(data, &f); err == nil {
			r, err = affiliationRow(&f)
		}
	case plotline.RecIncident:
		var in plotline.Incident
		if err = json.Unmarshal(data, &in); err == nil {
			r, err = incidentRow(in)
		}
	case plotline.RecAttribution:
		var a plotline.Attribution
		if err = json.Unmarshal(data, &a); err == nil {
			r, err = attributionRow(&a)
		}
	default:
		return row{}, plotline.Errorf(plotline.EINVALID, "%q is not a record kind", kind)
	}
	if err != nil {
		return row{}, fmt.Errorf("decode stored %s: %w", kind, err)
	}
	return r, nil
}

// batchRows validates every record of the batch and turns it into rows, in
// dependency order (sources, actors, affiliations, incidents, attributions).
func batchRows(b *plotline.Batch) ([]row, error) {
	if err := b.Validate(); err != nil {
		return nil, err
	}
	var rows []row
	add := func(r row, err error) error {
		rows = append(rows, r)
		return err
	}
	for i := range b.Sources {
		if err := add(sourceRow(&b.Sources[i])); err != nil {
			return nil, err
		}
	}
	for i := range b.Actors {
		if err := add(actorRow(&b.Actors[i])); err != nil {
			return nil, err
		}
	}
	for i := range b.Affiliations {
		if err := add(affiliationRow(&b.Affiliations[i])); err != nil {
			return nil, err
		}
	}
	for i := range b.Incidents {
		if err := add(incidentRow(b.Incidents[i])); err != nil {
			return nil, err
		}
	}
	for _, a := range b.AllAttributions() {
		if err := add(attributionRow(a)); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// refCheck is one reference a batch makes, with the input field that makes it.
type refCheck struct {
	field, kind, id string
}

// batchReferences lists, in the order internal/sqlite checks them, every
// reference the batch's records make, so the first dangling one is reported
// with the same field path on both stores.
func batchReferences(b *plotline.Batch) []refCheck {
	var out []refCheck
	add := func(field, kind, id string) { out = append(out, refCheck{field, kind, id}) }
	sources := func(field string, ids []string) {
		for i, id := range ids {
			add(fmt.Sprintf("%s[%d]", field, i), plotline.RecSource, id)
		}
	}
	for i, a := range b.Actors {
		sources(fmt.Sprintf("actors[%d].sources", i), a.Sources)
	}
	for i, f := range b.Affiliations {
		p := fmt.Sprintf("affiliations[%d].", i)
		add(p+"child", plotline.RecActor, f.ChildID)
		add(p+"parent", plotline.RecActor, f.ParentID)
		sources(p+"sources", f.Sources)
	}
	attr := func(p string, a *plotline.Attribution) {
		add(p+"incident", plotline.RecIncident, a.IncidentID)
		add(p+"actor", plotline.RecActor, a.ActorID)
		for j, s := range a.Sources {
			add(fmt.Sprintf("%ssources[%d]", p, j), plotline.RecSource, s.ID)
		}
	}
	for i := range b.Incidents {
		in := &b.Incidents[i]
		p := fmt.Sprintf("incidents[%d].", i)
		sources(p+"sources", in.Sources)
		for j := range in.Attributions {
			attr(fmt.Sprintf("%sattributions[%d].", p, j), &in.Attributions[j])
		}
	}
	for i := range b.Attributions {
		attr(fmt.Sprintf("attributions[%d].", i), &b.Attributions[i])
	}
	return out
}
