package web

import (
	"context"

	"github.com/plotline-dev/plotline"
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
