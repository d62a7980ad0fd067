-- Entity resolution: review decisions (append-only history: who and when)
-- and the work queue of unmatched names.

CREATE TABLE name_decision (
	id         INTEGER PRIMARY KEY,
	dataset    TEXT NOT NULL,  -- '' = every dataset
	name_key   TEXT NOT NULL,  -- normalised name
	name       TEXT NOT NULL,  -- as spelt by the source
	verdict    TEXT NOT NULL CHECK (verdict IN ('match', 'no-match', 'unsure')),
	actor_id   TEXT REFERENCES actor(id) DEFERRABLE INITIALLY DEFERRED,
	decided_by TEXT NOT NULL,
	decided_at INTEGER NOT NULL, -- unix nanoseconds
	note       TEXT NOT NULL DEFAULT '',
	CHECK ((verdict = 'match') = (actor_id IS NOT NULL))
);
CREATE INDEX name_decision_key ON name_decision(dataset, name_key, id);

CREATE TABLE pending_name (
	dataset    TEXT NOT NULL,
	name_key   TEXT NOT NULL,
	name       TEXT NOT NULL,
	actor_id   TEXT NOT NULL, -- placeholder actor the incidents point at
	example    TEXT NOT NULL DEFAULT '',
	suggestion TEXT NOT NULL DEFAULT '',
	reason     TEXT NOT NULL DEFAULT '',
	first_seen INTEGER NOT NULL,
	last_seen  INTEGER NOT NULL,
	PRIMARY KEY (dataset, name_key)
) WITHOUT ROWID;

CREATE TABLE duplicate_decision (
	id         INTEGER PRIMARY KEY,
	incident_a TEXT NOT NULL REFERENCES incident(id) DEFERRABLE INITIALLY DEFERRED,
	incident_b TEXT NOT NULL REFERENCES incident(id) DEFERRABLE INITIALLY DEFERRED,
	verdict    TEXT NOT NULL CHECK (verdict IN ('same', 'distinct')),
	score      REAL NOT NULL DEFAULT 0,
	reason     TEXT NOT NULL DEFAULT '',
	decided_by TEXT NOT NULL,
	decided_at INTEGER NOT NULL,
	note       TEXT NOT NULL DEFAULT '',
	CHECK (incident_a < incident_b)
);
CREATE INDEX duplicate_decision_pair ON duplicate_decision(incident_a, incident_b, id);
CREATE INDEX attribution_v_actor ON attribution_v(actor_id) WHERE rec_to IS NULL AND deleted = 0;
