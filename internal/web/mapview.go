package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// mapIncident is one incident as the map script reads it.
type mapIncident struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Date    string    `json:"date"`
	Kind    string    `json:"kind"`
	Target  string    `json:"target"`
	Lat     *float64  `json:"lat"`
	Lon     *float64  `json:"lon"`
	Related bool      `json:"related"`
	Href    string    `json:"href"`
	Units   []mapUnit `json:"units"`
}

type mapUnit struct {
	ID   string   `json:"id"`
	Name string   `json:"name"`
	Home []string `json:"home"`
}

type mapData struct {
	P      *reportParams
	R      *analysis.ExternalOpsReport
	Extent string
	JSON   template.JS // the data block; html/template escapes it for a <script type="application/json">
	List   []mapIncident
	Names  map[string]string
	Actors []plotline.Actor
	Rules  []string
	Drafts httpapi.DraftsNote // the map leaves drafts out; how many wait
	// Withheld says, in counts, what the reader's clearance left out.
	Withheld string
}

func (h *Handler) mapView(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The graph as the reader may see it (markings.go): a withheld unit is
	// neither offered in the picker nor named on the map.
	g, _, err := h.graph(r.Context(), v.Clock)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := readReportParams(v, g)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	extent := v.Query.Get("extent")
	if extent != "" && extent != "world" && extent != "focus" {
		h.fail(w, r, plotline.FieldError("extent", "%q is not focus or world", extent))
		return
	}
	rep, err := h.report(r.Context(), v, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// The report lines lack coordinates: read the listed incidents alone.
	ids := make([]string, len(rep.Incidents))
	for i, line := range rep.Incidents {
		ids[i] = line.ID
	}
	byID, err := h.incidentsByID(r.Context(), ids, v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	drafts, err := httpapi.DraftsNoteFor(r.Context(), h.store, httpapi.ChangeCacheOf(h.analytics))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &mapData{P: p, R: rep, Extent: extent, Names: actorNames(g.Actors()), Actors: orgActors(g.Actors()), Rules: []string{"any", "official", "claims", "best"},
		Drafts: drafts}
	if rep.Withheld != nil {
		d.Withheld = withheldText(*rep.Withheld)
	}
	for _, line := range rep.Incidents {
		in := byID[line.ID]
		mi := mapIncident{ID: line.ID, Title: line.Title, Date: line.Date, Kind: line.Kind, Target: line.TargetCountry,
			Related: line.Related, Href: v.Link("/incidents/" + url.PathEscape(line.ID)), Units: []mapUnit{}}
		if in != nil {
			mi.Lat, mi.Lon = in.Location.Lat, in.Location.Lon
		}
		day := plotline.Day(0)
		if in != nil {
			day = in.Date.Start
		}
		for _, u := range line.Units {
			mi.Units = append(mi.Units, mapUnit{ID: u, Name: g.Name(u), Home: homeOf(g, u, day)})
		}
		d.List = append(d.List, mi)
	}
	if d.List == nil {
		d.List = []mapIncident{}
	}
	payload := map[string]any{
		"incidents":   d.List,
		"extent":      extent,
		"title":       fmt.Sprintf("Map of %d external plots and attacks, %s to %s", rep.Total, rep.From, rep.To),
		"description": "Target countries are shaded by the number of incidents; lines run from the home countries of the attributed unit to each incident. The table below lists the same incidents.",
	}
	b, err := json.Marshal(payload)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// json.Marshal escapes <, > and & as \u003c…, so the block cannot end the
	// script element early.
	d.JSON = template.JS(b)
	h.render(w, r, http.StatusOK, "map", &page{Title: "Map", Nav: "map", View: v, Data: d})
}

// incidentsByID reads the named incidents at the view's record clock.
func (h *Handler) incidentsByID(ctx context.Context, ids []string, v *view) (map[string]*plotline.Incident, error) {
	byID := make(map[string]*plotline.Incident, len(ids))
	if len(ids) == 0 {
		return byID, nil
	}
	list, err := h.store.Incidents(ctx, plotline.IncidentFilter{IDs: ids}, plotline.AsOf{Recorded: v.Clock.Recorded})
	if err != nil {
		return nil, err
	}
	// TLP markings (markings.go): what the reader may not see is left out.
	ptrs := make([]*plotline.Incident, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	vis, err := plotline.VisibilityOf(ctx, h.store, plotline.AsOf{Recorded: v.Clock.Recorded}, ptrs...)
	if err != nil {
		return nil, err
	}
	for i := range list {
		in, _, ok := vis.Incident(list[i])
		if ok {
			byID[in.ID] = &in
		}
	}
	return byID, nil
}

// homeOf returns the home countries of the unit, or of its nearest ancestor
// that has any, on day: where an operation by that unit "comes from".
func homeOf(g *analysis.Graph, id string, day plotline.Day) []string {
	for _, a := range g.Ancestors(id, day) {
		act := g.Actor(a)
		if act == nil || len(act.Home) == 0 {
			continue
		}
		var out []string
		for _, hc := range act.Home {
			if act.HomeOn(hc.Country, day) {
				out = append(out, hc.Country)
			}
		}
		return out
	}
	return []string{}
}
