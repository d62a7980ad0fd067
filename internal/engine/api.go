package engine

import (
	"context"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/query"
)

// Source is what an index is built from. internal/sqlite implements it.
type Source interface {
	// LastChange returns the ID of the last applied change (0 when none).
	LastChange(ctx context.Context) (int64, error)
	// ScanIndex feeds every record current at the record instant (nil: now)
	// to l: first the organisation (actors, affiliations), then the
	// incidents and attributions, split into parts (Loader.Parts). It
	// returns the last change ID the scan saw.
	ScanIndex(ctx context.Context, recorded *time.Time, l Loader) (int64, error)
	// MatchText returns the keys (IncidentRow.Key) of the incident versions
	// whose title or summary matches every word of text. It may include
	// versions not current at the record instant: the index ignores keys it
	// does not hold.
	MatchText(ctx context.Context, text string, recorded *time.Time) ([]int64, error)
	// Incidents reads whole incidents, for reports and listings.
	Incidents(ctx context.Context, f plotline.IncidentFilter, asOf plotline.AsOf) ([]plotline.Incident, error)
}

// DeltaSource is a Source that can read only the incidents changed since a
// change. Engine.Refresh uses it, when the source has it, to refresh
// incrementally (a small index of the changed incidents over the full one);
// other sources are rebuilt in full. internal/sqlite implements it.
type DeltaSource interface {
	Source
	// ScanChanged lists, in one read of the store as it is now, every
	// incident whose own fields or attributions may differ from what they
	// were at change after (created, updated, deleted, or with an
	// attribution created, updated, deleted or moved), and feeds l those
	// of them that are current, then their current attributions, as
	// ScanIndex feeds them (same rows, same order of the attributions of an
	// incident). Incidents deleted since are listed but not fed. When more
	// than limit incidents changed, or anything else the index holds changed
	// (actors, affiliations, the markings of sources), it feeds nothing and
	// sets Rebuild.
	ScanChanged(ctx context.Context, after int64, limit int, l PartLoader) (Changed, error)
}

// Changed is what DeltaSource.ScanChanged found.
type Changed struct {
	Change  int64    // the last change the scan saw
	IDs     []string // the incidents changed after the given change, fed or deleted
	Rebuild bool     // nothing was fed: rebuild the whole index
}

// Loader receives what a Source scans.
type Loader interface {
	Organisation(actors []plotline.Actor, affiliations []plotline.Affiliation)
	// Parts returns n loaders, one per part of the scan. Each part may be
	// fed from its own goroutine, concurrently with the others; the index
	// orders rows by date, then incident ID, whatever the parts' order.
	Parts(n int) []PartLoader
}

// PartLoader receives one part: its incidents, then the attributions of
// those incidents (an attribution whose incident is not in the part is
// dropped). Incidents and attributions ordered by incident ID load fastest.
// Rows passed to it may be reused by the source after the call returns.
type PartLoader interface {
	// Grow announces how many more incidents and attributions follow (a hint).
	Grow(incidents, attributions int)
	Incident(r *IncidentRow)
	Attribution(r *AttributionRow)
}

// IncidentRow is the part of an incident the index keeps. Key identifies the
// stored version (SQLite: the incident_v rowid) and is what MatchText returns.
type IncidentRow struct {
	Key                                        int64
	ID, Kind, Outcome, Stage                   string
	Date, Disclosed                            plotline.Date
	Country, Admin1, Place, LocPrecision       string
	Lat, Lon                                   float64
	HasLatLon                                  bool
	Target, TargetType, EventType, Origin, Doc string
	Weapons, Tags, Sources                     []string
	Killed, Injured, Perpetrators, Arrests     int64 // -1: unknown
}

// AttributionRow is the part of an attribution the index keeps.
type AttributionRow struct {
	ID, IncidentID, ActorID                         string
	Basis, Link, Likelihood, Confidence, AssertedBy string
	StatedOn, SupersededOn, RetractedOn             plotline.Date
}

// Request is what every question starts from.
type Request struct {
	Query *query.Query  // nil: every incident
	AsOf  plotline.AsOf // world and record clocks
	Rule  string        // counting rule; "" = the query's rule: term, else "any"

	GroupBy []string // Count: up to three dimensions (see the package doc)
	Measure string   // Count: "count" (default), "sum:killed" or "sum:injured"
	Limit   int      // Match: page size (0: all); Count: keep the Limit largest groups
	Offset  int      // Match: rows to skip

	// Clearance is the most restrictive TLP marking the asking user may
	// see: the answer comes from the index's view for it (Index.View).
	// "" sees everything: for trusted callers only (the CLI's local user);
	// servers pass the acting user's clearance.
	Clearance string
}

// Matches is a page of matching incident IDs, ordered by date then ID.
type Matches struct {
	Total int      `json:"total"`
	IDs   []string `json:"ids"`
	// Linked gives, for a listed incident that stands for records linked as
	// one (plotline review duplicates same), the IDs of the other records,
	// counted with it and not listed.
	Linked map[string][]string `json:"linked,omitempty"`
	// Withheld counts what the clearance withheld from the whole index (not
	// from this answer: that would say what matched); nil when nothing.
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// Table is a grouped count (or sum). Rows are ordered by value, largest first,
// then by keys.
type Table struct {
	Dims    []string `json:"dims"`
	Measure string   `json:"measure"`
	Rule    string   `json:"rule"`
	Rows    []Row    `json:"rows"`
	Total   int      `json:"total"` // incidents matched, each once
	Sum     int64    `json:"sum"`   // the measure over the matched incidents, each once (= Total for count)
	// Withheld: as in Matches.
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// Row is one group.
type Row struct {
	Keys  []string `json:"keys"`
	Count int      `json:"count"` // incidents in the group
	Value int64    `json:"value"` // the measure: Count, or the sum
}

// CrossTab is a two-dimension Table laid out as a matrix.
type CrossTab struct {
	RowDim, ColDim string
	Rows, Cols     []string
	Cells          [][]int64 // Cells[r][c]
	RowTotals      []int64
	ColTotals      []int64
}

// SeriesRequest asks for a time series of the matching incidents.
type SeriesRequest struct {
	Request
	Interval string       // week, month, quarter, half, year
	From, To plotline.Day // buckets covering [From, To]; zero both: the query's date range, else the matches' extent
}

// Series counts matching incidents per bucket. Strict counts incidents whose
// date certainly lies in the bucket; Possible those whose date range
// overlaps it (a month-precision incident is possible in each of its weeks,
// strict in none). Imprecise incidents are never placed on a first day.
type Series struct {
	Interval string   `json:"interval"`
	Rule     string   `json:"rule"`
	Buckets  []Bucket `json:"buckets"`
	// Withheld: as in Matches.
	Withheld *plotline.Withheld `json:"withheld,omitempty"`
}

// Bucket is one period of a Series.
type Bucket struct {
	Label    string       `json:"label"`
	From     plotline.Day `json:"-"`
	To       plotline.Day `json:"-"`
	Start    string       `json:"from"`
	End      string       `json:"to"`
	Strict   int          `json:"strict"`
	Possible int          `json:"possible"`
}

// ChangesRequest compares two as-of points (world clock, record clock or both).
type ChangesRequest struct {
	Query     *query.Query
	Rule      string
	From, To  plotline.AsOf
	Clearance string // as in Request
}

// ChangeSet lists what differs between two as-of points among the incidents
// the query matches at either point.
type ChangeSet struct {
	NewIncidents     []string          `json:"new_incidents"`     // matched at To, not at From
	DroppedIncidents []string          `json:"dropped_incidents"` // matched at From, not at To
	NewStatements    []StatementChange `json:"new_statements"`    // standing at To, not stated at From
	Ended            []StatementChange `json:"ended_statements"`  // standing at From, superseded, retracted or deleted by To
}

// StatementChange is one attribution that appeared or stopped standing.
type StatementChange struct {
	Incident   string `json:"incident"`
	ID         string `json:"id"`
	Actor      string `json:"actor"`
	Basis      string `json:"basis"`
	AssertedBy string `json:"asserted_by"`
	How        string `json:"how"` // stated, superseded, retracted, deleted
}

// ProjectionRequest asks for a rate and a projection to a period's end.
type ProjectionRequest struct {
	Request
	From, To plotline.Day // the period
	Through  plotline.Day // observed through this day (default: AsOf.Stated, else To); clipped to [From, To]
	Level    float64      // interval probability (default 0.9)
	Prior    Prior        // default Jeffreys: shape 0.5, rate 0
	Years    int          // earlier years to compare (default 3)
	Per      string       // optional dimension: project each group separately (e.g. unit)
}

// Prior is a Gamma(Shape, Rate) prior on the daily rate of incidents.
type Prior struct {
	Shape float64 `json:"shape"`
	Rate  float64 `json:"rate"` // per day of exposure
}

// Projection is the result: see the method's documentation in project.go.
type Projection struct {
	From, To, Through string       `json:"-"`
	Period            PeriodInfo   `json:"period"`
	Method            string       `json:"method"`
	Prior             Prior        `json:"prior"`
	Level             float64      `json:"level"`
	Total             Projected    `json:"total"`
	Groups            []Projected  `json:"groups,omitempty"`
	Earlier           []PeriodInfo `json:"earlier"`
}

// PeriodInfo is a period and the incidents counted certainly inside it.
type PeriodInfo struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Days  int    `json:"days"`
	Count int    `json:"count"`
}

// Projected is one projection: observed count, posterior rate and the
// predictive distribution of the period's total.
type Projected struct {
	Key          string  `json:"key,omitempty"`
	Observed     int     `json:"observed"`      // strictly inside [From, Through]
	ObservedDays int     `json:"observed_days"` // exposure
	RemainDays   int     `json:"remaining_days"`
	RatePerDay   float64 `json:"rate_per_day"` // posterior mean
	RateLow      float64 `json:"rate_low"`     // posterior interval of the daily rate
	RateHigh     float64 `json:"rate_high"`
	Expected     float64 `json:"expected_total"` // observed + posterior mean of the rest
	Low          int     `json:"total_low"`      // predictive interval of the period total
	High         int     `json:"total_high"`
}

// Stats describes an index.
type Stats struct {
	Incidents    int           `json:"incidents"`
	Attributions int           `json:"attributions"`
	Actors       int           `json:"actors"`
	Change       int64         `json:"change"`
	BuildTime    time.Duration `json:"build_ns"`
	Recorded     *time.Time    `json:"recorded,omitempty"`
}
