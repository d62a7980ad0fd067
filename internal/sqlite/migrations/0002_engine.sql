-- Columns the analytics engine (internal/engine) indexes, so that building
-- its index never decodes JSON. eng = 1 marks versions written with them
-- filled; versions written before this migration have eng NULL and are
-- decoded from data by the index builder (internal/sqlite/engine_read.go).
-- Dates are plotline.Day numbers; unknown numbers are NULL; multi-valued
-- fields are joined with the unit separator (char 31).

ALTER TABLE incident_v ADD COLUMN eng INTEGER;
ALTER TABLE incident_v ADD COLUMN outcome TEXT;
ALTER TABLE incident_v ADD COLUMN stage TEXT;
ALTER TABLE incident_v ADD COLUMN date_prec TEXT;
ALTER TABLE incident_v ADD COLUMN pub_start INTEGER; -- disclosed, else the incident date
ALTER TABLE incident_v ADD COLUMN pub_end INTEGER;
ALTER TABLE incident_v ADD COLUMN admin1 TEXT;
ALTER TABLE incident_v ADD COLUMN place TEXT;
ALTER TABLE incident_v ADD COLUMN loc_prec TEXT;
ALTER TABLE incident_v ADD COLUMN lat REAL;
ALTER TABLE incident_v ADD COLUMN lon REAL;
ALTER TABLE incident_v ADD COLUMN target_type TEXT;
ALTER TABLE incident_v ADD COLUMN event_type TEXT;
ALTER TABLE incident_v ADD COLUMN documentation TEXT;
ALTER TABLE incident_v ADD COLUMN weapons TEXT;
ALTER TABLE incident_v ADD COLUMN tags TEXT;
ALTER TABLE incident_v ADD COLUMN sources TEXT;
ALTER TABLE incident_v ADD COLUMN killed INTEGER;
ALTER TABLE incident_v ADD COLUMN injured INTEGER;
ALTER TABLE incident_v ADD COLUMN perpetrators INTEGER;
ALTER TABLE incident_v ADD COLUMN arrests INTEGER;

ALTER TABLE attribution_v ADD COLUMN eng INTEGER;
ALTER TABLE attribution_v ADD COLUMN link TEXT;
ALTER TABLE attribution_v ADD COLUMN likelihood TEXT;
ALTER TABLE attribution_v ADD COLUMN confidence TEXT;
ALTER TABLE attribution_v ADD COLUMN asserted_by TEXT;
ALTER TABLE attribution_v ADD COLUMN stated_start INTEGER;
ALTER TABLE attribution_v ADD COLUMN stated_end INTEGER;
ALTER TABLE attribution_v ADD COLUMN superseded_end INTEGER;
ALTER TABLE attribution_v ADD COLUMN retracted_end INTEGER;

-- Full-text index over title and summary of every incident version (the
-- rowid is the incident_v rowid); readers join it to the versions current at
-- the instant they read. Contentless: the text stays in incident_v.data.
CREATE VIRTUAL TABLE incident_fts USING fts5(title, summary, content='', tokenize='unicode61 remove_diacritics 2');

CREATE TRIGGER incident_v_fts AFTER INSERT ON incident_v WHEN new.deleted = 0 BEGIN INSERT INTO incident_fts (rowid, title, summary) VALUES (new.rowid, coalesce(json_extract(new.data, '$.title'), ''), coalesce(json_extract(new.data, '$.summary'), '')); END;

INSERT INTO incident_fts (rowid, title, summary)
	SELECT rowid, coalesce(json_extract(data, '$.title'), ''), coalesce(json_extract(data, '$.summary'), '') FROM incident_v WHERE deleted = 0;
