-- Mirrors internal/sqlite/migrations/0006_review.sql: the review workflow
-- and the audit log. A draft version is numbered minus its change ID and its
-- record-time interval is empty (rec_to = rec_from), so no read of current
-- or past versions selects it; status says what became of it (draft,
-- returned, published, superseded). changes.action and changes.target make
-- the change log the audit log.

ALTER TABLE changes ADD COLUMN action text NOT NULL DEFAULT 'edit', ADD COLUMN target bigint;

ALTER TABLE source_v ADD COLUMN status text NOT NULL DEFAULT 'published';
ALTER TABLE actor_v ADD COLUMN status text NOT NULL DEFAULT 'published';
ALTER TABLE affiliation_v ADD COLUMN status text NOT NULL DEFAULT 'published';
ALTER TABLE incident_v ADD COLUMN status text NOT NULL DEFAULT 'published';
ALTER TABLE attribution_v ADD COLUMN status text NOT NULL DEFAULT 'published';

CREATE INDEX source_v_change      ON source_v(change_id);
CREATE INDEX actor_v_change       ON actor_v(change_id);
CREATE INDEX affiliation_v_change ON affiliation_v(change_id);
CREATE INDEX incident_v_change    ON incident_v(change_id);
CREATE INDEX attribution_v_change ON attribution_v(change_id);

CREATE INDEX source_v_pending      ON source_v(id)      WHERE status IN ('draft', 'returned');
CREATE INDEX actor_v_pending       ON actor_v(id)       WHERE status IN ('draft', 'returned');
CREATE INDEX affiliation_v_pending ON affiliation_v(id) WHERE status IN ('draft', 'returned');
CREATE INDEX incident_v_pending    ON incident_v(id)    WHERE status IN ('draft', 'returned');
CREATE INDEX attribution_v_pending ON attribution_v(id) WHERE status IN ('draft', 'returned');

CREATE INDEX changes_by ON changes(recorded_by, id);
CREATE INDEX changes_target ON changes(target) WHERE target IS NOT NULL;
