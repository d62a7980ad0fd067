package resolve

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// DuplicateOptions tune the candidate search.
type DuplicateOptions struct {
	MaxKm    float64 // farthest two located incidents may be apart (default 25)
	MinScore float64 // drop pairs scoring below (0..1)
	// MaxSpanDays leaves out incidents dated less precisely than this many
	// days (default 31): a year-precision date overlaps everything.
	MaxSpanDays int
	// Decided pairs (A < B) are not proposed again.
	Decided map[[2]string]bool
}

// Pair is a duplicate candidate: two incidents from different sources
// that may be one event. It is a proposal; nothing is merged.
type Pair struct {
	A, B   string
	Score  float64
	Reason string
}

// Candidates returns candidate pairs, best first. Two incidents are
// candidates when they come from different origins, their dates overlap
// (same day within the precision of both), they lie within MaxKm of each
// other (or, without coordinates, in the same country), and their actors
// are compatible: the same, one a unit of the other, units of a common
// parent, or unknown on one side.
func Candidates(incidents []plotline.Incident, affs []plotline.Affiliation, opt DuplicateOptions) []Pair {
	if opt.MaxKm <= 0 {
		opt.MaxKm = 25
	}
	if opt.MaxSpanDays <= 0 {
		opt.MaxSpanDays = 31
	}
	anc := ancestors(affs)
	list := make([]*plotline.Incident, 0, len(incidents))
	for i := range incidents {
		in := &incidents[i]
		if in.Date.Known() && int(in.Date.End-in.Date.Start) < opt.MaxSpanDays {
			list = append(list, in)
		}
	}
	slices.SortFunc(list, func(a, b *plotline.Incident) int { return int(a.Date.Start - b.Date.Start) })
	var out []Pair
	for i, a := range list {
		for _, b := range list[i+1:] {
			if b.Date.Start > a.Date.End {
				break
			}
			if a.Origin == b.Origin || b.Date.End < a.Date.Start {
				continue
			}
			p, ok := score(a, b, anc, opt.MaxKm)
			if !ok || p.Score < opt.MinScore || opt.Decided[[2]string{p.A, p.B}] {
				continue
			}
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(x, y Pair) int {
		if x.Score != y.Score {
			if x.Score > y.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(x.A+x.B, y.A+y.B)
	})
	return out
}

func score(a, b *plotline.Incident, anc map[string][]string, maxKm float64) (Pair, bool) {
	var why []string
	s := 0.0
	if a.Date.Precision == plotline.PrecisionDay && b.Date.Precision == plotline.PrecisionDay {
		s += 0.35
		why = append(why, "same day "+a.Date.String())
	} else {
		s += 0.15
		why = append(why, fmt.Sprintf("dates overlap (%s, %s)", a.Date, b.Date))
	}
	la, lb := a.Location, b.Location
	switch {
	case la.Lat != nil && lb.Lat != nil:
		d := Haversine(*la.Lat, *la.Lon, *lb.Lat, *lb.Lon)
		if d > maxKm {
			return Pair{}, false
		}
		s += 0.3 * (1 - d/maxKm)
		why = append(why, fmt.Sprintf("%.1f km apart", d))
	case la.Country != lb.Country:
		return Pair{}, false
	case la.Place != "" && Normalize(la.Place) == Normalize(lb.Place):
		s += 0.2
		why = append(why, "same place "+la.Place)
	case la.Admin1 != "" && Normalize(la.Admin1) == Normalize(lb.Admin1):
		s += 0.1
		why = append(why, "same admin1 "+la.Admin1)
	default:
		s += 0.02
		why = append(why, "same country "+la.Country+", no coordinates")
	}
	as, bs := actorsOf(a), actorsOf(b)
	switch rel, x, y := relate(as, bs, anc); rel {
	case "same":
		s += 0.25
		why = append(why, "same actor "+x)
	case "unit":
		s += 0.18
		why = append(why, fmt.Sprintf("actors %s and %s are in one organisation", x, y))
	case "unknown":
		s += 0.08
		why = append(why, "actor unknown on one side")
	default:
		return Pair{}, false
	}
	if ka, kb := a.Killed.Best, b.Killed.Best; ka != nil && kb != nil {
		switch diff := math.Abs(float64(*ka - *kb)); {
		case diff == 0:
			s += 0.1
			why = append(why, fmt.Sprintf("killed %d both", *ka))
		case diff <= 1 || diff <= 0.2*math.Max(float64(*ka), float64(*kb)):
			s += 0.05
			why = append(why, fmt.Sprintf("killed %d vs %d", *ka, *kb))
		}
	}
	p := Pair{A: a.ID, B: b.ID, Score: math.Round(s*100) / 100, Reason: strings.Join(why, "; ")}
	if p.A > p.B {
		p.A, p.B = p.B, p.A
	}
	return p, true
}

func actorsOf(in *plotline.Incident) []string {
	var out []string
	for _, a := range in.Attributions {
		if !slices.Contains(out, a.ActorID) {
			out = append(out, a.ActorID)
		}
	}
	return out
}

// relate says how two actor sets relate: "same", "unit" (one is an
// ancestor of the other or they share a parent), "unknown" (a side names
// nobody) or "" (incompatible).
func relate(as, bs []string, anc map[string][]string) (string, string, string) {
	if len(as) == 0 || len(bs) == 0 {
		return "unknown", "", ""
	}
	for _, x := range as {
		if slices.Contains(bs, x) {
			return "same", x, x
		}
	}
	for _, x := range as {
		for _, y := range bs {
			if strings.HasPrefix(x, PlaceholderPrefix) || strings.HasPrefix(y, PlaceholderPrefix) {
				continue
			}
			ax, ay := append([]string{x}, anc[x]...), append([]string{y}, anc[y]...)
			for _, z := range ax {
				if slices.Contains(ay, z) {
					return "unit", x, y
				}
			}
		}
	}
	return "", "", ""
}

// ancestors maps every actor to all actors above it in the organisation
// graph, whatever the dates: an attribution to a unit and one to its parent
// are compatible.
func ancestors(affs []plotline.Affiliation) map[string][]string {
	parents := map[string][]string{}
	for _, f := range affs {
		parents[f.ChildID] = append(parents[f.ChildID], f.ParentID)
	}
	out := map[string][]string{}
	for child := range parents {
		seen := map[string]bool{child: true}
		stack := append([]string(nil), parents[child]...)
		for len(stack) > 0 {
			p := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[p] {
				continue
			}
			seen[p] = true
			out[child] = append(out[child], p)
			stack = append(stack, parents[p]...)
		}
	}
	return out
}

// Haversine returns the great-circle distance in km.
func Haversine(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}
