package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

// The instance-wide audit log (admins): every change, newest first,
// filtered by user, action, record kind (and ID) and recording date, a page
// at a time. The query parameters are the JSON API's (GET /api/v1/audit),
// so the download links are the same filter sent there with format=csv or
// json.

// auditPage is the default number of entries per page; auditDownload the
// most a download holds (the API's ceiling).
const (
	auditPage     = 50
	auditDownload = 10000
	auditLinks    = 5 // records linked per entry; the downloads list up to plotline.AuditRecords
)

type auditData struct {
	By, Action, Kind, ID, From, To string
	Actions, Kinds                 []string
	Entries                        []auditRow
	Offset, Limit                  int
	Prev, Next                     string // links to the neighbouring pages; "" at an end
	CSV, JSON                      string // downloads of the whole filtered log
	Filtered                       bool
	Reverted                       int64 // the change a revert just recorded
}

type auditRow struct {
	plotline.AuditEntry
	Links      []recordLink
	More       int    // records written but not listed
	Draft      string // the draft's page, for drafts and their reviews
	Revertible bool
	// Withheld says, in counts, what of the change the user's clearance
	// withholds; NoteWithheld that its note is not shown (it might name it).
	Withheld     string
	NoteWithheld bool
}

type recordLink struct{ Kind, ID, URL string }

func (h *Handler) audit(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err == nil {
		err = need(r, plotline.RoleAdmin)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d, f, err := readAuditFilter(v.Query)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	wf, err := h.workflow()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f.Limit = d.Limit + 1 // one more tells whether there is a next page
	list, err := wf.Audit(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(list) > d.Limit {
		list = list[:d.Limit]
		d.Next = v.With("offset", strconv.Itoa(d.Offset+d.Limit))
	}
	if d.Offset > 0 {
		prev := ""
		if p := d.Offset - d.Limit; p > 0 {
			prev = strconv.Itoa(p)
		}
		d.Prev = v.With("offset", prev)
	}
	// TLP markings: records above the user's clearance are counted, not
	// named, and the notes that might name them are blanked.
	cv, err := h.changeVisibility(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, e := range list {
		row, err := visibleAuditRow(r, cv, e)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Entries = append(d.Entries, row)
	}
	dl := url.Values{}
	for k, val := range map[string]string{"by": d.By, "action": d.Action, "kind": d.Kind, "id": d.ID, "from": d.From, "to": d.To} {
		if val != "" {
			dl.Set(k, val)
		}
	}
	dl.Set("limit", strconv.Itoa(auditDownload))
	dl.Set("format", "csv")
	d.CSV = "/api/v1/audit?" + dl.Encode()
	dl.Set("format", "json")
	d.JSON = "/api/v1/audit?" + dl.Encode()
	d.Reverted, _ = strconv.ParseInt(v.Query.Get("reverted"), 10, 64) // not a number: no notice
	h.render(w, r, http.StatusOK, "audit", &page{Title: "Audit log", Nav: "audit", View: v, Data: d})
}

// readAuditFilter reads the filter form; the names and rules are the API's.
func readAuditFilter(q url.Values) (*auditData, plotline.AuditFilter, error) {
	s := func(k string) string { return strings.TrimSpace(q.Get(k)) }
	d := &auditData{By: s("by"), Action: s("action"), Kind: s("kind"), ID: s("id"), From: s("from"), To: s("to"),
		Actions: plotline.Actions, Kinds: plotline.RecKinds, Limit: auditPage}
	f := plotline.AuditFilter{By: d.By, Action: d.Action, Kind: d.Kind, ID: d.ID}
	switch {
	case d.Action != "" && !slices.Contains(plotline.Actions, d.Action):
		return nil, f, plotline.FieldError("action", "%q is not an action (%s)", d.Action, strings.Join(plotline.Actions, ", "))
	case d.Kind != "" && !plotline.ValidKind(d.Kind):
		return nil, f, plotline.FieldError("kind", "%q is not a record kind (%s)", d.Kind, strings.Join(plotline.RecKinds, ", "))
	case d.ID != "" && d.Kind == "":
		return nil, f, plotline.FieldError("id", "a record ID needs its kind")
	}
	var err error
	if f.From, err = auditInstant("from", d.From, false); err != nil {
		return nil, f, err
	}
	if f.To, err = auditInstant("to", d.To, true); err != nil {
		return nil, f, err
	}
	for _, p := range []struct {
		name     string
		dst      *int
		min, max int
	}{{"offset", &d.Offset, 0, 1 << 30}, {"limit", &d.Limit, 1, 500}} {
		if v := s(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < p.min || n > p.max {
				return nil, f, plotline.FieldError(p.name, "%q is not a whole number from %d to %d", v, p.min, p.max)
			}
			*p.dst = n
		}
	}
	f.Offset = d.Offset
	d.Filtered = d.By != "" || d.Action != "" || d.Kind != "" || d.From != "" || d.To != ""
	return d, f, nil
}

// auditInstant reads a day (its start; with end, up to its end) or an RFC
// 3339 instant, as the API does.
func auditInstant(name, s string, end bool) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return &t, nil
	}
	day, err := plotline.ParseDay(s)
	if err != nil {
		return nil, plotline.FieldError(name, "%q is neither a day (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	t := day.Time()
	if end {
		t = day.EndTime().Add(time.Nanosecond)
	}
	return &t, nil
}

// visibleAuditRow is auditRowOf for the entry as the user may see it. A
// change that wrote anything the user may not see is not theirs to revert.
func visibleAuditRow(r *http.Request, cv *plotline.ChangeVisibility, e plotline.AuditEntry) (auditRow, error) {
	seen, withheld, err := cv.Entry(r.Context(), e)
	if err != nil {
		return auditRow{}, err
	}
	row := auditRowOf(seen)
	row.Withheld = withheldText(withheld)
	row.NoteWithheld = seen.Note != e.Note
	row.Revertible = row.Revertible && !withheld.Any() && !row.NoteWithheld
	return row, nil
}

func auditRowOf(e plotline.AuditEntry) auditRow {
	row := auditRow{AuditEntry: e, More: e.Count - min(len(e.Records), auditLinks)}
	for _, ref := range e.Records[:min(len(e.Records), auditLinks)] {
		row.Links = append(row.Links, recordLink{Kind: ref.Kind, ID: ref.ID,
			URL: "/history/" + url.PathEscape(ref.Kind) + "/" + url.PathEscape(ref.ID)})
	}
	switch e.Action {
	case plotline.ActionDraft:
		row.Draft = "/review/" + strconv.FormatInt(e.ID, 10)
	case plotline.ActionPublish, plotline.ActionReturn:
		row.Draft = "/review/" + strconv.FormatInt(e.Target, 10)
	}
	// A draft was never published and a return wrote nothing: neither has
	// anything to revert.
	row.Revertible = e.Count > 0 && e.Action != plotline.ActionDraft && e.Action != plotline.ActionReturn
	return row
}
