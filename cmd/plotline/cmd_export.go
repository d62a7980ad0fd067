package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/export"
	"github.com/plotline-dev/plotline/internal/query"
)

// exportCmd writes the incidents matching a query, with the statements,
// actors and sources they cite, as CSV tables, JSON, GeoJSON or a STIX 2.1
// bundle (docs/exports.md).
func (m *Main) exportCmd(ctx context.Context, args []string) error {
	f := m.newFlags("export", "csv|json|geojson|stix [--out FILE] [--rule RULE] [--as-of DAY] [--max-tlp LEVEL] [--all-actors] [QUERY...]")
	var asOf asOfFlags
	asOf.register(f.FlagSet)
	out := f.String("out", "", "write here instead of standard output; for csv a folder (required)")
	rule := f.String("rule", "", "export only the statements this counting rule counts: any, official, claims, best, bases:a,b or best:a>b>c (default: the query's rule: term, else every statement)")
	maxTLP := f.String("max-tlp", export.DefaultMaxTLP, "most restricted TLP 2.0 marking to include (clear, green, amber, amber+strict, red); sources above it, and what rests only on them, are withheld")
	allActors := f.Bool("all-actors", false, "include every actor and affiliation, not only the actors named and the units above them")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	exportFormats := []string{"csv", "json", "geojson", "stix"}
	if len(pos) == 0 || !slices.Contains(exportFormats, pos[0]) {
		f.Usage()
		return plotline.FieldError("format", "give one of %s", strings.Join(exportFormats, ", "))
	}
	format, text := pos[0], strings.Join(pos[1:], " ")
	if format == "csv" && *out == "" {
		return plotline.FieldError("out", "csv export writes a folder of tables: give --out DIR")
	}
	if err := checkOut(format, *out); err != nil {
		return err
	}
	ao, err := asOf.parse()
	if err != nil {
		return err
	}
	q, err := query.Parse(text)
	if err != nil {
		return err
	}
	ruleName := *rule
	if ruleName == "" {
		ruleName = q.Rule()
	}
	opt := export.Options{AsOf: ao.Stated, Day: m.today(), MaxTLP: *maxTLP, AllActors: *allActors, Rule: ruleName,
		FilterText: text, Stamp: m.Now()}
	if ao.Stated != nil {
		opt.Day, opt.Stamp = *ao.Stated, ao.Stated.EndTime()
	}
	if ruleName != "" {
		r, err := analysis.ParseRule(ruleName)
		if err != nil {
			return err
		}
		opt.Counted = r.Counted
	}

	db, err := m.openAnalyticsStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	if ls, ok := db.(engine.LinkSource); ok {
		if opt.Links, err = ls.SameIncidents(ctx, ao.Recorded); err != nil {
			return err
		}
	}
	if len(q.Terms) > 0 {
		eng, err := engine.New(ctx, db)
		if err != nil {
			return err
		}
		req := engine.Request{Query: q, AsOf: ao, Rule: ruleName}
		if req.AsOf.Stated == nil {
			req.AsOf.Stated = &opt.Day
		}
		matches, err := eng.Match(ctx, req)
		if err != nil {
			return err
		}
		keep := map[string]bool{}
		for _, id := range matches.IDs {
			keep[id] = true
			for _, other := range matches.Linked[id] {
				keep[other] = true // records linked as one are exported, each as stored
			}
		}
		opt.Filter = func(in *plotline.Incident) bool { return keep[in.ID] }
	}
	snap, err := db.Snapshot(ctx, plotline.AsOf{Recorded: ao.Recorded})
	if err != nil {
		return err
	}
	d, err := export.Select(snap, opt)
	if err != nil {
		return err
	}
	if err := m.writeExport(format, *out, d); err != nil {
		return err
	}
	m.exportSummary(d, format, *out, opt.Filter != nil)
	return nil
}

func (m *Main) writeExport(format, out string, d *export.Data) error {
	if format == "csv" {
		return export.WriteCSV(out, d)
	}
	write := map[string]func(io.Writer, *export.Data) error{
		"json": export.WriteJSON, "geojson": export.WriteGeoJSON, "stix": export.WriteSTIX,
	}[format]
	if out == "" {
		return write(m.Stdout, d)
	}
	// Write beside the target and rename, so a failed export never leaves
	// half a file where a good one was.
	tmp, err := os.CreateTemp(dirOf(out), ".plotline-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	w := bufio.NewWriter(tmp)
	if err := write(w, d); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("export: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil { // CreateTemp makes it 0600
		return fmt.Errorf("export: %w", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// checkOut refuses an --out path the export cannot write, before any work
// is done: a file in a folder that does not exist, a folder where a file
// belongs, or (for csv) a file where the folder of tables belongs.
func checkOut(format, out string) error {
	if out == "" {
		return nil
	}
	if format == "csv" {
		if fi, err := os.Stat(out); err == nil {
			if !fi.IsDir() {
				return plotline.FieldError("out", "%s is a file; csv export writes a folder of tables", out)
			}
			return nil
		}
		// The folder will be made: its nearest existing ancestor must be a folder.
		for p := filepath.Dir(filepath.Clean(out)); ; p = filepath.Dir(p) {
			if fi, err := os.Stat(p); err == nil {
				if !fi.IsDir() {
					return plotline.FieldError("out", "cannot make folder %s: %s is a file", out, p)
				}
				return nil
			}
			if p == filepath.Dir(p) {
				return nil
			}
		}
	}
	dir := filepath.Dir(out)
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return plotline.FieldError("out", "cannot write %s: folder %s does not exist", out, dir)
	case err == nil && !fi.IsDir():
		return plotline.FieldError("out", "cannot write %s: %s is not a folder", out, dir)
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return plotline.FieldError("out", "%s is a folder; %s export writes one file", out, format)
	}
	return nil
}

func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i+1]
	}
	return "."
}

func (m *Main) exportSummary(d *export.Data, format, out string, filtered bool) {
	stmts := 0
	for _, in := range d.Incidents {
		stmts += len(in.Attributions)
	}
	where := out
	if where == "" {
		where = "standard output"
	}
	links := ""
	if n := len(d.Links); n > 0 && format != "geojson" {
		links = fmt.Sprintf(" (%d linked pair(s) among them, each one incident)", n)
	}
	fmt.Fprintf(m.Stderr, "plotline: exported %d incidents%s, %d statements, %d actors, %d sources as %s to %s (max TLP %s",
		len(d.Incidents), links, stmts, len(d.Actors), len(d.Sources), format, where, strings.ToUpper(d.Meta.MaxTLP))
	if d.Meta.AsOf != "" {
		fmt.Fprintf(m.Stderr, ", as of %s", d.Meta.AsOf)
	}
	if d.Meta.Rule != "" {
		fmt.Fprintf(m.Stderr, ", rule %s", d.Meta.Rule)
	}
	fmt.Fprintln(m.Stderr, ")")
	if w := d.Withheld; w.Any() {
		fmt.Fprintf(m.Stderr, "plotline: withheld above TLP:%s: %d sources, %d incidents, %d statements, %d actors, %d affiliations (raise --max-tlp to include them)\n",
			strings.ToUpper(d.Meta.MaxTLP), w.Sources, w.Incidents, w.Attributions, w.Actors, w.Affiliations)
		if filtered {
			fmt.Fprintln(m.Stderr, "plotline: note: the query was matched against every statement, withheld ones included; do not publish the query text with the export if that matters")
		}
	}
}
