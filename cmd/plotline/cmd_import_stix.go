package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/ingest/stix"
	"github.com/plotline-dev/plotline/internal/resolve"
)

// importSTIX imports a STIX 2.1 bundle (docs/exports.md, "Importing STIX");
// "plotline import stix" (cmd_import.go) delegates here.
// It is all or nothing: when any object that could have been a record is
// rejected, nothing is written unless --keep-going says to write the rest.
func (m *Main) importSTIX(ctx context.Context, args []string) error {
	f := m.newFlags("import stix", "[--bundle-url URL] [--tlp LEVEL] [--keep-going --rejects FILE] [--by NAME] FILE")
	bundleURL := f.String("bundle-url", "", "where the bundle was obtained (http/https); cited by objects that cite no report or URL of their own")
	tlp := f.String("tlp", "green", "TLP 2.0 marking for objects that carry none")
	keepGoing := f.Bool("keep-going", false, "write the records that could be read even when some objects are rejected (with --rejects)")
	rejects := f.String("rejects", "", "reject file (JSON: index, id, type, rejected, reason of each rejected object) for --keep-going")
	by := f.String("by", "", "who imports, recorded with the change (default import:stix)")
	f.Bool("quiet", false, "accepted for symmetry with the other importers; a STIX import shows no progress bar")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		f.Usage()
		return plotline.FieldError("file", "give one STIX bundle file")
	}
	if *keepGoing != (*rejects != "") {
		return plotline.FieldError("rejects", "--keep-going and --rejects FILE go together")
	}
	if err := checkRejects(*rejects, pos[0]); err != nil {
		return err
	}
	in, _, err := ingest.OpenFile(pos[0])
	if err != nil {
		return err
	}
	defer in.Close()
	res, err := stix.Read(in, stix.Options{File: filepath.Base(pos[0]), BundleURL: *bundleURL, DefaultTLP: *tlp})
	if err != nil {
		return err
	}
	if *by != "" {
		res.Batch.By = *by
	}
	rejected := []stix.Skip{} // an empty reject file is [], not null
	for _, s := range res.Skipped {
		if s.Rejected {
			rejected = append(rejected, s)
		}
	}
	if len(rejected) > 0 && !*keepGoing {
		for _, s := range rejected {
			fmt.Fprintf(m.Stderr, "plotline: %s: objects[%d] %s: %s\n", pos[0], s.Index, s.ID, s.Reason)
		}
		return plotline.Errorf(plotline.EINVALID, "%s: %d objects rejected; nothing imported (fix them, or --keep-going to import the rest)", pos[0], len(rejected))
	}
	if *rejects != "" {
		b, err := json.MarshalIndent(rejected, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*rejects, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write rejects: %w", err)
		}
	}
	db, err := m.openAnyStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	ch, err := db.Apply(ctx, res.Batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "stix %s: read %d objects: %d records created, %d updated, %d unchanged; %d objects rejected, %d not recorded (types or relationships Plotline does not keep)\n",
		pos[0], res.Objects, ch.Created, ch.Updated, ch.Unchanged, len(rejected), len(res.Skipped)-len(rejected))
	if ch.ID != 0 {
		fmt.Fprintf(m.Stdout, "recorded as change %d by %s\n", ch.ID, ch.RecordedBy)
	} else {
		fmt.Fprintln(m.Stdout, "nothing changed")
	}
	if len(rejected) > 0 {
		fmt.Fprintf(m.Stdout, "rejected objects and reasons: %s\n", *rejects)
	}
	return m.importLinks(ctx, db, res.Links, res.Batch.By, pos[0])
}

// importLinks records the bundle's "duplicate-of" links as duplicate-review
// decisions, except those already standing; one the recorded decisions
// contradict is left out with a warning.
func (m *Main) importLinks(ctx context.Context, db plotline.Store, links [][2]string, by, file string) error {
	rs, ok := db.(plotline.ResolveStore)
	if !ok || len(links) == 0 {
		return nil
	}
	current, err := rs.DuplicateDecisions(ctx, false)
	if err != nil {
		return err
	}
	recorded := 0
	for _, l := range links {
		ls := resolve.NewLinks(current)
		if slices.Contains(ls.Group(l[0]), l[1]) {
			continue // one incident already
		}
		d := plotline.DuplicateDecision{A: l[0], B: l[1], Verdict: plotline.DuplicateSame, By: by, Note: "duplicate-of in STIX bundle " + filepath.Base(file)}
		if err := ls.Check(d); err != nil {
			fmt.Fprintf(m.Stderr, "plotline: warning: %s: not linking %s and %s: %s\n", file, l[0], l[1], plotline.ErrorMessage(err))
			continue
		}
		if err := rs.SaveDuplicateDecision(ctx, &d); err != nil {
			return fmt.Errorf("%s: link %s and %s: %w", file, l[0], l[1], err)
		}
		current = append(current, d)
		recorded++
	}
	if recorded > 0 {
		fmt.Fprintf(m.Stdout, "%d pairs linked as one incident (duplicate-of), recorded as duplicate-review decisions by %s\n", recorded, by)
	}
	return nil
}
