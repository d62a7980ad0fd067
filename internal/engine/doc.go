// Package engine is Plotline's analytics engine: an in-memory columnar
// index of the store that answers filter, count, cross-tab, time-series,
// change and projection questions in milliseconds on millions of incidents.
//
// # Using it
//
// Build once, share everywhere (an *Engine is safe for concurrent use):
//
//	eng, err := engine.New(ctx, db)        // db: *sqlite.DB (implements Source)
//	q, err := query.Parse(`kind:plot actor:ISKP+ date:2024-01..2024-06`)
//	tab, err := eng.Count(ctx, engine.Request{Query: q, AsOf: asOf, GroupBy: []string{"unit", "target"}})
//	ser, err := eng.Series(ctx, engine.SeriesRequest{Request: engine.Request{Query: q}, Interval: "month"})
//	changed, err := eng.Refresh(ctx)       // after writes: reads what the store changed
//
// Every method takes ctx first and a Request (or a request embedding one):
//
//   - Query: the filter (internal/query AST; nil matches everything).
//   - AsOf: plotline.AsOf. Stated (world clock) hides incidents not public
//     by that day and statements not yet made, superseded or retracted by
//     then; nil Stated means "everything stated, as known now". Recorded
//     (record clock) answers from an index built from the store as it was at
//     that instant (built on demand, the last few cached); nil means now.
//   - Rule: the counting rule name (any, official, claims, best, bases:a,b,
//     best:a>b>c; see analysis.ParseRule). Empty: the query's rule: term,
//     else "any".
//
// Methods: Match (incident IDs, ordered by date then ID, paged), Count
// (count or sum grouped by up to three dimensions; a two-dimension Count is a
// cross-tab, see Table.Pivot), Series (week/month/quarter/half/year buckets
// with strict and possible counts), Disagreements (a claim names one unit,
// an official statement another), Changes (what changed between two as-of
// points), Projection (rate and Gamma–Poisson predictive interval to the
// period's end, with the same period of earlier years), ExternalOps (the
// curated report of internal/analysis, with the engine selecting the
// incidents), Refresh and Stats.
//
// # Semantics
//
// Records a reviewer linked as one incident (duplicate review, "same"; see
// links.go) are one incident: the group's representative row carries every
// record's statements and the others are left out of every answer.
//
// An incident matches a query when every term matches. Incident fields
// (kind, date, country, ...) test the incident. Attribution fields (actor,
// basis, link, likelihood, confidence, by, stated, external) test the
// incident's counted statements: the statements that stand as of
// AsOf.Stated and count under the rule. All positive attribution terms must
// hold for one and the same statement; a negated attribution term (-actor:X)
// means no counted statement matches it. ACTOR+ is the actor or any unit
// under it in the dated organisation graph on the incident's date (its
// earliest possible day), exactly analysis.Graph.Under. external:true means
// the target country lies outside the home countries of the statement's unit
// on that day (analysis.Graph.External).
//
// Dimensions for GroupBy: incident columns kind, outcome, stage, precision,
// country, admin1, place, locprec, target, target_type, event_type, origin,
// documentation; time buckets year, half, quarter, month, week (the bucket
// holding the whole incident date, "~imprecise" when the date spans
// buckets; Series gives strict and possible counts instead); and the
// statement dimensions unit (the most specific units named by the matching
// counted statements), basis, link, and roll-ups core, directorate, office,
// province (the unit's nearest ancestor of that kind on the incident date)
// and org (its topmost ancestor). An incident counts once in every group it
// belongs to; an incident with no matching statement falls in the group "".
// Table.Total counts each incident once.
//
// # Index
//
// Incidents are rows sorted by earliest date; categorical columns are
// dictionary-coded (uint8/uint16/uint32), numbers are int32 (-1 unknown),
// coordinates float32 (NaN unknown); a column equal to another (disclosure
// dates that are the incident dates) shares its memory. Statements are kept
// per incident (CSR layout) with the fields counting rules need. Posting
// lists (incident rows per country, event type and actor), a one-degree
// grid of the rows with coordinates, and the date order narrow the rows a
// query scans; the cheapest candidate list (a union costs more than one
// list) drives the scan when it holds under a quarter of the date range.
// Remaining terms are applied column by column to selection vectors, in
// parallel chunks: the first filter reads row ranges directly, the hot ones
// are branch-free loops without a call per row, and a one-range date term
// checks only the rows that start before the range. Text terms go to the
// store's full-text index (SQLite FTS5 over title and summary) and are
// intersected with the rest; the notes text itself never enters memory. The
// organisation graph is precomputed per actor as date segments (ancestors
// and home countries constant within a segment), so ACTOR+, roll-ups and
// external cost one lookup per statement.
//
// # Building
//
// A Source feeds the index in parts (Loader.Parts) that may load
// concurrently, each with its own dictionaries; finish merges the
// dictionaries once, remaps the codes, sorts the rows by date and lays the
// columns out in parallel. The SQLite store splits the current incidents
// into ID ranges, reads each range's incidents and attributions from covering
// expression indexes (migration 0004: one joined value per row, never the
// JSON data or notes), one read transaction per worker, all at the same
// last change. Past record instants are read from the tables.
//
// # Listing and live structures
//
// Rows are laid out by date, then incident ID, which is the listing order:
// Match collects only the requested page and sorts nothing. For questions
// as known now under a rule that counts every basis without an order,
// live.go derives at build, per actor, the rows with a standing statement
// and, per row, its distinct actors, so an actor term drives the scan
// without a statement filter and unit counts read no statements. As-of
// questions, other rules and clearance views use the statements.
//
// # Freshness
//
// Refresh compares the store's last change ID with the snapshot's. When the
// store implements DeltaSource, it reads only the incidents changed since
// into a layer over the full index (delta.go): the rows they replace are
// dead in the layers below, and every answer merges the layers
// (delta_ops.go). Past Options.DeltaRows changed incidents, a full index is
// rebuilt in the background and swapped in, with writes made meanwhile
// layered on top; readers never wait. Actor, affiliation or source-marking
// changes rebuild in full, as does every refresh of a store without
// DeltaSource.
package engine
