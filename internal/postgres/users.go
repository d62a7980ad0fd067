package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/plotline-dev/plotline"
)

var _ plotline.AccountStore = (*DB)(nil)

// pgCode returns the SQLSTATE of a PostgreSQL error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// CreateUser adds a user; the name is unique regardless of case.
func (db *DB) CreateUser(ctx context.Context, u *plotline.User, passwordHash string) error {
	if u.CreatedAt.IsZero() {
		u.CreatedAt = db.Now()
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO account (name, role, clearance, password, disabled, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, u.Name, u.Role, u.Clearance, passwordHash, u.Disabled, u.CreatedAt.UnixNano()).Scan(&u.ID)
	if err != nil {
		switch pgCode(err) {
		case "23505": // unique_violation
			return plotline.Errorf(plotline.ECONFLICT, "a user named %q already exists", u.Name)
		case "23514": // check_violation
			return plotline.Errorf(plotline.EINVALID, "user %q: invalid role or clearance", u.Name)
		}
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

const userColumns = `account.id, account.name, account.role, account.clearance, account.disabled, account.created_at`

func scanUser(row pgx.Row, extra ...any) (*plotline.User, error) {
	var u plotline.User
	var created int64
	if err := row.Scan(append([]any{&u.ID, &u.Name, &u.Role, &u.Clearance, &u.Disabled, &created}, extra...)...); err != nil {
		return nil, err
	}
	u.CreatedAt = timeOf(created)
	return &u, nil
}

// UserByName returns the user and its password hash.
func (db *DB) UserByName(ctx context.Context, name string) (*plotline.User, string, error) {
	var hash string
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+`, password FROM account WHERE lower(name) = lower($1)`, name), &hash)
	if isNoRows(err) {
		return nil, "", plotline.Errorf(plotline.ENOTFOUND, "no user named %q", name)
	}
	if err != nil {
		return nil, "", fmt.Errorf("user %q: %w", name, err)
	}
	return u, hash, nil
}

// UserByID returns one user.
func (db *DB) UserByID(ctx context.Context, id int64) (*plotline.User, error) {
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM account WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, plotline.Errorf(plotline.ENOTFOUND, "no user %d", id)
	}
	if err != nil {
		return nil, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// Users lists every user by ID.
func (db *DB) Users(ctx context.Context) ([]plotline.User, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+userColumns+` FROM account ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []plotline.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// UpdateUser saves the role, clearance and disabled flag of u.
func (db *DB) UpdateUser(ctx context.Context, u *plotline.User) error {
	err := db.execOne(ctx, "user", `UPDATE account SET role = $1, clearance = $2, disabled = $3 WHERE id = $4`,
		u.Role, u.Clearance, u.Disabled, u.ID)
	if pgCode(err) == "23514" {
		return plotline.Errorf(plotline.EINVALID, "user %q: invalid role or clearance", u.Name)
	}
	return err
}

// SetPassword replaces a password hash.
func (db *DB) SetPassword(ctx context.Context, userID int64, passwordHash string) error {
	return db.execOne(ctx, "user", `UPDATE account SET password = $1 WHERE id = $2`, passwordHash, userID)
}

// execOne runs a statement that must touch exactly one row of what.
func (db *DB) execOne(ctx context.Context, what, q string, args ...any) error {
	tag, err := db.pool.Exec(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("update %s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return plotline.Errorf(plotline.ENOTFOUND, "no such %s", what)
	}
	return nil
}

// CreateSession stores a session.
func (db *DB) CreateSession(ctx context.Context, s *plotline.Session) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO session (hash, account_id, client, created_at, seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, s.Hash, s.UserID, s.Client, s.CreatedAt.UnixNano(), s.SeenAt.UnixNano(), s.ExpiresAt.UnixNano())
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionUser returns a session and its user.
func (db *DB) SessionUser(ctx context.Context, hash []byte) (*plotline.Session, *plotline.User, error) {
	s := plotline.Session{Hash: hash}
	var created, seen, expires int64
	u, err := scanUser(db.pool.QueryRow(ctx, `SELECT `+userColumns+`, session.account_id, session.client,
		session.created_at, session.seen_at, session.expires_at
		FROM session JOIN account ON account.id = session.account_id WHERE session.hash = $1`, hash),
		&s.UserID, &s.Client, &created, &seen, &expires)
	if isNoRows(err) {
		return nil, nil, plotline.Errorf(plotline.ENOTFOUND, "no such session")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session: %w", err)
	}
	s.CreatedAt, s.SeenAt, s.ExpiresAt = timeOf(created), timeOf(seen), timeOf(expires)
	return &s, u, nil
}

// TouchSession records a session's last use.
func (db *DB) TouchSession(ctx context.Context, hash []byte, seen time.Time) error {
	return db.execOne(ctx, "session", `UPDATE session SET seen_at = $1 WHERE hash = $2`, seen.UnixNano(), hash)
}

// DeleteSession ends one session; ending one that does not exist is not an error.
func (db *DB) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM session WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteSessions ends every session of a user.
func (db *DB) DeleteSessions(ctx context.Context, userID int64) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM session WHERE account_id = $1`, userID); err != nil {
		return fmt.Errorf("delete sessions: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry or idle too long.
func (db *DB) DeleteExpiredSessions(ctx context.Context, t, idle time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM session WHERE expires_at < $1 OR seen_at < $2`, t.UnixNano(), idle.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// CreateToken stores an API token.
func (db *DB) CreateToken(ctx context.Context, t *plotline.APIToken) error {
	err := db.pool.QueryRow(ctx, `INSERT INTO api_token (account_id, label, hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, t.UserID, t.Label, t.Hash, t.CreatedAt.UnixNano(), nanosOrNil(t.ExpiresAt)).Scan(&t.ID)
	if err != nil {
		if pgCode(err) == "23503" { // foreign_key_violation
			return plotline.Errorf(plotline.ENOTFOUND, "no user %d", t.UserID)
		}
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

const tokenColumns = `api_token.id, api_token.account_id, account.name, api_token.label, api_token.hash,
	api_token.created_at, api_token.used_at, api_token.revoked_at, api_token.expires_at`

func scanToken(row pgx.Row, extra ...any) (*plotline.APIToken, error) {
	var t plotline.APIToken
	var created int64
	var used, revoked, expires *int64
	if err := row.Scan(append([]any{&t.ID, &t.UserID, &t.UserName, &t.Label, &t.Hash, &created, &used, &revoked, &expires}, extra...)...); err != nil {
		return nil, err
	}
	t.CreatedAt = timeOf(created)
	t.UsedAt, t.RevokedAt, t.ExpiresAt = timePtr(used), timePtr(revoked), timePtr(expires)
	return &t, nil
}

// TokenUser returns a token and its user.
func (db *DB) TokenUser(ctx context.Context, hash []byte) (*plotline.APIToken, *plotline.User, error) {
	var u plotline.User
	var created int64
	t, err := scanToken(db.pool.QueryRow(ctx, `SELECT `+tokenColumns+`, `+userColumns+`
		FROM api_token JOIN account ON account.id = api_token.account_id WHERE api_token.hash = $1`, hash),
		&u.ID, &u.Name, &u.Role, &u.Clearance, &u.Disabled, &created)
	if isNoRows(err) {
		return nil, nil, plotline.Errorf(plotline.ENOTFOUND, "no such token")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("token: %w", err)
	}
	u.CreatedAt = timeOf(created)
	return t, &u, nil
}

// Tokens lists the tokens of one user (or all when userID is 0), by ID.
func (db *DB) Tokens(ctx context.Context, userID int64) ([]plotline.APIToken, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+tokenColumns+`
		FROM api_token JOIN account ON account.id = api_token.account_id
		WHERE $1::bigint = 0 OR api_token.account_id = $1 ORDER BY api_token.id`, userID)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer rows.Close()
	var out []plotline.APIToken
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// TouchToken records a token's last use.
func (db *DB) TouchToken(ctx context.Context, id int64, used time.Time) error {
	return db.execOne(ctx, "token", `UPDATE api_token SET used_at = $1 WHERE id = $2`, used.UnixNano(), id)
}

// RevokeToken marks a token revoked; revoking it again keeps the first time.
func (db *DB) RevokeToken(ctx context.Context, id int64, t time.Time) error {
	return db.execOne(ctx, "token", `UPDATE api_token SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, t.UnixNano(), id)
}

func nanosOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func timePtr(ns *int64) *time.Time {
	if ns == nil {
		return nil
	}
	t := timeOf(*ns)
	return &t
}
