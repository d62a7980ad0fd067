package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/plotline-dev/plotline"
)

func decodeVersion(v plotline.Version, dst any) error {
	if err := json.Unmarshal(v.Data, dst); err != nil {
		return fmt.Errorf("decode %s %q version %d: %w", v.Kind, v.ID, v.Version, err)
	}
	return nil
}

type historyData struct {
	Kind, ID  string
	Versions  []plotline.Version
	Rows      []historyRow // the versions as listed: notes, revert forms
	A, B      int
	Diff      []diffLine
	RecordURL string
	Reverted  int64 // the change a revert from this page just recorded
}

// historyRow is one version in the list. NoteWithheld: the note of the
// change that wrote it may name what the user's clearance withholds, and
// is not shown. Revertible: a reviewer may revert that change from here.
type historyRow struct {
	Version                  int
	RecordedAt               time.Time
	RecordedBy, Note         string
	Deleted                  bool
	ChangeID                 int64
	NoteWithheld, Revertible bool
	shown                    bool // the user may see this version's data
}

// diffLine is one field that differs between two versions.
type diffLine struct {
	Field    string
	Old, New string
	Change   string // added, removed, changed
}

func (h *Handler) history(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ref := plotline.Ref{Kind: r.PathValue("kind"), ID: r.PathValue("id")}
	vs, err := h.store.History(r.Context(), ref)
	if err == nil {
		// TLP markings: a withheld record has no history (markings.go in the root package).
		vs, err = plotline.VisibleVersions(r.Context(), h.store, ref.Kind, ref.ID, vs)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(vs) == 0 {
		h.fail(w, r, plotline.Errorf(plotline.ENOTFOUND, "%s %q has no history", ref.Kind, ref.ID))
		return
	}
	d := &historyData{Kind: ref.Kind, ID: ref.ID, Versions: vs}
	if d.Rows, err = h.historyRows(r, ref, vs); err != nil {
		h.fail(w, r, err)
		return
	}
	d.Reverted, _ = strconv.ParseInt(v.Query.Get("reverted"), 10, 64) // not a number: no notice
	if ref.Kind == plotline.RecIncident {
		d.RecordURL = "/incidents/" + url.PathEscape(ref.ID)
	}
	// By default compare the last two versions.
	d.B = vs[len(vs)-1].Version
	d.A = d.B
	if len(vs) > 1 {
		d.A = vs[len(vs)-2].Version
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"a", &d.A}, {"b", &d.B}} {
		if s := v.Query.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || versionOf(vs, n) == nil {
				h.fail(w, r, plotline.FieldError(p.name, "%q is not a version of %s %q", s, ref.Kind, ref.ID))
				return
			}
			*p.dst = n
		}
	}
	d.Diff, err = diffVersions(versionOf(vs, d.A), versionOf(vs, d.B))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "history", &page{Title: "History of " + ref.ID, View: v, Data: d})
}

// historyRows lists the versions with what the change that wrote each
// may show: its note, unless it wrote anything the user may not see
// (plotline.ChangeVisibility, as the audit log); and, for reviewers, a
// revert of it, unless it wrote anything the user may not see or is a
// version the user may not see.
func (h *Handler) historyRows(r *http.Request, ref plotline.Ref, vs []plotline.Version) ([]historyRow, error) {
	rows := make([]historyRow, len(vs))
	for i, v := range vs {
		rows[i] = historyRow{Version: v.Version, RecordedAt: v.RecordedAt, RecordedBy: v.RecordedBy, Note: v.Note, Deleted: v.Deleted,
			ChangeID: v.ChangeID, shown: v.Data != nil || v.Deleted}
	}
	u := plotline.Acting(r.Context())
	sees := plotline.VisibilityFor(r.Context(), map[string]string{}).SeesAll()
	wf, ok := h.store.(plotline.Workflow)
	cr, cok := h.store.(plotline.ChangeReader)
	if !ok || !cok {
		for i := range rows {
			rows[i].NoteWithheld = !sees && rows[i].Note != ""
			rows[i].Note = map[bool]string{true: "", false: rows[i].Note}[rows[i].NoteWithheld]
		}
		return rows, nil
	}
	if sees && !plotline.CanReview(u) {
		return rows, nil
	}
	// The changes that wrote this record, drafts included, are few.
	entries, err := wf.Audit(r.Context(), plotline.AuditFilter{Kind: ref.Kind, ID: ref.ID, Limit: 10000})
	if err != nil {
		return nil, err
	}
	cv := plotline.NewChangeVisibility(r.Context(), cr)
	byChange := make(map[int64]plotline.AuditEntry, len(entries))
	for _, e := range entries {
		byChange[e.ID] = e
	}
	for i := range rows {
		e, ok := byChange[rows[i].ChangeID]
		if !ok {
			rows[i].NoteWithheld = !sees && rows[i].Note != "" // not checked: say nothing
			continue
		}
		seen, withheld, err := cv.Entry(r.Context(), e)
		if err != nil {
			return nil, err
		}
		rows[i].NoteWithheld = seen.Note != e.Note
		row := auditRowOf(seen)
		rows[i].Revertible = plotline.CanReview(u) && row.Revertible && !withheld.Any() && !rows[i].NoteWithheld &&
			rows[i].shown
	}
	for i := range rows {
		if rows[i].NoteWithheld {
			rows[i].Note = ""
		}
	}
	return rows, nil
}

func versionOf(vs []plotline.Version, n int) *plotline.Version {
	for i := range vs {
		if vs[i].Version == n {
			return &vs[i]
		}
	}
	return nil
}

// diffVersions compares two stored versions field by field (flattened JSON paths).
func diffVersions(a, b *plotline.Version) ([]diffLine, error) {
	fa, err := flatten(a)
	if err != nil {
		return nil, err
	}
	fb, err := flatten(b)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range fa {
		keys[k] = true
	}
	for k := range fb {
		keys[k] = true
	}
	var out []diffLine
	for k := range keys {
		oa, inA := fa[k]
		nb, inB := fb[k]
		switch {
		case inA && !inB:
			out = append(out, diffLine{Field: k, Old: oa, Change: "removed"})
		case !inA && inB:
			out = append(out, diffLine{Field: k, New: nb, Change: "added"})
		case oa != nb:
			out = append(out, diffLine{Field: k, Old: oa, New: nb, Change: "changed"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out, nil
}

func flatten(v *plotline.Version) (map[string]string, error) {
	out := map[string]string{}
	if v == nil || v.Deleted || len(v.Data) == 0 {
		return out, nil
	}
	var root any
	if err := json.Unmarshal(v.Data, &root); err != nil {
		return nil, fmt.Errorf("decode %s %q version %d: %w", v.Kind, v.ID, v.Version, err)
	}
	var walk func(prefix string, x any)
	walk = func(prefix string, x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, val := range t {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, val)
			}
		case []any:
			for i, val := range t {
				walk(fmt.Sprintf("%s[%d]", prefix, i), val)
			}
		case nil:
			// null is "not set": the same as absent
		default:
			b, _ := json.Marshal(t) // scalars from Unmarshal always marshal
			s := string(b)
			if str, ok := t.(string); ok {
				s = str
			}
			out[prefix] = s
		}
	}
	walk("", root)
	return out, nil
}
