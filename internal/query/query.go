// Package query is Plotline's filter language: a line of text such as
//
//	kind:plot outcome:foiled target:DEU,AUT actor:ISKP+ basis:government,court date:2024-01..2024-06 external:true "Crocus"
//
// parsed into an AST (Query) that also has a JSON form. The grammar and
// every field are documented in docs/query-language.md; Fields lists them.
// The package checks syntax and value shapes; meaning (which actor ISKP
// is, how a counting rule applies) belongs to internal/engine.
package query

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// Query is a conjunction of terms: an incident matches when every term does.
type Query struct {
	Terms []Term `json:"terms"`
}

// Term is one field:values condition. Values are alternatives (OR). Not
// negates the whole term. Pos is the byte offset of the term in the text it
// was parsed from (0 for a query built from JSON).
type Term struct {
	Field  string  `json:"field"`
	Not    bool    `json:"not,omitempty"`
	Values []Value `json:"values"`
	Pos    int     `json:"-"`
}

// Value is one alternative: an exact value (Eq), or a range From..To where
// either end may be empty (open). Subtree marks ACTOR+.
type Value struct {
	Eq      string `json:"eq,omitempty"`
	From    string `json:"from,omitempty"`
	To      string `json:"to,omitempty"`
	Range   bool   `json:"range,omitempty"`
	Subtree bool   `json:"subtree,omitempty"`
	Pos     int    `json:"-"`
}

// SyntaxError is a parse or validation error at a byte position, with the
// nearest field name when the field was unknown. It unwraps to an EINVALID
// *plotline.Error so callers map it like any bad input.
type SyntaxError struct {
	Pos        int    `json:"pos"`
	Field      string `json:"field,omitempty"`
	Message    string `json:"message"`
	Suggestion string `json:"suggestion,omitempty"`
}

func (e *SyntaxError) Error() string {
	msg := fmt.Sprintf("query at byte %d: %s", e.Pos, e.Message)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg
}

// Unwrap gives the coded error for plotline.ErrorCode and ErrorMessage.
func (e *SyntaxError) Unwrap() error {
	return &plotline.Error{Code: plotline.EINVALID, Field: "query", Message: strings.TrimPrefix(e.Error(), "query ")}
}

// Errorf returns a *SyntaxError at pos; the engine uses it for errors of
// meaning (an unknown actor) so they point into the text too.
func Errorf(pos int, field, format string, args ...any) *SyntaxError {
	return &SyntaxError{Pos: pos, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Parse parses the text form of a query.
func Parse(s string) (*Query, error) {
	if !utf8.ValidString(s) {
		i := 0
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return nil, Errorf(i, "", "invalid UTF-8")
	}
	p := &parser{s: s}
	q := &Query{Terms: []Term{}}
	for {
		p.skipSpace()
		if p.i >= len(p.s) {
			break
		}
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		q.Terms = append(q.Terms, t)
	}
	return q, nil
}

// FromJSON reads the JSON form and validates it like parsed text.
func FromJSON(b []byte) (*Query, error) {
	var q Query
	if err := json.Unmarshal(b, &q); err != nil {
		return nil, &SyntaxError{Message: fmt.Sprintf("not a query in JSON form: %v", err)}
	}
	if q.Terms == nil {
		q.Terms = []Term{}
	}
	for i := range q.Terms {
		t := &q.Terms[i]
		f, ok := Lookup(t.Field)
		if !ok {
			return nil, &SyntaxError{Field: t.Field, Message: fmt.Sprintf("unknown field %q", t.Field), Suggestion: Nearest(t.Field)}
		}
		if len(t.Values) == 0 {
			return nil, &SyntaxError{Field: t.Field, Message: fmt.Sprintf("%s: no value", t.Field)}
		}
		for j := range t.Values {
			if err := checkValue(f, &t.Values[j]); err != nil {
				return nil, err
			}
		}
		if err := checkTerm(f, t); err != nil {
			return nil, err
		}
	}
	return &q, nil
}

type parser struct {
	s string
	i int
}

func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

func (p *parser) skipSpace() {
	for p.i < len(p.s) && isSpace(p.s[p.i]) {
		p.i++
	}
}

func (p *parser) term() (Term, error) {
	t := Term{Pos: p.i}
	if p.s[p.i] == '-' && p.i+1 < len(p.s) && !isSpace(p.s[p.i+1]) {
		t.Not = true
		p.i++
	}
	if p.s[p.i] == '"' {
		pos := p.i
		text, err := p.quoted()
		if err != nil {
			return t, err
		}
		if text == "" {
			return t, Errorf(pos, "text", "empty phrase")
		}
		t.Field, t.Values = "text", []Value{{Eq: text, Pos: pos}}
		return t, p.endOfTerm()
	}
	start := p.i
	for p.i < len(p.s) && !isSpace(p.s[p.i]) && p.s[p.i] != ':' && p.s[p.i] != '"' {
		p.i++
	}
	name := p.s[start:p.i]
	if p.i >= len(p.s) || p.s[p.i] != ':' {
		// A bare word is full-text.
		if p.i < len(p.s) && p.s[p.i] == '"' {
			return t, Errorf(p.i, "", "a quote inside a word; put the phrase in quotes on its own")
		}
		t.Field, t.Values = "text", []Value{{Eq: name, Pos: start}}
		return t, nil
	}
	f, ok := Lookup(name)
	if !ok {
		e := Errorf(start, name, "unknown field %q", name)
		e.Suggestion = Nearest(name)
		return t, e
	}
	t.Field = f.Name
	p.i++ // ':'
	if p.i >= len(p.s) || isSpace(p.s[p.i]) {
		return t, Errorf(p.i, f.Name, "%s: value expected after ':'", f.Name)
	}
	if f.Type == TypeRule || f.Type == TypeText {
		v, err := p.whole(f)
		if err != nil {
			return t, err
		}
		t.Values = []Value{v}
	} else {
		for {
			v, err := p.value(f)
			if err != nil {
				return t, err
			}
			t.Values = append(t.Values, v)
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			break
		}
	}
	if err := checkTerm(f, &t); err != nil {
		return t, err
	}
	return t, p.endOfTerm()
}

func (p *parser) endOfTerm() error {
	if p.i < len(p.s) && !isSpace(p.s[p.i]) {
		return Errorf(p.i, "", "unexpected %q; terms are separated by spaces", p.s[p.i])
	}
	return nil
}

// quoted reads "..." with \" and \\ escapes, starting at the opening quote.
func (p *parser) quoted() (string, error) {
	start := p.i
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '\\' && p.i+1 < len(p.s) && (p.s[p.i+1] == '"' || p.s[p.i+1] == '\\'):
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case c == '"':
			p.i++
			return b.String(), nil
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", Errorf(start, "", "unterminated quote")
}

// whole reads a value that may itself contain ',' and ':' (rules, text).
func (p *parser) whole(f Field) (Value, error) {
	v := Value{Pos: p.i}
	if p.s[p.i] == '"' {
		s, err := p.quoted()
		if err != nil {
			return v, err
		}
		v.Eq = s
	} else {
		start := p.i
		for p.i < len(p.s) && !isSpace(p.s[p.i]) {
			p.i++
		}
		v.Eq = p.s[start:p.i]
	}
	return v, checkValue(f, &v)
}

// value reads one alternative: a quoted string, or a bare atom that may be
// a range (A..B, A.., ..B) or, for actors, end in '+'.
func (p *parser) value(f Field) (Value, error) {
	v := Value{Pos: p.i}
	if p.i >= len(p.s) {
		return v, Errorf(p.i, f.Name, "%s: empty value", f.Name)
	}
	if p.s[p.i] == '"' {
		s, err := p.quoted()
		if err != nil {
			return v, err
		}
		v.Eq = s
		if f.Type == TypeActor && p.i < len(p.s) && p.s[p.i] == '+' {
			v.Subtree = true
			p.i++
		}
		return v, checkValue(f, &v)
	}
	start := p.i
	for p.i < len(p.s) && !isSpace(p.s[p.i]) && p.s[p.i] != ',' && p.s[p.i] != '"' {
		p.i++
	}
	raw := p.s[start:p.i]
	if raw == "" {
		return v, Errorf(start, f.Name, "%s: empty value", f.Name)
	}
	if f.Type == TypeDate || f.Type == TypeInt {
		if a, b, ok := strings.Cut(raw, ".."); ok {
			v.Range, v.From, v.To = true, a, b
			return v, checkValue(f, &v)
		}
	}
	if f.Type == TypeActor {
		raw, v.Subtree = strings.CutSuffix(raw, "+")
	}
	v.Eq = raw
	return v, checkValue(f, &v)
}

// checkValue validates one value's shape against its field's type.
func checkValue(f Field, v *Value) error {
	bad := func(format string, args ...any) error { return Errorf(v.Pos, f.Name, f.Name+": "+format, args...) }
	if v.Subtree && f.Type != TypeActor {
		return bad("'+' (units under) applies to actor only")
	}
	if v.Range {
		if v.Eq != "" {
			return bad("a value is either exact or a range")
		}
		if f.Type != TypeDate && f.Type != TypeInt {
			return bad("ranges (A..B) apply to dates and numbers only")
		}
		if v.From == "" && v.To == "" {
			return bad("a range needs at least one end")
		}
	} else if v.Eq == "" {
		return bad("empty value")
	}
	switch f.Type {
	case TypeEnum:
		for _, e := range f.Enum {
			if strings.EqualFold(e, v.Eq) {
				v.Eq = e
				return nil
			}
		}
		return bad("%q is not one of %s", v.Eq, strings.Join(f.Enum, ", "))
	case TypeCountry:
		up := strings.ToUpper(v.Eq)
		if _, ok := plotline.CountryName(up); !ok {
			return bad("%q is not an ISO 3166-1 alpha-3 country code", v.Eq)
		}
		v.Eq = up
	case TypeDate:
		if !v.Range {
			if _, err := ParseDate(v.Eq); err != nil {
				return bad("%v", err)
			}
			return nil
		}
		lo, hi, err := DateBounds(*v)
		if err != nil {
			return bad("%v", err)
		}
		if hi < lo {
			return bad("range %s..%s ends before it starts", v.From, v.To)
		}
	case TypeInt:
		lo, hi, err := IntBounds(*v)
		if err != nil {
			return bad("%v", err)
		}
		if hi < lo {
			return bad("range %s..%s ends before it starts", v.From, v.To)
		}
	case TypeBool:
		switch strings.ToLower(v.Eq) {
		case "true", "yes":
			v.Eq = "true"
		case "false", "no":
			v.Eq = "false"
		default:
			return bad("%q is not true or false", v.Eq)
		}
	case TypeBBox:
		if _, err := strconv.ParseFloat(v.Eq, 64); err != nil {
			return bad("%q is not a number of degrees", v.Eq)
		}
	case TypeRule:
		if _, err := analysis.ParseRule(v.Eq); err != nil {
			return bad("%s", plotline.ErrorMessage(err))
		}
	}
	return nil
}

// checkTerm validates what involves the whole term.
func checkTerm(f Field, t *Term) error {
	switch f.Type {
	case TypeBBox:
		if len(t.Values) != 4 {
			return Errorf(t.Pos, f.Name, "bbox: want west,south,east,north (four numbers), got %d", len(t.Values))
		}
		w, s, e, n := BBox(t)
		if s > n || w < -180 || e > 180 || s < -90 || n > 90 {
			return Errorf(t.Pos, f.Name, "bbox: %v,%v,%v,%v is not west,south,east,north inside -180..180, -90..90", w, s, e, n)
		}
	case TypeRule, TypeBool:
		if len(t.Values) != 1 {
			return Errorf(t.Pos, f.Name, "%s takes one value", f.Name)
		}
		if f.Type == TypeRule && t.Not {
			return Errorf(t.Pos, f.Name, "a counting rule cannot be negated")
		}
	}
	return nil
}

// BBox returns a checked bbox term's west, south, east and north.
func BBox(t *Term) (w, s, e, n float64) {
	f := func(i int) float64 {
		x, _ := strconv.ParseFloat(t.Values[i].Eq, 64) // checked by the parser
		return x
	}
	return f(0), f(1), f(2), f(3)
}

// ParseDate reads a query date: YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY-Hn or YYYY.
func ParseDate(s string) (plotline.Date, error) {
	if len(s) == 7 && s[4] == '-' && (s[5] == 'H' || s[5] == 'h') {
		y, err1 := strconv.Atoi(s[:4])
		h, err2 := strconv.Atoi(s[6:])
		if err1 != nil || err2 != nil || h < 1 || h > 2 {
			return plotline.Date{}, fmt.Errorf("%q is not a half year (want YYYY-H1 or YYYY-H2)", s)
		}
		m := time.Month(6*(h-1) + 1)
		return plotline.Date{Start: plotline.MakeDay(y, m, 1), End: plotline.MakeDay(y, m+6, 0), Precision: plotline.PrecisionRange}, nil
	}
	if len(s) == 7 && s[4] == '-' && s[5] == 'q' {
		s = s[:5] + "Q" + s[6:]
	}
	if strings.Contains(s, "..") {
		return plotline.Date{}, fmt.Errorf("%q: one date expected", s)
	}
	d, err := plotline.ParseDate(s)
	if err != nil {
		return plotline.Date{}, err
	}
	if !d.Known() {
		return plotline.Date{}, fmt.Errorf("empty date")
	}
	return d, nil
}

// Open ends of date ranges.
const (
	MinDay plotline.Day = -1 << 30
	MaxDay plotline.Day = 1 << 30
)

// DateBounds returns the first and last day a date value covers: an exact
// value covers its whole precision (2024-03 is 1 to 31 March), a range runs
// from the start of From to the end of To, open ends are MinDay/MaxDay.
func DateBounds(v Value) (lo, hi plotline.Day, err error) {
	if !v.Range {
		d, err := ParseDate(v.Eq)
		return d.Start, d.End, err
	}
	lo, hi = MinDay, MaxDay
	if v.From != "" {
		d, err := ParseDate(v.From)
		if err != nil {
			return 0, 0, err
		}
		lo = d.Start
	}
	if v.To != "" {
		d, err := ParseDate(v.To)
		if err != nil {
			return 0, 0, err
		}
		hi = d.End
	}
	return lo, hi, nil
}

// IntBounds returns the inclusive bounds of a number value; open ends are
// the smallest and largest int64.
func IntBounds(v Value) (lo, hi int64, err error) {
	parse := func(s string) (int64, error) {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a whole number", s)
		}
		return n, nil
	}
	if !v.Range {
		n, err := parse(v.Eq)
		return n, n, err
	}
	lo, hi = -1<<63, 1<<63-1
	if v.From != "" {
		if lo, err = parse(v.From); err != nil {
			return 0, 0, err
		}
	}
	if v.To != "" {
		if hi, err = parse(v.To); err != nil {
			return 0, 0, err
		}
	}
	return lo, hi, nil
}

// String returns the canonical text form; Parse(q.String()) equals q (up to positions).
func (q *Query) String() string {
	parts := make([]string, len(q.Terms))
	for i, t := range q.Terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, " ")
}

func (t Term) String() string {
	var b strings.Builder
	if t.Not {
		b.WriteByte('-')
	}
	f, _ := Lookup(t.Field)
	if f.Type == TypeText {
		b.WriteString(quote(t.Values[0].Eq, true))
		return b.String()
	}
	b.WriteString(t.Field)
	b.WriteByte(':')
	for i, v := range t.Values {
		if i > 0 {
			b.WriteByte(',')
		}
		switch {
		case v.Range:
			b.WriteString(v.From + ".." + v.To)
		case f.Type == TypeRule:
			b.WriteString(v.Eq)
		default:
			b.WriteString(quote(v.Eq, false))
		}
		if v.Subtree {
			b.WriteByte('+')
		}
	}
	return b.String()
}

// quote returns s bare when the parser would read it back unchanged.
func quote(s string, always bool) string {
	plain := !always && s != "" && !strings.ContainsAny(s, " \t\r\n\v\f,\"\\+") && !strings.Contains(s, "..")
	if plain {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// Rule returns the counting rule the query names (rule:...), or "" if none.
func (q *Query) Rule() string {
	for _, t := range q.Terms {
		if t.Field == "rule" {
			return t.Values[0].Eq
		}
	}
	return ""
}
