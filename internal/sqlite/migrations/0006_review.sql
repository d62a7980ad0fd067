-- Review workflow and audit (workflow.go in the root package).
--
-- A draft is a version like any other, written by a change whose action is
-- 'draft', with two differences that keep it out of every existing read:
-- its version number is minus its change ID (so the published versions'
-- numbering, current + 1, never collides with it), and its record-time
-- interval is empty (rec_to = rec_from), so it is never current: neither
-- "rec_to IS NULL" nor any past instant selects it. status says what became
-- of it: draft (awaiting review), returned, published, superseded. Published
-- versions have status 'published'. A change's action and target (the change
-- a publish, return or revert acts on) make the changes table the audit log.

ALTER TABLE changes ADD COLUMN action TEXT NOT NULL DEFAULT 'edit';
ALTER TABLE changes ADD COLUMN target INTEGER;

ALTER TABLE source_v ADD COLUMN status TEXT NOT NULL DEFAULT 'published';
ALTER TABLE actor_v ADD COLUMN status TEXT NOT NULL DEFAULT 'published';
ALTER TABLE affiliation_v ADD COLUMN status TEXT NOT NULL DEFAULT 'published';
ALTER TABLE incident_v ADD COLUMN status TEXT NOT NULL DEFAULT 'published';
ALTER TABLE attribution_v ADD COLUMN status TEXT NOT NULL DEFAULT 'published';

-- The versions a change wrote: publish, return, revert and the audit log.
CREATE INDEX source_v_change      ON source_v(change_id);
CREATE INDEX actor_v_change       ON actor_v(change_id);
CREATE INDEX affiliation_v_change ON affiliation_v(change_id);
CREATE INDEX incident_v_change    ON incident_v(change_id);
CREATE INDEX attribution_v_change ON attribution_v(change_id);

-- Pending drafts (at most one per record): reads that include drafts.
CREATE INDEX source_v_pending      ON source_v(id)      WHERE status IN ('draft', 'returned');
CREATE INDEX actor_v_pending       ON actor_v(id)       WHERE status IN ('draft', 'returned');
CREATE INDEX affiliation_v_pending ON affiliation_v(id) WHERE status IN ('draft', 'returned');
CREATE INDEX incident_v_pending    ON incident_v(id)    WHERE status IN ('draft', 'returned');
CREATE INDEX attribution_v_pending ON attribution_v(id) WHERE status IN ('draft', 'returned');

CREATE INDEX changes_by ON changes(recorded_by, id);
CREATE INDEX changes_target ON changes(target) WHERE target IS NOT NULL;
