package analysis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// Rule is a counting rule: which attribution statements count.
//
//   - Bases lists the bases that count at all.
//   - Order, when set, makes the rule "best evidence": of the counted
//     statements on an incident, only those of the highest-ranked basis
//     present count.
//   - Superseded or retracted statements never count (they no longer stand);
//     a statement counts only once it was stated, as known on the as-of day.
type Rule struct {
	Name  string   `json:"name"`
	Bases []string `json:"bases"`
	Order []string `json:"order,omitempty"`
}

// BestOrder is the default evidence ranking of the "best" rule.
var BestOrder = []string{plotline.BasisCourt, plotline.BasisGovernment, plotline.BasisAnalyst, plotline.BasisMedia, plotline.BasisClaim}

// Rules are the named counting rules.
var Rules = map[string]Rule{
	"any":      {Name: "any", Bases: plotline.Bases},
	"official": {Name: "official", Bases: []string{plotline.BasisGovernment, plotline.BasisCourt}},
	"claims":   {Name: "claims", Bases: []string{plotline.BasisClaim}},
	"best":     {Name: "best", Bases: plotline.Bases, Order: BestOrder},
}

// RuleDescriptions explain each named rule in one line, for help and reports.
var RuleDescriptions = map[string]string{
	"any":      "every standing statement counts, whatever its basis",
	"official": "only government and court statements count",
	"claims":   "only the group's own claims count",
	"best":     "only the best evidence on each incident counts: court > government > analyst > media > claim",
}

// ParseRule accepts a named rule, "bases:a,b" for a custom set of bases, or
// "best:a>b>c" for a custom evidence order.
func ParseRule(s string) (Rule, error) {
	if s == "" {
		s = "any"
	}
	if r, ok := Rules[s]; ok {
		return r, nil
	}
	check := func(list []string) error {
		for _, b := range list {
			if !slices.Contains(plotline.Bases, b) {
				return plotline.FieldError("rule", "%q is not a basis (one of %s)", b, strings.Join(plotline.Bases, ", "))
			}
		}
		return nil
	}
	if rest, ok := strings.CutPrefix(s, "bases:"); ok {
		list := strings.Split(rest, ",")
		if err := check(list); err != nil {
			return Rule{}, err
		}
		return Rule{Name: s, Bases: list}, nil
	}
	if rest, ok := strings.CutPrefix(s, "best:"); ok {
		list := strings.Split(rest, ">")
		if err := check(list); err != nil {
			return Rule{}, err
		}
		return Rule{Name: s, Bases: list, Order: list}, nil
	}
	return Rule{}, plotline.FieldError("rule", "unknown counting rule %q (any, official, claims, best, bases:a,b or best:a>b)", s)
}

// String names the rule and what it means.
func (r Rule) String() string {
	if d, ok := RuleDescriptions[r.Name]; ok {
		return fmt.Sprintf("%s (%s)", r.Name, d)
	}
	if len(r.Order) > 0 {
		return fmt.Sprintf("%s (best evidence in the order %s)", r.Name, strings.Join(r.Order, " > "))
	}
	return fmt.Sprintf("%s (statements with basis %s)", r.Name, strings.Join(r.Bases, " or "))
}

// Counted returns the statements on in that count under r as known on day.
// in must already be seen as known on day (plotline.Incident.AsKnownOn) when
// the caller wants the world clock applied to disclosure too.
func (r Rule) Counted(in *plotline.Incident, day plotline.Day) []plotline.Attribution {
	var out []plotline.Attribution
	for _, a := range in.Attributions {
		if a.StandsOn(day) && slices.Contains(r.Bases, a.Basis) {
			out = append(out, a)
		}
	}
	if len(r.Order) == 0 || len(out) == 0 {
		return out
	}
	for _, basis := range r.Order {
		var top []plotline.Attribution
		for _, a := range out {
			if a.Basis == basis {
				top = append(top, a)
			}
		}
		if len(top) > 0 {
			return top
		}
	}
	return nil
}
