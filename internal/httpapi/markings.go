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

// visibleVersions narrows a record's history (plotline.VisibleVersions).
func (s *Server) visibleVersions(ctx context.Context, kind, id string, vs []plotline.Version) ([]plotline.Version, error) {
	return plotline.VisibleVersions(ctx, s.store, kind, id, vs)
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
