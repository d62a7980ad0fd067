// Package web is Plotline's browser UI: server-rendered html/template pages
// from an embedded file system, with small JavaScript modules (bundled by
// esbuild from web/, committed under static/dist) where a page needs them.
//
// Every view keeps its whole state in its URL (query parameters named as in
// the JSON API: q, as_of, recorded, from, to, rule, related_to, …), so a
// copied link reproduces it. No page uses inline scripts or inline event
// handlers, so a strict Content-Security-Policy applies.
//
// The handler is mounted at "/" by internal/httpapi; see its package doc.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config is what the UI needs.
type Config struct {
	Store  plotline.Store
	Logger *slog.Logger
	// Now is the clock for "today", the default as-of day; nil means time.Now.
	Now func() time.Time
	// By names who UI edits are recorded as; "" means "web".
	By string
	// Analytics answers every page's aggregate questions (report, filter,
	// organisation graph) and is refreshed after every UI edit; plotline
	// serve passes the API's *httpapi.EngineAnalytics, whose filter is the
	// query language (internal/query). When nil, the pages read a whole
	// store snapshot per request and the table uses a built-in filter of
	// the same syntax: enough for the curated data only.
	Analytics Analytics
	// Accounts logs users in and out (internal/auth.Service). Nil is
	// single-user mode: the login page says there are no accounts.
	Accounts Accounts
}

// Handler serves the UI.
type Handler struct {
	store     plotline.Store
	analytics Analytics
	// queryLang: the table's filter is the query language (the engine's),
	// not the built-in filter.
	queryLang bool
	limits    tableLimits // incident table; the tests lower them
	log       *slog.Logger
	now       func() time.Time
	by        string
	pages     map[string]*template.Template
	assets    map[string]string // static path → content hash, for cache busting
	mux       *http.ServeMux
	// accounts logs in and out; nil in single-user mode (login.go).
	accounts Accounts
	// patterns lists the registered routes, for the access policy.
	patterns []string
}

// New returns the UI handler.
func New(c Config) http.Handler {
	h, err := newHandler(c)
	if err != nil {
		// The templates are embedded and checked by the tests; failing here
		// means the binary itself is broken.
		panic(fmt.Sprintf("web: %v", err))
	}
	return h
}

func newHandler(c Config) (*Handler, error) {
	h := &Handler{store: c.Store, analytics: c.Analytics, queryLang: c.Analytics != nil, log: c.Logger, now: c.Now, by: c.By, assets: map[string]string{}, accounts: c.Accounts}
	h.limits = defaultLimits
	if h.analytics == nil {
		h.analytics = &storeAnalytics{store: c.Store}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.by == "" {
		h.by = "web"
	}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.assets[strings.TrimPrefix(p, "static/")] = hex.EncodeToString(sum[:])[:10]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("hash assets: %w", err)
	}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	m := &routeList{ServeMux: http.NewServeMux(), patterns: &h.patterns}
	m.HandleFunc("GET /{$}", h.dashboard)
	m.HandleFunc("GET /incidents", h.incidents)
	m.HandleFunc("GET /incidents/export", h.exportIncidents)
	m.HandleFunc("GET /incidents/new", h.newIncident)
	m.HandleFunc("POST /incidents/new", h.newIncident)
	m.HandleFunc("GET /incidents/{id}", h.incident)
	m.HandleFunc("GET /incidents/{id}/edit", h.editIncident)
	m.HandleFunc("POST /incidents/{id}/edit", h.editIncident)
	m.HandleFunc("GET /incidents/{id}/attributions/new", h.newAttribution)
	m.HandleFunc("POST /incidents/{id}/attributions/new", h.newAttribution)
	m.HandleFunc("GET /attributions/{id}/edit", h.editAttribution)
	m.HandleFunc("POST /attributions/{id}/edit", h.editAttribution)
	m.HandleFunc("GET /sources", h.sources)
	m.HandleFunc("GET /sources/new", h.newSource)
	m.HandleFunc("POST /sources/new", h.newSource)
	m.HandleFunc("GET /sources/{id}/edit", h.editSource)
	m.HandleFunc("POST /sources/{id}/edit", h.editSource)
	m.HandleFunc("GET /history/{kind}/{id}", h.history)
	m.HandleFunc("GET /map", h.mapView)
	m.HandleFunc("GET /org", h.org)
	m.HandleFunc("GET /network", h.network)
	m.HandleFunc("GET /static/", h.static)
	m.HandleFunc("GET /login", h.login)
	m.HandleFunc("POST /login", h.login)
	m.HandleFunc("POST /logout", h.logout)
	h.workflowRoutes(m) // review.go
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, plotline.Errorf(plotline.ENOTFOUND, "no page at %s", r.URL.Path))
	})
	h.mux = m.ServeMux
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/static/")
	sum, ok := h.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("v") == sum {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("ETag", `"`+sum+`"`)
	ctype := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}[path.Ext(name)]
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// asset returns the versioned URL of a static file.
func (h *Handler) asset(name string) string {
	return "/static/" + name + "?v=" + h.assets[name]
}

// status maps error codes to HTTP statuses, as the API does.
func status(err error) int {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	switch plotline.ErrorCode(err) {
	case plotline.EINVALID:
		return http.StatusBadRequest
	case plotline.ENOTFOUND:
		return http.StatusNotFound
	case plotline.ECONFLICT:
		return http.StatusConflict
	case plotline.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case plotline.EFORBIDDEN:
		return http.StatusForbidden
	case plotline.ENOTIMPLEMENTED:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// fail renders an error page. Internal causes are logged, never shown.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := status(err)
	msg := plotline.ErrorMessage(err)
	if code == http.StatusRequestEntityTooLarge {
		msg = "the submitted form is too large"
	}
	if code == http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	h.render(w, r, code, "error", &page{Title: http.StatusText(code), Data: map[string]any{"Status": code, "Message": msg}})
}
