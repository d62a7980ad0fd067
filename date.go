package plotline

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Day is a calendar day, counted from 1970-01-01. Days compare with < and
// index columns cheaply; the zero Day is 1970-01-01, so "no day" is kept as
// a separate flag or as an unknown Date.
type Day int32

const dayLayout = "2006-01-02"

// DayOf returns the calendar day of t in UTC.
func DayOf(t time.Time) Day {
	t = t.UTC()
	return Day(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// MakeDay returns the day y-m-d; out-of-range values normalise as time.Date does.
func MakeDay(y int, m time.Month, d int) Day {
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDay parses YYYY-MM-DD strictly.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(dayLayout, s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a day (want YYYY-MM-DD)", s)
	}
	return DayOf(t), nil
}

// Time returns midnight UTC at the start of d.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// EndTime returns the last instant of d: records made during d count as made by d.
func (d Day) EndTime() time.Time { return (d + 1).Time().Add(-time.Nanosecond) }

func (d Day) String() string { return d.Time().Format(dayLayout) }

// Year returns d's calendar year.
func (d Day) Year() int { return d.Time().Year() }

// Precision says how precisely a Date is known.
type Precision string

const (
	PrecisionUnknown Precision = ""
	PrecisionDay     Precision = "day"
	PrecisionMonth   Precision = "month"
	PrecisionQuarter Precision = "quarter"
	PrecisionYear    Precision = "year"
	PrecisionRange   Precision = "range"
)

// Date is a date known to a precision: the true day lies somewhere in
// [Start, End]. A month-precision date covers the whole month and is never
// placed on its first day. The zero Date is unknown.
type Date struct {
	Start, End Day
	Precision  Precision
}

// ParseDate parses the shapes YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY and A..B
// (two days). The empty string is the unknown date.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	if a, b, ok := strings.Cut(s, ".."); ok {
		start, err := ParseDay(a)
		if err != nil {
			return Date{}, fmt.Errorf("range start: %w", err)
		}
		end, err := ParseDay(b)
		if err != nil {
			return Date{}, fmt.Errorf("range end: %w", err)
		}
		if end < start {
			return Date{}, fmt.Errorf("range %q ends before it starts", s)
		}
		return Date{Start: start, End: end, Precision: PrecisionRange}, nil
	}
	switch {
	case len(s) == 10:
		d, err := ParseDay(s)
		if err != nil {
			return Date{}, err
		}
		return Date{Start: d, End: d, Precision: PrecisionDay}, nil
	case len(s) == 7 && s[4] == '-' && s[5] != 'Q':
		t, err := time.Parse("2006-01", s)
		if err != nil {
			return Date{}, fmt.Errorf("%q is not a month (want YYYY-MM)", s)
		}
		start := DayOf(t)
		return Date{Start: start, End: DayOf(t.AddDate(0, 1, -1)), Precision: PrecisionMonth}, nil
	case len(s) == 7 && s[4] == '-' && s[5] == 'Q':
		y, err1 := strconv.Atoi(s[:4])
		q, err2 := strconv.Atoi(s[6:])
		if err1 != nil || err2 != nil || q < 1 || q > 4 {
			return Date{}, fmt.Errorf("%q is not a quarter (want YYYY-Qn, n 1-4)", s)
		}
		m := time.Month(3*(q-1) + 1)
		return Date{Start: MakeDay(y, m, 1), End: MakeDay(y, m+3, 0), Precision: PrecisionQuarter}, nil
	case len(s) == 4:
		y, err := strconv.Atoi(s)
		if err != nil || y < 1 {
			return Date{}, fmt.Errorf("%q is not a year (want YYYY)", s)
		}
		return Date{Start: MakeDay(y, 1, 1), End: MakeDay(y, 12, 31), Precision: PrecisionYear}, nil
	}
	return Date{}, fmt.Errorf("%q is not a date (want YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY or DAY..DAY)", s)
}

// MustDate parses s and panics on error; for tests and literals.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DayDate returns the day-precision Date d.
func DayDate(d Day) Date { return Date{Start: d, End: d, Precision: PrecisionDay} }

// Known reports whether the date is known at all.
func (d Date) Known() bool { return d.Precision != PrecisionUnknown }

// String returns the date in the shape it was parsed from.
func (d Date) String() string {
	st := d.Start.Time()
	switch d.Precision {
	case PrecisionDay:
		return d.Start.String()
	case PrecisionMonth:
		return st.Format("2006-01")
	case PrecisionQuarter:
		return fmt.Sprintf("%04d-Q%d", st.Year(), (int(st.Month())-1)/3+1)
	case PrecisionYear:
		return fmt.Sprintf("%04d", st.Year())
	case PrecisionRange:
		return d.Start.String() + ".." + d.End.String()
	}
	return ""
}

// Within reports whether d certainly lies in [from, to].
func (d Date) Within(from, to Day) bool {
	return d.Known() && d.Start >= from && d.End <= to
}

// Overlaps reports whether d possibly lies in [from, to].
func (d Date) Overlaps(from, to Day) bool {
	return d.Known() && d.Start <= to && d.End >= from
}

// KnownBy reports whether the date certainly lies on or before day.
// An unknown date is never known to be by any day.
func (d Date) KnownBy(day Day) bool { return d.Known() && d.End <= day }

// MarshalJSON writes the date as its string form, null when unknown.
func (d Date) MarshalJSON() ([]byte, error) {
	if !d.Known() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads the string form.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText lets a Date be a map key or a text field.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads the string form.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
