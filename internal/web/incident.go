package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/resolve"
)

type incidentData struct {
	In       *plotline.Incident
	Timeline []statement
	Hidden   int               // statements made after the as-of day
	Withheld plotline.Withheld // what the reader's clearance withheld (markings.go)
	Sources  []sourceLine
	Missing  []string // cited source IDs not in the store
	// Duplicate review: the decisions on this incident whose other record
	// the reader may see, and how many name one they may not.
	Duplicates  []duplicateLine
	DupWithheld int
	// Linked: the statements of the other records of this incident's
	// linked group the reader may see, counted with it.
	Linked []linkedStatement
}

// linkedStatement is a statement made on another record of the group.
type linkedStatement struct {
	statement
	Record string
}

// duplicateLine is one duplicate-review decision on the incident.
type duplicateLine struct {
	Other        string
	Same         bool
	By, At, Note string
}

// statement is one attribution on the timeline, as known on the view's day.
type statement struct {
	A          plotline.Attribution
	Actor      string
	ActorKind  string
	Band       string // the likelihood's percentage band
	Gone       string // "superseded on D" / "retracted on D", as known on the day
	Sources    []citation
	HistoryURL string
}

type citation struct {
	plotline.SourceRef
	Src *plotline.Source
}

type sourceLine struct {
	S       plotline.Source
	CitedBy []string // "incident" or attribution IDs
}

func (h *Handler) incident(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id := r.PathValue("id")
	full, err := h.store.Incident(r.Context(), id, plotline.AsOf{Recorded: v.Clock.Recorded})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	full, withheld, err := visibleIncident(r.Context(), h.store, full, plotline.AsOf{Recorded: v.Clock.Recorded})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in, ok := full.AsKnownOn(v.Day)
	if !ok {
		h.fail(w, r, plotline.Errorf(plotline.ENOTFOUND, "incident %q was not yet public on %s (it became public %s)", id, v.Day, full.PublicOn()))
		return
	}
	g, err := h.analytics.Graph(r.Context(), v.Clock)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &incidentData{In: &in, Hidden: len(full.Attributions) - len(in.Attributions), Withheld: withheld}
	sources, err := h.citedSources(r.Context(), &in, v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cited := map[string][]string{}
	var order []string
	cite := func(id, by string) {
		if _, seen := cited[id]; !seen {
			order = append(order, id)
		}
		if !slices.Contains(cited[id], by) {
			cited[id] = append(cited[id], by)
		}
	}
	for _, s := range in.Sources {
		cite(s, "incident")
	}
	for _, a := range in.Attributions {
		d.Timeline = append(d.Timeline, h.statementOf(a, g, sources, v))
		for _, s := range a.Sources {
			cite(s.ID, a.ID)
		}
	}
	for _, id := range order {
		if s := sources[id]; s != nil {
			d.Sources = append(d.Sources, sourceLine{S: *s, CitedBy: cited[id]})
		} else {
			d.Missing = append(d.Missing, id)
		}
	}
	if err := h.duplicateReview(r.Context(), d, in.ID, v, g); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "incident", &page{Title: in.Title, Nav: "incidents", View: v, Data: d})
}

// duplicateReview lists the duplicate-review decisions on incident id as
// they stood at the view's record clock, and the statements of the other
// records linked with it (transitively, as the engine counts them). A
// decision naming a record the reader may not see (withheld at their
// clearance, or gone) is only counted.
func (h *Handler) duplicateReview(ctx context.Context, d *incidentData, id string, v *view, g *analysis.Graph) error {
	rs, ok := h.store.(plotline.ResolveStore)
	if !ok {
		return nil
	}
	recorded := v.Clock.Recorded
	all, err := rs.DuplicateDecisions(ctx, recorded != nil)
	if err != nil {
		return err
	}
	asOf := plotline.AsOf{Recorded: recorded}
	current := plotline.CurrentDecisions(all, recorded)
	for _, other := range resolve.NewLinks(current).Group(id) {
		if other == id {
			continue
		}
		in, err := h.store.Incident(ctx, other, asOf)
		if err == nil {
			in, _, err = visibleIncident(ctx, h.store, in, asOf)
		}
		if plotline.ErrorCode(err) == plotline.ENOTFOUND {
			continue // counted below, with the decisions naming it
		}
		if err != nil {
			return err
		}
		known, ok := in.AsKnownOn(v.Day)
		if !ok {
			continue
		}
		sources, err := h.citedSources(ctx, &known, v)
		if err != nil {
			return err
		}
		for _, a := range known.Attributions {
			d.Linked = append(d.Linked, linkedStatement{statement: h.statementOf(a, g, sources, v), Record: other})
		}
	}
	for _, dec := range plotline.DecisionsOn(current, id, nil) {
		other := dec.A
		if other == id {
			other = dec.B
		}
		in, err := h.store.Incident(ctx, other, asOf)
		if err == nil {
			_, _, err = visibleIncident(ctx, h.store, in, asOf)
		}
		if plotline.ErrorCode(err) == plotline.ENOTFOUND {
			d.DupWithheld++
			continue
		}
		if err != nil {
			return err
		}
		d.Duplicates = append(d.Duplicates, duplicateLine{Other: other, Same: dec.Verdict == plotline.DuplicateSame, By: dec.By,
			At: dec.At.UTC().Format("2006-01-02 15:04"), Note: dec.Note})
	}
	return nil
}

// citedSources reads the sources the incident and its statements cite, at
// the view's record clock; a source not in the store is left out.
func (h *Handler) citedSources(ctx context.Context, in *plotline.Incident, v *view) (map[string]*plotline.Source, error) {
	out := map[string]*plotline.Source{}
	read := func(id string) error {
		if _, seen := out[id]; seen {
			return nil
		}
		s, err := h.store.Source(ctx, id, plotline.AsOf{Recorded: v.Clock.Recorded})
		if plotline.ErrorCode(err) == plotline.ENOTFOUND {
			out[id] = nil
			return nil
		}
		out[id] = s
		return err
	}
	for _, id := range in.Sources {
		if err := read(id); err != nil {
			return nil, err
		}
	}
	for _, a := range in.Attributions {
		for _, ref := range a.Sources {
			if err := read(ref.ID); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

func (h *Handler) statementOf(a plotline.Attribution, g *analysis.Graph, sources map[string]*plotline.Source, v *view) statement {
	st := statement{A: a, Actor: g.Name(a.ActorID), HistoryURL: "/history/attribution/" + url.PathEscape(a.ID)}
	if act := g.Actor(a.ActorID); act != nil {
		st.ActorKind = act.Kind
	}
	if b, ok := plotline.LikelihoodBand[a.Likelihood]; ok {
		st.Band = fmt.Sprintf("%d–%d%%", b[0], b[1])
	}
	switch {
	case a.RetractedOn.KnownBy(v.Day):
		st.Gone = "retracted on " + a.RetractedOn.String()
	case a.SupersededOn.KnownBy(v.Day):
		st.Gone = "superseded on " + a.SupersededOn.String()
	}
	for _, ref := range a.Sources {
		st.Sources = append(st.Sources, citation{SourceRef: ref, Src: sources[ref.ID]})
	}
	return st
}
