package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/gen"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// reportShape is the PolicyWatch question, `plotline report external-ops
// --from 2024-01-01 --to 2024-06-30 --related-to ISKP`: on a database with
// the curated dataset only (engine vs today's path, a store snapshot fed to
// internal/analysis), and by the engine on the benchmark database, whose
// answer must be the same because no synthetic event names an IS unit. The
// curated database is a copy of the benchmark database's own curated
// records: the embedded dataset may have grown since it was generated.
func reportShape(ctx context.Context, dataDir string, bigDB *sqlite.DB, big *engineSys) ([]shape, error) {
	path := filepath.Join(dataDir, "curated.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	curated, err := curatedBatch(ctx, bigDB)
	if err != nil {
		return nil, err
	}
	if _, err := db.Apply(ctx, curated); err != nil {
		return nil, fmt.Errorf("copy the curated records: %w", err)
	}
	eng, err := engine.New(ctx, db)
	if err != nil {
		return nil, err
	}
	snap, err := db.Snapshot(ctx, plotline.AsOf{})
	if err != nil {
		return nil, err
	}
	g := analysis.NewGraph(snap.Actors, snap.Affiliations)
	iskp, ok := g.Resolve("ISKP")
	if !ok {
		return nil, fmt.Errorf("the curated dataset has no actor called ISKP")
	}
	rule, err := analysis.ParseRule("any")
	if err != nil {
		return nil, err
	}
	p := analysis.ExternalOpsParams{From: plotline.MakeDay(2024, 1, 1), To: plotline.MakeDay(2024, 6, 30),
		RelatedTo: iskp, Rule: rule, AsOf: plotline.DayOf(time.Now())}

	viaEngine := func(e *engine.Engine) runner {
		return func(ctx context.Context) (result, error) {
			ix, err := e.Index(ctx, plotline.AsOf{})
			if err != nil {
				return nil, err
			}
			r, err := ix.ExternalOps(ctx, p)
			if err != nil {
				return nil, err
			}
			return reportLines(r), nil
		}
	}
	viaStore := func(ctx context.Context) (result, error) {
		snap, err := db.Snapshot(ctx, plotline.AsOf{})
		if err != nil {
			return nil, err
		}
		g := analysis.NewGraph(snap.Actors, snap.Affiliations)
		return reportLines(analysis.ExternalOps(g, snap.Incidents, p)), nil
	}
	want, err := viaStore(ctx)
	if err != nil {
		return nil, err
	}
	return []shape{
		{
			name:   "PolicyWatch report, curated data",
			target: 15 * time.Millisecond,
			engine: viaEngine(eng),
			sqlite: viaStore,
			note:   "report: the SQL column is today's `plotline report` path (store snapshot + internal/analysis); DuckDB has no organisation graph",
		},
		{
			name:   "PolicyWatch report, benchmark db",
			target: 15 * time.Millisecond,
			engine: viaEngine(big.eng),
			expect: want,
			note:   "report on the benchmark db: engine only, checked against the curated-only answer (no synthetic event names an IS unit)",
		},
	}, nil
}

// reportLines flattens the counted part of a report (not its coverage
// figures, which count the whole store) into comparable lines.
func reportLines(r *analysis.ExternalOpsReport) result {
	out := result{fmt.Sprintf("total\t%d", r.Total), fmt.Sprintf("related\t%d", r.Related), fmt.Sprintf("unrelated\t%d", r.Unrelated)}
	for k, n := range r.ByKind {
		out = append(out, fmt.Sprintf("kind\t%s\t%d", k, n))
	}
	for _, c := range r.ByUnit {
		out = append(out, fmt.Sprintf("unit\t%s\t%s\t%s\t%d", c.Unit, c.TargetCountry, c.Kind, c.Count))
	}
	for _, c := range r.RelatedByUnit {
		out = append(out, fmt.Sprintf("related-unit\t%s\t%s\t%s\t%d", c.Unit, c.TargetCountry, c.Kind, c.Count))
	}
	for _, in := range r.Incidents {
		out = append(out, fmt.Sprintf("incident\t%s\t%v", in.ID, in.Related))
	}
	for _, d := range r.Disagreements {
		out = append(out, fmt.Sprintf("disagreement\t%s\t%s\t%s\t%s", d.Incident, d.ClaimedUnit, d.AttributedUnit, d.Relation))
	}
	return sorted(out)
}

// curatedBatch reads every record of db that the generator did not write.
func curatedBatch(ctx context.Context, db *sqlite.DB) (*plotline.Batch, error) {
	b := &plotline.Batch{By: "bench", Note: "curated records of the benchmark database"}
	var err error
	if b.Sources, err = db.Sources(ctx, plotline.AsOf{}); err != nil {
		return nil, err
	}
	b.Sources = slices.DeleteFunc(b.Sources, func(s plotline.Source) bool { return s.ID == gen.SourceID })
	if b.Actors, err = db.Actors(ctx, plotline.AsOf{}); err != nil {
		return nil, err
	}
	b.Actors = slices.DeleteFunc(b.Actors, func(a plotline.Actor) bool { return slices.Contains(a.Sources, gen.SourceID) })
	if b.Affiliations, err = db.Affiliations(ctx, plotline.AsOf{}); err != nil {
		return nil, err
	}
	rows, err := db.ReadDB().QueryContext(ctx, `SELECT id FROM incident_v WHERE rec_to IS NULL AND deleted = 0 AND coalesce(origin, '') != ?`, gen.Origin)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if b.Incidents, err = db.Incidents(ctx, plotline.IncidentFilter{IDs: ids}, plotline.AsOf{}); err != nil {
		return nil, err
	}
	return b, nil
}
