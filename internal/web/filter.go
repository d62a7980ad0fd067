package web

import (
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// filter is the incident table's filter: space-separated field:value terms
// (values comma-separated mean "any of"), a leading "-" negating a term, and
// bare words matched against title and summary. actor:X+ means X or any unit
// under X at the incident's date. It follows the CLI's query syntax until
// internal/query is wired in.
type filter struct {
	terms []term
	words []string
}

type term struct {
	field  string
	vals   []string
	not    bool
	from   plotline.Day // date terms
	to     plotline.Day
	actor  string // resolved actor ID
	nested bool   // actor:X+
}

var filterFields = []string{"id", "kind", "outcome", "stage", "country", "target", "type", "actor", "basis", "date", "from", "to", "tag", "origin", "doc"}

func parseFilter(s string, g *analysis.Graph) (*filter, error) {
	f := &filter{}
	for _, raw := range strings.Fields(s) {
		key, val, ok := strings.Cut(raw, ":")
		if !ok {
			f.words = append(f.words, strings.ToLower(strings.Trim(raw, `"`)))
			continue
		}
		t := term{}
		if k, neg := strings.CutPrefix(key, "-"); neg {
			key, t.not = k, true
		}
		t.field = key
		if !slices.Contains(filterFields, key) {
			return nil, plotline.FieldError("q", "unknown filter field %q (one of %s)", key, strings.Join(filterFields, ", "))
		}
		if val == "" {
			return nil, plotline.FieldError("q", "%s: needs a value", key)
		}
		switch key {
		case "date", "from", "to":
			lo, hi := val, val
			if a, b, ok := strings.Cut(val, ".."); ok && key == "date" {
				lo, hi = a, b
			}
			dl, err := plotline.ParseDate(lo)
			if err != nil || !dl.Known() {
				return nil, plotline.FieldError("q", "%s: %q is not a date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)", key, lo)
			}
			dh, err := plotline.ParseDate(hi)
			if err != nil || !dh.Known() {
				return nil, plotline.FieldError("q", "%s: %q is not a date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)", key, hi)
			}
			t.from, t.to = dl.Start, dh.End
			switch key {
			case "from":
				t.to = plotline.Day(1 << 30)
			case "to":
				t.from = plotline.Day(-1 << 30)
			}
		case "actor":
			name, nested := strings.CutSuffix(val, "+")
			id, ok := g.Resolve(name)
			if !ok {
				return nil, plotline.FieldError("q", "actor: no actor is called %q", name)
			}
			t.actor, t.nested = id, nested
		default:
			t.vals = strings.Split(strings.ToLower(val), ",")
		}
		f.terms = append(f.terms, t)
	}
	return f, nil
}

// match reports whether in (already seen as known on day) passes the filter.
func (f *filter) match(g *analysis.Graph, in *plotline.Incident, day plotline.Day) bool {
	for _, t := range f.terms {
		if t.test(g, in, day) == t.not {
			return false
		}
	}
	text := strings.ToLower(in.Title + " " + in.Summary + " " + in.ID)
	for _, w := range f.words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}

func (t *term) test(g *analysis.Graph, in *plotline.Incident, day plotline.Day) bool {
	any := func(vals ...string) bool {
		for _, v := range vals {
			if slices.Contains(t.vals, strings.ToLower(v)) {
				return true
			}
		}
		return false
	}
	switch t.field {
	case "id":
		return any(in.ID)
	case "kind":
		return any(in.Kind)
	case "outcome":
		return any(in.Outcome)
	case "stage":
		return any(in.Stage)
	case "country":
		return any(in.Location.Country)
	case "target":
		return any(in.TargetCountry)
	case "type":
		return any(in.TargetType)
	case "doc":
		return any(in.Documentation)
	case "origin":
		o := in.Origin
		if o == "" {
			o = "curated"
		}
		return any(o)
	case "tag":
		return any(in.Tags...)
	case "date", "from", "to":
		return in.Date.Overlaps(t.from, t.to)
	case "basis":
		for _, a := range in.Attributions {
			if a.StandsOn(day) && any(a.Basis) {
				return true
			}
		}
		return false
	case "actor":
		for _, a := range in.Attributions {
			if !a.StandsOn(day) {
				continue
			}
			if a.ActorID == t.actor || (t.nested && g.Under(a.ActorID, t.actor, in.Date.Start)) {
				return true
			}
		}
		return false
	}
	return false
}
