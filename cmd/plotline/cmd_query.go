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
)

// query lists incidents matching a simple filter: space-separated
// field:value terms (kind, outcome, country, target, actor, basis, date,
// from, to) and free words matched against title and summary. actor:X+
// means X or any unit under it at the incident's date.
func (m *Main) query(ctx context.Context, args []string) error {
	f := m.newFlags("query", "[--format table|json|csv] [--as-of DAY] [FILTER...]")
	var asOf asOfFlags
	asOf.register(f.FlagSet)
	format := f.String("format", "table", "table, json or csv")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	ao, err := asOf.parse()
	if err != nil {
		return err
	}
	flt, err := parseSimpleFilter(strings.Join(pos, " "))
	if err != nil {
		return err
	}
	db, err := m.openStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	list, err := db.Incidents(ctx, plotline.IncidentFilter{From: flt.from, To: flt.to}, ao)
	if err != nil {
		return err
	}
	actors, err := db.Actors(ctx, plotline.AsOf{Recorded: ao.Recorded})
	if err != nil {
		return err
	}
	affs, err := db.Affiliations(ctx, plotline.AsOf{Recorded: ao.Recorded})
	if err != nil {
		return err
	}
	g := analysis.NewGraph(actors, affs)
	day := m.today()
	if ao.Stated != nil {
		day = *ao.Stated
	}
	if err := flt.resolve(g); err != nil {
		return err
	}
	var out []plotline.Incident
	for _, in := range list {
		if flt.match(g, &in, day) {
			out = append(out, in)
		}
	}
	return m.writeIncidents(out, g, *format)
}

type simpleFilter struct {
	fields   map[string][]string
	from, to *plotline.Day
	words    []string
	actor    string
	subtree  bool
}

var simpleFields = []string{"kind", "outcome", "country", "target", "actor", "basis", "date", "from", "to", "id"}

func parseSimpleFilter(s string) (*simpleFilter, error) {
	f := &simpleFilter{fields: map[string][]string{}}
	for _, term := range strings.Fields(s) {
		key, val, ok := strings.Cut(term, ":")
		if !ok {
			f.words = append(f.words, strings.ToLower(strings.Trim(term, `"`)))
			continue
		}
		if !slices.Contains(simpleFields, key) {
			return nil, plotline.FieldError(key, "unknown filter field (one of %s)", strings.Join(simpleFields, ", "))
		}
		switch key {
		case "date", "from", "to":
			lo, hi := val, val
			if key == "date" {
				if a, b, ok := strings.Cut(val, ".."); ok {
					lo, hi = a, b
				}
			}
			if key != "to" {
				d, err := plotline.ParseDate(lo)
				if err != nil || !d.Known() {
					return nil, plotline.FieldError(key, "%q is not a date", lo)
				}
				f.from = &d.Start
			}
			if key != "from" {
				d, err := plotline.ParseDate(hi)
				if err != nil || !d.Known() {
					return nil, plotline.FieldError(key, "%q is not a date", hi)
				}
				f.to = &d.End
			}
		case "actor":
			f.actor, f.subtree = strings.CutSuffix(val, "+")
		default:
			f.fields[key] = strings.Split(val, ",")
		}
	}
	return f, nil
}

func (f *simpleFilter) resolve(g *analysis.Graph) error {
	if f.actor == "" {
		return nil
	}
	id, ok := g.Resolve(f.actor)
	if !ok {
		return plotline.FieldError("actor", "no actor is called %q", f.actor)
	}
	f.actor = id
	return nil
}

func (f *simpleFilter) match(g *analysis.Graph, in *plotline.Incident, day plotline.Day) bool {
	in2 := func(key, v string) bool {
		vals, ok := f.fields[key]
		return !ok || slices.Contains(vals, v)
	}
	if !in2("kind", in.Kind) || !in2("outcome", in.Outcome) || !in2("country", in.Location.Country) ||
		!in2("target", in.TargetCountry) || !in2("id", in.ID) {
		return false
	}
	if f.actor != "" || len(f.fields["basis"]) > 0 {
		found := false
		for _, a := range in.Attributions {
			if !a.StandsOn(day) || !in2("basis", a.Basis) {
				continue
			}
			if f.actor == "" || a.ActorID == f.actor || (f.subtree && g.Under(a.ActorID, f.actor, in.Date.Start)) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	text := strings.ToLower(in.Title + " " + in.Summary)
	for _, w := range f.words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

func (m *Main) writeIncidents(list []plotline.Incident, g *analysis.Graph, format string) error {
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
		fmt.Fprintf(m.Stdout, "%d incidents\n", len(list))
		return nil
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
