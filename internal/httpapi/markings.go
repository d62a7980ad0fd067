package httpapi

import (
	"context"
	"net/http"
	"slices"

	"github.com/plotline-dev/plotline"
)

// TLP markings in the API. Every handler that returns incidents, statements
// or sources narrows them with plotline.Visibility for the acting user
// (plotline.Acting: a request without a user is anonymous and sees CLEAR
// material only). A record withheld as a whole is answered exactly like a
// missing one (the store's own not_found message); what was withheld from a
// record that is shown is only counted, in its "withheld" field.

// IncidentView is an incident as the acting user may see it, with what was
// withheld from it counted.
type IncidentView struct {
	plotline.Incident
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// notFound is the store's answer for a record that does not exist.
func notFound(kind, id string) error {
	return plotline.Errorf(plotline.ENOTFOUND, "%s %q not found", kind, id)
}

// visibility returns the acting user's visibility over the sources the
// incidents cite (their markings read from the store at asOf's record
// clock). A user cleared to RED sees everything and reads nothing.
func (s *Server) visibility(ctx context.Context, asOf plotline.AsOf, incidents ...*plotline.Incident) (plotline.Visibility, error) {
	return plotline.VisibilityOf(ctx, s.store, asOf, incidents...)
}

// visibleIncident returns in as the acting user may see it; not_found when
// it is withheld as a whole.
func (s *Server) visibleIncident(ctx context.Context, in *plotline.Incident, asOf plotline.AsOf) (*IncidentView, error) {
	vis, err := s.visibility(ctx, asOf, in)
	if err != nil {
		return nil, err
	}
	out, w, ok := vis.Incident(*in)
	if !ok {
		return nil, notFound(plotline.RecIncident, in.ID)
	}
	v := &IncidentView{Incident: out}
	if w.Any() {
		v.Withheld = &w
	}
	return v, nil
}

// visibleIncidents narrows a list of incidents, dropping those withheld as
// a whole, and counts what it withheld.
func (s *Server) visibleIncidents(ctx context.Context, list []plotline.Incident, asOf plotline.AsOf) ([]plotline.Incident, plotline.Withheld, error) {
	ptrs := make([]*plotline.Incident, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	vis, err := s.visibility(ctx, asOf, ptrs...)
	if err != nil || vis.SeesAll() {
		return list, plotline.Withheld{}, err
	}
	var total plotline.Withheld
	out := make([]plotline.Incident, 0, len(list))
	for _, in := range list {
		in, w, ok := vis.Incident(in)
		total.Add(w)
		if ok {
			out = append(out, in)
		}
	}
	return out, total, nil
}

// visibleSource returns src, or not_found when the acting user may not see it.
func visibleSource(ctx context.Context, src *plotline.Source) (*plotline.Source, error) {
	if !plotline.VisibilityFor(ctx, nil).Source(src) {
		return nil, notFound(plotline.RecSource, src.ID)
	}
	return src, nil
}

// visibleVersions narrows a record's history to what the acting user may
// see: not_found when the record as it last stood is withheld; otherwise
// every version with the withheld parts of its data removed (a version of
// a source or statement above the clearance loses its data entirely).
func (s *Server) visibleVersions(ctx context.Context, kind, id string, vs []plotline.Version) ([]plotline.Version, error) {
	if plotline.VisibilityFor(ctx, nil).SeesAll() {
		return vs, nil
	}
	out := make([]plotline.Version, len(vs))
	last := -1 // the last version with data: the record as it last stood
	for i, v := range vs {
		out[i] = v
		if v.Data == nil {
			continue
		}
		data, ok, err := s.visibleData(ctx, kind, v.Data)
		if err != nil {
			return nil, err
		}
		out[i].Data = nil
		if ok {
			out[i].Data = data
		}
		last = i
	}
	if last >= 0 && out[last].Data == nil {
		return nil, notFound(kind, id)
	}
	return out, nil
}

// visibleData redacts one stored version's JSON; false when it is withheld.
func (s *Server) visibleData(ctx context.Context, kind string, data []byte) ([]byte, bool, error) {
	switch kind {
	case plotline.RecSource:
		var src plotline.Source
		if err := jsonUnmarshal(data, &src); err != nil {
			return nil, false, err
		}
		_, err := visibleSource(ctx, &src)
		return data, err == nil, nil
	case plotline.RecAttribution:
		var a plotline.Attribution
		if err := jsonUnmarshal(data, &a); err != nil {
			return nil, false, err
		}
		vis, err := s.visibility(ctx, plotline.AsOf{}, &plotline.Incident{Attributions: []plotline.Attribution{a}})
		if err != nil {
			return nil, false, err
		}
		return data, vis.Statement(&a), nil
	case plotline.RecIncident:
		var in plotline.Incident
		if err := jsonUnmarshal(data, &in); err != nil {
			return nil, false, err
		}
		vis, err := s.visibility(ctx, plotline.AsOf{}, &in)
		if err != nil {
			return nil, false, err
		}
		red, w, ok := vis.Incident(in)
		if !ok || !w.Any() {
			return data, ok, nil
		}
		b, err := jsonBody(red)
		return b, true, err
	}
	return data, true, nil // actors and affiliations: the organisation is shown as it is
}

// storedIncident reads back a written incident as the acting user may see
// it: nil when the write left it above the user's clearance.
func (s *Server) storedIncident(r *http.Request, id string) (*plotline.Incident, error) {
	in, err := s.store.Incident(r.Context(), id, plotline.AsOf{})
	if err != nil {
		return nil, err
	}
	v, err := s.visibleIncident(r.Context(), in, plotline.AsOf{})
	if plotline.ErrorCode(err) == plotline.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v.Incident, nil
}

// keepWithheldCitations adds to an incident written by a user the sources
// the stored incident cites that the user could not see, so that an edit
// never drops what it could not show.
func keepWithheldCitations(in *plotline.Incident, full *plotline.Incident, seen *IncidentView) {
	for _, id := range full.Sources {
		if !slices.Contains(seen.Sources, id) && !slices.Contains(in.Sources, id) {
			in.Sources = append(in.Sources, id)
		}
	}
}
