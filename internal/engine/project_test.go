package engine

import (
	"math"
	"testing"

	"github.com/plotline-dev/plotline"
)

var plotlineParseDay = plotline.ParseDay

func dayString(d int32) string { return plotline.Day(d).String() }

// negBinPMFQuantile sums the negative binomial pmf directly, as by hand.
func negBinPMFQuantile(r, p, q float64) int {
	cum := 0.0
	for k := 0; ; k++ {
		lp := math.Log(p)*r + float64(k)*math.Log(1-p)
		lg1, _ := math.Lgamma(float64(k) + r)
		lg2, _ := math.Lgamma(r)
		lg3, _ := math.Lgamma(float64(k) + 1)
		cum += math.Exp(lp + lg1 - lg2 - lg3)
		if cum >= q {
			return k
		}
	}
}

func TestProjectHandComputed(t *testing.T) {
	// H1 2024 in the PolicyWatch: 25 incidents in the 182 days of January to
	// June; project to 31 December (184 more days), Jeffreys prior, 90 %.
	// Posterior Gamma(25.5, 182): mean 25.5/182 = 0.140110 per day. Its 5 %
	// and 95 % quantiles are χ²(51) quantiles over 2·182: 35.600/364 and
	// 68.669/364 (χ² table values).
	p, err := project(25, 182, 184, Jeffreys, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	near := func(name string, got, want, tol float64) {
		if math.Abs(got-want) > tol {
			t.Errorf("%s: got %.6f, want %.6f", name, got, want)
		}
	}
	near("rate", p.RatePerDay, 25.5/182, 1e-12)
	near("rate low", p.RateLow, 35.600/364, 2e-4)
	near("rate high", p.RateHigh, 68.669/364, 2e-4)
	near("expected", p.Expected, 25+25.5/182*184, 1e-9) // 50.780
	pr := 182.0 / 366
	if lo, want := p.Low, 25+negBinPMFQuantile(25.5, pr, 0.05); lo != want {
		t.Errorf("low: got %d, want %d", lo, want)
	}
	if hi, want := p.High, 25+negBinPMFQuantile(25.5, pr, 0.95); hi != want {
		t.Errorf("high: got %d, want %d", hi, want)
	}
	// The predictive mean of the remainder is 25.8; the interval must hold it.
	if p.Low > 50 || p.High < 51 || p.Low < 25 {
		t.Errorf("interval %d..%d does not hold the expected total 50.8", p.Low, p.High)
	}
	// Nothing left to observe: the total is what was observed.
	p, err = project(7, 366, 0, Jeffreys, 0.9)
	if err != nil || p.Low != 7 || p.High != 7 || p.Expected != 7 {
		t.Errorf("complete period: got %+v, %v", p, err)
	}
	// Nothing observed yet under the Jeffreys prior: improper, an error.
	if _, err := project(0, 0, 100, Jeffreys, 0.9); err == nil {
		t.Error("no exposure and an improper prior: want an error")
	}
	// An informative prior Gamma(10, 100) with no data: rate 0.1/day, 30 days → mean 3.
	p, err = project(0, 0, 30, Prior{Shape: 10, Rate: 100}, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	near("prior only", p.Expected, 3, 1e-12)
	if want := negBinPMFQuantile(10, 100.0/130, 0.95); p.High != want {
		t.Errorf("prior-only high: got %d, want %d", p.High, want)
	}
}

func TestCivilAndIntervals(t *testing.T) {
	for _, tc := range []struct {
		day     int32
		y, m, d int32
	}{{0, 1970, 1, 1}, {-1, 1969, 12, 31}, {19751, 2024, 1, 29}, {19782, 2024, 2, 29}, {-719468, 0, 3, 1}} {
		y, m, d := civil(tc.day)
		if y != tc.y || m != tc.m || d != tc.d {
			t.Errorf("civil(%d) = %d-%d-%d, want %d-%d-%d", tc.day, y, m, d, tc.y, tc.m, tc.d)
		}
	}
	for _, tc := range []struct{ name, day, label, start string }{
		{"week", "2024-01-01", "2024-W01", "2024-01-01"}, {"week", "2021-01-03", "2020-W53", "2020-12-28"},
		{"month", "2024-02-29", "2024-02", "2024-02-01"}, {"quarter", "2024-08-15", "2024-Q3", "2024-07-01"},
		{"half", "2024-06-30", "2024-H1", "2024-01-01"}, {"year", "1997-12-31", "1997", "1997-01-01"},
	} {
		bucket, start, label := interval(tc.name)
		d, _ := parseDay(tc.day)
		b := bucket(d)
		if label(b) != tc.label || dayString(start(b)) != tc.start {
			t.Errorf("%s of %s: got %s from %s, want %s from %s", tc.name, tc.day, label(b), dayString(start(b)), tc.label, tc.start)
		}
	}
}

func parseDay(s string) (int32, error) {
	d, err := plotlineParseDay(s)
	return int32(d), err
}
