package httpapi

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// Authenticator tells who a request acts as (internal/auth.Service): a
// user, nil for an anonymous request, or an EUNAUTHORIZED error for
// credentials that are wrong (a bad API token).
type Authenticator interface {
	Authenticate(r *http.Request) (*plotline.User, error)
}

// Public marks a route anyone may use, logged in or not.
const Public = "public"

// AccessPolicy maps every route pattern the server answers (API routes,
// UI pages, /healthz, /metrics) to the least role that may use it, or
// Public. A pattern missing here is open to admins only, and
// TestAuthorisationMatrix fails until it is added: decide here, for every
// new route, who may use it.
//
// The shape: readers GET; analysts create and edit (drafts); reviewers
// publish; admins manage users and read the audit log and metrics.
func AccessPolicy() map[string]string {
	const (
		reader   = plotline.RoleReader
		analyst  = plotline.RoleAnalyst
		reviewer = plotline.RoleReviewer
		admin    = plotline.RoleAdmin
	)
	return map[string]string{
		"GET /healthz": Public,
		"GET /metrics": admin,

		"GET /api/v1/{$}":                       reader,
		"GET /api/v1/openapi.json":              reader,
		"GET /api/v1/incidents":                 reader,
		"POST /api/v1/incidents":                analyst,
		"GET /api/v1/incidents/{id}":            reader,
		"PUT /api/v1/incidents/{id}":            analyst,
		"DELETE /api/v1/incidents/{id}":         analyst,
		"GET /api/v1/incidents/{id}/history":    reader,
		"GET /api/v1/incidents/{id}/diff":       reader,
		"GET /api/v1/attributions":              reader,
		"POST /api/v1/attributions":             analyst,
		"GET /api/v1/attributions/{id}":         reader,
		"PUT /api/v1/attributions/{id}":         analyst,
		"DELETE /api/v1/attributions/{id}":      analyst,
		"GET /api/v1/attributions/{id}/history": reader,
		"GET /api/v1/attributions/{id}/diff":    reader,
		"GET /api/v1/sources":                   reader,
		"POST /api/v1/sources":                  analyst,
		"GET /api/v1/sources/{id}":              reader,
		"PUT /api/v1/sources/{id}":              analyst,
		"GET /api/v1/sources/{id}/history":      reader,
		"GET /api/v1/sources/{id}/diff":         reader,
		"GET /api/v1/actors":                    reader,
		"GET /api/v1/actors/{id}":               reader,
		"GET /api/v1/actors/{id}/history":       reader,
		"GET /api/v1/affiliations":              reader,
		"GET /api/v1/org":                       reader,
		"GET /api/v1/changes":                   reader,
		"GET /api/v1/query":                     reader,
		"GET /api/v1/count":                     reader,
		"GET /api/v1/crosstab":                  reader,
		"GET /api/v1/series":                    reader,
		"GET /api/v1/projection":                reader,
		"GET /api/v1/report/external-ops":       reader,

		// Review workflow and audit (review.go): drafts are not for readers.
		"GET /api/v1/review/queue":                analyst,
		"GET /api/v1/review/drafts/{id}":          analyst,
		"POST /api/v1/review/drafts/{id}/publish": reviewer,
		"POST /api/v1/review/drafts/{id}/return":  reviewer,
		"POST /api/v1/changes/{id}/revert":        reviewer,
		"GET /api/v1/audit":                       admin,

		// UI pages (internal/web).
		"/":                                     reader, // the UI's "no such page"
		"GET /static/":                          Public,
		"GET /login":                            Public,
		"POST /login":                           Public,
		"POST /logout":                          Public,
		"GET /{$}":                              reader,
		"GET /incidents":                        reader,
		"GET /incidents/export":                 reader,
		"GET /incidents/new":                    analyst,
		"POST /incidents/new":                   analyst,
		"GET /incidents/{id}":                   reader,
		"GET /incidents/{id}/edit":              analyst,
		"POST /incidents/{id}/edit":             analyst,
		"GET /incidents/{id}/attributions/new":  analyst,
		"POST /incidents/{id}/attributions/new": analyst,
		"GET /attributions/{id}/edit":           analyst,
		"POST /attributions/{id}/edit":          analyst,
		"GET /sources":                          reader,
		"GET /sources/new":                      analyst,
		"POST /sources/new":                     analyst,
		"GET /sources/{id}/edit":                analyst,
		"POST /sources/{id}/edit":               analyst,
		"GET /history/{kind}/{id}":              reader,
		"GET /map":                              reader,
		"GET /org":                              reader,
		"GET /network":                          reader,
		"GET /review":                           analyst,
		"GET /review/{id}":                      analyst,
		"POST /review/{id}/publish":             reviewer,
		"POST /review/{id}/return":              reviewer,
		"POST /changes/{id}/revert":             reviewer,
		"GET /audit":                            admin,
		"GET /duplicates":                       reader,
		"POST /duplicates":                      reviewer,
	}
}

// UIRoutes returns the UI's route patterns, when the UI handler lists them.
func (s *Server) UIRoutes() []string {
	if r, ok := s.cfg.UI.(interface{ Routes() []string }); ok {
		return r.Routes()
	}
	return nil
}

// accessRules finds the policy entry of a request by matching it against
// the registered patterns with ServeMux's own rules, so that a request is
// judged by the very route that will serve it.
type accessRules struct {
	policy  map[string]string
	api, ui *http.ServeMux
}

func (s *Server) newAccessRules() *accessRules {
	a := &accessRules{policy: AccessPolicy(), api: http.NewServeMux(), ui: http.NewServeMux()}
	nop := http.NotFoundHandler()
	for _, p := range s.Routes() {
		a.api.Handle(p, nop)
	}
	for _, p := range s.UIRoutes() {
		a.ui.Handle(p, nop)
	}
	return a
}

// required returns the least role r needs, or Public.
func (a *accessRules) required(r *http.Request) string {
	var pattern string
	switch {
	case r.URL.Path == "/healthz" || r.URL.Path == "/metrics":
		pattern = "GET " + r.URL.Path
	case strings.HasPrefix(r.URL.Path, "/api/"):
		_, pattern = a.api.Handler(r)
	default:
		_, pattern = a.ui.Handler(r)
	}
	if pattern == "" {
		// No route: the answer is a 404 or 405, for those who may read.
		return plotline.RoleReader
	}
	if need, ok := a.policy[pattern]; ok {
		return need
	}
	return plotline.RoleAdmin
}

// access is the innermost middleware layer: it refuses cross-origin
// state-changing requests (CSRF), finds the acting user and enforces
// AccessPolicy, then passes the user on in the context (plotline.WithUser).
//
// Without Config.Auth the server is in single-user mode: every request acts
// as plotline.LocalUser, who may do everything.
func (s *Server) access(next http.Handler) http.Handler {
	rules := s.newAccessRules()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			s.refuse(w, r, http.StatusForbidden, plotline.EFORBIDDEN, "this server does not answer to that host name")
			return
		}
		var user *plotline.User
		if s.cfg.Auth == nil {
			local := plotline.LocalUser
			user = &local
		} else {
			u, err := s.cfg.Auth.Authenticate(r)
			if err != nil {
				if plotline.ErrorCode(err) == plotline.EUNAUTHORIZED {
					s.unauthorized(w, r, plotline.ErrorMessage(err))
					return
				}
				s.writeError(w, r, err)
				return
			}
			user = u
		}
		need := rules.required(r)
		switch {
		case need == Public:
		case user == nil:
			s.unauthorized(w, r, "log in, or send an API token as \"Authorization: Bearer TOKEN\"")
			return
		case !plotline.RoleAtLeast(user.Role, need):
			s.forbidden(w, r, user, need)
			return
		}
		if user != nil {
			r = r.WithContext(plotline.WithUser(r.Context(), user))
		}
		next.ServeHTTP(w, r)
	})
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.refuse(w, r, http.StatusForbidden, plotline.EFORBIDDEN,
			"cross-origin request refused: state-changing requests must come from Plotline's own pages")
	}))
	return csrf.Handler(h)
}

// hostAllowed checks the Host header against Config.AllowedHosts (no list: any host).
func (s *Server) hostAllowed(hostport string) bool {
	if len(s.cfg.AllowedHosts) == 0 {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(strings.ToLower(host), "[]")
	return slices.Contains(s.cfg.AllowedHosts, host)
}

// LoopbackHosts returns the names a single-user server on loopback answers to.
func LoopbackHosts() []string { return []string{"localhost", "127.0.0.1", "::1"} }

// SingleUser reports whether the server runs without accounts.
func (s *Server) SingleUser() bool { return s.cfg.Auth == nil }

func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || r.URL.Path == "/metrics" || r.URL.Path == "/healthz"
}

// unauthorized answers a request without valid credentials: 401 on the
// API, a redirect to the login page on pages.
func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request, msg string) {
	if isAPI(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="plotline"`)
		s.refuse(w, r, http.StatusUnauthorized, plotline.EUNAUTHORIZED, msg)
		return
	}
	to := "/login"
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		to += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// forbidden answers a user whose role is below what the route needs.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request, u *plotline.User, need string) {
	role := u.Role
	if role == "" {
		role = "no role"
	}
	s.refuse(w, r, http.StatusForbidden, plotline.EFORBIDDEN,
		fmt.Sprintf("this needs the %s role or higher; %s has %s", need, u.Name, role))
}

// refuse writes a JSON error on the API and a small page elsewhere.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	if isAPI(r) {
		s.writeError(w, r, plotline.Errorf(code, "%s", msg))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>%d %s · Plotline</title></head>
<body><h1>%s</h1><p>%s</p><p><a href="/">Dashboard</a> · <a href="/login">Log in as someone else</a></p></body></html>
`, status, http.StatusText(status), http.StatusText(status), html.EscapeString(msg))
}
