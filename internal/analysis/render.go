package analysis

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/plotline-dev/plotline"
)

// WriteExternalOps writes the report as plain text, or as Markdown when md is set.
func WriteExternalOps(w io.Writer, g *Graph, r *ExternalOpsReport, md bool) error {
	p := &printer{w: w, md: md}
	p.title(fmt.Sprintf("External plots and attacks by %s, %s to %s", g.Name(r.Org), r.From, r.To))
	p.para(fmt.Sprintf("Counting rule: %s. As known on %s. Drafts %s: published records only.", r.RuleText, r.AsOf, r.Drafts))
	head := fmt.Sprintf("Total: %d (%s, %s).", r.Total, plural(r.ByKind[plotline.KindAttack], "attack"), plural(r.ByKind[plotline.KindPlot], "plot"))
	if r.RelatedTo != "" {
		head += fmt.Sprintf(" Related to %s or a unit under it: %d. Not related: %d.", r.RelatedName, r.Related, r.Unrelated)
	}
	p.para(head)

	if r.RelatedTo != "" {
		p.heading(fmt.Sprintf("Not related to %s: attributed unit × target country", r.RelatedName))
		p.cells(g, r.ByUnit)
		p.heading(fmt.Sprintf("Related to %s: attributed unit × target country", r.RelatedName))
		p.cells(g, r.RelatedByUnit)
	} else {
		p.heading("Attributed unit × target country")
		p.cells(g, r.ByUnit)
	}

	p.heading("Claims that name a different unit than an official statement")
	if len(r.Disagreements) == 0 {
		p.para("None.")
	} else {
		rows := [][]string{{"incident", "claimed unit", "official unit", "stated by", "relation"}}
		for _, d := range r.Disagreements {
			rows = append(rows, []string{d.Incident, g.Name(d.ClaimedUnit), g.Name(d.AttributedUnit), d.AttributedBy, d.Relation})
		}
		p.table(rows)
	}

	p.heading("Incidents counted")
	rows := [][]string{{"date", "kind", "target", "units", "incident"}}
	for _, in := range r.Incidents {
		rows = append(rows, []string{in.Date, in.Kind, in.TargetCountry, unitNames(g, in.Units), in.ID})
	}
	p.table(rows)

	c := r.Coverage
	p.heading("Coverage")
	p.para(fmt.Sprintf("%d incidents known on %s (sources: %s), dated %s to %s. In the period with a counted statement: %d; "+
		"of those inside the named unit's home country (not external): %d. In the period and tied to the organisation only by statements this rule does not count: %d. "+
		"Dates too imprecise to place inside or outside the period (not counted): %d. Incidents no standing statement ties to the organisation are outside this report.",
		c.IncidentsKnown, r.AsOf, strings.Join(c.Origins, ", "), c.First, c.Last, c.InPeriod, c.NotExternal, c.NoCounted, c.Boundary))
	if len(r.BoundaryList) > 0 {
		rows := [][]string{{"date", "kind", "target", "units", "incident"}}
		for _, in := range r.BoundaryList {
			rows = append(rows, []string{in.Date, in.Kind, in.TargetCountry, unitNames(g, in.Units), in.ID})
		}
		p.table(rows)
	}
	if w := r.Withheld; w != nil && w.Any() {
		p.para(WithheldText(*w) + ": the figures above count only what your clearance shows.")
	}
	return p.err
}

// WithheldText says how much a clearance withheld, never what: e.g.
// "Withheld at your clearance: 2 statements, 1 incident".
func WithheldText(w plotline.Withheld) string {
	var parts []string
	for _, x := range []struct {
		n    int
		word string
	}{{w.Attributions, "statement"}, {w.Incidents, "incident"}, {w.Sources, "source"}, {w.Actors, "actor"}, {w.Affiliations, "affiliation"}} {
		if x.n > 0 {
			parts = append(parts, plural(x.n, x.word))
		}
	}
	return "Withheld at your clearance: " + strings.Join(parts, ", ")
}

func unitNames(g *Graph, ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = g.Name(id)
	}
	return strings.Join(names, "; ")
}

type printer struct {
	w   io.Writer
	md  bool
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) title(s string) {
	if p.md {
		p.printf("# %s\n\n", s)
		return
	}
	p.printf("%s\n%s\n\n", s, strings.Repeat("=", len([]rune(s))))
}

func (p *printer) heading(s string) {
	if p.md {
		p.printf("## %s\n\n", s)
		return
	}
	p.printf("%s\n%s\n", s, strings.Repeat("-", len([]rune(s))))
}

func (p *printer) para(s string) { p.printf("%s\n\n", s) }

func (p *printer) cells(g *Graph, cells []UnitCount) {
	if len(cells) == 0 {
		p.para("None.")
		return
	}
	rows := [][]string{{"unit", "target", "kind", "count"}}
	for _, c := range cells {
		name, _ := plotline.CountryName(c.TargetCountry)
		rows = append(rows, []string{g.Name(c.Unit), c.TargetCountry + " " + name, c.Kind, fmt.Sprint(c.Count)})
	}
	p.table(rows)
}

// table prints rows with the first as header: aligned text, or a Markdown table.
func (p *printer) table(rows [][]string) {
	if p.md {
		for i, r := range rows {
			p.printf("| %s |\n", strings.Join(escapeCells(r), " | "))
			if i == 0 {
				p.printf("|%s\n", strings.Repeat(" --- |", len(r)))
			}
		}
		p.printf("\n")
		return
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil && p.err == nil {
		p.err = err
	}
	p.printf("\n")
}

func escapeCells(r []string) []string {
	out := make([]string, len(r))
	for i, c := range r {
		out[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
