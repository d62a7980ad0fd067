package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// ---- incidents ----

func incidentForm(in *plotline.Incident, isNew bool) *formData {
	req := func(f formField) formField { f.Required = true; return f }
	id := req(textField("id", "ID", in.ID, "Lower-case, no spaces; e.g. 2024-03-22-rus-crocus-city-hall. Cannot change later."))
	id.ReadOnly = !isNew
	return &formData{Groups: []formGroup{
		{"Incident", []formField{
			id,
			req(textField("title", "Title", in.Title, "")),
			selectField("kind", "Kind", in.Kind, plotline.IncidentKinds, true),
			selectField("outcome", "Outcome", in.Outcome, plotline.Outcomes, true),
			selectField("stage", "Stage reached", in.Stage, plotline.Stages, false),
			req(textField("date", "Date", in.Date.String(), "YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY or DAY..DAY: give only the precision the sources support.")),
			textField("disclosed", "Made public", in.Disclosed.String(), "When it became public, if later than the date (same shapes)."),
		}},
		{"Place and target", []formField{
			req(textField("location.country", "Country (ISO alpha-3)", in.Location.Country, "e.g. DEU")),
			textField("location.admin1", "Region", in.Location.Admin1, ""),
			textField("location.place", "Place", in.Location.Place, ""),
			textField("location.lat", "Latitude", floatText(in.Location.Lat), "Decimal degrees; give with longitude."),
			textField("location.lon", "Longitude", floatText(in.Location.Lon), ""),
			selectField("location.precision", "Location precision", in.Location.Precision, plotline.LocPrecisions, false),
			req(textField("target_country", "Target country (ISO alpha-3)", in.TargetCountry, "May differ from the location.")),
			textField("target_type", "Target type", in.TargetType, "e.g. religious/christian, crowd, police"),
			textField("weapons", "Weapons", strings.Join(in.Weapons, ", "), "Comma-separated."),
		}},
		{"Casualties and people", []formField{
			textField("killed.low", "Killed, low", numText(in.Killed.Low), ""),
			textField("killed.best", "Killed, best", numText(in.Killed.Best), ""),
			textField("killed.high", "Killed, high", numText(in.Killed.High), ""),
			textField("injured.low", "Injured, low", numText(in.Injured.Low), ""),
			textField("injured.best", "Injured, best", numText(in.Injured.Best), ""),
			textField("injured.high", "Injured, high", numText(in.Injured.High), ""),
			textField("perpetrators", "Perpetrators", numText(in.Perpetrators), ""),
			textField("arrests", "Arrests", numText(in.Arrests), ""),
		}},
		{"Evidence", []formField{
			selectField("documentation", "Documentation", in.Documentation, plotline.DocGrades, false),
			{Name: "summary", Label: "Summary", Type: "textarea", Value: in.Summary},
			textField("tags", "Tags", strings.Join(in.Tags, ", "), "Comma-separated."),
			req(textField("sources", "Source IDs", strings.Join(in.Sources, ", "), "Comma-separated IDs of stored sources; add a source first if it is new.")),
		}},
	}}
}

func readIncident(f *form, base plotline.Incident) plotline.Incident {
	in := base
	in.Attributions = nil // stored separately; an incident edit leaves them alone
	in.ID = f.str("id")
	in.Title = f.str("title")
	in.Kind = f.str("kind")
	in.Outcome = f.str("outcome")
	in.Stage = f.str("stage")
	in.Date = f.date("date")
	in.Disclosed = f.date("disclosed")
	in.Location = plotline.Location{Country: strings.ToUpper(f.str("location.country")), Admin1: f.str("location.admin1"), Place: f.str("location.place"),
		Lat: f.float("location.lat"), Lon: f.float("location.lon"), Precision: f.str("location.precision")}
	in.TargetCountry = strings.ToUpper(f.str("target_country"))
	in.TargetType = f.str("target_type")
	in.Weapons = f.list("weapons")
	in.Killed = plotline.Range{Low: f.num("killed.low"), Best: f.num("killed.best"), High: f.num("killed.high")}
	in.Injured = plotline.Range{Low: f.num("injured.low"), Best: f.num("injured.best"), High: f.num("injured.high")}
	in.Perpetrators = f.num("perpetrators")
	in.Arrests = f.num("arrests")
	in.Documentation = f.str("documentation")
	in.Summary = f.str("summary")
	in.Tags = f.list("tags")
	in.Sources = f.list("sources")
	return in
}

func (h *Handler) newIncident(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		var in plotline.Incident
		if _, err := h.fromDraft(r, plotline.RecIncident, r.URL.Query().Get("id"), &in); err != nil {
			h.fail(w, r, err)
			return
		}
		d := incidentForm(&in, true)
		d.Heading, d.Action, d.Cancel = "New incident", "/incidents/new", "/incidents"
		h.render(w, r, http.StatusOK, "form_page", &page{Title: d.Heading, Nav: "new", Data: d})
		return
	}
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	in := readIncident(f, plotline.Incident{})
	d := incidentForm(&in, true)
	d.Heading, d.Action, d.Cancel = "New incident", "/incidents/new", "/incidents"
	if plotline.ValidID(in.ID) {
		if _, err := h.store.Incident(r.Context(), in.ID, plotline.AsOf{}); err == nil {
			f.errs = append(f.errs, plotline.FieldError("id", "an incident %q already exists", in.ID))
		} else if plotline.ErrorCode(err) != plotline.ENOTFOUND {
			h.fail(w, r, err)
			return
		}
	}
	f.errs = append(f.errs, h.missingSources(r, "sources", in.Sources)...)
	b := &plotline.Batch{Note: "created in the web UI", Incidents: []plotline.Incident{in}}
	h.save(w, r, f, d, in.Validate(), b, "incidents[0].", "/incidents/"+url.PathEscape(in.ID))
}

func (h *Handler) editIncident(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	cur, err := h.store.Incident(r.Context(), id, plotline.AsOf{})
	if err == nil {
		err = editable(r.Context(), h.store, cur)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ver, err := h.currentVersion(r, plotline.RecIncident, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	setup := func(d *formData) {
		d.Heading, d.Action = "Edit incident "+id, "/incidents/"+url.PathEscape(id)+"/edit"
		d.Cancel, d.History, d.Version = "/incidents/"+url.PathEscape(id), "/history/incident/"+url.PathEscape(id), ver
	}
	if r.Method == http.MethodGet {
		ok, err := h.fromDraft(r, plotline.RecIncident, id, cur)
		if err == nil && ok {
			cur.ID = id
			err = editable(r.Context(), h.store, cur) // the draft's sources, too
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d := incidentForm(cur, false)
		setup(d)
		h.render(w, r, http.StatusOK, "form_page", &page{Title: d.Heading, Nav: "incidents", Data: d})
		return
	}
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	in := readIncident(f, *cur)
	in.ID = id // the ID field is read-only; never let a post rename a record
	d := incidentForm(&in, false)
	setup(d)
	if _, err := h.checkVersion(r, plotline.RecIncident, id, f); err != nil {
		h.fail(w, r, err)
		return
	}
	f.errs = append(f.errs, h.missingSources(r, "sources", in.Sources)...)
	b := &plotline.Batch{Note: "edited in the web UI", Incidents: []plotline.Incident{in}}
	h.save(w, r, f, d, in.Validate(), b, "incidents[0].", "/incidents/"+url.PathEscape(id))
}

// missingSources reports cited source IDs that are not stored.
func (h *Handler) missingSources(r *http.Request, field string, ids []string) []*plotline.Error {
	var errs []*plotline.Error
	for _, id := range ids {
		if !plotline.ValidID(id) {
			continue // Validate reports it
		}
		if _, err := h.store.Source(r.Context(), id, plotline.AsOf{}); err != nil {
			errs = append(errs, plotline.FieldError(field, "no source %q is stored (add it under Sources first)", id))
		}
	}
	return errs
}

// ---- attributions ----

func attributionForm(a *plotline.Attribution, actors []plotline.Actor, isNew bool) *formData {
	req := func(f formField) formField { f.Required = true; return f }
	ids := make([]string, 0, len(actors))
	for _, act := range orgActors(actors) {
		ids = append(ids, act.ID)
	}
	var refs []string
	for _, s := range a.Sources {
		refs = append(refs, strings.TrimSpace(s.ID+" "+s.Reliability+s.Credibility))
	}
	id := req(textField("id", "ID", a.ID, "e.g. INCIDENT/government-is-khorasan-2024-02-05"))
	id.ReadOnly = !isNew
	inc := textField("incident", "Incident", a.IncidentID, "")
	inc.ReadOnly = true
	return &formData{Groups: []formGroup{
		{"Statement", []formField{
			id, inc,
			selectField("actor", "Actor named", a.ActorID, ids, true),
			selectField("basis", "Basis", a.Basis, plotline.Bases, true),
			req(textField("asserted_by", "Asserted by", a.AssertedBy, "Who said it: the group's outlet, a ministry, a court, a named researcher.")),
			req(textField("stated_on", "Stated on", a.StatedOn.String(), "When it became public (YYYY-MM-DD or a coarser date).")),
			selectField("link", "Link", a.Link, plotline.Links, true),
			selectField("likelihood", "Likelihood", a.Likelihood, plotline.Likelihoods, false),
			selectField("confidence", "Confidence", a.Confidence, plotline.Confidences, false),
			textField("superseded_on", "Superseded on", a.SupersededOn.String(), "When a later statement replaced it."),
			textField("retracted_on", "Retracted on", a.RetractedOn.String(), ""),
			{Name: "sources", Label: "Sources", Type: "textarea", Value: strings.Join(refs, "\n"), Required: true,
				Help: "One stored source ID per line, optionally followed by its Admiralty grade for this statement, e.g. h1-reuters-2024-03-23 B2."},
			{Name: "note", Label: "Note", Type: "textarea", Value: a.Note},
		}},
	}}
}

func readAttribution(f *form, base plotline.Attribution) plotline.Attribution {
	a := base
	a.ID = f.str("id")
	a.ActorID = f.str("actor")
	a.Basis = f.str("basis")
	a.AssertedBy = f.str("asserted_by")
	a.StatedOn = f.date("stated_on")
	a.Link = f.str("link")
	a.Likelihood = f.str("likelihood")
	a.Confidence = f.str("confidence")
	a.SupersededOn = f.date("superseded_on")
	a.RetractedOn = f.date("retracted_on")
	a.Note = f.str("note")
	a.Sources = nil
	for _, line := range strings.Split(f.vals.Get("sources"), "\n") {
		parts := strings.Fields(strings.ReplaceAll(line, ",", " "))
		if len(parts) == 0 {
			continue
		}
		ref := plotline.SourceRef{ID: parts[0]}
		if len(parts) > 1 {
			g := strings.ToUpper(parts[1])
			if len(g) != 2 {
				f.errs = append(f.errs, plotline.FieldError("sources", "%q: the grade is a letter A-F and a digit 1-6, e.g. B2", parts[1]))
			} else {
				ref.Reliability, ref.Credibility = g[:1], g[1:]
			}
		}
		a.Sources = append(a.Sources, ref)
	}
	return a
}

func (h *Handler) attributionRefs(r *http.Request, a *plotline.Attribution) []*plotline.Error {
	var ids []string
	for _, s := range a.Sources {
		ids = append(ids, s.ID)
	}
	errs := h.missingSources(r, "sources", ids)
	if plotline.ValidID(a.ActorID) {
		_, err := h.store.Actor(r.Context(), a.ActorID, plotline.AsOf{})
		if err == nil && !plotline.VisibilityFor(r.Context(), map[string]string{}).SeesAll() {
			// An actor withheld at the user's clearance is not stored, as
			// far as the user is told (markings.go).
			var g *analysis.Graph
			if g, _, err = h.graph(r.Context(), plotline.AsOf{}); err == nil && g.Actor(a.ActorID) == nil {
				err = plotline.Errorf(plotline.ENOTFOUND, "actor %q not found", a.ActorID)
			}
		}
		if err != nil {
			errs = append(errs, plotline.FieldError("actor", "no actor %q is stored", a.ActorID))
		}
	}
	return errs
}

// pickerActors lists the actors the attribution form offers: those of the
// organisation graph as the user may see it (markings.go), so a withheld
// actor is never offered.
func (h *Handler) pickerActors(r *http.Request) ([]plotline.Actor, error) {
	g, _, err := h.graph(r.Context(), plotline.AsOf{})
	if err != nil {
		return nil, err
	}
	return g.Actors(), nil
}

func (h *Handler) newAttribution(w http.ResponseWriter, r *http.Request) {
	incID := r.PathValue("id")
	if _, err := h.store.Incident(r.Context(), incID, plotline.AsOf{}); err != nil {
		h.fail(w, r, err)
		return
	}
	actors, err := h.pickerActors(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	back := "/incidents/" + url.PathEscape(incID)
	setup := func(d *formData) {
		d.Heading, d.Action, d.Cancel = "New attribution for "+incID, back+"/attributions/new", back
	}
	if r.Method == http.MethodGet {
		a := plotline.Attribution{IncidentID: incID, ID: incID + "/"}
		if _, err := h.fromDraft(r, plotline.RecAttribution, r.URL.Query().Get("id"), &a); err != nil {
			h.fail(w, r, err)
			return
		}
		a.IncidentID = incID
		d := attributionForm(&a, actors, true)
		setup(d)
		h.render(w, r, http.StatusOK, "form_page", &page{Title: d.Heading, Nav: "incidents", Data: d})
		return
	}
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	a := readAttribution(f, plotline.Attribution{IncidentID: incID})
	d := attributionForm(&a, actors, true)
	setup(d)
	if plotline.ValidID(a.ID) {
		if v, err := h.currentVersion(r, plotline.RecAttribution, a.ID); err != nil {
			h.fail(w, r, err)
			return
		} else if v > 0 {
			f.errs = append(f.errs, plotline.FieldError("id", "an attribution %q already exists", a.ID))
		}
	}
	f.errs = append(f.errs, h.attributionRefs(r, &a)...)
	b := &plotline.Batch{Note: "attribution added in the web UI", Attributions: []plotline.Attribution{a}}
	h.save(w, r, f, d, a.Validate(), b, "attributions[0].", back)
}

func (h *Handler) editAttribution(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	vs, err := h.store.History(r.Context(), plotline.Ref{Kind: plotline.RecAttribution, ID: id})
	if err == nil {
		vs, err = plotline.VisibleVersions(r.Context(), h.store, plotline.RecAttribution, id, vs) // TLP markings
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cur, err := currentAttribution(vs, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	actors, err := h.pickerActors(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	back := "/incidents/" + url.PathEscape(cur.IncidentID)
	setup := func(d *formData) {
		d.Heading, d.Action, d.Cancel = "Edit attribution "+id, "/attributions/"+url.PathEscape(id)+"/edit", back
		d.History, d.Version = "/history/attribution/"+url.PathEscape(id), vs[len(vs)-1].Version
	}
	if r.Method == http.MethodGet {
		incID := cur.IncidentID
		if _, err := h.fromDraft(r, plotline.RecAttribution, id, cur); err != nil {
			h.fail(w, r, err)
			return
		}
		cur.ID, cur.IncidentID = id, incID
		d := attributionForm(cur, actors, false)
		setup(d)
		h.render(w, r, http.StatusOK, "form_page", &page{Title: d.Heading, Nav: "incidents", Data: d})
		return
	}
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	a := readAttribution(f, *cur)
	a.ID, a.IncidentID = id, cur.IncidentID
	d := attributionForm(&a, actors, false)
	setup(d)
	if _, err := h.checkVersion(r, plotline.RecAttribution, id, f); err != nil {
		h.fail(w, r, err)
		return
	}
	f.errs = append(f.errs, h.attributionRefs(r, &a)...)
	b := &plotline.Batch{Note: "attribution edited in the web UI", Attributions: []plotline.Attribution{a}}
	h.save(w, r, f, d, a.Validate(), b, "attributions[0].", back)
}

// currentAttribution decodes the latest version from a history.
func currentAttribution(vs []plotline.Version, id string) (*plotline.Attribution, error) {
	if len(vs) == 0 || vs[len(vs)-1].Deleted {
		return nil, plotline.Errorf(plotline.ENOTFOUND, "attribution %q not found", id)
	}
	var a plotline.Attribution
	if err := decodeVersion(vs[len(vs)-1], &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// ---- sources ----

func sourceForm(s *plotline.Source, isNew bool) *formData {
	req := func(f formField) formField { f.Required = true; return f }
	id := req(textField("id", "ID", s.ID, "Lower-case, no spaces; e.g. reuters-2024-03-23-crocus."))
	id.ReadOnly = !isNew
	return &formData{Groups: []formGroup{
		{"Source", []formField{
			id,
			req(textField("publisher", "Publisher", s.Publisher, "")),
			req(textField("title", "Title", s.Title, "")),
			req(textField("url", "URL", s.URL, "http(s) address of the public page.")),
			textField("language", "Language", s.Language, "e.g. en, ar, de"),
			textField("published", "Published", s.Published.String(), "YYYY-MM-DD or a coarser date."),
			selectField("kind", "Kind", s.Kind, plotline.SourceKinds, true),
			selectField("reliability", "Reliability (Admiralty A–F)", s.Reliability, plotline.Reliabilities, false),
			selectField("credibility", "Credibility (Admiralty 1–6)", s.Credibility, plotline.Credibilities, false),
			selectField("tlp", "TLP", s.TLP, plotline.TLPs, true),
			textField("archive_url", "Archived copy", s.ArchiveURL, ""),
			textField("sha256", "SHA-256 of the archived copy", s.SHA256, ""),
		}},
	}}
}

func readSource(f *form) plotline.Source {
	return plotline.Source{ID: f.str("id"), Publisher: f.str("publisher"), Title: f.str("title"), URL: f.str("url"),
		Language: f.str("language"), Published: f.date("published"), Kind: f.str("kind"), Reliability: f.str("reliability"),
		Credibility: f.str("credibility"), TLP: f.str("tlp"), ArchiveURL: f.str("archive_url"), SHA256: f.str("sha256")}
}

func (h *Handler) newSource(w http.ResponseWriter, r *http.Request) {
	setup := func(d *formData) { d.Heading, d.Action, d.Cancel = "New source", "/sources/new", "/sources" }
	if r.Method == http.MethodGet {
		s := plotline.Source{TLP: "clear"}
		if _, err := h.fromDraft(r, plotline.RecSource, r.URL.Query().Get("id"), &s); err != nil {
			h.fail(w, r, err)
			return
		}
		d := sourceForm(&s, true)
		setup(d)
		h.render(w, r, http.StatusOK, "form_page", &page{Title: d.Heading, Nav: "sources", Data: d})
		return
	}
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	s := readSource(f)
	d := sourceForm(&s, true)
	setup(d)
	if plotline.ValidID(s.ID) {
		if _, err := h.store.Source(r.Context(), s.ID, plotline.AsOf{}); err == nil {
			f.errs = append(f.errs, plotline.FieldError("id", "a source %q already exists", s.ID))
		}
	}
	b := &plotline.Batch{Note: "source added in the web UI", Sources: []plotline.Source{s}}
	h.save(w, r, f, d, s.Validate(), b, "sources[0].", "/sources?q="+url.QueryEscape(s.ID))
}

func (h *Handler) editSource(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	cur, err := h.store.Source(r.Context(), id, plotline.AsOf{})
	if err == nil && !plotline.VisibilityFor(r.Context(), nil).Source(cur) { // TLP markings
		err = plotline.Errorf(plotline.ENOTFOUND, "source %q not found", id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ver, err := h.currentVersion(r, plotline.RecSource, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	setup := func(d *formData) {
		d.Heading, d.Action, d.Cancel = "Edit source "+id, "/sources/"+url.PathEscape(id)+"/edit", "/sources"
		d.History, d.Version = "/history/source/"+url.PathEscape(id), ver
	}
	if r.Method == http.MethodGet {
		if _, err := h.fromDraft(r, plotline.RecSource, id, cur); err != nil {
			h.fail(w, r, err)
			return
		}
		cur.ID = id
		d := sourceForm(cur, false)
		setup(d)
		h.render(w, r, http.StatusOK, "form_page", &page{Title: d.Heading, Nav: "sources", Data: d})
		return
	}
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	s := readSource(f)
	s.ID = id
	d := sourceForm(&s, false)
	setup(d)
	if _, err := h.checkVersion(r, plotline.RecSource, id, f); err != nil {
		h.fail(w, r, err)
		return
	}
	b := &plotline.Batch{Note: "source edited in the web UI", Sources: []plotline.Source{s}}
	h.save(w, r, f, d, s.Validate(), b, "sources[0].", "/sources?q="+url.QueryEscape(id))
}

type sourcesData struct {
	Q    string
	List []plotline.Source
	All  int
}

func (h *Handler) sources(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.Sources(r.Context(), plotline.AsOf{Recorded: v.Clock.Recorded})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	vis := plotline.VisibilityFor(r.Context(), nil) // TLP markings: sources above the clearance are not listed
	list = slices.DeleteFunc(list, func(s plotline.Source) bool { return !vis.Source(&s) })
	d := &sourcesData{Q: v.Query.Get("q"), All: len(list)}
	q := strings.ToLower(d.Q)
	for _, s := range list {
		if q == "" || strings.Contains(strings.ToLower(s.ID+" "+s.Publisher+" "+s.Title+" "+s.URL), q) {
			d.List = append(d.List, s)
		}
	}
	h.render(w, r, http.StatusOK, "sources", &page{Title: "Sources", Nav: "sources", View: v, Data: d})
}

// fromDraft, on a form opened with ?draft=N, reads the record kind/id as
// draft N proposes it into dst, so that a draft sent back (or still
// pending) is revised from where it stood rather than from the published
// version; saving it makes a new draft that replaces the old. It reports
// false without ?draft.
func (h *Handler) fromDraft(r *http.Request, kind, id string, dst any) (bool, error) {
	s := r.URL.Query().Get("draft")
	if s == "" {
		return false, nil
	}
	if err := need(r, plotline.RoleAnalyst); err != nil {
		return false, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return false, plotline.FieldError("draft", "%q is not a draft number", s)
	}
	wf, err := h.workflow()
	if err != nil {
		return false, err
	}
	d, err := wf.Draft(r.Context(), n)
	if err != nil {
		return false, err
	}
	for _, rec := range d.Records {
		if rec.Kind != kind || rec.ID != id || rec.Deleted || rec.Data == nil {
			continue
		}
		// TLP markings: a draft record above the clearance is not found;
		// one carrying material above it is not revised below it (saving
		// would drop what the form could not show), as editable says.
		cv, err := h.changeVisibility(r)
		if err != nil {
			return false, err
		}
		_, withheld, ok, err := cv.DraftRecord(r.Context(), rec)
		switch {
		case err != nil:
			return false, err
		case !ok:
			return false, plotline.Errorf(plotline.ENOTFOUND, "draft %d proposes no %s %q", n, kind, id)
		case withheld.Any():
			return false, &plotline.Error{Code: plotline.EFORBIDDEN, Message: "this draft carries material above your clearance; someone cleared to see it must revise it"}
		}
		reflect.ValueOf(dst).Elem().SetZero() // the draft as it is, not laid over the published version
		if err := json.Unmarshal(rec.Data, dst); err != nil {
			return false, fmt.Errorf("decode draft %d %s %q: %w", n, kind, id, err)
		}
		return true, nil
	}
	return false, plotline.Errorf(plotline.ENOTFOUND, "draft %d proposes no %s %q", n, kind, id)
}
