package gtd_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/ingest"
	"github.com/plotline-dev/plotline/internal/ingest/gtd"
	"github.com/plotline-dev/plotline/internal/ingest/ingesttest"
	"github.com/plotline-dev/plotline/internal/resolve"
	"github.com/plotline-dev/plotline/internal/sqlite"
	"github.com/xuri/excelize/v2"
)

// gtdXLSX builds a GTD-layout workbook with the given rows (column → value),
// numbers stored as numbers as START's workbooks store them.
func gtdXLSX(tb testing.TB, rows ...map[string]string) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetName(0)
	put := func(line int, vals []any) {
		cell, err := excelize.CoordinatesToCellName(1, line)
		if err != nil {
			tb.Fatal(err)
		}
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			tb.Fatal(err)
		}
	}
	hdr := make([]any, len(gtd.Required))
	for i, c := range gtd.Required {
		hdr[i] = c
	}
	put(1, hdr)
	for n, r := range rows {
		vals := make([]any, len(gtd.Required))
		for i, c := range gtd.Required {
			vals[i] = cellValue(r[c])
		}
		put(n+2, vals)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// cellValue stores whole numbers as numbers and anything else as text.
func cellValue(s string) any {
	if s == "" {
		return nil
	}
	n := 0
	for i, c := range s {
		if c < '0' || c > '9' || i > 12 {
			return s
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// importXLSX imports a workbook held in memory into db.
func importXLSX(tb testing.TB, db *sqlite.DB, res *resolve.Resolver, data []byte, opt ingest.Options) (*ingest.Summary, error) {
	tb.Helper()
	r, err := gtd.NewXLSX(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	if opt.File == "" {
		opt.File = "in.xlsx"
	}
	return ingest.Run(context.Background(), db, res, gtd.Dataset(), r, opt)
}

func TestXLSX(t *testing.T) {
	db := ingesttest.OpenDB(t)
	data := gtdXLSX(t, row(nil), row(map[string]string{"eventid": "202001010002", "iday": "0", "city": "Saïda", "nkill": "-9"}))
	sum, err := importXLSX(t, db, ingesttest.Resolver(t, db), data, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 2 || sum.Imported != 2 {
		t.Fatalf("summary %+v; want 2 read and imported", sum)
	}
	in, err := db.Incident(context.Background(), "gtd:202001010002", plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	if in.Date.String() != "2020-01" || in.Location.Place != "Saïda" || in.Killed.Best != nil {
		t.Errorf("gtd:202001010002 = %+v", in)
	}
}

func TestBadXLSX(t *testing.T) {
	good := gtdXLSX(t, row(nil), row(map[string]string{"eventid": "202001010002"}))
	corrupt := bytes.Clone(good)
	for i := len(corrupt) / 3; i < len(corrupt)/3+64; i++ {
		corrupt[i] ^= 0x5A
	}
	tests := []struct {
		name string
		body []byte
		want []string
	}{
		{"bad day", gtdXLSX(t, row(nil), row(map[string]string{"eventid": "202001010002", "imonth": "2", "iday": "31"})), []string{"row 2", "iday", ":3:"}},
		{"bad count", gtdXLSX(t, row(map[string]string{"nkill": "many"})), []string{"row 1", "nkill", ":2:"}},
		{"cell beyond the header", func() []byte {
			f, err := excelize.OpenReader(bytes.NewReader(good))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			f.SetCellValue(f.GetSheetName(0), "AA3", "stray") //nolint:errcheck // a valid cell name
			var b bytes.Buffer
			f.Write(&b) //nolint:errcheck // writing to memory
			return b.Bytes()
		}(), []string{"row 2", "AA", ":3:"}},
		{"truncated", good[:len(good)*2/3], []string{"line 1", "not a readable XLSX"}},
		{"corrupt", corrupt, []string{"XLSX"}},
		{"empty", nil, []string{"not a readable XLSX"}},
		{"csv given as xlsx", gtdCSV(row(nil)), []string{"not a readable XLSX"}},
		{"wrong layout", func() []byte {
			f := excelize.NewFile()
			defer f.Close()
			f.SetSheetRow(f.GetSheetName(0), "A1", &[]any{"eventid", "iyear"}) //nolint:errcheck // a new sheet takes any row
			var b bytes.Buffer
			f.Write(&b) //nolint:errcheck // writing to memory
			return b.Bytes()
		}(), []string{"imonth", "line 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := ingesttest.EmptyDB(t)
			before := ingesttest.Counts(t, db)
			_, err := importXLSX(t, db, resolve.New(nil, nil), tt.body, ingest.Options{})
			if err == nil {
				t.Fatal("no error")
			}
			if msg := located(err); msg != "" {
				t.Errorf("%v: %s", err, msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if after := ingesttest.Counts(t, db); !sameCounts(before, after) {
				t.Errorf("database changed: %v → %v", before, after)
			}
		})
	}
}

// located says what an import error of a workbook fails to name: it must
// be a file-level error of the reader (the workbook cannot be opened or
// has not the layout), or name the file, the sheet row and, when a cell is
// at fault, its column.
func located(err error) string {
	var le *ingest.LayoutError
	if errors.As(err, &le) {
		if le.Line < 1 {
			return "layout error without a line"
		}
		return ""
	}
	var pe *plotline.Error
	if !errors.As(err, &pe) {
		return "not a *plotline.Error"
	}
	switch {
	case pe.Code != plotline.EINVALID:
		return "code " + pe.Code + ", want " + plotline.EINVALID
	case pe.File == "":
		return "no file"
	case pe.Line < 1:
		return "no row"
	case strings.HasPrefix(pe.Message, "row ") && pe.Field == "":
		return "a row error without a column"
	}
	return ""
}

func sameCounts(a, b map[string]int) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

// FuzzXLSX feeds corrupt, truncated and mutated workbooks through the
// reader and the import runner: never a panic; an error names the row and
// column (or is a file-level error); a failed import is rolled back, never
// committed. The runner writes to a recording store that validates records
// as the stores do: SQLite under the fuzzer's coverage instrumentation
// takes seconds per input. TestBadXLSX checks with a real database that a
// failed import leaves it as it was.
func FuzzXLSX(f *testing.F) {
	good := gtdXLSX(f, row(nil), row(map[string]string{"eventid": "202001010002", "iday": "0", "related": "202001010001"}))
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(gtdXLSX(f, row(map[string]string{"iday": "32"})))
	f.Add(gtdXLSX(f, row(map[string]string{"latitude": "95", "nkill": "2.5"})))
	f.Add(gtdXLSX(f, row(nil), row(nil)))
	f.Add(gtdXLSX(f))
	res := resolve.New(nil, nil)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, keep := range []bool{false, true} {
			r, err := gtd.NewXLSX(bytes.NewReader(data))
			if err != nil {
				if msg := located(err); msg != "" {
					t.Fatalf("%v: %s", err, msg)
				}
				return
			}
			st := &recordingStore{}
			var rejects bytes.Buffer
			_, err = ingest.Run(context.Background(), st, res, gtd.Dataset(), r, ingest.Options{File: "in.xlsx", KeepGoing: keep, Rejects: &rejects})
			r.Close()
			switch {
			case err == nil && (!st.committed || st.rolledBack):
				t.Fatalf("import succeeded without commit (committed %v, rolled back %v)", st.committed, st.rolledBack)
			case err == nil:
				continue
			case st.committed || !st.rolledBack:
				t.Fatalf("failed import %v: committed %v, rolled back %v", err, st.committed, st.rolledBack)
			}
			if msg := located(err); msg != "" {
				t.Fatalf("%v: %s", err, msg)
			}
		}
	})
}

// recordingStore is an import store that validates what it is given, as
// the real stores do, and records how the import ended.
type recordingStore struct {
	committed, rolledBack bool
	ids                   map[string]bool
}

func (s *recordingStore) BeginImport(context.Context, string, string) (plotline.ImportTx, error) {
	s.ids = map[string]bool{}
	return s, nil
}

func (s *recordingStore) PutSource(_ context.Context, src *plotline.Source) (plotline.PutResult, error) {
	return plotline.PutCreated, firstError(src.Validate())
}

func (s *recordingStore) PutActor(_ context.Context, a *plotline.Actor) (plotline.PutResult, error) {
	return plotline.PutCreated, firstError(a.Validate())
}

func (s *recordingStore) PutIncident(_ context.Context, in *plotline.Incident, sources ...plotline.Source) (plotline.PutResult, error) {
	for i := range sources {
		if err := firstError(sources[i].Validate()); err != nil {
			return 0, err
		}
	}
	if err := firstError(in.Validate()); err != nil {
		return 0, err
	}
	if s.ids[in.ID] {
		return 0, &plotline.Error{Code: plotline.ECONFLICT, Field: "incident.id", Message: fmt.Sprintf("incident %q appears twice in this import", in.ID)}
	}
	s.ids[in.ID] = true
	return plotline.PutCreated, nil
}

func (s *recordingStore) AddPendingName(context.Context, *plotline.PendingName) error { return nil }

func (s *recordingStore) Commit() (*plotline.Change, error) {
	s.committed = true
	return &plotline.Change{}, nil
}

func (s *recordingStore) Rollback() error {
	s.rolledBack = true
	return nil
}

func firstError(errs []*plotline.Error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}
