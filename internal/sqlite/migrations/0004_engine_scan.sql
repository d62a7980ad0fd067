-- Covering indexes for the analytics engine's index build
-- (internal/sqlite/engine_read.go, ScanIndex). Each holds, for the versions
-- current now (rec_to IS NULL AND deleted = 0), the record's ID and one
-- expression joining every column the engine reads, separated by char(30).
-- The builder scans them in ID order and never touches the table rows, whose
-- JSON data and notes make a full scan ten times larger; and one value per
-- row instead of thirty keeps the per-row cost of the driver low.
--
-- engine_read.go repeats these expressions exactly: SQLite reads an indexed
-- expression from the index only when the query spells the same expression
-- (TestEngineScanUsesIndex checks that it still does). Builds at a past
-- record instant read the tables as before.

CREATE INDEX incident_v_engine ON incident_v(id, (
		coalesce(eng, '') || char(30) || coalesce(kind, '') || char(30) || coalesce(outcome, '') || char(30) || coalesce(stage, '') || char(30) ||
		coalesce(date_start, '') || char(30) || coalesce(date_end, '') || char(30) || coalesce(date_prec, '') || char(30) || coalesce(pub_start, '') || char(30) ||
		coalesce(pub_end, '') || char(30) || coalesce(country, '') || char(30) || coalesce(admin1, '') || char(30) || coalesce(place, '') || char(30) ||
		coalesce(loc_prec, '') || char(30) || coalesce(lat, '') || char(30) || coalesce(lon, '') || char(30) || coalesce(target_country, '') || char(30) ||
		coalesce(target_type, '') || char(30) || coalesce(event_type, '') || char(30) || coalesce(origin, '') || char(30) || coalesce(documentation, '') || char(30) ||
		coalesce(weapons, '') || char(30) || coalesce(tags, '') || char(30) || coalesce(sources, '') || char(30) || coalesce(killed, '') || char(30) ||
		coalesce(injured, '') || char(30) || coalesce(perpetrators, '') || char(30) || coalesce(arrests, ''))) WHERE rec_to IS NULL AND deleted = 0;

CREATE INDEX attribution_v_engine ON attribution_v(incident_id, (
		coalesce(eng, '') || char(30) || coalesce(id, '') || char(30) || coalesce(actor_id, '') || char(30) || coalesce(basis, '') || char(30) ||
		coalesce(link, '') || char(30) || coalesce(likelihood, '') || char(30) || coalesce(confidence, '') || char(30) || coalesce(asserted_by, '') || char(30) ||
		coalesce(stated_start, '') || char(30) || coalesce(stated_end, '') || char(30) || coalesce(superseded_end, '') || char(30) || coalesce(retracted_end, ''))) WHERE rec_to IS NULL AND deleted = 0;
