package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

// The review workflow and the audit log (workflow.go in the root package).
// The routes need a store that implements plotline.Workflow; without one
// they answer not_implemented. Roles are checked here as well as by the
// access policy (ReviewAccessPolicy), so that the handlers are safe on
// their own: analysts read drafts, reviewers publish, return and revert,
// admins read the audit log.
//
// TLP markings (plotline.ChangeVisibility): a draft or an audit entry
// names only the records the acting user may see; the others are counted
// in its "withheld" field, and the notes that might name them are blanked.

// ReviewAccessPolicy is the least role for each review and audit route,
// for AccessPolicy.
func ReviewAccessPolicy() map[string]string {
	return map[string]string{
		"GET /api/v1/review/queue":                plotline.RoleAnalyst,
		"GET /api/v1/review/drafts/{id}":          plotline.RoleAnalyst,
		"POST /api/v1/review/drafts/{id}/publish": plotline.RoleReviewer,
		"POST /api/v1/review/drafts/{id}/return":  plotline.RoleReviewer,
		"POST /api/v1/changes/{id}/revert":        plotline.RoleReviewer,
		"GET /api/v1/audit":                       plotline.RoleAdmin,
	}
}

func (s *Server) reviewRoutes(mux *http.ServeMux) {
	s.handle(mux, "GET /api/v1/review/queue", s.reviewQueue)
	s.handle(mux, "GET /api/v1/review/drafts/{id}", s.getDraft)
	s.handle(mux, "POST /api/v1/review/drafts/{id}/publish", s.publishDraft)
	s.handle(mux, "POST /api/v1/review/drafts/{id}/return", s.returnDraft)
	s.handle(mux, "POST /api/v1/changes/{id}/revert", s.revertChange)
	s.handle(mux, "GET /api/v1/audit", s.audit)
}

func reviewOperations() []operation {
	return []operation{
		{method: "GET", path: "/api/v1/review/queue", summary: "Draft changes, newest first: those awaiting review by default (analysts and up)",
			params: []string{"draft_status", "user", "limit"}, response: typeOf[DraftList](), errors: []int{403, 501}},
		{method: "GET", path: "/api/v1/review/drafts/{id}", summary: "One draft change: each record's proposed version beside the published one, and its reviews (analysts and up)",
			response: typeOf[DraftView](), errors: []int{403, 404, 501}},
		{method: "POST", path: "/api/v1/review/drafts/{id}/publish", summary: "Publish a draft: its records become published versions, as a new change with the note (reviewers)",
			body: typeOf[ReviewNote](), response: typeOf[plotline.Change](), errors: []int{403, 404, 409, 413, 415, 501}},
		{method: "POST", path: "/api/v1/review/drafts/{id}/return", summary: "Send a draft back to its author with a note (required); recorded as a change (reviewers)",
			body: typeOf[ReviewNote](), response: typeOf[plotline.Change](), errors: []int{403, 404, 409, 413, 415, 501}},
		{method: "POST", path: "/api/v1/changes/{id}/revert", summary: "Revert a change as a new change: each record it wrote goes back to its version before, or is deleted if the change created it (reviewers)",
			body: typeOf[ReviewNote](), response: typeOf[plotline.Change](), errors: []int{403, 404, 409, 413, 415, 501}},
		{method: "GET", path: "/api/v1/audit", summary: "The instance-wide audit log, newest first, filterable; JSON, or CSV with format=csv (admins)",
			params: []string{"user", "action", "kind", "record", "since", "until", "limit", "offset", "format"}, response: typeOf[AuditLog](), errors: []int{403, 501}},
	}
}

var reviewParamDocs = map[string]map[string]any{
	"draft_status": {"name": "status", "description": "Draft status, or all (default draft: awaiting review).",
		"schema": map[string]any{"type": "string", "enum": append(append([]string(nil), plotline.DraftStatuses...), "all")}},
	"user":   {"name": "by", "description": "Only changes recorded by this user.", "schema": map[string]any{"type": "string"}},
	"action": {"description": "Only changes with this action.", "schema": map[string]any{"type": "string", "enum": plotline.Actions}},
	"record": {"name": "id", "description": "With kind: only changes that wrote this record.", "schema": map[string]any{"type": "string"}},
	"since":  {"name": "from", "description": "Recorded at or after this day (its start) or RFC 3339 instant.", "schema": map[string]any{"type": "string"}},
	"until":  {"name": "to", "description": "Recorded up to this day (its end) or before this RFC 3339 instant.", "schema": map[string]any{"type": "string"}},
	"offset": {"description": "Entries to skip.", "schema": map[string]any{"type": "integer", "minimum": 0}},
	"format": {"description": "json (default) or csv.", "schema": map[string]any{"type": "string", "enum": []string{"json", "csv"}}},
}

// DraftList is a page of drafts.
type DraftList struct {
	Drafts []DraftView `json:"drafts"`
}

// DraftView is a draft as the acting user may see it: records above the
// user's clearance left out and counted in Withheld (absent when none),
// the notes of the draft and its reviews blanked when any was.
type DraftView struct {
	plotline.Draft
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// ReviewNote is the body of publish, return and revert: why.
type ReviewNote struct {
	Note string `json:"note"`
}

// AuditLog is a page of the audit log.
type AuditLog struct {
	Entries []AuditEntryView `json:"entries"`
}

// AuditEntryView is an audit entry as the acting user may see it: the
// records listed narrowed to those the user may see, the others counted
// in Withheld (absent when none), the note blanked when it might name them.
type AuditEntryView struct {
	plotline.AuditEntry
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// changeVisibility returns the acting user's view of the change log; nil
// when the store cannot narrow it (it keeps no review workflow).
func (s *Server) changeVisibility(r *http.Request) *plotline.ChangeVisibility {
	cr, ok := s.store.(plotline.ChangeReader)
	if !ok {
		return nil
	}
	return plotline.NewChangeVisibility(r.Context(), cr)
}

// visibleDrafts narrows drafts for the acting user.
func (s *Server) visibleDrafts(r *http.Request, list []plotline.Draft) ([]DraftView, error) {
	cv := s.changeVisibility(r)
	out := make([]DraftView, 0, len(list))
	for _, d := range list {
		if cv == nil {
			out = append(out, DraftView{Draft: d})
			continue
		}
		seen, w, err := cv.Draft(r.Context(), d)
		if err != nil {
			return nil, err
		}
		out = append(out, DraftView{Draft: seen, Withheld: withheldPtr(w)})
	}
	return out, nil
}

// visibleAudit narrows audit entries for the acting user.
func (s *Server) visibleAudit(r *http.Request, list []plotline.AuditEntry) ([]AuditEntryView, error) {
	cv := s.changeVisibility(r)
	out := make([]AuditEntryView, 0, len(list))
	for _, e := range list {
		if cv == nil {
			out = append(out, AuditEntryView{AuditEntry: e})
			continue
		}
		seen, w, err := cv.Entry(r.Context(), e)
		if err != nil {
			return nil, err
		}
		out = append(out, AuditEntryView{AuditEntry: seen, Withheld: withheldPtr(w)})
	}
	return out, nil
}

func (s *Server) workflow() (plotline.Workflow, error) {
	w, ok := s.store.(plotline.Workflow)
	if !ok {
		return nil, plotline.Errorf(plotline.ENOTIMPLEMENTED, "this store keeps no review workflow")
	}
	return w, nil
}

// need refuses users below role, whatever the access policy said.
func need(r *http.Request, role string) error {
	u := plotline.Acting(r.Context())
	if !plotline.RoleAtLeast(u.Role, role) {
		return plotline.Errorf(plotline.EFORBIDDEN, "this needs the %s role or higher", role)
	}
	return nil
}

func changeID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, plotline.FieldError("id", "%q is not a change number", r.PathValue("id"))
	}
	return id, nil
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "status", "by", "limit")
	p.asOf() // checked as on every route; drafts are read as they are now
	f := plotline.DraftFilter{Status: p.oneOf("status", append(append([]string(nil), plotline.DraftStatuses...), "all")),
		By: p.str("by"), Limit: p.intIn("limit", 100, 1, 1000)}
	if p.err != nil {
		return p.err
	}
	if err := need(r, plotline.RoleAnalyst); err != nil {
		return err
	}
	wf, err := s.workflow()
	if err != nil {
		return err
	}
	list, err := wf.Drafts(r.Context(), f)
	if err != nil {
		return err
	}
	views, err := s.visibleDrafts(r, list)
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, DraftList{Drafts: views})
}

func (s *Server) getDraft(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	p.asOf() // checked as on every route; drafts are read as they are now
	if p.err != nil {
		return p.err
	}
	if err := need(r, plotline.RoleAnalyst); err != nil {
		return err
	}
	id, err := changeID(r)
	if err != nil {
		return err
	}
	wf, err := s.workflow()
	if err != nil {
		return err
	}
	d, err := wf.Draft(r.Context(), id)
	if err != nil {
		return err
	}
	views, err := s.visibleDrafts(r, []plotline.Draft{*d})
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, views[0])
}

// transition runs one review action by the acting user and refreshes the
// analytics, whose index it changes.
func (s *Server) transition(role string, act func(wf plotline.Workflow, r *http.Request, id int64, by, note string) (*plotline.Change, error)) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := need(r, role); err != nil {
			return err
		}
		if p := newParams(r); p.err != nil {
			return p.err
		}
		id, err := changeID(r)
		if err != nil {
			return err
		}
		var body ReviewNote
		if r.ContentLength != 0 {
			if err := decodeJSON(r, &body); err != nil {
				return err
			}
		}
		wf, err := s.workflow()
		if err != nil {
			return err
		}
		if cv := s.changeVisibility(r); cv != nil {
			if err := cv.MayReview(r.Context(), wf, id); err != nil {
				return err
			}
		}
		ch, err := act(wf, r, id, actingName(r), body.Note)
		if err != nil {
			return err
		}
		if rf, ok := s.analytics.(Refresher); ok {
			if err := rf.Refresh(r.Context()); err != nil {
				s.log.WarnContext(r.Context(), "refresh analytics after a review", "err", err, "request_id", RequestID(r.Context()))
			}
		}
		return writeJSON(w, r, http.StatusOK, ch)
	}
}

// actingName is who a review is recorded as: the user, or "api" in
// single-user mode (as the API's other writes).
func actingName(r *http.Request) string {
	u := plotline.Acting(r.Context())
	if u.Name == "" || u.ID == plotline.LocalUser.ID {
		return apiBy
	}
	return u.Name
}

func (s *Server) publishDraft(w http.ResponseWriter, r *http.Request) error {
	return s.transition(plotline.RoleReviewer, func(wf plotline.Workflow, r *http.Request, id int64, by, note string) (*plotline.Change, error) {
		return wf.Publish(r.Context(), id, by, note)
	})(w, r)
}

func (s *Server) returnDraft(w http.ResponseWriter, r *http.Request) error {
	return s.transition(plotline.RoleReviewer, func(wf plotline.Workflow, r *http.Request, id int64, by, note string) (*plotline.Change, error) {
		return wf.Return(r.Context(), id, by, note)
	})(w, r)
}

func (s *Server) revertChange(w http.ResponseWriter, r *http.Request) error {
	return s.transition(plotline.RoleReviewer, func(wf plotline.Workflow, r *http.Request, id int64, by, note string) (*plotline.Change, error) {
		return wf.Revert(r.Context(), id, by, note)
	})(w, r)
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "by", "action", "kind", "id", "from", "to", "limit", "offset", "format")
	p.asOf() // checked as on every route; the audit log filters by from and to
	f := plotline.AuditFilter{By: p.str("by"), Action: p.oneOf("action", plotline.Actions),
		Kind: p.oneOf("kind", plotline.RecKinds), ID: p.str("id"),
		Limit: p.intIn("limit", 100, 1, 10000), Offset: p.intIn("offset", 0, 0, 1<<30)}
	f.From, f.To = p.instant("from", false), p.instant("to", true)
	format := p.oneOf("format", []string{"json", "csv"})
	if p.err != nil {
		return p.err
	}
	if f.ID != "" && f.Kind == "" {
		return plotline.FieldError("id", "needs a kind")
	}
	if err := need(r, plotline.RoleAdmin); err != nil {
		return err
	}
	wf, err := s.workflow()
	if err != nil {
		return err
	}
	list, err := wf.Audit(r.Context(), f)
	if err != nil {
		return err
	}
	views, err := s.visibleAudit(r, list)
	if err != nil {
		return err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="plotline-audit.csv"`)
		return writeAuditCSV(w, views)
	}
	return writeJSON(w, r, http.StatusOK, AuditLog{Entries: views})
}

// instant reads a day (its start, or with end its end) or an RFC 3339 instant.
func (p *params) instant(name string, end bool) *time.Time {
	s := p.str(name)
	if s == "" {
		return nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return &t
	}
	d, err := plotline.ParseDay(s)
	if err != nil {
		p.fail(plotline.FieldError(name, "%q is neither a day (YYYY-MM-DD) nor an RFC 3339 time", s))
		return nil
	}
	t := d.Time()
	if end {
		t = d.EndTime().Add(time.Nanosecond)
	}
	return &t
}

// AuditCSVHeader is the first row of the audit log as CSV.
var AuditCSVHeader = []string{"change", "recorded_at", "recorded_by", "action", "target", "note", "count", "records", "withheld"}

// WriteAuditCSV writes audit entries as CSV, one row per change; records
// are "kind/id" joined with spaces; withheld (records left out at the
// reader's clearance) is empty. Free text that a spreadsheet would read as
// a formula gets a leading apostrophe.
func WriteAuditCSV(w interface{ Write([]byte) (int, error) }, list []plotline.AuditEntry) error {
	views := make([]AuditEntryView, len(list))
	for i, e := range list {
		views[i] = AuditEntryView{AuditEntry: e}
	}
	return writeAuditCSV(w, views)
}

// writeAuditCSV is WriteAuditCSV for narrowed entries: withheld is how
// many records the entry left out, by all kinds.
func writeAuditCSV(w interface{ Write([]byte) (int, error) }, list []AuditEntryView) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(AuditCSVHeader); err != nil {
		return err
	}
	for _, e := range list {
		refs := make([]string, len(e.Records))
		for i, r := range e.Records {
			refs[i] = r.Kind + "/" + r.ID
		}
		target := ""
		if e.Target != 0 {
			target = strconv.FormatInt(e.Target, 10)
		}
		withheld := ""
		if w := e.Withheld; w != nil {
			withheld = strconv.Itoa(w.Sources + w.Actors + w.Affiliations + w.Incidents + w.Attributions)
		}
		row := []string{strconv.FormatInt(e.ID, 10), e.RecordedAt.Format(time.RFC3339Nano), inert(e.RecordedBy), e.Action, target,
			inert(e.Note), strconv.Itoa(e.Count), inert(strings.Join(refs, " ")), withheld}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write audit CSV: %w", err)
	}
	return nil
}

// inert keeps a spreadsheet from reading a cell as a formula.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
