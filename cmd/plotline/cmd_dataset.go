package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/dataset"
)

// datasetCmd: "dataset check [DIR]" validates the embedded dataset or a
// directory being edited; "dataset load [DIR]" applies it to the database
// (re-loading an unchanged dataset changes nothing).
func (m *Main) datasetCmd(ctx context.Context, args []string) error {
	f := m.newFlags("dataset", "check [DIR] | load [DIR]")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || len(pos) > 2 || (pos[0] != "check" && pos[0] != "load") {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "dataset: want check or load, and optionally a directory")
	}
	var fsys fs.FS = dataset.Files
	where := "embedded dataset"
	if len(pos) == 2 {
		fsys, where = os.DirFS(pos[1]), pos[1]
	}
	ds, err := dataset.Load(fsys)
	if err != nil {
		if errs, ok := err.(dataset.Errors); ok {
			fmt.Fprintln(m.Stderr, errs.Error())
			return plotline.Errorf(plotline.EINVALID, "%s: %d problems", where, len(errs))
		}
		return err
	}
	b := ds.Batch
	attrs := 0
	for _, in := range b.Incidents {
		attrs += len(in.Attributions)
	}
	if pos[0] == "check" {
		fmt.Fprintf(m.Stdout, "%s: ok: %d files, %d sources, %d actors, %d affiliations, %d incidents, %d attributions (digest %s)\n",
			where, len(ds.Files), len(b.Sources), len(b.Actors), len(b.Affiliations), len(b.Incidents), attrs, ds.Digest)
		return nil
	}
	db, err := m.openAnyStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	ch, err := db.Apply(ctx, b)
	if err != nil {
		return err
	}
	recorded := fmt.Sprintf("change %d", ch.ID)
	if ch.ID == 0 {
		recorded = "nothing changed"
	}
	fmt.Fprintf(m.Stdout, "%s loaded into %s: %d created, %d updated, %d unchanged (%s)\n",
		where, f.db, ch.Created, ch.Updated, ch.Unchanged, recorded)
	return nil
}
