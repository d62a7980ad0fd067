package ingest

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Table is a header-addressed stream of rows: a CSV file or a worksheet.
type Table interface {
	Next() error // io.EOF at the end; *RowError for an unreadable row
	Get(col string) string
	Has(col string) bool
	Require(cols ...string) error
	Row() int
	Line() int
	Raw() []string
	Fail(col, format string, args ...any) *RowError
	Progress() (done, total int64)
}

// Progress reports bytes read of total (total set by the caller, 0 = unknown).
func (c *CSV) Progress() (int64, int64) { return c.count.n, c.Total }

// XLSX streams the first worksheet of a workbook, addressed by its header row.
type XLSX struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	index  map[string]int
	fields []string
	row    int // data row
	line   int // sheet row
	total  int64
}

// OpenXLSX opens a workbook from r and reads the header row of its first sheet.
func OpenXLSX(r io.Reader) (x *XLSX, err error) {
	defer func() {
		if p := recover(); p != nil {
			x, err = nil, damaged(1, p)
		}
	}()
	f, err := excelize.OpenReader(r)
	if err != nil {
		return nil, &LayoutError{Line: 1, Reason: fmt.Sprintf("not a readable XLSX workbook: %v", err)}
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, &LayoutError{Line: 1, Reason: "the workbook has no worksheet"}
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, &LayoutError{Line: 1, Reason: fmt.Sprintf("worksheet %q: %v", sheets[0], err)}
	}
	x = &XLSX{f: f, rows: rows, index: map[string]int{}}
	if dim, err := f.GetSheetDimension(sheets[0]); err == nil {
		if _, end, ok := strings.Cut(dim, ":"); ok {
			_, n, err := excelize.CellNameToCoordinates(end)
			if err == nil {
				x.total = int64(n)
			}
		}
	}
	if !rows.Next() {
		x.Close()
		return nil, &LayoutError{Line: 1, Reason: "the worksheet is empty: no header row"}
	}
	x.line = 1
	hdr, err := rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		x.Close()
		return nil, &LayoutError{Line: 1, Reason: fmt.Sprintf("header row: %v", err)}
	}
	for i, h := range hdr {
		h = strings.TrimSpace(h)
		x.header = append(x.header, h)
		if _, dup := x.index[h]; !dup {
			x.index[h] = i
		}
	}
	return x, nil
}

// Close releases the workbook.
func (x *XLSX) Close() error {
	x.rows.Close() //nolint:errcheck // only removes a temporary file; Close below reports real failures
	return x.f.Close()
}

// damaged is the layout error for a panic of the workbook parser at line:
// a damaged file must give an error, never stop the program, so the
// functions that call into excelize recover.
func damaged(line int, p any) error {
	return &LayoutError{Line: line, Reason: fmt.Sprintf("damaged workbook: the XLSX parser failed (%v)", p)}
}

// Next reads the next non-empty row. Rows shorter than the header (Excel
// drops trailing empty cells) are padded; longer rows are errors.
func (x *XLSX) Next() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = damaged(x.line+1, p)
		}
	}()
	for {
		if !x.rows.Next() {
			if err := x.rows.Error(); err != nil {
				return &LayoutError{Line: x.line + 1, Reason: fmt.Sprintf("worksheet: %v", err)}
			}
			return io.EOF
		}
		x.line++
		cols, err := x.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return &LayoutError{Line: x.line, Reason: fmt.Sprintf("worksheet row: %v", err)}
		}
		if len(strings.Join(cols, "")) == 0 {
			continue
		}
		x.row++
		if len(cols) > len(x.header) {
			for i := len(x.header); i < len(cols); i++ {
				if strings.TrimSpace(cols[i]) == "" {
					continue
				}
				x.fields = cols
				col, _ := excelize.ColumnNumberToName(i + 1) // i+1 is a valid column number: excelize read the cell
				return &RowError{Row: x.row, Line: x.line, Column: col, Raw: cols,
					Reason: fmt.Sprintf("has a value in column %s, beyond the header's %d columns", col, len(x.header))}
			}
			cols = cols[:len(x.header)]
		}
		for len(cols) < len(x.header) {
			cols = append(cols, "")
		}
		x.fields = cols
		return nil
	}
}

// Get returns a column of the current row, trimmed.
func (x *XLSX) Get(col string) string {
	i, ok := x.index[col]
	if !ok || i >= len(x.fields) {
		return ""
	}
	return strings.TrimSpace(x.fields[i])
}

// Has reports whether the header has a column.
func (x *XLSX) Has(col string) bool { _, ok := x.index[col]; return ok }

// Require returns a layout error naming the first missing column.
func (x *XLSX) Require(cols ...string) error {
	for _, col := range cols {
		if !x.Has(col) {
			return &LayoutError{Line: 1, Column: col, Reason: fmt.Sprintf("missing column %q: not the expected layout (the header has %d columns: %s)", col, len(x.header), abbreviate(x.header))}
		}
	}
	return nil
}

// Row is the data row number; Line the sheet row.
func (x *XLSX) Row() int  { return x.row }
func (x *XLSX) Line() int { return x.line }

// Raw returns a copy of the current row.
func (x *XLSX) Raw() []string { return append([]string(nil), x.fields...) }

// Fail returns a row error about a column of the current row.
func (x *XLSX) Fail(col, format string, args ...any) *RowError {
	return &RowError{Row: x.row, Line: x.line, Column: col, Reason: fmt.Sprintf(format, args...), Raw: x.Raw()}
}

// Progress reports sheet rows read of the sheet's dimension.
func (x *XLSX) Progress() (int64, int64) { return int64(x.line), x.total }
