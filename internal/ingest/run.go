package ingest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/resolve"
)

// Record is one input row mapped to Plotline records.
type Record struct {
	Row, Line int
	Incident  plotline.Incident // Attributions are built from Claims
	Sources   []plotline.Source // sources only this record cites (put before the incident)
	Claims    []Claim
	// Raw returns the input row, for the reject file; valid until the
	// reader's next Next.
	Raw func() []string
}

// Claim is an attribution waiting for its actor: a group name as the
// source spells it. Alt lists other spellings of the same group from the
// same source (e.g. the UCDP actor list), tried when Name does not match.
type Claim struct {
	Name        string
	Alt         []string
	Attribution plotline.Attribution // ActorID is filled in by the runner
}

// Reader yields mapped records: io.EOF at the end, a *RowError for a bad
// row (the reader can go on), a *LayoutError or any other error to stop.
type Reader interface {
	Next() (*Record, error)
	// Progress is how far the reader is, and the total when known (bytes or rows).
	Progress() (done, total int64)
}

// Dataset names where records come from: the origin of their IDs and the
// source record that stands for the dataset itself.
type Dataset struct {
	Name   string          // "gtd", "acled", "ucdp", or a mapping's name
	Source plotline.Source // cited by every incident and by placeholder actors
}

// Options of one run.
type Options struct {
	File      string // named in errors
	By        string // who imports (recorded with the change)
	Note      string
	KeepGoing bool      // reject bad rows instead of failing the import
	Rejects   io.Writer // where rejected rows go (CSV), required with KeepGoing
	// Progress is called every few hundred rows and at the end.
	Progress func(done, total int64)
}

// Summary is what an import did. Imported counts new incidents, Updated
// incidents with a new version, Unchanged those already stored as read.
type Summary struct {
	Read      int
	Imported  int
	Updated   int
	Unchanged int
	Rejected  int
	// Unmatched counts distinct group names left for review by this import.
	Unmatched int
	Change    *plotline.Change
}

// Run imports every record of r into st as one transaction: all of it, or
// with KeepGoing everything but the rejected rows. On error the store is
// unchanged.
func Run(ctx context.Context, st plotline.ImportStore, res *resolve.Resolver, ds Dataset, r Reader, opt Options) (*Summary, error) {
	if opt.KeepGoing && opt.Rejects == nil {
		return nil, plotline.FieldError("rejects", "--keep-going needs a reject file")
	}
	by := opt.By
	if by == "" {
		by = "import:" + ds.Name
	}
	note := opt.Note
	if note == "" {
		note = "import " + ds.Name + " " + opt.File
	}
	tx, err := st.BeginImport(ctx, by, note)
	if err != nil {
		return nil, err
	}
	run := &runner{tx: tx, res: res, ds: ds, opt: opt, placeholders: map[string]bool{}}
	if opt.KeepGoing {
		run.rejects = csv.NewWriter(opt.Rejects)
		run.rejects.Write([]string{"row", "line", "column", "reason", "record"}) //nolint:errcheck // checked by Flush below
	}
	sum, err := run.loop(ctx, r)
	if err != nil {
		tx.Rollback() //nolint:errcheck // the loop error is the one to report
		return nil, err
	}
	if run.rejects != nil {
		run.rejects.Flush()
		if err := run.rejects.Error(); err != nil {
			tx.Rollback() //nolint:errcheck // the write error is the one to report
			return nil, fmt.Errorf("reject file: %w", err)
		}
	}
	ch, err := tx.Commit()
	if err != nil {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, err
	}
	sum.Change = ch
	return sum, nil
}

type runner struct {
	tx           plotline.ImportTx
	res          *resolve.Resolver
	ds           Dataset
	opt          Options
	rejects      *csv.Writer
	placeholders map[string]bool
	sum          Summary
}

func (run *runner) loop(ctx context.Context, r Reader) (*Summary, error) {
	// The rows are written under a context that is never done; ctx is
	// checked every few hundred rows instead. A cancellable context costs
	// the SQLite driver a watcher goroutine and a progress handler for
	// every statement (several per row); the CLI's context is cancellable
	// (Ctrl-C).
	outer := ctx
	ctx = context.WithoutCancel(ctx)
	if _, err := run.tx.PutSource(ctx, &run.ds.Source); err != nil {
		return nil, fmt.Errorf("dataset source: %w", err)
	}
	progress := func() {
		if run.opt.Progress != nil {
			run.opt.Progress(r.Progress())
		}
	}
	for n := 1; ; n++ {
		if n%500 == 0 {
			if err := outer.Err(); err != nil {
				return nil, err
			}
			progress()
		}
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			run.sum.Read++
			err = run.put(ctx, rec)
		} else if _, ok := err.(*RowError); ok {
			run.sum.Read++
		}
		var re *RowError
		if errors.As(err, &re) {
			if !run.opt.KeepGoing {
				return nil, run.located(re)
			}
			run.reject(re)
			continue
		}
		if err != nil {
			if err := outer.Err(); err != nil {
				return nil, err // the store rolled back when ctx ended: that is the error
			}
			return nil, run.fatal(err)
		}
	}
	progress()
	return &run.sum, nil
}

// put writes one record. Validation failures are row errors: nothing of
// the row has been written when they are found.
func (run *runner) put(ctx context.Context, rec *Record) error {
	in := &rec.Incident
	for _, cl := range rec.Claims {
		a := cl.Attribution
		id, err := run.actorFor(ctx, cl, in)
		if err != nil {
			return err
		}
		a.ActorID = id
		in.Attributions = append(in.Attributions, a)
	}
	res, err := run.tx.PutIncident(ctx, in, rec.Sources...)
	if err != nil {
		return run.rowErr(rec, err)
	}
	switch res {
	case plotline.PutCreated:
		run.sum.Imported++
	case plotline.PutUpdated:
		run.sum.Updated++
	default:
		run.sum.Unchanged++
	}
	return nil
}

// actorFor resolves a claim's group name, creating the placeholder actor
// and the review entry for a name nothing matched.
func (run *runner) actorFor(ctx context.Context, cl Claim, in *plotline.Incident) (string, error) {
	w := resolve.Where{Country: in.Location.Country, Date: in.Date}
	first := run.res.Resolve(run.ds.Name, cl.Name, w)
	if first.Matched() {
		return first.ActorID, nil
	}
	for _, alt := range cl.Alt {
		if r := run.res.Resolve(run.ds.Name, alt, w); r.Matched() {
			return r.ActorID, nil
		}
	}
	id := resolve.PlaceholderID(run.ds.Name, first.Key)
	if run.placeholders[id] {
		return id, nil
	}
	if !run.res.HasPlaceholder(id) {
		a := plotline.Actor{ID: id, Name: cl.Name, Kind: plotline.ActorUnaffiliated, Sources: []string{run.ds.Source.ID},
			Note: fmt.Sprintf("Group name as %s spells it, not matched to a known actor; see 'plotline review names'.", run.ds.Name)}
		if _, err := run.tx.PutActor(ctx, &a); err != nil {
			return "", fmt.Errorf("placeholder actor for %q: %w", cl.Name, err)
		}
	}
	run.placeholders[id] = true
	if first.Decided && first.Verdict == plotline.VerdictNoMatch {
		return id, nil // a reviewer said it is nobody we know: not pending
	}
	p := plotline.PendingName{Dataset: run.ds.Name, Key: first.Key, Name: cl.Name, ActorID: id,
		Example: in.ID, Suggestion: first.Suggestion, Reason: first.Reason}
	if err := run.tx.AddPendingName(ctx, &p); err != nil {
		return "", err
	}
	run.sum.Unmatched++
	return id, nil
}

func (rec *Record) raw() []string {
	if rec.Raw == nil {
		return nil
	}
	return rec.Raw()
}

// rowErr turns a store error about this row (invalid, duplicate) into a row
// error; anything else stops the import.
func (run *runner) rowErr(rec *Record, err error) error {
	var e *plotline.Error
	if errors.As(err, &e) && (e.Code == plotline.EINVALID || e.Code == plotline.ECONFLICT) {
		return &RowError{Row: rec.Row, Line: rec.Line, Column: e.Field, Reason: e.Message, Raw: rec.raw()}
	}
	return err
}

func (run *runner) reject(re *RowError) {
	run.sum.Rejected++
	var raw string
	if len(re.Raw) > 0 {
		var b csvLine
		raw = b.join(re.Raw)
	}
	//nolint:errcheck // csv.Writer keeps the first error; Run checks it after Flush
	run.rejects.Write([]string{strconv.Itoa(re.Row), strconv.Itoa(re.Line), re.Column, re.Reason, raw})
}

func (run *runner) located(re *RowError) error {
	return &plotline.Error{Code: plotline.EINVALID, File: run.opt.File, Line: re.Line, Field: re.Column,
		Message: fmt.Sprintf("row %d: %s (nothing was imported; --keep-going --rejects FILE imports the other rows)", re.Row, re.Reason)}
}

func (run *runner) fatal(err error) error {
	var le *LayoutError
	if errors.As(err, &le) {
		return &plotline.Error{Code: plotline.EINVALID, File: run.opt.File, Line: le.Line, Field: le.Column, Message: le.Reason + " (nothing was imported)"}
	}
	if e, ok := err.(*plotline.Error); ok {
		c := *e
		if c.File == "" {
			c.File = run.opt.File
		}
		return &c
	}
	return fmt.Errorf("%s: %w", run.opt.File, err)
}

// csvLine re-encodes fields as one CSV line (for the reject file's record column).
type csvLine struct{}

func (csvLine) join(fields []string) string {
	var b bytesBuffer
	w := csv.NewWriter(&b)
	w.Write(fields) //nolint:errcheck // writing to memory cannot fail
	w.Flush()
	s := string(b)
	if n := len(s); n > 0 && s[n-1] == '\n' {
		s = s[:n-1]
	}
	return s
}

type bytesBuffer []byte

func (b *bytesBuffer) Write(p []byte) (int, error) { *b = append(*b, p...); return len(p), nil }
