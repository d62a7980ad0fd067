-- The partial indexes on (id) WHERE rec_to IS NULL repeat the first column
-- of each version table's primary key (id, version): a lookup of the
-- current version of one ID seeks the key's prefix and reads the record's
-- few versions just as fast (EXPLAIN QUERY PLAN: SEARCH ... USING INDEX
-- sqlite_autoindex_*_v_1 (id=?)), and listing the current versions in ID
-- order scans that key or, for incidents, incident_v_engine. Every stored
-- version paid for one more index write; imports write millions.

DROP INDEX IF EXISTS source_v_current;
DROP INDEX IF EXISTS actor_v_current;
DROP INDEX IF EXISTS affiliation_v_current;
DROP INDEX IF EXISTS incident_v_current;
DROP INDEX IF EXISTS attribution_v_current;
