-- Mirrors internal/sqlite/migrations/0002_engine.sql: the columns the
-- analytics engine (internal/engine) indexes, so that building its index
-- never decodes JSON. eng = 1 marks versions written with them filled;
-- versions written before this migration have eng NULL. Dates are
-- plotline.Day numbers; unknown numbers are NULL; multi-valued fields are
-- joined with the unit separator (char 31).
--
-- SQLite's FTS5 table becomes a generated tsvector column with a GIN index
-- (the 'simple' configuration: no stemming, no stop words, any language).

ALTER TABLE incident_v
	ADD COLUMN eng integer,
	ADD COLUMN outcome text,
	ADD COLUMN stage text,
	ADD COLUMN date_prec text,
	ADD COLUMN pub_start integer, -- disclosed, else the incident date
	ADD COLUMN pub_end integer,
	ADD COLUMN admin1 text,
	ADD COLUMN place text,
	ADD COLUMN loc_prec text,
	ADD COLUMN lat double precision,
	ADD COLUMN lon double precision,
	ADD COLUMN target_type text,
	ADD COLUMN event_type text,
	ADD COLUMN documentation text,
	ADD COLUMN weapons text,
	ADD COLUMN tags text,
	ADD COLUMN sources text,
	ADD COLUMN killed integer,
	ADD COLUMN injured integer,
	ADD COLUMN perpetrators integer,
	ADD COLUMN arrests integer,
	ADD COLUMN fts tsvector GENERATED ALWAYS AS (
		to_tsvector('simple'::regconfig, coalesce((data::jsonb)->>'title', '') || ' ' || coalesce((data::jsonb)->>'summary', ''))
	) STORED;

CREATE INDEX incident_v_fts ON incident_v USING gin (fts);

ALTER TABLE attribution_v
	ADD COLUMN eng integer,
	ADD COLUMN link text,
	ADD COLUMN likelihood text,
	ADD COLUMN confidence text,
	ADD COLUMN asserted_by text,
	ADD COLUMN stated_start integer,
	ADD COLUMN stated_end integer,
	ADD COLUMN superseded_end integer,
	ADD COLUMN retracted_end integer;
