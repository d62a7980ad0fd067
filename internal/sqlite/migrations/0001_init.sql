-- Every record kind has an identity table (one row per ID, never deleted,
-- the target of foreign keys) and a version table. A version is current in
-- record time from rec_from until rec_to (NULL: still current). A delete is
-- a version with deleted = 1. Nothing is ever updated except rec_to.

CREATE TABLE changes (
	id          INTEGER PRIMARY KEY,
	recorded_at INTEGER NOT NULL, -- unix nanoseconds, strictly increasing
	recorded_by TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE source (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE source_v (
	id        TEXT NOT NULL REFERENCES source(id) DEFERRABLE INITIALLY DEFERRED,
	version   INTEGER NOT NULL,
	change_id INTEGER NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from  INTEGER NOT NULL,
	rec_to    INTEGER,
	deleted   INTEGER NOT NULL DEFAULT 0,
	data      TEXT,
	tlp       TEXT,
	PRIMARY KEY (id, version)
);

CREATE TABLE actor (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE actor_v (
	id        TEXT NOT NULL REFERENCES actor(id) DEFERRABLE INITIALLY DEFERRED,
	version   INTEGER NOT NULL,
	change_id INTEGER NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from  INTEGER NOT NULL,
	rec_to    INTEGER,
	deleted   INTEGER NOT NULL DEFAULT 0,
	data      TEXT,
	PRIMARY KEY (id, version)
);

CREATE TABLE affiliation (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE affiliation_v (
	id        TEXT NOT NULL REFERENCES affiliation(id) DEFERRABLE INITIALLY DEFERRED,
	version   INTEGER NOT NULL,
	change_id INTEGER NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from  INTEGER NOT NULL,
	rec_to    INTEGER,
	deleted   INTEGER NOT NULL DEFAULT 0,
	data      TEXT,
	child_id  TEXT REFERENCES actor(id) DEFERRABLE INITIALLY DEFERRED,
	parent_id TEXT REFERENCES actor(id) DEFERRABLE INITIALLY DEFERRED,
	PRIMARY KEY (id, version)
);

CREATE TABLE incident (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE incident_v (
	id             TEXT NOT NULL REFERENCES incident(id) DEFERRABLE INITIALLY DEFERRED,
	version        INTEGER NOT NULL,
	change_id      INTEGER NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from       INTEGER NOT NULL,
	rec_to         INTEGER,
	deleted        INTEGER NOT NULL DEFAULT 0,
	data           TEXT,
	kind           TEXT,
	date_start     INTEGER, -- plotline.Day
	date_end       INTEGER,
	country        TEXT,
	target_country TEXT,
	origin         TEXT,
	origin_id      TEXT,
	PRIMARY KEY (id, version)
);

CREATE TABLE attribution (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE attribution_v (
	id          TEXT NOT NULL REFERENCES attribution(id) DEFERRABLE INITIALLY DEFERRED,
	version     INTEGER NOT NULL,
	change_id   INTEGER NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from    INTEGER NOT NULL,
	rec_to      INTEGER,
	deleted     INTEGER NOT NULL DEFAULT 0,
	data        TEXT,
	incident_id TEXT REFERENCES incident(id) DEFERRABLE INITIALLY DEFERRED,
	actor_id    TEXT REFERENCES actor(id) DEFERRABLE INITIALLY DEFERRED,
	basis       TEXT,
	PRIMARY KEY (id, version)
);

CREATE INDEX source_v_current      ON source_v(id)      WHERE rec_to IS NULL;
CREATE INDEX actor_v_current       ON actor_v(id)       WHERE rec_to IS NULL;
CREATE INDEX affiliation_v_current ON affiliation_v(id) WHERE rec_to IS NULL;
CREATE INDEX incident_v_current    ON incident_v(id)    WHERE rec_to IS NULL;
CREATE INDEX incident_v_origin     ON incident_v(origin, origin_id) WHERE rec_to IS NULL;
CREATE INDEX incident_v_date       ON incident_v(date_start) WHERE rec_to IS NULL;
CREATE INDEX attribution_v_current ON attribution_v(id) WHERE rec_to IS NULL;
CREATE INDEX attribution_v_incident ON attribution_v(incident_id, rec_from);
