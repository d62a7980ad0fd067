package query

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
)

// stripPos clears positions, which the JSON form does not carry.
func stripPos(q *Query) *Query {
	out := &Query{Terms: []Term{}}
	for _, t := range q.Terms {
		t.Pos = 0
		vs := make([]Value, len(t.Values))
		for i, v := range t.Values {
			v.Pos = 0
			vs[i] = v
		}
		t.Values = vs
		out.Terms = append(out.Terms, t)
	}
	return out
}

func TestParseIssueExample(t *testing.T) {
	q, err := Parse(`kind:plot outcome:foiled target:DEU,AUT actor:ISKP+ basis:government,court date:2024-01..2024-06 external:true "Crocus"`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Query{Terms: []Term{
		{Field: "kind", Values: []Value{{Eq: "plot"}}},
		{Field: "outcome", Values: []Value{{Eq: "foiled"}}},
		{Field: "target", Values: []Value{{Eq: "DEU"}, {Eq: "AUT"}}},
		{Field: "actor", Values: []Value{{Eq: "ISKP", Subtree: true}}},
		{Field: "basis", Values: []Value{{Eq: "government"}, {Eq: "court"}}},
		{Field: "date", Values: []Value{{Range: true, From: "2024-01", To: "2024-06"}}},
		{Field: "external", Values: []Value{{Eq: "true"}}},
		{Field: "text", Values: []Value{{Eq: "Crocus"}}},
	}}
	if got := stripPos(q); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if q.Terms[3].Pos != 40 || q.Terms[7].Pos != 111 {
		t.Errorf("positions: got actor at %d, text at %d; want 40, 111", q.Terms[3].Pos, q.Terms[7].Pos)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, canon string
	}{
		{``, ``},
		{`  kind:PLOT  `, `kind:plot`},
		{`-kind:attack country:deu`, `-kind:attack country:DEU`},
		{`killed:5.. injured:..3 arrests:2`, `killed:5.. injured:..3 arrests:2`},
		{`date:2024-H1,2025-Q3 within:2024-03-01..2024-03-31`, `date:2024-H1,2025-Q3 within:2024-03-01..2024-03-31`},
		{`by:"Turkish Interior Ministry" admin1:"Nord-Kivu"`, `by:"Turkish Interior Ministry" admin1:Nord-Kivu`},
		{`actor:"Islamic State"+,is-iraq`, `actor:"Islamic State"+,is-iraq`},
		{`rule:bases:government,court basis:claim`, `rule:bases:government,court basis:claim`},
		{`rule:best:court>government`, `rule:best:court>government`},
		{`bbox:-10.5,35,30,60`, `bbox:-10.5,35,30,60`},
		{`Crocus -"city hall" text:Moscow`, `"Crocus" -"city hall" "Moscow"`},
		{`"say \"hi\""`, `"say \"hi\""`},
		{`external:yes`, `external:true`},
		{`stated:2024-02..`, `stated:2024-02..`},
	} {
		q, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := q.String(); got != tc.canon {
			t.Errorf("Parse(%q).String() = %q, want %q", tc.in, got, tc.canon)
		}
		again, err := Parse(q.String())
		if err != nil {
			t.Errorf("reparse %q: %v", q.String(), err)
			continue
		}
		if !reflect.DeepEqual(stripPos(again), stripPos(q)) {
			t.Errorf("%q does not round-trip: %+v vs %+v", tc.in, again, q)
		}
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		fromJSON, err := FromJSON(b)
		if err != nil {
			t.Errorf("FromJSON(%s): %v", b, err)
			continue
		}
		if !reflect.DeepEqual(fromJSON, stripPos(q)) {
			t.Errorf("JSON round trip of %q: got %+v, want %+v", tc.in, fromJSON, stripPos(q))
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		in         string
		pos        int
		suggestion string
		msg        string
	}{
		{`kidn:plot`, 0, "kind", "unknown field"},
		{`kind:plot contry:DEU`, 10, "country", "unknown field"},
		{`kind:plot tagret:DEU`, 10, "target", "unknown field"},
		{`kind:pilot`, 5, "", "not one of attack, plot"},
		{`country:XXX`, 8, "", "not an ISO"},
		{`date:2024-13`, 5, "", "not a month"},
		{`date:2024-06..2024-01`, 5, "", "ends before it starts"},
		{`killed:-3`, 7, "", "not a whole number"},
		{`killed:a..b`, 7, "", "not a whole number"},
		{`kind:`, 5, "", "value expected"},
		{`"unterminated`, 0, "", "unterminated quote"},
		{`kind:plot,`, 10, "", "empty value"},
		{`bbox:1,2,3`, 0, "", "four numbers"},
		{`bbox:10,50,20,40`, 0, "", "not west,south,east,north"},
		{`external:maybe`, 9, "", "not true or false"},
		{`rule:everything`, 5, "", "unknown counting rule"},
		{`kind:plot+`, 5, "", "not one of"},
		{`kind:a..b`, 5, "", "not one of"},
		{`ab"c`, 2, "", "quote inside a word"},
		{`kind:"plot"x`, 11, "", "separated by spaces"},
	} {
		_, err := Parse(tc.in)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q): got %v, want a *SyntaxError", tc.in, err)
			continue
		}
		if se.Pos != tc.pos || se.Suggestion != tc.suggestion || !strings.Contains(se.Message, tc.msg) {
			t.Errorf("Parse(%q): got pos %d suggestion %q message %q; want pos %d suggestion %q message containing %q",
				tc.in, se.Pos, se.Suggestion, se.Message, tc.pos, tc.suggestion, tc.msg)
		}
		if plotline.ErrorCode(err) != plotline.EINVALID {
			t.Errorf("Parse(%q): code %q, want %q", tc.in, plotline.ErrorCode(err), plotline.EINVALID)
		}
	}
}

func TestFromJSONErrors(t *testing.T) {
	for _, in := range []string{
		`{"terms":[{"field":"kidn","values":[{"eq":"plot"}]}]}`,
		`{"terms":[{"field":"kind","values":[]}]}`,
		`{"terms":[{"field":"kind","values":[{"eq":"pilot"}]}]}`,
		`{"terms":[{"field":"date","values":[{"range":true}]}]}`,
		`{"terms":[{"field":"kind","values":[{"eq":"plot","subtree":true}]}]}`,
		`[1,2]`,
	} {
		if _, err := FromJSON([]byte(in)); plotline.ErrorCode(err) != plotline.EINVALID {
			t.Errorf("FromJSON(%s): got %v, want an EINVALID error", in, err)
		}
	}
}

func TestNearest(t *testing.T) {
	for in, want := range map[string]string{"kidn": "kind", "actr": "actor", "evnt_type": "event_type", "zzzzzzzz": "", "targ": "target", "wepon": "weapon"} {
		if got := Nearest(in); got != want {
			t.Errorf("Nearest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDateBounds(t *testing.T) {
	for _, tc := range []struct {
		v      Value
		lo, hi string
	}{
		{Value{Eq: "2024-02"}, "2024-02-01", "2024-02-29"},
		{Value{Eq: "2024-H2"}, "2024-07-01", "2024-12-31"},
		{Value{Eq: "2024-q2"}, "2024-04-01", "2024-06-30"},
		{Value{Range: true, From: "2024-01", To: "2024-06"}, "2024-01-01", "2024-06-30"},
		{Value{Range: true, From: "2023", To: "2024-03-05"}, "2023-01-01", "2024-03-05"},
	} {
		lo, hi, err := DateBounds(tc.v)
		if err != nil || lo.String() != tc.lo || hi.String() != tc.hi {
			t.Errorf("DateBounds(%+v) = %s, %s, %v; want %s, %s", tc.v, lo, hi, err, tc.lo, tc.hi)
		}
	}
}

// FuzzParse checks that parsing never panics, errors carry a position inside
// the input, and every parsed query round-trips through its text and JSON forms.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`kind:plot outcome:foiled target:DEU,AUT actor:ISKP+ basis:government,court date:2024-01..2024-06 external:true "Crocus"`,
		`-kind:attack killed:5.. "a \"b\"" bbox:-10,35,30,60 rule:best:court>claim`, `kidn:plot`, `date:..2024`, `"`, `-`, `a:b:c`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %v is not a *SyntaxError", s, err)
			}
			if se.Pos < 0 || se.Pos > len(s) {
				t.Fatalf("Parse(%q): position %d outside the input", s, se.Pos)
			}
			return
		}
		again, err := Parse(q.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", s, q.String(), err)
		}
		if !reflect.DeepEqual(stripPos(again), stripPos(q)) {
			t.Fatalf("%q: text round trip %q changed the query", s, q.String())
		}
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		fromJSON, err := FromJSON(b)
		if err != nil {
			t.Fatalf("%q: JSON form %s does not read back: %v", s, b, err)
		}
		if !reflect.DeepEqual(fromJSON, stripPos(q)) {
			t.Fatalf("%q: JSON round trip changed the query", s)
		}
	})
}

// Every field is documented in docs/query-language.md.
func TestFieldsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/query-language.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Fields {
		if !strings.Contains(string(doc), "| `"+f.Name+"` |") {
			t.Errorf("field %s is not in the fields tables of docs/query-language.md", f.Name)
		}
	}
}
