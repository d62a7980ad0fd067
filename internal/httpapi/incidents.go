package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// apiBy is who API writes are recorded as in single-user mode.
const apiBy = "api"

// IncidentList is one page of incidents.
type IncidentList struct {
	Incidents  []plotline.Incident `json:"incidents"`
	Total      int                 `json:"total"`
	NextCursor string              `json:"next_cursor,omitempty"`
	// Withheld counts what the acting user's clearance withheld from the
	// incidents on this page (markings.go); absent when nothing.
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
	// Linked gives, for a listed incident that stands for records a
	// reviewer linked as one (counted as one incident), the IDs of the
	// other records the caller may see. Each listed incident is as stored.
	Linked map[string][]string `json:"linked,omitempty"`
}

// WriteResult answers a write: the change it made and the record as stored.
type WriteResult[T any] struct {
	Change *plotline.Change `json:"change"`
	Record *T               `json:"record,omitempty"`
}

func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "q", "cursor", "limit")
	req := QueryRequest{Q: p.str("q"), AsOf: p.asOf(), Today: s.today()}
	after := p.cursor("cursor")
	limit := p.intIn("limit", 50, 1, 1000)
	if p.err != nil {
		return p.err
	}
	// A withheld actor in q is answered as an unknown one (markings.go).
	if err := s.checkQueryActors(r.Context(), req.AsOf, req.Q); err != nil {
		return err
	}
	m, next, err := page(r.Context(), s.analytics, req, after, limit)
	if err != nil {
		return err
	}
	out := IncidentList{Incidents: []plotline.Incident{}, Total: m.Total, NextCursor: next}
	if len(m.IDs) > 0 {
		list, err := s.store.Incidents(r.Context(), plotline.IncidentFilter{IDs: m.IDs}, req.AsOf)
		if err != nil {
			return err
		}
		list, withheld, err := s.visibleIncidents(r.Context(), list, req.AsOf)
		if err != nil {
			return err
		}
		out.Incidents = list
		if withheld.Any() {
			out.Withheld = &withheld
		}
		if out.Linked, err = s.visibleLinked(r.Context(), list, m.Linked, req.AsOf); err != nil {
			return err
		}
	}
	return writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) getIncident(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	asOf := p.asOf()
	if p.err != nil {
		return p.err
	}
	in, err := s.store.Incident(r.Context(), r.PathValue("id"), asOf)
	if err != nil {
		return err
	}
	v, err := s.visibleIncident(r.Context(), in, asOf)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, v)
}

func (s *Server) createIncident(w http.ResponseWriter, r *http.Request) error {
	var in plotline.Incident
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.ID == "" {
		id, err := s.newIncidentID(r, &in)
		if err != nil {
			return err
		}
		in.ID = id
	} else if err := s.mustNotExist(r, plotline.RecIncident, in.ID); err != nil {
		return err
	}
	fillAttributionIDs(&in)
	if err := invalidInput(in.Validate()); err != nil {
		return err
	}
	ch, err := s.apply(r, &plotline.Batch{By: apiBy, Note: "create incident " + in.ID, Incidents: []plotline.Incident{in}}, "incidents[0].")
	if err != nil {
		return err
	}
	if ch.Action == plotline.ActionDraft {
		// Not published, so not readable back: answer with the draft (review.go).
		return writeJSON(w, r, http.StatusCreated, WriteResult[plotline.Incident]{Change: ch, Record: &in})
	}
	stored, err := s.storedIncident(r, in.ID)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/incidents/"+url.PathEscape(in.ID))
	return writeJSON(w, r, http.StatusCreated, WriteResult[plotline.Incident]{Change: ch, Record: stored})
}

// updateIncident replaces an incident. When the body has "attributions",
// they replace the incident's statements (missing ones are deleted);
// without it, the statements are left as they are.
func (s *Server) updateIncident(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var in plotline.Incident
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	if in.ID == "" {
		in.ID = id
	}
	if in.ID != id {
		return plotline.FieldError("id", "%q does not match the incident in the URL %q; IDs are stable and cannot be renamed", in.ID, id)
	}
	full, err := s.store.Incident(r.Context(), id, plotline.AsOf{})
	if err != nil {
		return err
	}
	cur, err := s.visibleIncident(r.Context(), full, plotline.AsOf{})
	if err != nil {
		return err
	}
	if err := checkIfMatch(r, cur); err != nil {
		return err
	}
	keepWithheldCitations(&in, full, cur)
	fillAttributionIDs(&in)
	if err := invalidInput(in.Validate()); err != nil {
		return err
	}
	b := &plotline.Batch{By: apiBy, Note: "update incident " + id, Incidents: []plotline.Incident{in}}
	if in.Attributions != nil {
		for _, a := range cur.Attributions {
			if !slices.ContainsFunc(in.Attributions, func(n plotline.Attribution) bool { return n.ID == a.ID }) {
				b.Deletes = append(b.Deletes, plotline.Ref{Kind: plotline.RecAttribution, ID: a.ID})
			}
		}
	}
	ch, err := s.apply(r, b, "incidents[0].")
	if err != nil {
		return err
	}
	if ch.Action == plotline.ActionDraft {
		// Not published, so not readable back: answer with the draft (review.go).
		return writeJSON(w, r, http.StatusOK, WriteResult[plotline.Incident]{Change: ch, Record: &in})
	}
	stored, err := s.storedIncident(r, id)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, WriteResult[plotline.Incident]{Change: ch, Record: stored})
}

func (s *Server) deleteIncident(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	full, err := s.store.Incident(r.Context(), id, plotline.AsOf{})
	if err != nil {
		return err
	}
	cur, err := s.visibleIncident(r.Context(), full, plotline.AsOf{})
	if err != nil {
		return err
	}
	if cur.Withheld != nil {
		return &plotline.Error{Code: plotline.EFORBIDDEN, Message: "this incident carries material above your clearance; someone cleared to see it must delete it"}
	}
	if err := checkIfMatch(r, cur); err != nil {
		return err
	}
	ch, err := s.apply(r, &plotline.Batch{By: apiBy, Note: "delete incident " + id,
		Deletes: []plotline.Ref{{Kind: plotline.RecIncident, ID: id}}}, "")
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, WriteResult[plotline.Incident]{Change: ch})
}

// mustNotExist refuses to create a record over an existing one.
func (s *Server) mustNotExist(r *http.Request, kind, id string) error {
	if !plotline.ValidID(id) {
		return nil // validation names the field
	}
	vs, err := s.store.History(r.Context(), plotline.Ref{Kind: kind, ID: id})
	if plotline.ErrorCode(err) == plotline.ENOTFOUND {
		return nil
	}
	if err != nil {
		return err
	}
	if !vs[len(vs)-1].Deleted {
		return &plotline.Error{Code: plotline.ECONFLICT, Field: "id", Message: fmt.Sprintf("%s %q already exists; update it with PUT", kind, id)}
	}
	return nil // a deleted record may be created again: a new version after its tombstone
}

var slugJunk = regexp.MustCompile(`[^a-z0-9]+`)

// newIncidentID derives a readable, stable ID in the curated dataset's
// style (date-country-words) and adds a number when it is taken.
func (s *Server) newIncidentID(r *http.Request, in *plotline.Incident) (string, error) {
	if !in.Date.Known() || in.Title == "" {
		return "", invalidInput(in.Validate()) // says what is missing
	}
	words := strings.Split(strings.Trim(slugJunk.ReplaceAllString(strings.ToLower(in.Title), "-"), "-"), "-")
	base := in.Date.Start.String() + "-" + strings.ToLower(in.Location.Country) + "-" + strings.Join(words[:min(5, len(words))], "-")
	base = strings.Trim(slugJunk.ReplaceAllString(base, "-"), "-")
	for n := 1; n < 100; n++ {
		id := base
		if n > 1 {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		_, err := s.store.History(r.Context(), plotline.Ref{Kind: plotline.RecIncident, ID: id})
		if plotline.ErrorCode(err) == plotline.ENOTFOUND {
			return id, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", plotline.FieldError("id", "could not derive a free ID from the title; give one")
}

// fillAttributionIDs gives statements without an ID the dataset's stable
// one (incident/basis-actor-stated), which does not depend on their order.
func fillAttributionIDs(in *plotline.Incident) {
	for i := range in.Attributions {
		a := &in.Attributions[i]
		if a.IncidentID == "" {
			a.IncidentID = in.ID
		}
		if a.ID == "" && a.StatedOn.Known() {
			a.ID = fmt.Sprintf("%s/%s-%s-%s", a.IncidentID, a.Basis, a.ActorID, a.StatedOn.Start)
		}
	}
}

// checkIfMatch implements optimistic concurrency: with If-Match, the write
// goes ahead only if the record is still the one the client read.
func checkIfMatch(r *http.Request, current any) error {
	h := r.Header.Get("If-Match")
	if h == "" {
		return nil
	}
	body, err := jsonBody(current)
	if err != nil {
		return err
	}
	if !etagMatch(h, etagOf(body)) {
		return &plotline.Error{Code: codePreconditionFailed, Message: "the record changed since it was read (If-Match does not match its ETag); read it again"}
	}
	return nil
}

// visibleLinked narrows linked (httpapi.Matches.Linked) to the incidents
// listed and the records the acting user may see; nil when none remain.
func (s *Server) visibleLinked(ctx context.Context, listed []plotline.Incident, linked map[string][]string, asOf plotline.AsOf) (map[string][]string, error) {
	var ids []string
	for _, in := range listed {
		ids = append(ids, linked[in.ID]...)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := s.store.Incidents(ctx, plotline.IncidentFilter{IDs: ids}, plotline.AsOf{Recorded: asOf.Recorded})
	if err != nil {
		return nil, err
	}
	list, _, err = s.visibleIncidents(ctx, list, asOf)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(list))
	for _, in := range list {
		seen[in.ID] = true
	}
	var out map[string][]string
	for _, in := range listed {
		id := in.ID
		for _, o := range linked[id] {
			if seen[o] {
				if out == nil {
					out = map[string][]string{}
				}
				out[id] = append(out[id], o)
			}
		}
	}
	return out, nil
}
