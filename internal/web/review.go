package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/plotline-dev/plotline"
)

// The review workflow's pages (workflow.go in the root package; the JSON
// API's routes are internal/httpapi/review.go). Analysts read the queue and
// drafts, and find their own drafts sent back with the reviewer's comment;
// reviewers publish, send back and revert. Roles are checked here as well
// as by the server's access policy, so the handlers are safe on their own.

// Allowed reports whether the acting user has at least role: links to
// pages the server would refuse are not shown. Unlike Can, an anonymous
// visitor is allowed nothing.
func (p *page) Allowed(role string) bool {
	return p.User != nil && plotline.RoleAtLeast(p.User.Role, role)
}

// Drafts reports whether the acting user's edits are saved as drafts.
func (p *page) Drafts() bool { return p.User != nil && plotline.DraftsFor(p.User) }

// queueRecords bounds the records listed per draft in the queue.
const queueRecords = 8

type queueData struct {
	Status   string // draft (awaiting review), returned, published, superseded or all
	By       string
	Statuses []string
	Drafts   []draftRow
	// Returned are the acting user's drafts sent back, on the default view.
	Returned []draftRow
	Limit    int
	Full     bool // the list reached Limit
}

type draftRow struct {
	Change   plotline.Change
	Status   string
	Records  []plotline.Ref
	Count    int // records in all, shown or not
	Withheld int // records above the user's clearance, not named
	// NoteWithheld: the draft's note (and its reviews') may name what the
	// user's clearance withholds, and is not shown.
	NoteWithheld bool
	Comment      *plotline.Change
}

type draftData struct {
	Draft    *plotline.Draft // as the user may see it (notes blanked when they must be)
	Saved    bool            // just saved by its author: say so
	Records  []draftRecordView
	Withheld string // what the user's clearance withheld, in counts
	// NoteWithheld: the notes of the draft and its reviews are not shown.
	NoteWithheld bool
	// Publishable: a reviewer may publish (awaiting review or returned);
	// Pending: awaiting review, so it may also be sent back.
	Publishable, Pending bool
	// Published is the change that published it, which a reviewer may revert.
	Published *plotline.Change
	// ReturnError and Comment keep a rejected send-back's problem and text.
	ReturnError, Comment string
}

// draftRecordView is one record of a draft beside its published version.
type draftRecordView struct {
	Kind, ID, Status string
	Deleted, New     bool
	CurrentVersion   int
	Diff             []diffLine
	History, Record  string // links to the published record's history and page
	Revise           string // the record's form, opened on the draft (fromDraft)
}

func (h *Handler) workflow() (plotline.Workflow, error) {
	wf, ok := h.store.(plotline.Workflow)
	if !ok {
		return nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "this store keeps no review workflow")
	}
	return wf, nil
}

// need refuses users below role, whatever the access policy said.
func need(r *http.Request, role string) error {
	if !plotline.RoleAtLeast(plotline.Acting(r.Context()).Role, role) {
		return plotline.Errorf(plotline.EFORBIDDEN, "this needs the %s role or higher", role)
	}
	return nil
}

func pathChange(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, plotline.Errorf(plotline.ENOTFOUND, "no change %q", r.PathValue("id"))
	}
	return id, nil
}

func (h *Handler) reviewQueue(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err == nil {
		err = need(r, plotline.RoleAnalyst)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	wf, err := h.workflow()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &queueData{Status: v.Query.Get("status"), By: strings.TrimSpace(v.Query.Get("by")), Limit: 100,
		Statuses: append(append([]string(nil), plotline.DraftStatuses...), "all")}
	if d.Status == "" {
		d.Status = plotline.StatusDraft
	}
	if !slices.Contains(d.Statuses, d.Status) {
		h.fail(w, r, plotline.FieldError("status", "%q is not a draft status (%s)", d.Status, strings.Join(d.Statuses, ", ")))
		return
	}
	list, err := wf.Drafts(r.Context(), plotline.DraftFilter{Status: d.Status, By: d.By, Limit: d.Limit})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Full = len(list) == d.Limit
	cv, err := h.changeVisibility(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Drafts, err = h.draftRows(r, cv, list); err != nil {
		h.fail(w, r, err)
		return
	}
	u := plotline.Acting(r.Context())
	if u.ID > 0 && d.Status == plotline.StatusDraft && d.By == "" {
		mine, err := wf.Drafts(r.Context(), plotline.DraftFilter{Status: plotline.StatusReturned, By: u.Name, Limit: d.Limit})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if d.Returned, err = h.draftRows(r, cv, mine); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "review", &page{Title: "Review", Nav: "review", View: v, Data: d})
}

// changeVisibility returns the acting user's view of the change log
// (plotline.ChangeVisibility: records above the clearance counted, not
// named; notes that might name them blanked).
func (h *Handler) changeVisibility(r *http.Request) (*plotline.ChangeVisibility, error) {
	cr, ok := h.store.(plotline.ChangeReader)
	if !ok {
		return nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "this store keeps no review workflow")
	}
	return plotline.NewChangeVisibility(r.Context(), cr), nil
}

// mayReview refuses acting on a change that wrote material above the
// user's clearance (plotline.ChangeVisibility.MayReview).
func (h *Handler) mayReview(r *http.Request, wf plotline.Workflow, id int64) error {
	cv, err := h.changeVisibility(r)
	if err != nil {
		return err
	}
	return cv.MayReview(r.Context(), wf, id)
}

// draftRows summarises drafts for the queue, as the user may see them.
func (h *Handler) draftRows(r *http.Request, cv *plotline.ChangeVisibility, list []plotline.Draft) ([]draftRow, error) {
	out := make([]draftRow, 0, len(list))
	for _, d := range list {
		seen, _, err := cv.Draft(r.Context(), d)
		if err != nil {
			return nil, err
		}
		row := draftRow{Change: seen.Change, Status: seen.Status, Count: len(d.Records), Withheld: len(d.Records) - len(seen.Records),
			NoteWithheld: seen.Change.Note != d.Change.Note}
		if n := len(seen.Reviews); n > 0 {
			row.Comment = &seen.Reviews[n-1]
		}
		for _, rec := range seen.Records[:min(len(seen.Records), queueRecords)] {
			row.Records = append(row.Records, plotline.Ref{Kind: rec.Kind, ID: rec.ID})
		}
		out = append(out, row)
	}
	return out, nil
}

// draftRecord shows one record of a draft (as the user may see it:
// cv.DraftRecord) beside its published version.
func draftRecord(rec plotline.DraftRecord) (draftRecordView, error) {
	v := draftRecordView{Kind: rec.Kind, ID: rec.ID, Status: rec.Status, Deleted: rec.Deleted, New: rec.Current == nil, CurrentVersion: rec.CurrentVersion}
	proposed := &plotline.Version{Kind: rec.Kind, ID: rec.ID, Deleted: rec.Deleted, Data: rec.Data}
	var current *plotline.Version
	if rec.Current != nil {
		current = &plotline.Version{Kind: rec.Kind, ID: rec.ID, Version: rec.CurrentVersion, Data: rec.Current}
	}
	diff, err := diffVersions(current, proposed)
	if err != nil {
		return draftRecordView{}, err
	}
	v.Diff = diff
	if !v.New {
		v.History = "/history/" + url.PathEscape(rec.Kind) + "/" + url.PathEscape(rec.ID)
		if rec.Kind == plotline.RecIncident {
			v.Record = "/incidents/" + url.PathEscape(rec.ID)
		}
	}
	return v, nil
}

func (h *Handler) draftPage(w http.ResponseWriter, r *http.Request) {
	h.showDraft(w, r, http.StatusOK, "", "")
}

// showDraft renders a draft's page; returnErr and comment bring back a
// send-back form that was refused.
func (h *Handler) showDraft(w http.ResponseWriter, r *http.Request, code int, returnErr, comment string) {
	v, err := h.newView(r)
	if err == nil {
		err = need(r, plotline.RoleAnalyst)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := pathChange(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	wf, err := h.workflow()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	dr, err := wf.Draft(r.Context(), id)
	if plotline.ErrorCode(err) == plotline.EINVALID {
		err = plotline.Errorf(plotline.ENOTFOUND, "change %d is not a draft", id) // a published change is not a draft page
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// TLP markings: records above the user's clearance are counted, not
	// shown, and the notes that might name them are blanked.
	cv, err := h.changeVisibility(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	seen, withheld, err := cv.Draft(r.Context(), *dr)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &draftData{Draft: &seen, Saved: v.Query.Get("saved") != "", ReturnError: returnErr, Comment: comment,
		Pending: dr.Status == plotline.StatusDraft, Withheld: withheldText(withheld), NoteWithheld: seen.Change.Note != dr.Change.Note}
	d.Publishable = d.Pending || dr.Status == plotline.StatusReturned
	for _, rec := range seen.Records {
		rv, err := draftRecord(rec)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if d.Publishable && !rec.Deleted {
			rv.Revise = reviseLink(id, rec)
		}
		d.Records = append(d.Records, rv)
	}
	if dr.Status == plotline.StatusPublished {
		for i := range seen.Reviews {
			if seen.Reviews[i].Action == plotline.ActionPublish {
				d.Published = &seen.Reviews[i]
			}
		}
	}
	title := "Draft " + strconv.FormatInt(id, 10)
	h.render(w, r, code, "draft", &page{Title: title, Nav: "review", View: v, Data: d})
}

// review runs a publish or a send-back by the acting reviewer.
func (h *Handler) review(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := need(r, plotline.RoleReviewer); err != nil {
			h.fail(w, r, err)
			return
		}
		id, err := pathChange(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		f, ok := h.parseForm(w, r)
		if !ok {
			return
		}
		wf, err := h.workflow()
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if err := h.mayReview(r, wf, id); err != nil {
			h.fail(w, r, err)
			return
		}
		note := f.str("note")
		by := h.recordedBy(plotline.Acting(r.Context()))
		switch action {
		case plotline.ActionPublish:
			_, err = wf.Publish(r.Context(), id, by, note)
		case plotline.ActionReturn:
			if note == "" {
				h.showDraft(w, r, http.StatusUnprocessableEntity, "Say what needs to change: the comment goes back to the author.", "")
				return
			}
			_, err = wf.Return(r.Context(), id, by, note)
		}
		if err != nil {
			if plotline.ErrorCode(err) == plotline.EINVALID && action == plotline.ActionReturn {
				h.showDraft(w, r, http.StatusUnprocessableEntity, plotline.ErrorMessage(err), note)
				return
			}
			h.fail(w, r, err)
			return
		}
		h.refreshAfter(r, action)
		http.Redirect(w, r, "/review/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	}
}

// refreshAfter refreshes the analytics after a review changed what is published.
func (h *Handler) refreshAfter(r *http.Request, action string) {
	if action == plotline.ActionReturn {
		return // writes nothing
	}
	if err := h.analytics.Refresh(r.Context()); err != nil {
		// The change is done; a stale index only delays what the pages show.
		h.log.WarnContext(r.Context(), "web: refresh analytics after "+action, "err", err)
	}
}

// revert undoes a change as a new change, with the reviewer's reason.
func (h *Handler) revert(w http.ResponseWriter, r *http.Request) {
	if err := need(r, plotline.RoleReviewer); err != nil {
		h.fail(w, r, err)
		return
	}
	id, err := pathChange(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	reason := f.str("reason")
	if reason == "" {
		h.fail(w, r, plotline.FieldError("reason", "say why change %d is reverted: the reason is kept in the history", id))
		return
	}
	wf, err := h.workflow()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.mayReview(r, wf, id); err != nil {
		h.fail(w, r, err)
		return
	}
	ch, err := wf.Revert(r.Context(), id, h.recordedBy(plotline.Acting(r.Context())), reason)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.refreshAfter(r, plotline.ActionRevert)
	next := safeNext(f.str("next"))
	if next == "/" {
		next = "/review"
		if plotline.CanAudit(plotline.Acting(r.Context())) {
			next = "/audit"
		}
	}
	u, err := url.Parse(next)
	if err != nil {
		u = &url.URL{Path: "/review"}
	}
	q := u.Query()
	q.Set("reverted", strconv.FormatInt(ch.ID, 10))
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// workflowRoutes registers the review and audit pages.
func (h *Handler) workflowRoutes(m *routeList) {
	m.HandleFunc("GET /review", h.reviewQueue)
	m.HandleFunc("GET /review/{id}", h.draftPage)
	m.HandleFunc("POST /review/{id}/publish", h.review(plotline.ActionPublish))
	m.HandleFunc("POST /review/{id}/return", h.review(plotline.ActionReturn))
	m.HandleFunc("POST /changes/{id}/revert", h.revert)
	m.HandleFunc("GET /audit", h.audit)
	m.HandleFunc("GET /duplicates", h.duplicates)
	m.HandleFunc("POST /duplicates", h.decideDuplicate)
}

// reviseLink returns the form that revises one record of a draft, or ""
// for kinds without a form.
func reviseLink(change int64, rec plotline.DraftRecord) string {
	q := "?draft=" + strconv.FormatInt(change, 10)
	if rec.Current == nil {
		q += "&id=" + url.QueryEscape(rec.ID)
	}
	id := url.PathEscape(rec.ID)
	switch rec.Kind {
	case plotline.RecIncident:
		if rec.Current == nil {
			return "/incidents/new" + q
		}
		return "/incidents/" + id + "/edit" + q
	case plotline.RecSource:
		if rec.Current == nil {
			return "/sources/new" + q
		}
		return "/sources/" + id + "/edit" + q
	case plotline.RecAttribution:
		if rec.Current != nil {
			return "/attributions/" + id + "/edit" + q
		}
		var a struct {
			Incident string `json:"incident"`
		}
		if json.Unmarshal(rec.Data, &a) != nil || a.Incident == "" {
			return "" // unreadable: no link rather than a broken one
		}
		return "/incidents/" + url.PathEscape(a.Incident) + "/attributions/new" + q
	}
	return ""
}
