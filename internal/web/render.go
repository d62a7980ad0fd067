package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

// page is what every template receives.
type page struct {
	Title string
	Nav   string // the main navigation entry this page belongs to
	View  *view
	Data  any
	User  *plotline.User // the acting user (login.go: SingleUser, Can)
}

// view is the URL state shared by every page: the path, its query, and the
// two clocks. Pages read their own parameters from Query.
type view struct {
	Path     string
	Query    url.Values
	AsOf     string // as given ("" = today)
	Recorded string
	Today    string
	Day      plotline.Day // the world-clock day in force
	Clock    plotline.AsOf
}

// Hidden lists the query parameters the as-of form must carry along.
func (v *view) Hidden() [][2]string {
	var out [][2]string
	keys := make([]string, 0, len(v.Query))
	for k := range v.Query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "as_of" || k == "recorded" {
			continue
		}
		for _, val := range v.Query[k] {
			out = append(out, [2]string{k, val})
		}
	}
	return out
}

// Link returns path with the view's clocks (and nothing else) carried over,
// plus the given key/value pairs.
func (v *view) Link(path string, kv ...string) string {
	q := url.Values{}
	if v.AsOf != "" {
		q.Set("as_of", v.AsOf)
	}
	if v.Recorded != "" {
		q.Set("recorded", v.Recorded)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// With returns the current URL with key set to val ("" removes it).
func (v *view) With(kv ...string) string {
	q := url.Values{}
	for k, vals := range v.Query {
		q[k] = append([]string(nil), vals...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return v.Path
	}
	return v.Path + "?" + q.Encode()
}

// URL is the full current URL (path and query).
func (v *view) URL() string { return v.With() }

// newView reads the clocks from r. A malformed date is a field error.
func (h *Handler) newView(r *http.Request) (*view, error) {
	q := r.URL.Query()
	today := plotline.DayOf(h.now())
	v := &view{Path: r.URL.EscapedPath(), Query: q, AsOf: strings.TrimSpace(q.Get("as_of")), Recorded: strings.TrimSpace(q.Get("recorded")), Today: today.String(), Day: today}
	if v.AsOf != "" {
		d, err := plotline.ParseDay(v.AsOf)
		if err != nil {
			return nil, plotline.FieldError("as_of", "%v", err)
		}
		v.Day = d
		v.Clock.Stated = &d
	}
	if v.Recorded != "" {
		t, err := parseInstant(v.Recorded)
		if err != nil {
			return nil, plotline.FieldError("recorded", "%v", err)
		}
		v.Clock.Recorded = &t
	}
	return v, nil
}

// parseInstant reads an RFC 3339 instant, or a day meaning its last instant.
func parseInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := plotline.ParseDay(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a day (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	return d.EndTime(), nil
}

// partials are parsed into every page.
var partials = []string{"templates/layout.html", "templates/form.html"}

func (h *Handler) parseTemplates() error {
	funcs := template.FuncMap{
		"asset":   h.asset,
		"country": countryLabel,
		"join":    strings.Join,
		"add":     func(a, b int) int { return a + b },
		"range3":  rangeText,
		"lower":   strings.ToLower,
		"pe":      url.PathEscape,
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	h.pages = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || base == "form" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, append(partials, n)...)
		if err != nil {
			return fmt.Errorf("parse %s: %w", n, err)
		}
		h.pages[base] = t
	}
	return nil
}

// render writes a page, buffering it so a template error becomes a clean 500.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, code int, name string, p *page) {
	if p.View == nil {
		p.View = &view{Path: r.URL.Path, Query: url.Values{}, Today: plotline.DayOf(h.now()).String()}
	}
	p.User = plotline.Acting(r.Context())
	t := h.pages[name]
	var buf bytes.Buffer
	if t == nil {
		h.log.ErrorContext(r.Context(), "web: no template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log.ErrorContext(r.Context(), "web: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(buf.Bytes()) //nolint:errcheck // the client has gone; nothing to do
}

func countryLabel(code string) string {
	if code == "" {
		return ""
	}
	if n, ok := plotline.CountryName(code); ok {
		return n
	}
	return code
}

// rangeText prints a low/best/high range compactly: "3", "3 (2–5)", "2–5", "unknown".
func rangeText(r plotline.Range) string {
	num := func(p *int) string {
		if p == nil {
			return "?"
		}
		return fmt.Sprint(*p)
	}
	switch {
	case r.Low == nil && r.Best == nil && r.High == nil:
		return "unknown"
	case r.Low == nil && r.High == nil:
		return num(r.Best)
	case r.Best == nil:
		return num(r.Low) + "–" + num(r.High)
	}
	return num(r.Best) + " (" + num(r.Low) + "–" + num(r.High) + ")"
}
