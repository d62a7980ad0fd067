-- Accounts (internal/auth): users with a role and a TLP clearance, their
-- argon2id password hashes (PHC strings), server-side login sessions and
-- API tokens. Sessions and tokens are stored as the SHA-256 of their secret,
-- never the secret itself. Times are unix nanoseconds.

CREATE TABLE account (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL COLLATE NOCASE UNIQUE,
	role       TEXT NOT NULL CHECK (role IN ('reader', 'analyst', 'reviewer', 'admin')),
	clearance  TEXT NOT NULL CHECK (clearance IN ('clear', 'green', 'amber', 'amber+strict', 'red')),
	password   TEXT NOT NULL,
	disabled   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);

CREATE TABLE session (
	hash       BLOB PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	client     TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	seen_at    INTEGER NOT NULL,
	expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX session_account ON session(account_id);

CREATE TABLE api_token (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
	label      TEXT NOT NULL DEFAULT '',
	hash       BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	used_at    INTEGER,
	revoked_at INTEGER,
	expires_at INTEGER
);
CREATE INDEX api_token_account ON api_token(account_id);
