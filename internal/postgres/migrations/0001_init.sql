-- Mirrors internal/sqlite/migrations/0001_init.sql. Every record kind has an
-- identity table (one row per ID, never deleted, the target of foreign keys)
-- and a version table. A version is current in record time from rec_from
-- until rec_to (NULL: still current). A delete is a version with deleted =
-- true. Nothing is ever updated except rec_to.
--
-- IDs and other keys use the "C" collation so ordering is by bytes, as in
-- SQLite, whatever the server's locale. data keeps the JSON text exactly as
-- written (text, not jsonb, which would reorder keys): idempotent upserts
-- compare it byte for byte, and migrate-store copies it verbatim.

-- clock is the single row every writer locks (SELECT ... FOR UPDATE) to take
-- the next change ID and record-clock instant: writers from any number of
-- processes are serialised, and both numbers strictly increase in commit order.
CREATE TABLE clock (
	one         boolean PRIMARY KEY DEFAULT true CHECK (one),
	last_change bigint NOT NULL,
	last_at     bigint NOT NULL -- unix nanoseconds
);
INSERT INTO clock (one, last_change, last_at) VALUES (true, 0, 0);

CREATE TABLE changes (
	id          bigint PRIMARY KEY,
	recorded_at bigint NOT NULL, -- unix nanoseconds, strictly increasing
	recorded_by text NOT NULL,
	note        text NOT NULL DEFAULT ''
);

CREATE TABLE source (id text COLLATE "C" PRIMARY KEY);
CREATE TABLE source_v (
	id        text COLLATE "C" NOT NULL REFERENCES source(id) DEFERRABLE INITIALLY DEFERRED,
	version   integer NOT NULL,
	change_id bigint NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from  bigint NOT NULL,
	rec_to    bigint,
	deleted   boolean NOT NULL DEFAULT false,
	data      text,
	tlp       text,
	PRIMARY KEY (id, version)
);

CREATE TABLE actor (id text COLLATE "C" PRIMARY KEY);
CREATE TABLE actor_v (
	id        text COLLATE "C" NOT NULL REFERENCES actor(id) DEFERRABLE INITIALLY DEFERRED,
	version   integer NOT NULL,
	change_id bigint NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from  bigint NOT NULL,
	rec_to    bigint,
	deleted   boolean NOT NULL DEFAULT false,
	data      text,
	PRIMARY KEY (id, version)
);

CREATE TABLE affiliation (id text COLLATE "C" PRIMARY KEY);
CREATE TABLE affiliation_v (
	id        text COLLATE "C" NOT NULL REFERENCES affiliation(id) DEFERRABLE INITIALLY DEFERRED,
	version   integer NOT NULL,
	change_id bigint NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from  bigint NOT NULL,
	rec_to    bigint,
	deleted   boolean NOT NULL DEFAULT false,
	data      text,
	child_id  text COLLATE "C" REFERENCES actor(id) DEFERRABLE INITIALLY DEFERRED,
	parent_id text COLLATE "C" REFERENCES actor(id) DEFERRABLE INITIALLY DEFERRED,
	PRIMARY KEY (id, version)
);

CREATE TABLE incident (id text COLLATE "C" PRIMARY KEY);
CREATE TABLE incident_v (
	id             text COLLATE "C" NOT NULL REFERENCES incident(id) DEFERRABLE INITIALLY DEFERRED,
	version        integer NOT NULL,
	change_id      bigint NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from       bigint NOT NULL,
	rec_to         bigint,
	deleted        boolean NOT NULL DEFAULT false,
	data           text,
	kind           text,
	date_start     integer, -- plotline.Day
	date_end       integer,
	country        text,
	target_country text,
	origin         text COLLATE "C",
	origin_id      text COLLATE "C",
	PRIMARY KEY (id, version)
);

CREATE TABLE attribution (id text COLLATE "C" PRIMARY KEY);
CREATE TABLE attribution_v (
	id          text COLLATE "C" NOT NULL REFERENCES attribution(id) DEFERRABLE INITIALLY DEFERRED,
	version     integer NOT NULL,
	change_id   bigint NOT NULL REFERENCES changes(id) DEFERRABLE INITIALLY DEFERRED,
	rec_from    bigint NOT NULL,
	rec_to      bigint,
	deleted     boolean NOT NULL DEFAULT false,
	data        text,
	incident_id text COLLATE "C" REFERENCES incident(id) DEFERRABLE INITIALLY DEFERRED,
	actor_id    text COLLATE "C" REFERENCES actor(id) DEFERRABLE INITIALLY DEFERRED,
	basis       text,
	PRIMARY KEY (id, version)
);

CREATE INDEX source_v_current       ON source_v(id)      WHERE rec_to IS NULL;
CREATE INDEX actor_v_current        ON actor_v(id)       WHERE rec_to IS NULL;
CREATE INDEX affiliation_v_current  ON affiliation_v(id) WHERE rec_to IS NULL;
CREATE INDEX incident_v_current     ON incident_v(id)    WHERE rec_to IS NULL;
CREATE INDEX incident_v_origin      ON incident_v(origin, origin_id) WHERE rec_to IS NULL;
CREATE INDEX incident_v_date        ON incident_v(date_start) WHERE rec_to IS NULL;
CREATE INDEX attribution_v_current  ON attribution_v(id) WHERE rec_to IS NULL;
CREATE INDEX attribution_v_incident ON attribution_v(incident_id, rec_from);
-- Deletes check that no current record still points at an actor.
CREATE INDEX attribution_v_actor    ON attribution_v(actor_id) WHERE rec_to IS NULL;
CREATE INDEX affiliation_v_child    ON affiliation_v(child_id) WHERE rec_to IS NULL;
CREATE INDEX affiliation_v_parent   ON affiliation_v(parent_id) WHERE rec_to IS NULL;
