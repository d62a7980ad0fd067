package web

import (
	"net/http"
	"strconv"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/resolve"
)

// duplicatesLimit is how many candidate pairs the page lists.
const duplicatesLimit = 100

type duplicatesData struct {
	Pairs     []duplicatePair
	More      int  // candidates beyond the list
	CanDecide bool // reviewers and admins decide; others see the list
	Decided   string
}

type duplicatePair struct {
	resolve.Pair
	A, B *plotline.Incident
}

// duplicates lists the duplicate candidates still to decide among the
// incidents the reader may see (resolve.OpenPairs, the rules of 'plotline
// review duplicates'), each with the forms that decide it for reviewers.
func (h *Handler) duplicates(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rs, err := h.resolveStore()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	snap, err := h.store.Snapshot(ctx, plotline.AsOf{})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	snap, _ = plotline.VisibilityFor(ctx, nil).Snapshot(snap)
	current, err := rs.DuplicateDecisions(ctx, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pairs := resolve.OpenPairs(snap.Incidents, snap.Affiliations, current, resolve.DuplicateOptions{MaxKm: 25, MinScore: 0.3})
	byID := make(map[string]*plotline.Incident, len(snap.Incidents))
	for i := range snap.Incidents {
		byID[snap.Incidents[i].ID] = &snap.Incidents[i]
	}
	d := &duplicatesData{CanDecide: plotline.RoleAtLeast(plotline.Acting(ctx).Role, plotline.RoleReviewer), Decided: r.URL.Query().Get("decided")}
	if len(pairs) > duplicatesLimit {
		d.More, pairs = len(pairs)-duplicatesLimit, pairs[:duplicatesLimit]
	}
	for _, p := range pairs {
		d.Pairs = append(d.Pairs, duplicatePair{Pair: p, A: byID[p.A], B: byID[p.B]})
	}
	h.render(w, r, http.StatusOK, "duplicates", &page{Title: "Duplicates", Nav: "duplicates", View: v, Data: d})
}

// resolveStore is the store's review decisions; ENOTIMPLEMENTED on a store
// that keeps none.
func (h *Handler) resolveStore() (plotline.ResolveStore, error) {
	rs, ok := h.store.(plotline.ResolveStore)
	if !ok {
		return nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "this store keeps no review decisions")
	}
	return rs, nil
}

// decideDuplicate records a reviewer's verdict on a pair: both incidents
// must be visible to them, and the decision must not contradict the others
// (resolve.Links.Check).
func (h *Handler) decideDuplicate(w http.ResponseWriter, r *http.Request) {
	if err := need(r, plotline.RoleReviewer); err != nil {
		h.fail(w, r, err)
		return
	}
	rs, err := h.resolveStore()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	d := plotline.DuplicateDecision{A: f.str("a"), B: f.str("b"), Verdict: f.str("verdict"), Note: f.str("note"),
		By: h.recordedBy(plotline.Acting(ctx))}
	var pair []plotline.Incident
	for _, id := range []string{d.A, d.B} {
		in, err := h.store.Incident(ctx, id, plotline.AsOf{})
		if err == nil {
			in, _, err = visibleIncident(ctx, h.store, in, plotline.AsOf{}) // the score's reason names only what the reviewer sees
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		pair = append(pair, *in)
	}
	if affs, err := h.store.Affiliations(ctx, plotline.AsOf{}); err == nil {
		if p, ok := resolve.Score(pair[0], pair[1], affs, 25); ok {
			d.Score, d.Reason = p.Score, p.Reason // kept with the decision, as the CLI does
		}
	}
	current, err := rs.DuplicateDecisions(ctx, false)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := resolve.NewLinks(current).Check(d); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := rs.SaveDuplicateDecision(ctx, &d); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.analytics.Refresh(ctx); err != nil {
		// The decision is recorded; a stale index only delays what the pages count.
		h.log.WarnContext(ctx, "web: refresh analytics after a duplicate decision", "err", err)
	}
	http.Redirect(w, r, "/duplicates?decided="+strconv.FormatInt(d.ID, 10), http.StatusSeeOther)
}
