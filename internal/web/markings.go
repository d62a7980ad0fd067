package web

import (
	"context"
	"strconv"
	"strings"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// TLP markings in the pages: every page that shows incidents, statements
// or sources narrows them with plotline.Visibility for the acting user, as
// the API does; a withheld record is "not found" like a missing one, and a
// shown incident says how many statements and sources were withheld.

// visibleIncident returns in as the acting user may see it and what was
// withheld from it; not_found when it is withheld as a whole.
func visibleIncident(ctx context.Context, st plotline.SourceReader, in *plotline.Incident, asOf plotline.AsOf) (*plotline.Incident, plotline.Withheld, error) {
	vis, err := plotline.VisibilityOf(ctx, st, asOf, in)
	if err != nil {
		return nil, plotline.Withheld{}, err
	}
	out, w, ok := vis.Incident(*in)
	if !ok {
		return nil, w, plotline.Errorf(plotline.ENOTFOUND, "incident %q not found", in.ID)
	}
	return &out, w, nil
}

// editable refuses the edit form of an incident the acting user cannot see
// whole: saving it would drop what the form could not show.
func editable(ctx context.Context, st plotline.SourceReader, in *plotline.Incident) error {
	_, w, err := visibleIncident(ctx, st, in, plotline.AsOf{})
	if err == nil && w.Any() {
		err = &plotline.Error{Code: plotline.EFORBIDDEN, Message: "this incident carries material above your clearance; someone cleared to see it must edit it"}
	}
	return err
}

// graph returns the organisation graph as the acting user may see it:
// actors and affiliations withheld at the user's clearance left out
// (httpapi.GraphVisibility, the API's rule), their citations above it
// removed, and what was withheld counted. The org chart, the network and
// the pickers read it, so a withheld unit is neither drawn nor offered.
func (h *Handler) graph(ctx context.Context, clock plotline.AsOf) (*analysis.Graph, plotline.Withheld, error) {
	g, err := h.analytics.Graph(ctx, clock)
	if err != nil || plotline.VisibilityFor(ctx, map[string]string{}).SeesAll() {
		return g, plotline.Withheld{}, err
	}
	actors, affs := g.Actors(), g.Affiliations()
	vis, err := httpapi.GraphVisibility(ctx, h.store, plotline.AsOf{Recorded: clock.Recorded}, actors, affs, httpapi.ChangeCacheOf(h.analytics))
	if err != nil {
		return nil, plotline.Withheld{}, err
	}
	actors, affs, w := httpapi.NarrowGraph(vis, actors, affs)
	if !w.Any() {
		return g, w, nil
	}
	return analysis.NewGraph(actors, affs), w, nil
}

// withheldText says what a clearance withheld, in counts only: "" when
// nothing was, else e.g. "Withheld at your clearance: 1 actor, 2 statements."
func withheldText(w plotline.Withheld) string {
	var parts []string
	for _, c := range []struct {
		n         int
		one, many string
	}{
		{w.Incidents, "incident", "incidents"},
		{w.Attributions, "statement", "statements"},
		{w.Actors, "actor", "actors"},
		{w.Affiliations, "affiliation", "affiliations"},
		{w.Sources, "source", "sources"},
	} {
		switch {
		case c.n == 1:
			parts = append(parts, "1 "+c.one)
		case c.n > 1:
			parts = append(parts, strconv.Itoa(c.n)+" "+c.many)
		}
	}
	if parts == nil {
		return ""
	}
	return "Withheld at your clearance: " + strings.Join(parts, ", ") + "."
}
