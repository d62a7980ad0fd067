package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/query"
)

// query answers a query in the language of internal/query (see
// docs/query-language.md) with the analytics engine: a listing of the
// matching incidents, or with --count their number, with --group-by a
// grouped count, or with --series a time series. Every answer is computed
// from published data; the tables' footers and the JSON say so, with the
// number of drafts awaiting review that were left out.
func (m *Main) query(ctx context.Context, args []string) error {
	f := m.newFlags("query", "[--format table|json|csv] [--as-of DAY] [--rule RULE] [--count | --group-by DIM,... | --series INTERVAL] [--measure count|sum:killed] [QUERY...]")
	var asOf asOfFlags
	asOf.register(f.FlagSet)
	format := f.String("format", "table", "table, json or csv")
	rule := f.String("rule", "", "counting rule: any, official, claims, best, bases:a,b or best:a>b>c (default: the query's rule: term, else any)")
	groupBy := f.String("group-by", "", "count by up to three dimensions, comma-separated (e.g. unit,target; see docs/query-language.md)")
	measure := f.String("measure", "count", "with --group-by: count, sum:killed or sum:injured")
	series := f.String("series", "", "time series by week, month, quarter, half or year, with strict and possible counts")
	limit := f.Int("limit", 0, "at most this many incidents or groups (0: all)")
	count := f.Bool("count", false, "print only the number of matching incidents")
	pos, err := f.parse(args)
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
	req := engine.Request{Query: q, AsOf: ao, Rule: *rule, Measure: *measure, Limit: *limit}
	if req.AsOf.Stated == nil {
		today := m.today()
		req.AsOf.Stated = &today
	}
	drafts, err := httpapi.CountDrafts(ctx, db)
	if err != nil {
		return err
	}
	switch {
	case *count && (*series != "" || *groupBy != ""):
		return plotline.FieldError("count", "--count cannot be combined with --group-by or --series")
	case *series != "":
		s, err := eng.Series(ctx, engine.SeriesRequest{Request: req, Interval: *series})
		if err != nil {
			return err
		}
		return m.writeSeries(s, *format, drafts)
	case *groupBy != "" || *count:
		if *groupBy != "" {
			req.GroupBy = strings.Split(*groupBy, ",")
		}
		t, err := eng.Count(ctx, req)
		if err != nil {
			return err
		}
		return m.writeTable(t, *format, drafts)
	}
	matches, err := eng.Match(ctx, req)
	if err != nil {
		return err
	}
	var list []plotline.Incident
	if len(matches.IDs) > 0 {
		if list, err = db.Incidents(ctx, plotline.IncidentFilter{IDs: matches.IDs}, ao); err != nil {
			return err
		}
		if *format != "json" { // JSON gives the records as stored
			if err := engine.AddLinked(ctx, db, ao, list, matches.Linked); err != nil {
				return err
			}
		}
	}
	ix, err := eng.Index(ctx, ao)
	if err != nil {
		return err
	}
	return m.writeIncidents(list, ix.Graph(), *format, drafts)
}

// writeTable writes a grouped count, or with no dimension the number of
// matching incidents alone.
func (m *Main) writeTable(t *engine.Table, format string, drafts httpapi.DraftsNote) error {
	switch format {
	case "json":
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(httpapi.WithDrafts(t, drafts))
	case "csv", "table":
		head := append(slices.Clone(t.Dims), "incidents")
		if t.Measure != "count" {
			head = append(head, t.Measure)
		}
		rows := [][]string{head}
		for _, r := range t.Rows {
			row := append(slices.Clone(r.Keys), fmt.Sprint(r.Count))
			if t.Measure != "count" {
				row = append(row, fmt.Sprint(r.Value))
			}
			rows = append(rows, row)
		}
		if format == "csv" {
			w := csv.NewWriter(m.Stdout)
			w.WriteAll(rows) //nolint:errcheck // w.Error reports it
			return w.Error()
		}
		if len(t.Dims) > 0 {
			tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
			for _, r := range rows {
				fmt.Fprintln(tw, strings.Join(r, "\t"))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
		}
		fmt.Fprintf(m.Stdout, "%d incidents (rule %s)", t.Total, t.Rule)
		if t.Measure != "count" {
			fmt.Fprintf(m.Stdout, ", %s %d", t.Measure, t.Sum)
		}
		_, err := fmt.Fprintf(m.Stdout, "\n%s\n", drafts.Text())
		return err
	}
	return plotline.FieldError("format", "%q is not table, json or csv", format)
}

func (m *Main) writeSeries(s *engine.Series, format string, drafts httpapi.DraftsNote) error {
	switch format {
	case "json":
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(httpapi.WithDrafts(s, drafts))
	case "csv", "table":
		rows := [][]string{{s.Interval, "from", "to", "strict", "possible"}}
		for _, b := range s.Buckets {
			rows = append(rows, []string{b.Label, b.Start, b.End, fmt.Sprint(b.Strict), fmt.Sprint(b.Possible)})
		}
		if format == "csv" {
			w := csv.NewWriter(m.Stdout)
			w.WriteAll(rows) //nolint:errcheck // w.Error reports it
			return w.Error()
		}
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
		for _, r := range rows {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintln(m.Stdout, drafts.Text())
		return err
	}
	return plotline.FieldError("format", "%q is not table, json or csv", format)
}

func (m *Main) writeIncidents(list []plotline.Incident, g *analysis.Graph, format string, drafts httpapi.DraftsNote) error {
	switch format {
	case "json":
		if list == nil {
			list = []plotline.Incident{}
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	case "csv":
		w := csv.NewWriter(m.Stdout)
		w.Write([]string{"id", "date", "precision", "kind", "outcome", "country", "target_country", "killed_best", "units", "title"})
		for _, in := range list {
			w.Write([]string{in.ID, in.Date.String(), string(in.Date.Precision), in.Kind, in.Outcome, in.Location.Country,
				in.TargetCountry, intOrEmpty(in.Killed.Best), strings.Join(units(g, &in), "; "), in.Title})
		}
		w.Flush()
		return w.Error()
	case "table":
		tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "DATE\tKIND\tOUTCOME\tWHERE\tTARGET\tUNITS NAMED\tID")
		for _, in := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.Date, in.Kind, in.Outcome, in.Location.Country, in.TargetCountry,
				strings.Join(units(g, &in), "; "), in.ID)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(m.Stdout, "%d incidents\n%s\n", len(list), drafts.Text())
		return err
	}
	return plotline.FieldError("format", "%q is not table, json or csv", format)
}

// units lists the distinct units named by an incident's statements.
func units(g *analysis.Graph, in *plotline.Incident) []string {
	var out []string
	for _, a := range in.Attributions {
		n := g.Name(a.ActorID)
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func intOrEmpty(p *int) string {
	if p == nil {
		return ""
	}
	return fmt.Sprint(*p)
}
