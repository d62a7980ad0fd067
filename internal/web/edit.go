package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/plotline-dev/plotline"
)

// formField is one input of a data-entry form. Name is the field's path as
// the domain's Validate reports it (e.g. "location.country", "killed.best"),
// so a server-side error lands next to its input.
type formField struct {
	Name, Label, Type, Value, Error, Help, Placeholder string
	Options                                            []string
	Required, ReadOnly                                 bool
}

type formGroup struct {
	Legend string
	Fields []formField
}

type formData struct {
	Heading string
	Action  string
	Groups  []formGroup
	Errors  []fieldMsg // every problem, listed above the form
	Version int        // the version the form was opened on, to catch concurrent edits
	Cancel  string
	History string
	Note    string // the editor's note for the change (why), kept on a rejected submission
}

type fieldMsg struct{ Field, Anchor, Message string }

// form is a submitted form being read into a record, collecting field errors.
type form struct {
	vals url.Values
	errs []*plotline.Error
}

func (f *form) str(name string) string { return strings.TrimSpace(f.vals.Get(name)) }

func (f *form) list(name string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(f.vals.Get(name), func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (f *form) date(name string) plotline.Date {
	d, err := plotline.ParseDate(f.str(name))
	if err != nil {
		f.errs = append(f.errs, plotline.FieldError(name, "%v", err))
	}
	return d
}

func (f *form) num(name string) *int {
	s := f.str(name)
	if s == "" {
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		f.errs = append(f.errs, plotline.FieldError(name, "%q is not a whole number", s))
		return nil
	}
	return &n
}

func (f *form) float(name string) *float64 {
	s := f.str(name)
	if s == "" {
		return nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		f.errs = append(f.errs, plotline.FieldError(name, "%q is not a number", s))
		return nil
	}
	return &x
}

func numText(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

func floatText(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

// attach puts each error next to its field; errors naming no field of the
// form (or a sub-field such as sources[2]) go to the nearest field, else
// only to the list above the form.
func (d *formData) attach(errs []*plotline.Error) {
	for _, e := range errs {
		name := e.Field
		target := d.find(name)
		for target == nil && name != "" {
			if i := strings.LastIndexAny(name, ".["); i >= 0 {
				name = name[:i]
			} else {
				name = ""
			}
			target = d.find(name)
		}
		if target == nil && e.Field != "" {
			target = d.findPrefix(e.Field + ".")
		}
		m := fieldMsg{Field: e.Field, Message: e.Message}
		if target != nil {
			if target.Error != "" {
				target.Error += "; "
			}
			if e.Field != target.Name {
				target.Error += e.Field + ": "
			}
			target.Error += e.Message
			m.Anchor = "f-" + target.Name
		}
		d.Errors = append(d.Errors, m)
	}
}

func (d *formData) find(name string) *formField {
	for gi := range d.Groups {
		for fi := range d.Groups[gi].Fields {
			if d.Groups[gi].Fields[fi].Name == name {
				return &d.Groups[gi].Fields[fi]
			}
		}
	}
	return nil
}

func (d *formData) findPrefix(prefix string) *formField {
	for gi := range d.Groups {
		for fi := range d.Groups[gi].Fields {
			if strings.HasPrefix(d.Groups[gi].Fields[fi].Name, prefix) {
				return &d.Groups[gi].Fields[fi]
			}
		}
	}
	return nil
}

// applyErrors turns a store error into field errors, dropping the batch
// prefix ("incidents[0].") so they name the form's fields.
func applyErrors(err error, prefix string) ([]*plotline.Error, bool) {
	var e *plotline.Error
	if !errors.As(err, &e) || e.Code == plotline.EINTERNAL {
		return nil, false
	}
	c := *e
	c.Field = strings.TrimPrefix(c.Field, prefix)
	return []*plotline.Error{&c}, true
}

// currentVersion returns the number of the record's latest version, 0 if none.
func (h *Handler) currentVersion(r *http.Request, kind, id string) (int, error) {
	vs, err := h.store.History(r.Context(), plotline.Ref{Kind: kind, ID: id})
	if plotline.ErrorCode(err) == plotline.ENOTFOUND {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(vs) == 0 {
		return 0, nil
	}
	return vs[len(vs)-1].Version, nil
}

// checkVersion rejects an edit made on a version that is no longer current.
func (h *Handler) checkVersion(r *http.Request, kind, id string, f *form) (int, error) {
	cur, err := h.currentVersion(r, kind, id)
	if err != nil {
		return 0, err
	}
	if base := f.str("_version"); base != "" && base != strconv.Itoa(cur) {
		f.errs = append(f.errs, &plotline.Error{Code: plotline.ECONFLICT, Message: fmt.Sprintf(
			"this %s was changed while you edited it (you opened version %s, it is now version %d); reload to see the changes", kind, base, cur)})
	}
	return cur, nil
}

// save validates, applies the batch, and redirects; on any problem it shows
// the form again with the errors and the submitted values.
func (h *Handler) save(w http.ResponseWriter, r *http.Request, f *form, d *formData, verrs []*plotline.Error, b *plotline.Batch, prefix, next string) {
	errs := append(f.errs, verrs...)
	var ch *plotline.Change
	if len(errs) == 0 {
		u := plotline.Acting(r.Context())
		b.By = h.recordedBy(u)
		if note := f.str("_note"); note != "" {
			b.Note = note
		}
		// An analyst's edit is a draft for a reviewer to publish (review.go),
		// as on the API; single-user mode and reviewers publish directly.
		b.Draft = plotline.DraftsFor(u)
		var err error
		if ch, err = h.store.Apply(r.Context(), b); err != nil {
			fe, ok := applyErrors(err, prefix)
			if !ok {
				h.fail(w, r, err)
				return
			}
			errs = fe
		} else if err := h.analytics.Refresh(r.Context()); err != nil {
			// The write is done; a stale index only delays what the pages show.
			h.log.WarnContext(r.Context(), "web: refresh analytics after edit", "err", err)
		}
	}
	if len(errs) > 0 {
		d.attach(errs)
		d.Note = f.str("_note")
		h.render(w, r, http.StatusUnprocessableEntity, "form_page", &page{Title: d.Heading, Nav: "new", Data: d})
		return
	}
	if ch.Action == plotline.ActionDraft && ch.Created+ch.Updated+ch.Deleted > 0 {
		// Not published, so the record's page does not show it yet: the
		// draft's page says so and is where the review happens.
		next = "/review/" + strconv.FormatInt(ch.ID, 10) + "?saved=1"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// recordedBy is who an edit or review by u is recorded as: the account's
// name, or the configured name (Config.By) without accounts.
func (h *Handler) recordedBy(u *plotline.User) string {
	if u.ID > 0 && u.Name != "" {
		return u.Name
	}
	return h.by
}

// parseForm reads a posted form, mapping an oversized body to 413.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) (*form, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.fail(w, r, err)
			return nil, false
		}
		h.fail(w, r, plotline.Errorf(plotline.EINVALID, "the form could not be read"))
		return nil, false
	}
	return &form{vals: r.PostForm}, true
}

func selectField(name, label, value string, options []string, required bool) formField {
	return formField{Name: name, Label: label, Type: "select", Value: value, Options: options, Required: required}
}

func textField(name, label, value, help string) formField {
	return formField{Name: name, Label: label, Value: value, Help: help}
}
