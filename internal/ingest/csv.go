// Package ingest holds what every importer shares: a streaming CSV reader
// that names row, line and column in its errors, text encodings, the import
// runner (one transaction, or --keep-going with a reject file), name
// resolution of group names and progress reporting. The per-format
// packages (gtd, acled, ucdp, csvmap) map rows to Plotline records.
package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Encodings a CSV reader accepts.
const (
	// EncodingUTF8 rejects any byte sequence that is not UTF-8, naming the row and column.
	EncodingUTF8 = "utf-8"
	// EncodingLatin1 reads Windows-1252 (a superset of ISO 8859-1's printable range).
	EncodingLatin1 = "latin1"
	// EncodingAuto keeps fields that are valid UTF-8 and reads any other
	// field as Windows-1252, as START's 0718 GTD CSV needs.
	EncodingAuto = "auto"
)

// RowError is a bad input row. The reader can go on after it.
type RowError struct {
	Row    int    // data row number, 1 = the first row after the header
	Line   int    // physical line (CSV) or sheet row (XLSX) where it starts
	Column string // column name, when one is at fault
	Reason string
	Raw    []string // the row's fields as read, for the reject file
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("row %d (line %d), column %s: %s", e.Row, e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("row %d (line %d): %s", e.Row, e.Line, e.Reason)
}

// LayoutError is a file whose shape is wrong (missing columns, not CSV at
// all, wrong encoding family): nothing in it can be read.
type LayoutError struct {
	Line   int
	Column string
	Reason string
}

func (e *LayoutError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("line %d, column %s: %s", e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// countingReader counts bytes read, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// CSV reads a delimited file with a header row, streaming.
type CSV struct {
	r        *csv.Reader
	count    *countingReader
	header   []string
	index    map[string]int
	encoding string
	row      int
	fields   []string
	line     int
	// Total is the stream's size in bytes when known, for progress.
	Total int64
}

// NewCSV reads the header of a CSV stream. A UTF-8 byte-order mark is
// dropped; UTF-16 input and binary data are refused as layout errors.
func NewCSV(r io.Reader, encoding string, comma rune) (*CSV, error) {
	switch encoding {
	case "", EncodingUTF8:
		encoding = EncodingUTF8
	case EncodingLatin1, "iso-8859-1", "windows-1252", "cp1252":
		encoding = EncodingLatin1
	case EncodingAuto:
	default:
		return nil, &LayoutError{Line: 1, Reason: fmt.Sprintf("unknown encoding %q (want utf-8, latin1 or auto)", encoding)}
	}
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, 1<<16)
	head, _ := br.Peek(4) // a short file shows up below as a missing header
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3) //nolint:errcheck // the three bytes were just peeked
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return nil, &LayoutError{Line: 1, Reason: "the file is UTF-16; save it as UTF-8 CSV"}
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return nil, &LayoutError{Line: 1, Reason: "the file is a ZIP archive (an XLSX workbook?), not CSV"}
	case bytes.IndexByte(head, 0) >= 0:
		return nil, &LayoutError{Line: 1, Reason: "the file contains NUL bytes: binary data or UTF-16, not CSV"}
	}
	c := &CSV{count: cr, encoding: encoding, index: map[string]int{}}
	c.r = csv.NewReader(br)
	if comma != 0 {
		c.r.Comma = comma
	}
	c.r.ReuseRecord = true
	hdr, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &LayoutError{Line: 1, Reason: "the file is empty: no header row"}
	}
	if err != nil {
		return nil, csvLayoutError(err)
	}
	c.header = make([]string, len(hdr))
	for i, h := range hdr {
		h, _ = c.decode(h)
		h = strings.TrimSpace(h)
		c.header[i] = h
		if _, dup := c.index[h]; !dup {
			c.index[h] = i
		}
	}
	c.r.FieldsPerRecord = len(hdr)
	return c, nil
}

func csvLayoutError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LayoutError{Line: pe.Line, Reason: fmt.Sprintf("column %d: %v", pe.Column, pe.Err)}
	}
	return err
}

// Header returns the column names.
func (c *CSV) Header() []string { return c.header }

// Has reports whether the header has a column.
func (c *CSV) Has(col string) bool { _, ok := c.index[col]; return ok }

// Require returns a layout error naming the first missing column.
func (c *CSV) Require(cols ...string) error {
	for _, col := range cols {
		if !c.Has(col) {
			return &LayoutError{Line: 1, Column: col, Reason: fmt.Sprintf("missing column %q: not the expected layout (the header has %d columns: %s)", col, len(c.header), abbreviate(c.header))}
		}
	}
	return nil
}

func abbreviate(h []string) string {
	if len(h) > 8 {
		return strings.Join(h[:8], ",") + ",…"
	}
	return strings.Join(h, ",")
}

// BytesRead is how far into the stream the reader is.
func (c *CSV) BytesRead() int64 { return c.count.n }

// Next reads the next row. It returns io.EOF at the end, a *RowError for a
// row that cannot be read (wrong field count, bad quoting, bad encoding).
func (c *CSV) Next() error {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	c.row++
	c.fields = rec
	if len(rec) > 0 {
		c.line, _ = c.r.FieldPos(0)
	}
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			c.line = pe.StartLine
			var reason string
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				reason = fmt.Sprintf("has %d fields; the header has %d (truncated or shifted row)", len(rec), len(c.header))
			} else {
				reason = fmt.Sprintf("line %d, byte %d: %v", pe.Line, pe.Column, pe.Err)
			}
			return &RowError{Row: c.row, Line: pe.StartLine, Reason: reason, Raw: append([]string(nil), rec...)}
		}
		return err
	}
	for i, f := range rec {
		v, ok := c.decode(f)
		if !ok {
			bad := f[invalidAt(f)]
			return &RowError{Row: c.row, Line: c.line, Column: c.header[i], Raw: append([]string(nil), rec...),
				Reason: fmt.Sprintf("not valid UTF-8 (byte 0x%02X); if the file is Latin-1 or Windows-1252, import it with --encoding latin1", bad)}
		}
		rec[i] = v
	}
	return nil
}

func invalidAt(s string) int {
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return 0
}

func (c *CSV) decode(f string) (string, bool) {
	if isASCII(f) {
		return f, true
	}
	switch c.encoding {
	case EncodingLatin1:
		return latin1(f), true
	case EncodingAuto:
		if utf8.ValidString(f) {
			return f, true
		}
		return latin1(f), true
	}
	return f, utf8.ValidString(f)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func latin1(s string) string {
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		return s // Windows-1252 decoding maps every byte; this does not happen
	}
	return out
}

// Row is the current row number (1 = first data row).
func (c *CSV) Row() int { return c.row }

// Line is the physical line the current row starts on.
func (c *CSV) Line() int { return c.line }

// Get returns a column of the current row, trimmed; "" when the column is absent.
func (c *CSV) Get(col string) string {
	i, ok := c.index[col]
	if !ok || i >= len(c.fields) {
		return ""
	}
	return strings.TrimSpace(c.fields[i])
}

// Raw returns a copy of the current row's fields.
func (c *CSV) Raw() []string { return append([]string(nil), c.fields...) }

// Fail returns a row error about a column of the current row.
func (c *CSV) Fail(col, format string, args ...any) *RowError {
	return &RowError{Row: c.row, Line: c.line, Column: col, Reason: fmt.Sprintf(format, args...), Raw: c.Raw()}
}
