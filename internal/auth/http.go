package auth

import (
	"net/http"
	"strings"

	"github.com/plotline-dev/plotline"
)

// Authenticate returns the user r acts as. A request with an Authorization
// header must carry a valid "Bearer" API token (anything else is
// EUNAUTHORIZED; cookies are then not consulted). Otherwise a live session
// cookie names the user. A request with neither, or with a stale session,
// is anonymous: nil user, nil error.
func (s *Service) Authenticate(r *http.Request) (*plotline.User, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, plotline.Errorf(plotline.EUNAUTHORIZED, `the Authorization header must be "Bearer TOKEN"`)
		}
		return s.TokenUser(r.Context(), strings.TrimSpace(secret))
	}
	c, err := r.Cookie(s.cookieName(r))
	if err != nil {
		return nil, nil
	}
	return s.SessionUser(r.Context(), c.Value)
}

// LogIn checks the credentials and, when they match, sets a new session
// cookie (a new secret at every login, so a planted cookie is worthless).
// Any session the browser had is ended first.
func (s *Service) LogIn(w http.ResponseWriter, r *http.Request, name, password string) (*plotline.User, error) {
	if err := s.LogOut(w, r); err != nil {
		return nil, err
	}
	secret, u, err := s.Login(r.Context(), name, password, r.RemoteAddr)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, s.cookie(r, secret, int(s.ttl.Seconds())))
	return u, nil
}

// LogOut ends the request's session, if any, and clears its cookie.
func (s *Service) LogOut(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(s.cookieName(r))
	if err != nil {
		return nil
	}
	if err := s.Logout(r.Context(), c.Value); err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(r, "", -1))
	return nil
}

func (s *Service) secureFor(r *http.Request) bool { return s.secure || r.TLS != nil }

func (s *Service) cookieName(r *http.Request) string {
	if s.secureFor(r) {
		return s.cookieNames[1]
	}
	return s.cookieNames[0]
}

// cookie is the session cookie: HttpOnly (no script reads it), SameSite=Lax
// (not sent with cross-site form posts; shared links still open logged in),
// Secure over TLS, host-only with Path=/ (the __Host- prefix when Secure).
func (s *Service) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: s.cookieName(r), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secureFor(r), SameSite: http.SameSiteLaxMode}
}
