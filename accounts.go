package plotline

import (
	"context"
	"time"
)

// ETOOMANY is the code of a request refused because too many attempts
// failed (login brute force); the message says when to try again.
const ETOOMANY = "too_many_requests"

// Session is a server-side login session. The browser holds a random
// secret; the store keeps only its SHA-256 (Hash), so a copy of the
// database does not let anyone log in.
type Session struct {
	Hash      []byte
	UserID    int64
	Client    string // the client address at login, for the admin's eyes
	CreatedAt time.Time
	SeenAt    time.Time // last use, updated coarsely (idle expiry)
	ExpiresAt time.Time // absolute expiry
}

// APIToken is a long-lived credential for scripts, sent as
// "Authorization: Bearer <secret>". Like sessions, only the SHA-256 of the
// secret is stored; the secret is shown once, when the token is made.
type APIToken struct {
	ID        int64      `json:"id"`
	UserID    int64      `json:"user_id"`
	UserName  string     `json:"user"` // filled on read
	Label     string     `json:"label"`
	Hash      []byte     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// AccountStore keeps users, their password hashes, sessions and API
// tokens. Both stores implement it (internal/sqlite, internal/postgres);
// internal/auth/authtest is its conformance suite. It stores what it is
// given: hashing, expiry and authorisation decisions belong to internal/auth.
type AccountStore interface {
	// CreateUser adds a user; ID and CreatedAt are set on return. A name
	// already taken (case-insensitively) is ECONFLICT.
	CreateUser(ctx context.Context, u *User, passwordHash string) error
	// UserByName returns a user and its password hash; ENOTFOUND if none.
	UserByName(ctx context.Context, name string) (*User, string, error)
	// UserByID returns a user; ENOTFOUND if none.
	UserByID(ctx context.Context, id int64) (*User, error)
	// Users lists every user by ID.
	Users(ctx context.Context) ([]User, error)
	// UpdateUser saves Role, Clearance and Disabled of u (by ID).
	UpdateUser(ctx context.Context, u *User) error
	// SetPassword replaces a user's password hash.
	SetPassword(ctx context.Context, userID int64, passwordHash string) error

	CreateSession(ctx context.Context, s *Session) error
	// SessionUser returns the session with this hash and its user;
	// ENOTFOUND if none (expiry is the caller's to check).
	SessionUser(ctx context.Context, hash []byte) (*Session, *User, error)
	TouchSession(ctx context.Context, hash []byte, seen time.Time) error
	DeleteSession(ctx context.Context, hash []byte) error
	// DeleteSessions ends every session of a user (disable, new password).
	DeleteSessions(ctx context.Context, userID int64) error
	// DeleteExpiredSessions removes sessions whose absolute expiry is
	// before t, or that were last seen before idle; it returns how many.
	DeleteExpiredSessions(ctx context.Context, t, idle time.Time) (int, error)

	// CreateToken stores a token; ID is set on return.
	CreateToken(ctx context.Context, t *APIToken) error
	// TokenUser returns the token with this hash and its user; ENOTFOUND if none.
	TokenUser(ctx context.Context, hash []byte) (*APIToken, *User, error)
	// Tokens lists the tokens of a user, or of everyone when userID is 0.
	Tokens(ctx context.Context, userID int64) ([]APIToken, error)
	TouchToken(ctx context.Context, id int64, used time.Time) error
	// RevokeToken marks a token revoked at t; ENOTFOUND if none.
	RevokeToken(ctx context.Context, id int64, t time.Time) error
}
