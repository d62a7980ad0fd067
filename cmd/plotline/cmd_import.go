package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/ingest/acled"
	"github.com/plotline-dev/plotline/internal/ingest/csvmap"
	"github.com/plotline-dev/plotline/internal/ingest/gtd"
	"github.com/plotline-dev/plotline/internal/ingest/ucdp"
	"github.com/plotline-dev/plotline/internal/resolve"
)

// importCmd: "import gtd|acled|ucdp|csv FILE" streams a dataset into the
// database as one change, resolving group names against the actors.
func (m *Main) importCmd(ctx context.Context, args []string) error {
	for i := 0; i < len(args); i++ { // "import stix FILE" is the STIX importer's command
		a := args[i]
		if strings.HasPrefix(a, "-") {
			if !strings.Contains(a, "=") && strings.TrimLeft(a, "-") != "keep-going" && strings.TrimLeft(a, "-") != "quiet" {
				i++ // the flag's value
			}
			continue
		}
		if a == "stix" {
			return m.importSTIX(ctx, append(append([]string(nil), args[:i]...), args[i+1:]...))
		}
		break
	}
	f := m.newFlags("import", "gtd|acled|ucdp|csv FILE [--mapping F] [--actors F] [--encoding E] [--keep-going --rejects FILE] [--by NAME] [--quiet]")
	usage := f.Usage
	f.Usage = func() {
		usage()
		fmt.Fprintln(m.Stderr, "\nSTIX 2.1 bundles: plotline import stix FILE [--bundle-url URL] [--tlp LEVEL] [--keep-going --rejects FILE] [--by NAME]\n(see plotline import stix --help)")
	}
	mapping := f.String("mapping", "", "mapping file for csv (docs/csv-mapping.md)")
	actorList := f.String("actors", "", "ucdp: the UCDP actor list (ucdp-actor-*.csv) to name the sides")
	encoding := f.String("encoding", "", "utf-8 | latin1 | auto (default: auto for gtd, utf-8 otherwise)")
	keepGoing := f.Bool("keep-going", false, "import the good rows and write the bad ones to --rejects")
	rejectsPath := f.String("rejects", "", "reject file (CSV: row, line, column, reason, record) for --keep-going")
	by := f.String("by", "", "who imports, recorded with the change (default import:FORMAT)")
	quiet := f.Bool("quiet", false, "no progress bar")
	pos, err := f.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		f.Usage()
		return plotline.Errorf(plotline.EINVALID, "import: want a format (gtd, acled, ucdp, csv, stix) and a file")
	}
	format, file := pos[0], pos[1]
	if *keepGoing != (*rejectsPath != "") {
		return plotline.FieldError("rejects", "--keep-going and --rejects FILE go together")
	}
	if err := checkRejects(*rejectsPath, file, *mapping, *actorList); err != nil {
		return err
	}
	var (
		r      ingest.Reader
		ds     ingest.Dataset
		closer interface{ Close() error }
	)
	switch format {
	case "gtd":
		rd, err := gtd.Open(file, *encoding)
		if err != nil {
			return located(file, err)
		}
		r, ds, closer = rd, gtd.Dataset(), rd
	case "acled":
		rd, err := acled.Open(file, *encoding)
		if err != nil {
			return located(file, err)
		}
		r, ds, closer = rd, acled.Dataset(), rd
	case "ucdp":
		var actors ucdp.Actors
		if *actorList != "" {
			if actors, err = ucdp.OpenActors(*actorList); err != nil {
				return located(*actorList, err)
			}
		}
		rd, err := ucdp.Open(file, actors)
		if err != nil {
			return located(file, err)
		}
		r, ds, closer = rd, ucdp.Dataset(), rd
	case "csv":
		if *mapping == "" {
			return plotline.FieldError("mapping", "import csv needs --mapping FILE (docs/csv-mapping.md)")
		}
		mp, err := csvmap.OpenMapping(*mapping)
		if err != nil {
			return err
		}
		if *encoding != "" {
			mp.Encoding = *encoding
		}
		rd, err := csvmap.Open(file, mp)
		if err != nil {
			return located(file, err)
		}
		r, ds, closer = rd, mp.AsDataset(), rd
	default:
		return plotline.Errorf(plotline.EINVALID, "import: unknown format %q (gtd, acled, ucdp, csv, stix)", format)
	}
	defer closer.Close()

	db, err := m.openCatalogueStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	actors, err := db.Actors(ctx, plotline.AsOf{})
	if err != nil {
		return err
	}
	decisions, err := db.NameDecisions(ctx, false)
	if err != nil {
		return err
	}
	opt := ingest.Options{File: file, By: *by, KeepGoing: *keepGoing}
	if *keepGoing {
		rf, err := os.Create(*rejectsPath)
		if err != nil {
			return plotline.Errorf(plotline.EINVALID, "reject file: %v", err)
		}
		defer rf.Close()
		opt.Rejects = rf
	}
	bar := m.progressBar(*quiet, filepath.Base(file))
	if bar != nil {
		opt.Progress = func(done, total int64) {
			if total > 0 {
				bar.ChangeMax64(total)
			}
			bar.Set64(done) //nolint:errcheck // a progress bar that cannot draw is no reason to stop an import
		}
	}
	start := time.Now()
	sum, err := ingest.Run(ctx, db, resolve.New(actors, decisions), ds, r, opt)
	took := time.Since(start)
	if bar != nil {
		bar.Finish() //nolint:errcheck // see Set64 above
		fmt.Fprintln(m.Stderr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%s %s: read %d, imported %d, updated %d, unchanged %d, rejected %d in %s (%.0f rows/s)\n",
		format, file, sum.Read, sum.Imported, sum.Updated, sum.Unchanged, sum.Rejected, took.Round(10*time.Millisecond), float64(sum.Read)/took.Seconds())
	if sum.Change != nil && sum.Change.ID != 0 {
		fmt.Fprintf(m.Stdout, "recorded as change %d by %s\n", sum.Change.ID, sum.Change.RecordedBy)
	} else {
		fmt.Fprintln(m.Stdout, "nothing changed")
	}
	if sum.Rejected > 0 {
		fmt.Fprintf(m.Stdout, "rejected rows and reasons: %s\n", *rejectsPath)
	}
	if cut, err := unterminated(file); err == nil && cut {
		fmt.Fprintf(m.Stderr, "plotline: warning: %s does not end with a line break: if the file was cut short, its last row may be incomplete and the rows after it are missing\n", file)
	}
	if sum.Unmatched > 0 {
		fmt.Fprintf(m.Stdout, "%d group names matched no actor; review them with: plotline review names --dataset %s\n", sum.Unmatched, ds.Name)
	}
	return nil
}

// checkRejects refuses a reject file that is one of the inputs: creating it
// would empty the input before it is read.
func checkRejects(rejects string, inputs ...string) error {
	if rejects == "" {
		return nil
	}
	for _, in := range inputs {
		if in != "" && samePath(rejects, in) {
			return plotline.FieldError("rejects", "the reject file %s is the input file %s; give another path", rejects, in)
		}
	}
	return nil
}

// samePath reports whether a and b name the same file: by identity when
// both exist, else by their cleaned absolute paths.
func samePath(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(fa, fb)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// located adds the file name to an error from opening an input.
func located(file string, err error) error {
	switch e := err.(type) {
	case *ingest.LayoutError:
		return &plotline.Error{Code: plotline.EINVALID, File: file, Line: e.Line, Field: e.Column, Message: e.Reason}
	case *ingest.RowError:
		return &plotline.Error{Code: plotline.EINVALID, File: file, Line: e.Line, Field: e.Column, Message: fmt.Sprintf("row %d: %s", e.Row, e.Reason)}
	}
	return err
}

// progressBar returns a bar on a terminal, nil otherwise.
func (m *Main) progressBar(quiet bool, what string) *progressbar.ProgressBar {
	out, ok := m.Stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(out.Fd())) {
		return nil
	}
	return progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(out),
		progressbar.OptionSetDescription("importing "+strings.TrimSpace(what)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
	)
}

// unterminated reports whether a CSV input's last byte is not a line break,
// the mark of a file cut short (a cut inside a field of a row that has all
// its fields cannot be told from a whole row). Workbooks and JSON files
// check their own structure.
func unterminated(path string) (bool, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".json", ".geojson":
		return false, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return false, err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, st.Size()-1); err != nil {
		return false, err
	}
	return last[0] != '\n' && last[0] != '\r', nil
}
