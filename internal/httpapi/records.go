package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

// apply writes a batch and strips the batch path (e.g. "incidents[0].")
// from the field of a rejected write, so that the field names the request
// body's own key.
func (s *Server) apply(r *http.Request, b *plotline.Batch, prefix string) (*plotline.Change, error) {
	// Writes are recorded as the acting user ("api" in single-user mode);
	// an analyst's write is a draft for a reviewer to publish (review.go).
	b.By = actingName(r)
	b.Draft = plotline.DraftsFor(plotline.Acting(r.Context()))
	ch, err := s.store.Apply(r.Context(), b)
	if err != nil {
		var pe *plotline.Error
		if errors.As(err, &pe) && strings.HasPrefix(pe.Field, prefix) {
			e := *pe
			e.Field = strings.TrimPrefix(e.Field, prefix)
			return nil, &e
		}
		return nil, err
	}
	if rf, ok := s.analytics.(Refresher); ok {
		// The write stands either way; a failed refresh only delays when
		// analytics see it (the next refresh catches up).
		if err := rf.Refresh(r.Context()); err != nil {
			s.log.WarnContext(r.Context(), "refresh analytics after a write", "err", err, "request_id", RequestID(r.Context()))
		}
	}
	return ch, nil
}

// currentVersion returns the version of a record current at recorded
// (nil = now), or nil when it did not exist or was deleted then.
func currentVersion(vs []plotline.Version, recorded *time.Time) *plotline.Version {
	var cur *plotline.Version
	for i := range vs {
		if recorded != nil && vs[i].RecordedAt.After(*recorded) {
			break
		}
		cur = &vs[i]
	}
	if cur == nil || cur.Deleted {
		return nil
	}
	return cur
}

// AttributionList is a page of attribution statements.
type AttributionList struct {
	Attributions []plotline.Attribution `json:"attributions"`
	NextCursor   string                 `json:"next_cursor,omitempty"`
	// Withheld counts the statements the acting user's clearance withheld
	// (markings.go); absent when none.
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

func (s *Server) listAttributions(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "incident", "actor", "basis", "cursor", "limit")
	asOf := p.asOf()
	incident, actor := p.str("incident"), p.str("actor")
	basis := p.oneOf("basis", plotline.Bases)
	after := p.str("cursor")
	limit := p.intIn("limit", 100, 1, 1000)
	if p.err != nil {
		return p.err
	}
	var incidents []plotline.Incident
	if incident != "" {
		in, err := s.store.Incident(r.Context(), incident, asOf)
		if err != nil {
			return err
		}
		incidents = []plotline.Incident{*in}
	} else {
		list, err := s.store.Incidents(r.Context(), plotline.IncidentFilter{}, asOf)
		if err != nil {
			return err
		}
		incidents = list
	}
	incidents, withheld, err := s.visibleIncidents(r.Context(), incidents, asOf)
	if err != nil {
		return err
	}
	if incident != "" && len(incidents) == 0 {
		return notFound(plotline.RecIncident, incident)
	}
	var all []plotline.Attribution
	for _, in := range incidents {
		for _, a := range in.Attributions {
			if (actor == "" || a.ActorID == actor) && (basis == "" || a.Basis == basis) && a.ID > after {
				all = append(all, a)
			}
		}
	}
	slices.SortFunc(all, func(a, b plotline.Attribution) int { return strings.Compare(a.ID, b.ID) })
	out := AttributionList{Attributions: all[:min(limit, len(all))]}
	if withheld.Attributions > 0 {
		out.Withheld = &plotline.Withheld{Attributions: withheld.Attributions}
	}
	if len(all) > limit {
		out.NextCursor = out.Attributions[limit-1].ID
	}
	if out.Attributions == nil {
		out.Attributions = []plotline.Attribution{}
	}
	return writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) getAttribution(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	asOf := p.asOf()
	if p.err != nil {
		return p.err
	}
	id := r.PathValue("id")
	a, err := s.attribution(r, id, asOf)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, a)
}

// attribution reads one statement as known at asOf. The store has no
// getter for single statements; its history of the record has the data.
func (s *Server) attribution(r *http.Request, id string, asOf plotline.AsOf) (*plotline.Attribution, error) {
	notFound := plotline.Errorf(plotline.ENOTFOUND, "attribution %q not found", id)
	vs, err := s.store.History(r.Context(), plotline.Ref{Kind: plotline.RecAttribution, ID: id})
	if err != nil {
		return nil, err
	}
	v := currentVersion(vs, asOf.Recorded)
	if v == nil {
		return nil, notFound
	}
	// The incident's read applies both clocks to the statement the same
	// way every other view does.
	var a plotline.Attribution
	if err := jsonUnmarshal(v.Data, &a); err != nil {
		return nil, err
	}
	full, err := s.store.Incident(r.Context(), a.IncidentID, asOf)
	if err == nil {
		var v *IncidentView
		if v, err = s.visibleIncident(r.Context(), full, asOf); err == nil {
			full = &v.Incident
		}
	}
	if err != nil {
		if plotline.ErrorCode(err) == plotline.ENOTFOUND {
			return nil, notFound
		}
		return nil, err
	}
	for _, x := range full.Attributions {
		if x.ID == id {
			return &x, nil
		}
	}
	return nil, notFound
}

func (s *Server) createAttribution(w http.ResponseWriter, r *http.Request) error {
	var a plotline.Attribution
	if err := decodeJSON(r, &a); err != nil {
		return err
	}
	if a.IncidentID == "" {
		return plotline.FieldError("incident", "is required")
	}
	if a.ID == "" && a.StatedOn.Known() {
		a.ID = fmt.Sprintf("%s/%s-%s-%s", a.IncidentID, a.Basis, a.ActorID, a.StatedOn.Start)
	}
	if err := s.mustNotExist(r, plotline.RecAttribution, a.ID); err != nil {
		return err
	}
	if err := invalidInput(a.Validate()); err != nil {
		return err
	}
	ch, err := s.apply(r, &plotline.Batch{By: apiBy, Note: "create attribution " + a.ID, Attributions: []plotline.Attribution{a}}, "attributions[0].")
	if err != nil {
		return err
	}
	if ch.Action == plotline.ActionDraft {
		// Not published, so not readable back: answer with the draft (review.go).
		return writeJSON(w, r, http.StatusCreated, WriteResult[plotline.Attribution]{Change: ch, Record: &a})
	}
	stored, err := s.attribution(r, a.ID, plotline.AsOf{})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/attributions/"+url.PathEscape(a.ID))
	return writeJSON(w, r, http.StatusCreated, WriteResult[plotline.Attribution]{Change: ch, Record: stored})
}

func (s *Server) updateAttribution(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var a plotline.Attribution
	if err := decodeJSON(r, &a); err != nil {
		return err
	}
	if a.ID == "" {
		a.ID = id
	}
	if a.ID != id {
		return plotline.FieldError("id", "%q does not match the attribution in the URL %q; IDs are stable and cannot be renamed", a.ID, id)
	}
	cur, err := s.attribution(r, id, plotline.AsOf{})
	if err != nil {
		return err
	}
	if a.IncidentID == "" {
		a.IncidentID = cur.IncidentID
	}
	if a.IncidentID != cur.IncidentID {
		return plotline.FieldError("incident", "a statement cannot move to another incident; create a new one")
	}
	if err := checkIfMatch(r, cur); err != nil {
		return err
	}
	if err := invalidInput(a.Validate()); err != nil {
		return err
	}
	ch, err := s.apply(r, &plotline.Batch{By: apiBy, Note: "update attribution " + id, Attributions: []plotline.Attribution{a}}, "attributions[0].")
	if err != nil {
		return err
	}
	if ch.Action == plotline.ActionDraft {
		// Not published, so not readable back: answer with the draft (review.go).
		return writeJSON(w, r, http.StatusOK, WriteResult[plotline.Attribution]{Change: ch, Record: &a})
	}
	stored, err := s.attribution(r, id, plotline.AsOf{})
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, WriteResult[plotline.Attribution]{Change: ch, Record: stored})
}

func (s *Server) deleteAttribution(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	cur, err := s.attribution(r, id, plotline.AsOf{})
	if err != nil {
		return err
	}
	if err := checkIfMatch(r, cur); err != nil {
		return err
	}
	ch, err := s.apply(r, &plotline.Batch{By: apiBy, Note: "delete attribution " + id,
		Deletes: []plotline.Ref{{Kind: plotline.RecAttribution, ID: id}}}, "")
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, WriteResult[plotline.Attribution]{Change: ch})
}

// SourceList lists sources.
type SourceList struct {
	Sources []plotline.Source `json:"sources"`
}

func (s *Server) listSources(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "kind", "tlp")
	asOf := p.asOf()
	kind, tlp := p.oneOf("kind", plotline.SourceKinds), p.oneOf("tlp", plotline.TLPs)
	if p.err != nil {
		return p.err
	}
	list, err := s.store.Sources(r.Context(), asOf)
	if err != nil {
		return err
	}
	out := SourceList{Sources: []plotline.Source{}}
	vis := plotline.VisibilityFor(r.Context(), nil)
	for _, src := range list {
		if !vis.Source(&src) {
			continue // not even counted: a count per kind or marking would describe them
		}
		if (kind == "" || src.Kind == kind) && (tlp == "" || src.TLP == tlp) {
			out.Sources = append(out.Sources, src)
		}
	}
	return writeJSON(w, r, http.StatusOK, out)
}

func (s *Server) getSource(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	asOf := p.asOf()
	if p.err != nil {
		return p.err
	}
	src, err := s.store.Source(r.Context(), r.PathValue("id"), asOf)
	if err != nil {
		return err
	}
	if src, err = visibleSource(r.Context(), src); err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, src)
}

func (s *Server) createSource(w http.ResponseWriter, r *http.Request) error {
	var src plotline.Source
	if err := decodeJSON(r, &src); err != nil {
		return err
	}
	if src.ID == "" {
		return plotline.FieldError("id", "is required (a stable, readable ID such as publisher-yyyy-mm-dd-topic)")
	}
	if err := s.mustNotExist(r, plotline.RecSource, src.ID); err != nil {
		return err
	}
	return s.putSource(w, r, src, http.StatusCreated)
}

func (s *Server) updateSource(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	var src plotline.Source
	if err := decodeJSON(r, &src); err != nil {
		return err
	}
	if src.ID == "" {
		src.ID = id
	}
	if src.ID != id {
		return plotline.FieldError("id", "%q does not match the source in the URL %q; IDs are stable and cannot be renamed", src.ID, id)
	}
	cur, err := s.store.Source(r.Context(), id, plotline.AsOf{})
	if err != nil {
		return err
	}
	if cur, err = visibleSource(r.Context(), cur); err != nil {
		return err
	}
	if err := checkIfMatch(r, cur); err != nil {
		return err
	}
	return s.putSource(w, r, src, http.StatusOK)
}

func (s *Server) putSource(w http.ResponseWriter, r *http.Request, src plotline.Source, status int) error {
	if err := invalidInput(src.Validate()); err != nil {
		return err
	}
	ch, err := s.apply(r, &plotline.Batch{By: apiBy, Note: "put source " + src.ID, Sources: []plotline.Source{src}}, "sources[0].")
	if err != nil {
		return err
	}
	if ch.Action == plotline.ActionDraft {
		// Not published, so not readable back: answer with the draft (review.go).
		return writeJSON(w, r, status, WriteResult[plotline.Source]{Change: ch, Record: &src})
	}
	stored, err := s.store.Source(r.Context(), src.ID, plotline.AsOf{})
	if err != nil {
		return err
	}
	if _, err := visibleSource(r.Context(), stored); err != nil {
		stored = nil // written above the writer's clearance: not shown back
	}
	if status == http.StatusCreated {
		w.Header().Set("Location", "/api/v1/sources/"+url.PathEscape(src.ID))
	}
	return writeJSON(w, r, status, WriteResult[plotline.Source]{Change: ch, Record: stored})
}

// ChangeList lists applied changes, newest first.
type ChangeList struct {
	Changes []ChangeView `json:"changes"`
}

// ChangeView is a change as the acting user may see it: a change that
// wrote records above the user's clearance says how many, by kind, in
// Withheld (absent when none), and its note, which may name them, is
// blanked (plotline.ChangeVisibility, as the audit log).
type ChangeView struct {
	plotline.Change
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

func (s *Server) changes(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "limit")
	limit := p.intIn("limit", 50, 1, 1000)
	if p.err != nil {
		return p.err
	}
	list, err := s.store.Changes(r.Context(), limit)
	if err != nil {
		return err
	}
	out := make([]ChangeView, len(list))
	for i, c := range list {
		out[i] = ChangeView{Change: c}
	}
	if plotline.VisibilityFor(r.Context(), map[string]string{}).SeesAll() || len(list) == 0 {
		return writeJSON(w, r, http.StatusOK, ChangeList{Changes: out})
	}
	// The audit log lists the same changes with the records each wrote.
	entries := map[int64]plotline.AuditEntry{}
	wf, ok := s.store.(plotline.Workflow)
	cv := s.changeVisibility(r)
	if ok && cv != nil {
		log, err := wf.Audit(r.Context(), plotline.AuditFilter{Limit: limit})
		if err != nil {
			return err
		}
		for _, e := range log {
			entries[e.ID] = e
		}
	}
	for i := range out {
		e, ok := entries[out[i].ID]
		if !ok {
			out[i].Note = "" // not checked (no workflow, or written since): say nothing
			continue
		}
		seen, withheld, err := cv.Entry(r.Context(), e)
		if err != nil {
			return err
		}
		out[i].Note = seen.Note
		out[i].Withheld = withheldPtr(withheld)
	}
	return writeJSON(w, r, http.StatusOK, ChangeList{Changes: out})
}
