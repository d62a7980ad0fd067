// Package auth is Plotline's accounts layer: users with a role and a TLP
// clearance, argon2id password hashes, login with brute-force slowing,
// server-side sessions in cookies, and API tokens for scripts. It keeps its
// data in a plotline.AccountStore (internal/sqlite, internal/postgres) and
// tells the HTTP layer who a request acts as; what that user may do is
// decided there (internal/httpapi, auth.go) and by the readers of
// plotline.Acting.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/plotline-dev/plotline"
)

// Config is what the Service needs. Store is required.
type Config struct {
	Store  plotline.AccountStore
	Logger *slog.Logger
	// Now is the clock for expiry and rate limiting; default time.Now.
	Now func() time.Time
	// Params hash new passwords; default DefaultParams. Tests use cheaper ones.
	Params *Params
	// SessionTTL is a session's absolute lifetime (default 12 h); IdleTTL
	// ends it earlier when unused that long (default 2 h).
	SessionTTL, IdleTTL time.Duration
	// SecureCookies marks the session cookie Secure (and names it with the
	// __Host- prefix) even on plain HTTP: set it behind a TLS proxy.
	// Requests that arrive over TLS always get Secure cookies.
	SecureCookies bool
	// AccountLimit and ClientLimit slow repeated failed logins; zero values
	// mean DefaultAccountLimit and DefaultClientLimit.
	AccountLimit, ClientLimit LimitParams
}

// Service authenticates requests and manages accounts.
type Service struct {
	store       plotline.AccountStore
	log         *slog.Logger
	now         func() time.Time
	params      Params
	ttl, idle   time.Duration
	secure      bool
	byAccount   *limiter
	byClient    *limiter
	hashing     chan struct{} // bounds concurrent argon2 work
	dummyHash   func() string // verified for unknown names, so they take as long
	touchEvery  time.Duration // coarseness of last-use updates
	cookieNames [2]string     // plain, Secure
}

// New returns a Service.
func New(c Config) *Service {
	s := &Service{store: c.Store, log: c.Logger, now: c.Now, params: DefaultParams, ttl: c.SessionTTL, idle: c.IdleTTL,
		secure: c.SecureCookies, touchEvery: time.Minute, cookieNames: [2]string{"plotline_session", "__Host-plotline_session"}}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if c.Params != nil {
		s.params = *c.Params
	}
	if s.ttl <= 0 {
		s.ttl = 12 * time.Hour
	}
	if s.idle <= 0 {
		s.idle = 2 * time.Hour
	}
	if c.AccountLimit == (LimitParams{}) {
		c.AccountLimit = DefaultAccountLimit
	}
	if c.ClientLimit == (LimitParams{}) {
		c.ClientLimit = DefaultClientLimit
	}
	s.byAccount, s.byClient = newLimiter(c.AccountLimit), newLimiter(c.ClientLimit)
	s.hashing = make(chan struct{}, max(1, runtime.NumCPU()))
	s.dummyHash = sync.OnceValue(func() string { return HashPassword("no such user: this hash is never matched", s.params) })
	return s
}

// Errors with codes the HTTP layer maps; messages are safe to show.
var (
	errBadLogin = plotline.Errorf(plotline.EUNAUTHORIZED, "wrong name or password")
	errBadToken = plotline.Errorf(plotline.EUNAUTHORIZED, "invalid, expired or revoked API token")
)

// Login checks a name and password from client (its remote address) and,
// when they match an enabled user, starts a session. It returns the
// session's secret, to be sent to the browser and nowhere else.
//
// Failed attempts slow later ones per account name and per client address
// (LimitParams); while a key must wait, Login answers ETOOMANY without
// checking the password, so waiting cannot be skipped by guessing right.
func (s *Service) Login(ctx context.Context, name, password, client string) (string, *plotline.User, error) {
	now := s.now()
	akey, ckey := "account:"+accountKey(name), "client:"+clientKey(client)
	if wait := max(s.byAccount.wait(akey, now), s.byClient.wait(ckey, now)); wait > 0 {
		return "", nil, plotline.Errorf(plotline.ETOOMANY, "too many failed logins for this account or address; try again in %s",
			wait.Round(time.Second).String())
	}
	u, ok, err := s.checkPassword(ctx, name, password)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		s.byAccount.fail(akey, now)
		s.byClient.fail(ckey, now)
		s.log.WarnContext(ctx, "login failed", "name", name, "client", client)
		return "", nil, errBadLogin
	}
	s.byAccount.reset(akey)
	if n, err := s.store.DeleteExpiredSessions(ctx, now, now.Add(-s.idle)); err != nil {
		s.log.ErrorContext(ctx, "purge expired sessions", "err", err)
	} else if n > 0 {
		s.log.InfoContext(ctx, "purged expired sessions", "n", n)
	}
	secret := newSecret("")
	sess := &plotline.Session{Hash: digest(secret), UserID: u.ID, Client: client, CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(s.ttl)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	s.log.InfoContext(ctx, "login", "user", u.Name, "client", client)
	return secret, u, nil
}

// checkPassword looks the user up and verifies the password; an unknown
// or disabled user fails the same way, after the same work.
func (s *Service) checkPassword(ctx context.Context, name, password string) (*plotline.User, bool, error) {
	if len(password) > MaxPasswordLen {
		return nil, false, nil
	}
	u, hash, err := s.store.UserByName(ctx, strings.TrimSpace(name))
	known := err == nil
	if err != nil && plotline.ErrorCode(err) != plotline.ENOTFOUND {
		return nil, false, err
	}
	if !known {
		hash = s.dummyHash()
	}
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	ok, current, err := VerifyPassword(hash, password, s.params)
	<-s.hashing
	if err != nil {
		return nil, false, fmt.Errorf("user %q: %w", name, err)
	}
	if !known || !ok || u.Disabled {
		return nil, false, nil
	}
	if !current {
		if err := s.store.SetPassword(ctx, u.ID, HashPassword(password, s.params)); err != nil {
			s.log.ErrorContext(ctx, "rehash password", "user", u.Name, "err", err)
		}
	}
	return u, true, nil
}

// Logout ends the session whose secret is given.
func (s *Service) Logout(ctx context.Context, secret string) error {
	if secret == "" {
		return nil
	}
	return s.store.DeleteSession(ctx, digest(secret))
}

// SessionUser returns the enabled user of a live session, or nil when the
// secret names no session, an expired one, or one of a disabled user.
func (s *Service) SessionUser(ctx context.Context, secret string) (*plotline.User, error) {
	if secret == "" {
		return nil, nil
	}
	h := digest(secret)
	sess, u, err := s.store.SessionUser(ctx, h)
	if plotline.ErrorCode(err) == plotline.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.SeenAt) >= s.idle || u.Disabled {
		if err := s.store.DeleteSession(ctx, h); err != nil {
			return nil, err
		}
		return nil, nil
	}
	if now.Sub(sess.SeenAt) >= s.touchEvery {
		if err := s.store.TouchSession(ctx, h, now); err != nil && plotline.ErrorCode(err) != plotline.ENOTFOUND {
			s.log.ErrorContext(ctx, "touch session", "err", err)
		}
	}
	return u, nil
}

// TokenUser returns the enabled user of a live API token; a secret that
// names none is EUNAUTHORIZED.
func (s *Service) TokenUser(ctx context.Context, secret string) (*plotline.User, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, errBadToken
	}
	t, u, err := s.store.TokenUser(ctx, digest(secret))
	if plotline.ErrorCode(err) == plotline.ENOTFOUND {
		return nil, errBadToken
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) || u.Disabled {
		return nil, errBadToken
	}
	if t.UsedAt == nil || now.Sub(*t.UsedAt) >= s.touchEvery {
		if err := s.store.TouchToken(ctx, t.ID, now); err != nil {
			s.log.ErrorContext(ctx, "touch token", "err", err)
		}
	}
	return u, nil
}

// tokenPrefix marks Plotline API tokens, so that secret scanners and
// people recognise a leaked one.
const tokenPrefix = "plt_"

// newSecret returns prefix and 256 random bits in URL-safe base64.
func newSecret(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// digest is how session and token secrets are stored: they are random and
// long, so a fast hash suffices; only a slow hash protects passwords.
func digest(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// CheckUser validates the fields of a new or changed user.
func CheckUser(u *plotline.User) error {
	if !namePattern.MatchString(u.Name) {
		return plotline.FieldError("name", "%q is not a user name (letters, digits, . _ @ -; at most 64)", u.Name)
	}
	if !slices.Contains(plotline.Roles, u.Role) {
		return plotline.FieldError("role", "%q is not one of %s", u.Role, strings.Join(plotline.Roles, ", "))
	}
	if !slices.Contains(plotline.TLPs, u.Clearance) {
		return plotline.FieldError("clearance", "%q is not one of %s", u.Clearance, strings.Join(plotline.TLPs, ", "))
	}
	return nil
}

// CheckPassword enforces the length bounds.
func CheckPassword(password string) error {
	if n := len(password); n < MinPasswordLen || n > MaxPasswordLen {
		return plotline.FieldError("password", "must be %d to %d bytes long", MinPasswordLen, MaxPasswordLen)
	}
	return nil
}

// AddUser creates a user with a password.
func (s *Service) AddUser(ctx context.Context, u *plotline.User, password string) error {
	if err := CheckUser(u); err != nil {
		return err
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	u.CreatedAt = s.now()
	return s.store.CreateUser(ctx, u, HashPassword(password, s.params))
}

// User returns a user by name.
func (s *Service) User(ctx context.Context, name string) (*plotline.User, error) {
	u, _, err := s.store.UserByName(ctx, name)
	return u, err
}

// Users lists every user.
func (s *Service) Users(ctx context.Context) ([]plotline.User, error) { return s.store.Users(ctx) }

// UpdateUser saves a user's role, clearance and disabled flag; disabling
// ends the user's sessions at once (tokens stop working too, as every use
// checks the flag).
func (s *Service) UpdateUser(ctx context.Context, u *plotline.User) error {
	if err := CheckUser(u); err != nil {
		return err
	}
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	if u.Disabled {
		return s.store.DeleteSessions(ctx, u.ID)
	}
	return nil
}

// SetPassword replaces a user's password and ends its sessions.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	u, err := s.User(ctx, name)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(ctx, u.ID, HashPassword(password, s.params)); err != nil {
		return err
	}
	return s.store.DeleteSessions(ctx, u.ID)
}

// NewToken makes an API token for the named user, valid for ttl (0 = until
// revoked). The returned secret is shown once; only its digest is kept.
func (s *Service) NewToken(ctx context.Context, name, label string, ttl time.Duration) (string, *plotline.APIToken, error) {
	u, err := s.User(ctx, name)
	if err != nil {
		return "", nil, err
	}
	if u.Disabled {
		return "", nil, plotline.Errorf(plotline.ECONFLICT, "user %q is disabled", u.Name)
	}
	if len(label) > 200 {
		return "", nil, plotline.FieldError("label", "is longer than 200 bytes")
	}
	secret := newSecret(tokenPrefix)
	t := &plotline.APIToken{UserID: u.ID, UserName: u.Name, Label: label, Hash: digest(secret), CreatedAt: s.now()}
	if ttl > 0 {
		exp := t.CreatedAt.Add(ttl)
		t.ExpiresAt = &exp
	}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Tokens lists the tokens of the named user, or everyone's when name is "".
func (s *Service) Tokens(ctx context.Context, name string) ([]plotline.APIToken, error) {
	var id int64
	if name != "" {
		u, err := s.User(ctx, name)
		if err != nil {
			return nil, err
		}
		id = u.ID
	}
	return s.store.Tokens(ctx, id)
}

// RevokeToken revokes a token by ID.
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	return s.store.RevokeToken(ctx, id, s.now())
}

// IsRateLimited reports whether err is a refusal to try a login now.
func IsRateLimited(err error) bool {
	var e *plotline.Error
	return errors.As(err, &e) && e.Code == plotline.ETOOMANY
}
