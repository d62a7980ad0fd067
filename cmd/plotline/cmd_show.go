package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// show prints one incident: facts with their precision, the attribution
// timeline, and the sources with their grades and markings.
func (m *Main) show(ctx context.Context, args []string) error {
	f := m.newFlags("show", "[--as-of DAY] [--format text|json] INCIDENT-ID")
	var asOf asOfFlags
	asOf.register(f.FlagSet)
	format := f.String("format", "text", "text or json")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "show: want one incident ID")
	}
	ao, err := asOf.parse()
	if err != nil {
		return err
	}
	db, err := m.openAnyStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	in, err := db.Incident(ctx, pos[0], ao)
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
	dups, err := duplicatesOf(ctx, db, in.ID, ao.Recorded)
	if err != nil {
		return err
	}
	g := analysis.NewGraph(actors, affs)
	srcs := map[string]*plotline.Source{}
	for _, id := range citedSources(in) {
		s, err := db.Source(ctx, id, plotline.AsOf{Recorded: ao.Recorded})
		if err != nil {
			return err
		}
		srcs[id] = s
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		list := make([]*plotline.Source, 0, len(srcs))
		for _, id := range citedSources(in) {
			list = append(list, srcs[id])
		}
		return enc.Encode(struct {
			*plotline.Incident
			SourceList []*plotline.Source           `json:"source_details"`
			Duplicates []plotline.DuplicateDecision `json:"duplicate_review,omitempty"`
		}{in, list, dups})
	case "text":
		day := m.today()
		if ao.Stated != nil {
			day = *ao.Stated
		}
		if err := writeIncident(m.Stdout, g, in, srcs, day); err != nil {
			return err
		}
		return writeDuplicates(m.Stdout, in.ID, dups)
	}
	return plotline.FieldError("format", "%q is not text or json", *format)
}

// duplicatesOf returns the current duplicate-review decisions naming
// incident id, as recorded by recorded (nil: now); none on a store without
// entity resolution.
func duplicatesOf(ctx context.Context, db plotline.Store, id string, recorded *time.Time) ([]plotline.DuplicateDecision, error) {
	rs, ok := db.(plotline.ResolveStore)
	if !ok {
		return nil, nil
	}
	// As of a past instant, every decision, to find each pair's latest by then.
	all, err := rs.DuplicateDecisions(ctx, recorded != nil)
	if err != nil {
		return nil, err
	}
	return plotline.DecisionsOn(all, id, recorded), nil
}

// writeDuplicates lists the duplicate-review decisions on an incident.
func writeDuplicates(w io.Writer, id string, dups []plotline.DuplicateDecision) error {
	if len(dups) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("\nDuplicate review\n----------------\n")
	for _, d := range dups {
		other := d.A
		if other == id {
			other = d.B
		}
		what := "the same incident as"
		if d.Verdict == plotline.DuplicateDistinct {
			what = "a different incident from"
		}
		fmt.Fprintf(&b, "%s %s (decided by %s, %s", what, other, d.By, d.At.UTC().Format("2006-01-02 15:04"))
		if d.Note != "" {
			fmt.Fprintf(&b, ": %s", d.Note)
		}
		b.WriteString(")\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func citedSources(in *plotline.Incident) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, s := range in.Sources {
		add(s)
	}
	for _, a := range in.Attributions {
		for _, s := range a.Sources {
			add(s.ID)
		}
	}
	return ids
}

func writeIncident(w io.Writer, g *analysis.Graph, in *plotline.Incident, srcs map[string]*plotline.Source, day plotline.Day) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n", in.Title, strings.Repeat("=", len([]rune(in.Title))))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	country, _ := plotline.CountryName(in.Location.Country)
	target, _ := plotline.CountryName(in.TargetCountry)
	loc := strings.Join(nonEmpty(in.Location.Place, in.Location.Admin1, country), ", ")
	rows := [][2]string{
		{"id", in.ID},
		{"kind", in.Kind + ", " + in.Outcome + stageText(in.Stage)},
		{"date", fmt.Sprintf("%s (%s precision)", in.Date, in.Date.Precision)},
		{"public since", in.PublicOn().String()},
		{"location", fmt.Sprintf("%s (%s precision)", loc, orUnknown(in.Location.Precision))},
		{"target", fmt.Sprintf("%s %s; %s", in.TargetCountry, target, orUnknown(in.TargetType))},
		{"weapons", orUnknown(strings.Join(in.Weapons, ", "))},
		{"killed", rangeText(in.Killed)},
		{"injured", rangeText(in.Injured)},
		{"perpetrators", intText(in.Perpetrators)},
		{"arrests", intText(in.Arrests)},
		{"documentation", orUnknown(in.Documentation)},
		{"tags", strings.Join(in.Tags, ", ")},
		{"sources", strings.Join(in.Sources, ", ")},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	tw.Flush()
	if in.Summary != "" {
		fmt.Fprintf(&b, "\n%s\n", in.Summary)
	}
	fmt.Fprintf(&b, "\nAttribution timeline\n--------------------\n")
	if len(in.Attributions) == 0 {
		b.WriteString("No statements.\n")
	}
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "stated\tbasis\tunit\tlink\tlikelihood\tasserted by\tstatus\tsources")
	for _, a := range in.Attributions {
		status := "standing"
		switch {
		case a.RetractedOn.KnownBy(day):
			status = "retracted " + a.RetractedOn.String()
		case a.SupersededOn.KnownBy(day):
			status = "superseded " + a.SupersededOn.String()
		}
		lik := a.Likelihood
		if band, ok := plotline.LikelihoodBand[lik]; ok {
			lik = fmt.Sprintf("%s (%d-%d%%)", lik, band[0], band[1])
		}
		if a.Confidence != "" {
			lik = strings.TrimSpace(lik + " " + a.Confidence + " confidence")
		}
		var ids []string
		for _, s := range a.Sources {
			ids = append(ids, s.ID)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.StatedOn, a.Basis, g.Name(a.ActorID), a.Link,
			orDash(lik), a.AssertedBy, status, strings.Join(ids, ", "))
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nSources\n-------\n")
	for _, id := range citedSources(in) {
		s := srcs[id]
		fmt.Fprintf(&b, "[%s] %s, %q (%s), %s; %s%s, TLP:%s\n    %s\n", s.ID, s.Publisher, s.Title, s.Published, s.Kind,
			orDash(s.Reliability), s.Credibility, strings.ToUpper(s.TLP), s.URL)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func stageText(s string) string {
	if s == "" {
		return ""
	}
	return " (stage reached: " + s + ")"
}

func rangeText(r plotline.Range) string {
	if r.Low == nil && r.Best == nil && r.High == nil {
		return "unknown"
	}
	return fmt.Sprintf("low %s, best %s, high %s", intText(r.Low), intText(r.Best), intText(r.High))
}

func intText(p *int) string {
	if p == nil {
		return "unknown"
	}
	return fmt.Sprint(*p)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
