package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
)

// project answers "more can be expected by year's end": the rate of the
// matching incidents so far in a period, a predictive interval for the
// period's total, and the same period of earlier years.
func (m *Main) project(ctx context.Context, args []string) error {
	f := m.newFlags("project", "--from DAY --to DAY [--as-of DAY] [--per unit] [--rule RULE] [--level 0.9] [--years 3] [--format text|json] [QUERY...]")
	var asOf asOfFlags
	asOf.register(f.FlagSet)
	from := f.String("from", "", "first day of the period (required)")
	to := f.String("to", "", "last day of the period (required)")
	per := f.String("per", "", "project each group of this dimension separately (e.g. unit, target, office)")
	rule := f.String("rule", "", "counting rule (default: the query's rule: term, else any)")
	level := f.Float64("level", 0.9, "probability of the predictive interval")
	years := f.Int("years", 3, "earlier years to compare")
	format := f.String("format", "text", "text or json")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	p, err := m.reportParams(*from, *to, "any")
	if err != nil {
		return err
	}
	ao, err := asOf.parse()
	if err != nil {
		return err
	}
	q, err := query.Parse(strings.Join(pos, " "))
	if err != nil {
		return err
	}
	db, err := m.openAnalyticsStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	eng, err := engine.New(ctx, db)
	if err != nil {
		return err
	}
	req := engine.ProjectionRequest{Request: engine.Request{Query: q, AsOf: ao, Rule: *rule},
		From: p.From, To: p.To, Level: *level, Years: *years, Per: *per}
	if ao.Stated == nil {
		// Without an as-of day the period is observed through today.
		today := min(m.today(), p.To)
		req.Through = today
	}
	pr, err := eng.Projection(ctx, req)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(pr)
	case "text":
		return writeProjection(m, pr)
	}
	return plotline.FieldError("format", "%q is not text or json", *format)
}

func writeProjection(m *Main, pr *engine.Projection) error {
	w := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "Period %s to %s (%d days). Interval: central %.0f%% of the predictive distribution.\n\n",
		pr.Period.From, pr.Period.To, pr.Period.Days, pr.Level*100)
	fmt.Fprintln(w, "group\tobserved\tin days\trate/30 days\texpected total\tinterval")
	rows := append([]engine.Projected{pr.Total}, pr.Groups...)
	for i, g := range rows {
		key := g.Key
		if i == 0 {
			key = "all"
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%.2f (%.2f-%.2f)\t%.1f\t%d-%d\n", key, g.Observed, g.ObservedDays,
			g.RatePerDay*30, g.RateLow*30, g.RateHigh*30, g.Expected, g.Low, g.High)
	}
	if len(pr.Earlier) > 0 {
		fmt.Fprintln(w, "\nsame period, earlier years\tcount")
		for _, e := range pr.Earlier {
			fmt.Fprintf(w, "%s to %s\t%d\n", e.From, e.To, e.Count)
		}
	}
	fmt.Fprintf(w, "\nMethod: %s Prior: Gamma(shape %.2f, rate %.2f per day).\n", pr.Method, pr.Prior.Shape, pr.Prior.Rate)
	return w.Flush()
}
