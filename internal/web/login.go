package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/plotline-dev/plotline"
)

// Accounts logs users in and out; internal/auth.Service implements it.
type Accounts interface {
	// LogIn checks the credentials and sets the session cookie. Its errors
	// are EUNAUTHORIZED (wrong name or password), ETOOMANY (too many
	// failures: wait) or internal.
	LogIn(w http.ResponseWriter, r *http.Request, name, password string) (*plotline.User, error)
	// LogOut ends the request's session and clears the cookie.
	LogOut(w http.ResponseWriter, r *http.Request) error
}

// Routes lists the UI's route patterns as registered, for the server's
// access policy (internal/httpapi, auth.go).
func (h *Handler) Routes() []string { return append([]string(nil), h.patterns...) }

// routeList is a ServeMux that remembers the patterns registered on it.
type routeList struct {
	*http.ServeMux
	patterns *[]string
}

func (m *routeList) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request)) {
	*m.patterns = append(*m.patterns, pattern)
	m.ServeMux.HandleFunc(pattern, f)
}

// SingleUser reports whether the page is served without accounts.
func (p *page) SingleUser() bool { return p.User != nil && p.User.ID == plotline.LocalUser.ID }

// LoggedIn reports whether an account is acting.
func (p *page) LoggedIn() bool { return p.User != nil && p.User.ID > 0 }

// Can reports whether the acting user has at least role, to hide links the
// server would refuse. (Without a user, as when the UI is tested alone,
// links are shown: the server enforces access, not the template.)
func (p *page) Can(role string) bool { return !p.LoggedIn() || plotline.RoleAtLeast(p.User.Role, role) }

type loginData struct {
	Name, Next, Message string
	SingleUser          bool
}

// login shows the login form and checks what it sends.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	d := &loginData{Next: safeNext(r.FormValue("next")), SingleUser: h.accounts == nil}
	p := &page{Title: "Log in", Nav: "login", Data: d}
	if r.Method != http.MethodPost || h.accounts == nil {
		h.render(w, r, http.StatusOK, "login", p)
		return
	}
	d.Name = strings.TrimSpace(r.PostFormValue("name"))
	_, err := h.accounts.LogIn(w, r, d.Name, r.PostFormValue("password"))
	if err == nil {
		http.Redirect(w, r, d.Next, http.StatusSeeOther)
		return
	}
	code := http.StatusUnauthorized
	switch plotline.ErrorCode(err) {
	case plotline.EUNAUTHORIZED:
	case plotline.ETOOMANY:
		code = http.StatusTooManyRequests
	default:
		h.fail(w, r, err)
		return
	}
	d.Message = plotline.ErrorMessage(err)
	h.render(w, r, code, "login", p)
}

// logout ends the session and returns to the login form.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if h.accounts == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	if err := h.accounts.LogOut(w, r); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a post-login destination on this site: a path, never
// another host ("//evil.example", "/\evil.example", "https://…").
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || u.Scheme != "" || u.Host != "" || strings.ContainsAny(next, "\r\n\t") {
		return "/"
	}
	return next
}
