package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// report asks the analytics for the external-ops report the params describe.
func (h *Handler) report(ctx context.Context, v *view, p *reportParams) (*analysis.ExternalOpsReport, error) {
	return h.analytics.Report(ctx, httpapi.ReportRequest{From: p.Params.From, To: p.Params.To, RelatedTo: p.RelatedTo,
		Rule: p.Rule, AsOf: v.Clock, Today: v.Day})
}

// reportParams are the dashboard's (and map's and network's) inputs, as given in the URL.
type reportParams struct {
	From, To, RelatedTo, Rule string
	Params                    analysis.ExternalOpsParams
}

// Periods offered as one-click choices.
var periods = []struct{ Label, From, To string }{
	{"H1 2024", "2024-01-01", "2024-06-30"},
	{"H2 2024", "2024-07-01", "2024-12-31"},
	{"2024", "2024-01-01", "2024-12-31"},
	{"H1 2025", "2025-01-01", "2025-06-30"},
}

// readReportParams reads from, to, related_to and rule, with the seed's
// question (H1 2024, related to ISKP, any basis) as the default.
func readReportParams(v *view, g *analysis.Graph) (*reportParams, error) {
	q := v.Query
	p := &reportParams{From: q.Get("from"), To: q.Get("to"), RelatedTo: q.Get("related_to"), Rule: q.Get("rule")}
	if !q.Has("from") && !q.Has("to") {
		p.From, p.To = periods[0].From, periods[0].To
	}
	if !q.Has("related_to") {
		p.RelatedTo = "is-khorasan"
	}
	if p.Rule == "" {
		p.Rule = "any"
	}
	var err error
	if p.Params.From, err = plotline.ParseDay(p.From); err != nil {
		return p, plotline.FieldError("from", "%v", err)
	}
	if p.Params.To, err = plotline.ParseDay(p.To); err != nil {
		return p, plotline.FieldError("to", "%v", err)
	}
	if p.Params.To < p.Params.From {
		return p, plotline.FieldError("to", "%s is before from %s", p.To, p.From)
	}
	if p.Params.Rule, err = analysis.ParseRule(p.Rule); err != nil {
		return p, err
	}
	if p.RelatedTo != "" {
		id, ok := g.Resolve(p.RelatedTo)
		if !ok {
			return p, plotline.FieldError("related_to", "no actor is called %q", p.RelatedTo)
		}
		p.Params.RelatedTo = id
	}
	p.Params.AsOf = v.Day
	return p, nil
}

type dashboardData struct {
	P        *reportParams
	R        *analysis.ExternalOpsReport
	Periods  any
	Rules    []string
	Actors   []plotline.Actor
	Chart    *barChart
	Cross    *crossTab
	Names    map[string]string
	FieldErr *plotline.Error
	Drafts   httpapi.DraftsNote // the counts leave drafts out; how many wait
	Withheld string             // what the report left out at the user's clearance (withheldText)
}

func (h *Handler) dashboard(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	g, _, err := h.graph(r.Context(), v.Clock)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &dashboardData{Periods: periods, Rules: []string{"any", "official", "claims", "best"}, Actors: orgActors(g.Actors()), Names: actorNames(g.Actors())}
	p, err := readReportParams(v, g)
	d.P = p
	if err != nil {
		// Show the form again with the problem next to its field.
		if e, ok := err.(*plotline.Error); ok && e.Field != "" {
			d.FieldErr = e
			h.render(w, r, http.StatusBadRequest, "dashboard", &page{Title: "Dashboard", Nav: "dashboard", View: v, Data: d})
			return
		}
		h.fail(w, r, err)
		return
	}
	if d.R, err = h.report(r.Context(), v, p); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Drafts, err = httpapi.DraftsNoteFor(r.Context(), h.store, httpapi.ChangeCacheOf(h.analytics)); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.R.Withheld != nil {
		d.Withheld = withheldText(*d.R.Withheld)
	}
	d.Chart = monthlyChart(d.R, p.Params.From, p.Params.To)
	d.Cross = newCrossTab(d.R)
	h.render(w, r, http.StatusOK, "dashboard", &page{Title: "Dashboard", Nav: "dashboard", View: v, Data: d})
}

// orgActors lists actors for pickers: organisation units first by kind, then by name.
func orgActors(list []plotline.Actor) []plotline.Actor {
	out := slices.Clone(list)
	sort.SliceStable(out, func(i, j int) bool {
		ki, kj := slices.Index(plotline.ActorKinds, out[i].Kind), slices.Index(plotline.ActorKinds, out[j].Kind)
		if ki != kj {
			return ki < kj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func actorNames(list []plotline.Actor) map[string]string {
	m := make(map[string]string, len(list))
	for _, a := range list {
		m[a.ID] = a.Name
	}
	return m
}

// barChart is a stacked monthly bar chart, laid out here so the page needs
// no script: the template only draws the rectangles.
type barChart struct {
	Width, Height, Base int
	Bars                []bar
	Ticks               []tick
	Max                 int
	Imprecise           int
	Summary             string
}

type bar struct {
	Label                     string
	X, W                      int
	Segments                  []segment
	Total, Related, Unrelated int
}

type segment struct {
	Class   string
	Y, H, N int
}

type tick struct {
	Y     int
	Label string
}

// monthlyChart counts the report's incidents by month. An incident whose
// date spans more than one month (a quarter, a range) is not placed on any
// month: it is counted as "imprecise" beside the chart, never on the 1st.
func monthlyChart(r *analysis.ExternalOpsReport, from, to plotline.Day) *barChart {
	type month struct{ rel, unrel int }
	var keys []string
	counts := map[string]*month{}
	for t := from.Time(); !t.After(to.Time()); t = time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC) {
		k := t.Format("2006-01")
		keys = append(keys, k)
		counts[k] = &month{}
		if len(keys) > 60 {
			break
		}
	}
	c := &barChart{Width: 640, Height: 220, Base: 190}
	for _, in := range r.Incidents {
		d, err := plotline.ParseDate(in.Date)
		if err != nil || !d.Known() {
			c.Imprecise++
			continue
		}
		ks, ke := d.Start.Time().Format("2006-01"), d.End.Time().Format("2006-01")
		m := counts[ks]
		if ks != ke || m == nil {
			c.Imprecise++
			continue
		}
		if in.Related {
			m.rel++
		} else {
			m.unrel++
		}
	}
	for _, k := range keys {
		if n := counts[k].rel + counts[k].unrel; n > c.Max {
			c.Max = n
		}
	}
	top := c.Max
	if top < 4 {
		top = 4
	}
	plotH := c.Base - 20
	step := (c.Width - 40) / max(1, len(keys))
	scale := func(n int) int { return n * plotH / top }
	var parts []string
	for i, k := range keys {
		m := counts[k]
		b := bar{Label: k, X: 40 + i*step + step/8, W: step * 3 / 4, Related: m.rel, Unrelated: m.unrel, Total: m.rel + m.unrel}
		y := c.Base
		for _, s := range []struct {
			class string
			n     int
		}{{"unrelated", m.unrel}, {"related", m.rel}} {
			if s.n == 0 {
				continue
			}
			hgt := scale(s.n)
			y -= hgt
			b.Segments = append(b.Segments, segment{Class: s.class, Y: y, H: hgt, N: s.n})
		}
		c.Bars = append(c.Bars, b)
		parts = append(parts, fmt.Sprintf("%s: %d", k, b.Total))
	}
	for n := 0; n <= top; n += max(1, top/4) {
		c.Ticks = append(c.Ticks, tick{Y: c.Base - scale(n), Label: fmt.Sprint(n)})
	}
	c.Summary = "Incidents counted per month: " + strings.Join(parts, "; ") + fmt.Sprintf("; not placed on a month (date spans months): %d.", c.Imprecise)
	return c
}

// crossTab is attributed unit × target country over every counted incident.
type crossTab struct {
	Countries []string
	Rows      []crossRow
	ColTotals []int
	Total     int
}

type crossRow struct {
	Unit, Name string
	Related    bool
	Cells      []crossCell
	Total      int
}

type crossCell struct {
	N              int
	Attacks, Plots int
}

func newCrossTab(r *analysis.ExternalOpsReport) *crossTab {
	ct := &crossTab{}
	type key struct{ unit, country string }
	cells := map[key]*crossCell{}
	rows := map[string]*crossRow{}
	var unitOrder []string
	add := func(list []analysis.UnitCount, related bool) {
		for _, u := range list {
			if !slices.Contains(ct.Countries, u.TargetCountry) {
				ct.Countries = append(ct.Countries, u.TargetCountry)
			}
			row := rows[u.Unit]
			if row == nil {
				row = &crossRow{Unit: u.Unit, Name: u.UnitName, Related: related}
				rows[u.Unit] = row
				unitOrder = append(unitOrder, u.Unit)
			}
			c := cells[key{u.Unit, u.TargetCountry}]
			if c == nil {
				c = &crossCell{}
				cells[key{u.Unit, u.TargetCountry}] = c
			}
			c.N += u.Count
			if u.Kind == plotline.KindAttack {
				c.Attacks += u.Count
			} else {
				c.Plots += u.Count
			}
			row.Total += u.Count
		}
	}
	add(r.RelatedByUnit, true)
	add(r.ByUnit, false)
	sort.Strings(ct.Countries)
	ct.ColTotals = make([]int, len(ct.Countries))
	for _, u := range unitOrder {
		row := rows[u]
		for i, c := range ct.Countries {
			cell := crossCell{}
			if p := cells[key{u, c}]; p != nil {
				cell = *p
			}
			row.Cells = append(row.Cells, cell)
			ct.ColTotals[i] += cell.N
		}
		ct.Total += row.Total
		ct.Rows = append(ct.Rows, *row)
	}
	return ct
}
