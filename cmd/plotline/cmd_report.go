package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// report runs a named report; external-ops is the seed's analysis.
func (m *Main) report(ctx context.Context, args []string) error {
	f := m.newFlags("report", "external-ops --from DAY --to DAY [--related-to ACTOR] [--rule any|official|claims|best] [--as-of DAY] [--format text|markdown|json]")
	var asOf asOfFlags
	asOf.register(f.FlagSet)
	from := f.String("from", "", "first day of the period, YYYY-MM-DD (required)")
	to := f.String("to", "", "last day of the period, YYYY-MM-DD (required)")
	related := f.String("related-to", "", "split counts by relation to this actor (ID, name or alias, e.g. ISKP)")
	org := f.String("org", "", "organisation whose operations are counted (default: the root of --related-to, else is)")
	rule := f.String("rule", "any", "counting rule: any, official, claims, best, bases:a,b or best:a>b>c")
	format := f.String("format", "text", "text, markdown or json")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "external-ops" {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "report: the only report is external-ops")
	}
	p, err := m.reportParams(*from, *to, *rule)
	if err != nil {
		return err
	}
	ao, err := asOf.parse()
	if err != nil {
		return err
	}
	if ao.Stated != nil {
		p.AsOf = *ao.Stated
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
	ix, err := eng.Index(ctx, ao)
	if err != nil {
		return err
	}
	g := ix.Graph()
	for _, a := range []struct {
		flag string
		val  string
		dst  *string
	}{{"related-to", *related, &p.RelatedTo}, {"org", *org, &p.Org}} {
		if a.val == "" {
			continue
		}
		id, ok := g.Resolve(a.val)
		if !ok {
			return plotline.FieldError(a.flag, "no actor is called %q", a.val)
		}
		*a.dst = id
	}
	r, err := ix.ExternalOps(ctx, p)
	if err != nil {
		return err
	}
	// The report reads published versions only; the operator may see
	// drafts, so it says how many it left out, as the API does for analysts.
	drafts, err := httpapi.CountDrafts(ctx, db)
	if err != nil {
		return err
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(httpapi.ReportAnswer{ExternalOpsReport: *r, DraftsPending: drafts.Pending})
	case "text", "markdown":
		if err := analysis.WriteExternalOps(m.Stdout, g, r, *format == "markdown"); err != nil {
			return err
		}
		_, err := fmt.Fprintln(m.Stdout, drafts.Text()) // the report ends with a blank line
		return err
	}
	return plotline.FieldError("format", "%q is not text, markdown or json", *format)
}

func (m *Main) reportParams(from, to, rule string) (analysis.ExternalOpsParams, error) {
	var p analysis.ExternalOpsParams
	if from == "" || to == "" {
		return p, plotline.FieldError("from", "--from and --to are required")
	}
	var err error
	if p.From, err = plotline.ParseDay(from); err != nil {
		return p, plotline.FieldError("from", "%v", err)
	}
	if p.To, err = plotline.ParseDay(to); err != nil {
		return p, plotline.FieldError("to", "%v", err)
	}
	if p.To < p.From {
		return p, plotline.FieldError("to", "%s is before --from %s", p.To, p.From)
	}
	if p.Rule, err = analysis.ParseRule(rule); err != nil {
		return p, err
	}
	p.AsOf = m.today()
	return p, nil
}

// history lists every version of one record.
func (m *Main) history(ctx context.Context, args []string) error {
	f := m.newFlags("history", "KIND ID (KIND: incident, attribution, actor, affiliation, source)")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "history: want KIND and ID")
	}
	db, err := m.openAnyStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	vs, err := db.History(ctx, plotline.Ref{Kind: pos[0], ID: pos[1]})
	if err != nil {
		return err
	}
	for _, v := range vs {
		what := "version"
		if v.Deleted {
			what = "deleted"
		}
		fmt.Fprintf(m.Stdout, "%d\t%s\t%s\t%s\t%s\n", v.Version, v.RecordedAt.Format("2006-01-02T15:04:05Z"), v.RecordedBy, what, v.Note)
	}
	return nil
}
