package engine

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat/distuv"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/query"
)

// Jeffreys is the default prior: Gamma(shape 1/2, rate 0), the Jeffreys
// prior of a Poisson rate. It is improper but gives a proper posterior as
// soon as one day has been observed.
var Jeffreys = Prior{Shape: 0.5, Rate: 0}

// ProjectionMethod states the method in words, for reports.
const ProjectionMethod = "Incidents are modelled as a Poisson process with a constant daily rate λ over the period. " +
	"With a Gamma(a, b) prior on λ (shape a, rate b per day) and N incidents certainly inside the first t days, " +
	"the posterior is Gamma(a+N, b+t). The count M in the remaining s days is then negative binomial with " +
	"r = a+N and p = (b+t)/(b+t+s): P(M ≤ k) = I_p(r, k+1) (regularised incomplete beta). " +
	"The period total is N + M; its interval holds the central share `level` of that predictive distribution. " +
	"Incidents whose dates are too imprecise to place inside the observed days are not counted."

// Projection rates the matching incidents over [From, Through] and projects
// the total to To, with the same period of earlier years for comparison.
func (ix *Index) Projection(ctx context.Context, req ProjectionRequest) (*Projection, error) {
	return projectWith(ctx, req, ix.Count)
}

// projectWith is Projection with the counts of count: an index's or a
// snapshot's (delta_ops.go).
func projectWith(ctx context.Context, req ProjectionRequest, count func(context.Context, Request) (*Table, error)) (*Projection, error) {
	if req.To < req.From {
		return nil, plotline.FieldError("to", "%s is before from %s", req.To, req.From)
	}
	level := req.Level
	if level == 0 {
		level = 0.9
	}
	if level <= 0 || level >= 1 {
		return nil, plotline.FieldError("level", "%v is not between 0 and 1", level)
	}
	prior := req.Prior
	if prior == (Prior{}) {
		prior = Jeffreys
	}
	if prior.Shape < 0 || prior.Rate < 0 {
		return nil, plotline.FieldError("prior", "shape and rate must not be negative")
	}
	years := req.Years
	if years == 0 {
		years = 3
	}
	years = min(max(years, 0), 50)
	through := req.Through
	if through == 0 {
		through = req.To
		if req.AsOf.Stated != nil {
			through = *req.AsOf.Stated
		}
	}
	through = min(max(through, req.From-1), req.To)
	t := int(through - req.From + 1)
	rest := int(req.To - through)

	out := &Projection{Method: ProjectionMethod, Prior: prior, Level: level, Earlier: []PeriodInfo{},
		Period: PeriodInfo{From: req.From.String(), To: req.To.String(), Days: int(req.To - req.From + 1)}}
	countIn := func(from, to plotline.Day, per string) (*Table, error) {
		r := req.Request
		r.Query = withinQuery(req.Query, from, to)
		r.GroupBy = nil
		if per != "" {
			r.GroupBy = []string{per}
		}
		r.Limit = 0
		return count(ctx, r)
	}
	observed := 0
	if t > 0 {
		tab, err := countIn(req.From, through, req.Per)
		if err != nil {
			return nil, err
		}
		observed = tab.Total
		for _, row := range tab.Rows {
			if len(row.Keys) == 0 {
				continue // no per-group dimension: the total below is the answer
			}
			pr, err := project(row.Count, t, rest, prior, level)
			if err != nil {
				return nil, err
			}
			pr.Key = row.Keys[0]
			out.Groups = append(out.Groups, pr)
		}
	}
	pr, err := project(observed, t, rest, prior, level)
	if err != nil {
		return nil, err
	}
	out.Total = pr
	out.Period.Count = observed
	for k := 1; k <= years; k++ {
		from := plotline.DayOf(req.From.Time().AddDate(-k, 0, 0))
		to := plotline.DayOf(req.To.Time().AddDate(-k, 0, 0))
		tab, err := countIn(from, to, "")
		if err != nil {
			return nil, err
		}
		out.Earlier = append(out.Earlier, PeriodInfo{From: from.String(), To: to.String(), Days: int(to - from + 1), Count: tab.Total})
	}
	return out, nil
}

// withinQuery returns q with the extra term within:from..to.
func withinQuery(q *query.Query, from, to plotline.Day) *query.Query {
	out := &query.Query{}
	if q != nil {
		out.Terms = append(out.Terms, q.Terms...)
	}
	out.Terms = append(out.Terms, query.Term{Field: "within", Values: []query.Value{{Range: true, From: from.String(), To: to.String()}}})
	return out
}

// project computes the posterior rate and the predictive interval of the
// period total for n incidents in t observed days and s days to come.
func project(n, t, s int, prior Prior, level float64) (Projected, error) {
	a, b := prior.Shape+float64(n), prior.Rate+float64(t)
	p := Projected{Observed: n, ObservedDays: t, RemainDays: s}
	if a <= 0 || b <= 0 {
		return p, plotline.FieldError("prior", "the posterior is improper (shape %v, rate %v): observe at least one day and use a prior shape above 0", a, b)
	}
	post := distuv.Gamma{Alpha: a, Beta: b}
	p.RatePerDay = a / b
	p.RateLow = post.Quantile((1 - level) / 2)
	p.RateHigh = post.Quantile((1 + level) / 2)
	p.Expected = float64(n) + p.RatePerDay*float64(s)
	if s == 0 {
		p.Low, p.High = n, n
		return p, nil
	}
	pr := b / (b + float64(s))
	p.Low = n + negBinQuantile(a, pr, (1-level)/2)
	p.High = n + negBinQuantile(a, pr, (1+level)/2)
	return p, nil
}

// negBinQuantile returns the smallest k with P(M ≤ k) ≥ q for M negative
// binomial (r, p): P(M ≤ k) = I_p(r, k+1).
func negBinQuantile(r, p, q float64) int {
	cdf := func(k int) float64 { return mathext.RegIncBeta(r, float64(k)+1, p) }
	hi := 1
	for cdf(hi) < q {
		hi *= 2
		if hi > math.MaxInt32/2 {
			panic(fmt.Sprintf("negative binomial quantile out of range (r %v, p %v, q %v)", r, p, q))
		}
	}
	lo := 0
	if cdf(0) >= q {
		return 0
	}
	for hi-lo > 1 { // cdf(lo) < q ≤ cdf(hi)
		mid := (lo + hi) / 2
		if cdf(mid) >= q {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}
