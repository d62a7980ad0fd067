package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

// params reads query parameters, collecting the first error so that a
// handler can read several and check once.
type params struct {
	q   url.Values
	err error
}

func newParams(r *http.Request, allowed ...string) *params {
	p := &params{q: r.URL.Query()}
	common := []string{"as_of", "recorded"}
	for k := range p.q {
		if !slices.Contains(allowed, k) && !slices.Contains(common, k) {
			p.fail(plotline.FieldError(k, "unknown query parameter (allowed: %s)", strings.Join(append(allowed, common...), ", ")))
		}
	}
	return p
}

func (p *params) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

func (p *params) str(name string) string { return strings.TrimSpace(p.q.Get(name)) }

// day reads an optional YYYY-MM-DD parameter.
func (p *params) day(name string) *plotline.Day {
	s := p.str(name)
	if s == "" {
		return nil
	}
	d, err := plotline.ParseDay(s)
	if err != nil {
		p.fail(plotline.FieldError(name, "%v", err))
		return nil
	}
	return &d
}

// oneOf reads an optional parameter that must be one of allowed.
func (p *params) oneOf(name string, allowed []string) string {
	s := p.str(name)
	if s != "" && !slices.Contains(allowed, s) {
		p.fail(plotline.FieldError(name, "%q is not one of %s", s, strings.Join(allowed, ", ")))
	}
	return s
}

// intIn reads an optional integer in [lo, hi], def when absent.
func (p *params) intIn(name string, def, lo, hi int) int {
	s := p.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		p.fail(plotline.FieldError(name, "%q is not a whole number from %d to %d", s, lo, hi))
		return def
	}
	return n
}

// asOf reads the two clocks: as_of (world, a day) and recorded (record
// time, a day meaning its last instant, or an RFC 3339 instant).
func (p *params) asOf() plotline.AsOf {
	var out plotline.AsOf
	out.Stated = p.day("as_of")
	if s := p.str("recorded"); s != "" {
		t, err := parseInstant(s)
		if err != nil {
			p.fail(plotline.FieldError("recorded", "%v", err))
		} else {
			out.Recorded = &t
		}
	}
	return out
}

func parseInstant(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	d, err := plotline.ParseDay(s)
	if err != nil {
		return time.Time{}, plotline.Errorf(plotline.EINVALID, "%q is neither a day (YYYY-MM-DD) nor an RFC 3339 time", s)
	}
	return d.EndTime(), nil
}

// cursor is where a list continues: the offset of the next item and the
// ID of the last item sent. When records were added or removed before that
// point in the meantime, the ID finds the place again, so no item is
// skipped or repeated.
type cursor struct {
	Offset int    `json:"o"`
	Last   string `json:"i"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c) // two plain fields always marshal
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p *params) cursor(name string) *cursor {
	s := p.str(name)
	if s == "" {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c cursor
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.Last == "" || c.Offset < 1 {
		p.fail(plotline.FieldError(name, "not a cursor this API returned"))
		return nil
	}
	return &c
}
