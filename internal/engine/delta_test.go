package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
	"github.com/plotline-dev/plotline/internal/sqlite"
)

// deltaWorld is genBatch with restricted material: an AMBER and a RED
// source cited by some incidents and statements, and statements marked
// AMBER of their own, so that clearance views withhold rows and statements.
func deltaWorld(n int, seed uint64) *plotline.Batch {
	b := genBatch(n, seed)
	s := b.Sources[0]
	amber, red, extra := s, s, s
	amber.ID, amber.TLP = "s-amber", "amber"
	red.ID, red.TLP = "s-red", "red"
	extra.ID = "s2"
	b.Sources = append(b.Sources, amber, red, extra)
	r := rand.New(rand.NewPCG(seed, 11))
	for i := range b.Incidents {
		mark(r, &b.Incidents[i])
	}
	return b
}

// mark cites restricted sources on an incident and its statements at random.
func mark(r *rand.Rand, in *plotline.Incident) {
	switch r.IntN(8) {
	case 0:
		in.Sources = []string{"s-red"}
	case 1:
		in.Sources = []string{"s1", "s-amber"}
	case 2:
		in.Sources = []string{"s-amber"}
	}
	for j := range in.Attributions {
		a := &in.Attributions[j]
		switch r.IntN(6) {
		case 0:
			a.TLP = "amber"
		case 1:
			a.Sources = []plotline.SourceRef{{ID: "s-red"}}
		}
	}
}

// deltaStore is a SQLite store of deltaWorld and the random writes made to
// it; the test keeps the IDs of the live incidents to pick from.
type deltaStore struct {
	db   *sqlite.DB
	r    *rand.Rand
	live []string
	next int
	// recorded instants to compare past indexes with
	instants []time.Time
}

func openDeltaStore(tb testing.TB, n int, seed uint64) *deltaStore {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "delta.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	b := deltaWorld(n, seed)
	if _, err := db.Apply(ctx, b); err != nil {
		tb.Fatal(err)
	}
	s := &deltaStore{db: db, r: rand.New(rand.NewPCG(seed, 99))}
	for _, in := range b.Incidents {
		s.live = append(s.live, in.ID)
	}
	return s
}

// freshIncident draws a new incident (from genBatch's world) under a new ID.
func (s *deltaStore) freshIncident() plotline.Incident {
	s.next++
	in := genBatch(1, s.r.Uint64()).Incidents[0]
	id := fmt.Sprintf("new-%04d", s.next)
	in.ID = id
	for j := range in.Attributions {
		in.Attributions[j].ID = fmt.Sprintf("%s-a%d", id, j)
	}
	mark(s.r, &in)
	return in
}

func (s *deltaStore) pick() string { return s.live[s.r.IntN(len(s.live))] }

func (s *deltaStore) drop(id string) {
	if i := slices.Index(s.live, id); i >= 0 {
		s.live = slices.Delete(s.live, i, i+1)
	}
}

// write makes one random change (a few records at once, sometimes) and
// says what it did. Writes the store refuses are skipped.
func (s *deltaStore) write(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	b := &plotline.Batch{By: "test"}
	var did []string
	var created []string
	var deleted []string
	for range 1 + s.r.IntN(3)*s.r.IntN(2) {
		id := s.pick()
		cur, err := s.db.Incident(ctx, id, plotline.AsOf{})
		if err != nil {
			tb.Fatal(err)
		}
		switch k := s.r.IntN(20); {
		case k < 4:
			in := s.freshIncident()
			b.Incidents = append(b.Incidents, in)
			created = append(created, in.ID)
			did = append(did, "create "+in.ID)
		case k < 8:
			in := *cur
			in.Attributions = nil
			switch s.r.IntN(5) {
			case 0:
				d := in.Date.Start + plotline.Day(s.r.IntN(400)-200)
				in.Date = plotline.DayDate(d)
			case 1:
				in.Location.Country = genCountries[s.r.IntN(len(genCountries))]
				in.TargetCountry = genCountries[s.r.IntN(len(genCountries))]
			case 2:
				k := s.r.IntN(30)
				in.Killed.Best = &k
				in.Title = genWords[s.r.IntN(len(genWords))] + " attack"
			case 3:
				mark(s.r, &in)
				if s.r.IntN(2) == 0 {
					in.Sources = []string{"s2"}
				}
			default:
				in.Kind, in.Outcome = "plot", "foiled"
				in.Date = plotline.MustDate(in.Date.Start.String()[:7])
			}
			b.Incidents = append(b.Incidents, in)
			did = append(did, "update "+id)
		case k < 10:
			if s.r.IntN(3) == 0 { // the earliest or the latest: the extent moves
				list, err := s.db.Incidents(ctx, plotline.IncidentFilter{}, plotline.AsOf{})
				if err != nil {
					tb.Fatal(err)
				}
				slices.SortFunc(list, func(x, y plotline.Incident) int { return int(x.Date.End - y.Date.End) })
				id = []string{list[0].ID, list[len(list)-1].ID}[s.r.IntN(2)]
				if slices.Contains(deleted, id) {
					continue
				}
			}
			b.Deletes = append(b.Deletes, plotline.Ref{Kind: plotline.RecIncident, ID: id})
			deleted = append(deleted, id)
			did = append(did, "delete "+id)
		case k < 13:
			a := genBatch(1, s.r.Uint64()).Incidents[0].Attributions[0]
			a.ID = fmt.Sprintf("%s-x%d", id, s.r.IntN(1000))
			a.IncidentID = id
			a.StatedOn = plotline.DayDate(cur.Date.End + plotline.Day(s.r.IntN(90)))
			a.SupersededOn, a.RetractedOn = plotline.Date{}, plotline.Date{}
			b.Attributions = append(b.Attributions, a)
			did = append(did, "add statement "+a.ID)
		case k < 16 && len(cur.Attributions) > 0:
			a := cur.Attributions[s.r.IntN(len(cur.Attributions))]
			switch s.r.IntN(5) {
			case 0:
				a.Basis = plotline.Bases[s.r.IntN(len(plotline.Bases))]
			case 1:
				a.ActorID = []string{"core", "office1", "office2", "prov4", "prov8", "lone"}[s.r.IntN(6)]
			case 2:
				a.SupersededOn = plotline.DayDate(a.StatedOn.End + plotline.Day(s.r.IntN(100)))
			case 3:
				a.TLP = []string{"", "amber", "red"}[s.r.IntN(3)]
			default:
				other := s.pick() // moved to another incident
				a.IncidentID = other
			}
			b.Attributions = append(b.Attributions, a)
			did = append(did, "update statement "+a.ID)
		case k < 18 && len(cur.Attributions) > 0:
			a := cur.Attributions[s.r.IntN(len(cur.Attributions))]
			b.Deletes = append(b.Deletes, plotline.Ref{Kind: plotline.RecAttribution, ID: a.ID})
			did = append(did, "delete statement "+a.ID)
		case k < 19:
			// A draft: never current, so nothing changes for the engine.
			in := *cur
			in.Attributions = nil
			in.Location.Country = "FRA"
			if _, err := s.db.Apply(ctx, &plotline.Batch{By: "test", Draft: true, Incidents: []plotline.Incident{in}}); err != nil {
				tb.Fatal(err)
			}
			did = append(did, "draft "+id)
		default:
			// A clear source: not a marking, no rebuild.
			src := plotline.Source{ID: fmt.Sprintf("s-new-%d", s.r.IntN(1000)), Publisher: "p", Title: "t", URL: "https://example.org/",
				Published: plotline.MustDate("2021"), Kind: "news", TLP: "clear"}
			b.Sources = append(b.Sources, src)
			did = append(did, "source "+src.ID)
		}
	}
	if len(b.Incidents)+len(b.Attributions)+len(b.Deletes)+len(b.Sources) == 0 {
		return fmt.Sprint(did)
	}
	if _, err := s.db.Apply(ctx, b); err != nil {
		return fmt.Sprintf("%v refused: %v", did, err)
	}
	for _, id := range deleted {
		s.drop(id)
	}
	s.live = append(s.live, created...)
	return fmt.Sprint(did)
}

// organisationWrite changes what forces a full rebuild: an actor, an
// affiliation, or a source's marking.
func (s *deltaStore) organisationWrite(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	b := &plotline.Batch{By: "test"}
	var did string
	switch s.r.IntN(2) {
	case 0:
		a, err := s.db.Actor(ctx, "prov5", plotline.AsOf{})
		if err != nil {
			tb.Fatal(err)
		}
		a.Home = []plotline.HomeCountry{{Country: genCountries[s.r.IntN(len(genCountries))], From: plotline.MustDate("2015-01-01")}}
		b.Actors = append(b.Actors, *a)
		did = "actor prov5 home"
	default:
		src, err := s.db.Source(ctx, "s2", plotline.AsOf{})
		if err != nil {
			tb.Fatal(err)
		}
		src.TLP = []string{"clear", "amber", "green"}[s.r.IntN(3)]
		b.Sources = append(b.Sources, *src)
		did = "source s2 " + src.TLP
	}
	if _, err := s.db.Apply(ctx, b); err != nil {
		tb.Fatal(err)
	}
	return did
}

// same asks both engines the same question and fails on a difference.
func same(t *testing.T, what string, got, want func() (any, error)) {
	t.Helper()
	g, gerr := got()
	w, werr := want()
	gs, _ := json.Marshal(g)
	ws, _ := json.Marshal(w)
	if fmt.Sprint(gerr) != fmt.Sprint(werr) || string(gs) != string(ws) {
		t.Fatalf("%s:\nincremental %s (err %v)\nfull        %s (err %v)", what, trunc(gs), gerr, trunc(ws), werr)
	}
}

func trunc(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "..."
	}
	return string(b)
}

// compareEngines asks inc and a fresh full index the same random questions.
func compareEngines(t *testing.T, step string, inc *engine.Engine, s *deltaStore, r *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	full, err := engine.New(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	gs, ws := inc.Stats(), full.Stats()
	if gs.Incidents != ws.Incidents || gs.Attributions != ws.Attributions || gs.Actors != ws.Actors || gs.Change != ws.Change {
		t.Fatalf("%s: stats: incremental %+v, full %+v", step, gs, ws)
	}
	rules := []string{"any", "official", "claims", "best", "best:media>claim"}
	dims := []string{"kind", "country", "target", "year", "month", "unit", "basis", "org", "office", "precision", "origin", "event_type"}
	for _, clearance := range []string{"", "amber", "clear"} {
		for range 3 {
			text := randomQuery(r)
			q, err := query.Parse(text)
			if err != nil {
				t.Fatalf("%q: %v", text, err)
			}
			if r.IntN(4) == 0 {
				q = nil
				text = "(all)"
			}
			var ao plotline.AsOf
			if r.IntN(2) == 0 {
				S := plotline.MakeDay(2018, 1, 1) + plotline.Day(r.IntN(7*365))
				ao.Stated = &S
			}
			rule := rules[r.IntN(len(rules))]
			req := engine.Request{Query: q, AsOf: ao, Rule: rule, Clearance: clearance}
			at := fmt.Sprintf("%s: clearance %q, q %s, rule %s, as of %v", step, clearance, text, rule, ao.Stated)

			m := req
			m.Limit, m.Offset = r.IntN(12), r.IntN(40)
			same(t, at+": match "+strconv.Itoa(m.Offset)+"+"+strconv.Itoa(m.Limit),
				func() (any, error) { return inc.Match(ctx, m) }, func() (any, error) { return full.Match(ctx, m) })
			all := req
			same(t, at+": match all", func() (any, error) { return inc.Match(ctx, all) }, func() (any, error) { return full.Match(ctx, all) })

			c := req
			for range 1 + r.IntN(2) {
				c.GroupBy = append(c.GroupBy, dims[r.IntN(len(dims))])
			}
			c.Measure = []string{"", "count", "sum:killed"}[r.IntN(3)]
			c.Limit = r.IntN(3) * r.IntN(8)
			same(t, fmt.Sprintf("%s: count by %v %s limit %d", at, c.GroupBy, c.Measure, c.Limit),
				func() (any, error) { return inc.Count(ctx, c) }, func() (any, error) { return full.Count(ctx, c) })
			none := req
			same(t, at+": count", func() (any, error) { return inc.Count(ctx, none) }, func() (any, error) { return full.Count(ctx, none) })

			sr := engine.SeriesRequest{Request: req, Interval: engine.Intervals[r.IntN(len(engine.Intervals))]}
			if r.IntN(3) == 0 {
				sr.From = plotline.MakeDay(2019, 1, 1) + plotline.Day(r.IntN(700))
				sr.To = sr.From + plotline.Day(r.IntN(900))
			}
			same(t, fmt.Sprintf("%s: series %s %v..%v", at, sr.Interval, sr.From, sr.To),
				func() (any, error) { return inc.Series(ctx, sr) }, func() (any, error) { return full.Series(ctx, sr) })

			same(t, at+": disagreements", func() (any, error) { return inc.Disagreements(ctx, req) }, func() (any, error) { return full.Disagreements(ctx, req) })

			pr := engine.ProjectionRequest{Request: req, From: plotline.MakeDay(2022, 1, 1), To: plotline.MakeDay(2022, 12, 31),
				Through: plotline.MakeDay(2022, 4, 1+r.IntN(28)), Per: []string{"", "country", "unit"}[r.IntN(3)]}
			same(t, at+": projection per "+pr.Per, func() (any, error) { return inc.Projection(ctx, pr) }, func() (any, error) { return full.Projection(ctx, pr) })

			S1 := plotline.MakeDay(2018, 1, 1) + plotline.Day(r.IntN(6*365))
			S2 := S1 + plotline.Day(r.IntN(400))
			cr := engine.ChangesRequest{Query: q, Rule: rule, From: plotline.AsOf{Stated: &S1}, To: plotline.AsOf{Stated: &S2}, Clearance: clearance}
			if len(s.instants) > 0 && r.IntN(2) == 0 {
				past := s.instants[r.IntN(len(s.instants))]
				cr.From = plotline.AsOf{Recorded: &past}
				cr.To = plotline.AsOf{}
			}
			same(t, at+": changes", func() (any, error) { return inc.Changes(ctx, cr) }, func() (any, error) { return full.Changes(ctx, cr) })

			rl, err := analysis.ParseRule(rule)
			if err != nil {
				t.Fatal(err)
			}
			from := plotline.MakeDay(2018, 1, 1) + plotline.Day(r.IntN(5*365))
			p := analysis.ExternalOpsParams{From: from, To: from + plotline.Day(r.IntN(700)), Org: "core", Rule: rl,
				AsOf: plotline.MakeDay(2019, 1, 1) + plotline.Day(r.IntN(6*365))}
			if r.IntN(3) == 0 {
				p.Org, p.RelatedTo = "", "office2"
			}
			same(t, at+": report", func() (any, error) { return inc.ExternalOps(ctx, nil, clearance, p) },
				func() (any, error) { return full.ExternalOps(ctx, nil, clearance, p) })
		}
	}
}

// TestIncrementalEqualsFull makes random writes (incidents and statements
// created, updated, moved and deleted, drafts, clear sources; now and then
// an actor or a source marking, which rebuild) and after each refresh asks
// the incremental engine and a freshly built one the same questions.
// PLOTLINE_DELTA_STEPS sets the number of writes (default 40, 20 with -short).
func TestIncrementalEqualsFull(t *testing.T) {
	steps := 40
	if testing.Short() {
		steps = 20
	}
	if n, err := strconv.Atoi(os.Getenv("PLOTLINE_DELTA_STEPS")); err == nil && n > 0 {
		steps = n
	}
	ctx := context.Background()
	s := openDeltaStore(t, 600, 3)
	inc, err := engine.NewWithOptions(ctx, s.db, engine.Options{DeltaRows: 1 << 20}) // never a background build
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inc.Close)
	r := rand.New(rand.NewPCG(5, 5))
	maxLayers := 0
	for i := range steps {
		var did string
		if i%17 == 16 {
			did = s.organisationWrite(t)
		} else {
			did = s.write(t)
		}
		if r.IntN(6) == 0 {
			s.instants = append(s.instants, s.db.Now())
		}
		if r.IntN(5) == 0 { // sometimes two writes before a refresh
			did += "; " + s.write(t)
		}
		if _, err := inc.Refresh(ctx); err != nil {
			t.Fatalf("step %d (%s): refresh: %v", i, did, err)
		}
		snap, err := inc.Snapshot(ctx, plotline.AsOf{})
		if err != nil {
			t.Fatal(err)
		}
		maxLayers = max(maxLayers, snap.Layers())
		t.Logf("step %d (%s): %d layers", i, did, snap.Layers())
		compareEngines(t, fmt.Sprintf("step %d (%s, %d layers)", i, did, snap.Layers()), inc, s, r)
	}
	if maxLayers < 3 {
		t.Errorf("at most %d layers: the test did not exercise layered refreshes", maxLayers)
	}
}

// TestBackgroundRebuild: past Options.DeltaRows changed incidents, a full
// index is built in the background and swapped in; writes made meanwhile
// stay visible.
func TestBackgroundRebuild(t *testing.T) {
	ctx := context.Background()
	s := openDeltaStore(t, 300, 4)
	inc, err := engine.NewWithOptions(ctx, s.db, engine.Options{DeltaRows: 5})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inc.Close)
	r := rand.New(rand.NewPCG(6, 6))
	rebuilt := false
	for i := range 30 {
		did := s.write(t)
		if _, err := inc.Refresh(ctx); err != nil {
			t.Fatalf("step %d (%s): refresh: %v", i, did, err)
		}
		if i%3 == 2 {
			engine.WaitBackground(inc)
			snap, _ := inc.Snapshot(ctx, plotline.AsOf{})
			rebuilt = rebuilt || (snap.Layers() == 1 && snap.Change() > 1)
		}
		compareEngines(t, fmt.Sprintf("step %d (%s)", i, did), inc, s, r)
	}
	if !rebuilt {
		t.Error("no background rebuild was swapped in")
	}
}

// TestRefreshCoalesces: concurrent refreshes after one write read it once
// and all return with the write visible.
func TestRefreshCoalesces(t *testing.T) {
	ctx := context.Background()
	s := openDeltaStore(t, 200, 5)
	inc, err := engine.New(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inc.Close)
	in := s.freshIncident()
	if _, err := s.db.Apply(ctx, &plotline.Batch{By: "test", Incidents: []plotline.Incident{in}}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	did := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			changed, err := inc.Refresh(ctx)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			if changed {
				did++
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if did != 1 {
		t.Errorf("%d of 8 concurrent refreshes read the write, want 1", did)
	}
	m, err := inc.Match(ctx, engine.Request{Query: mustQuery(t, "id:"+in.ID)})
	if err != nil || m.Total != 1 {
		t.Errorf("the new incident after refresh: %+v, %v", m, err)
	}
	snap, _ := inc.Snapshot(ctx, plotline.AsOf{})
	if snap.Layers() != 2 {
		t.Errorf("%d layers after one incremental refresh, want 2", snap.Layers())
	}
}

// TestIncrementalExtent: deleting the earliest and the latest incidents
// moves the extent a series covers by default.
func TestIncrementalExtent(t *testing.T) {
	ctx := context.Background()
	s := openDeltaStore(t, 200, 7)
	early, late := s.freshIncident(), s.freshIncident()
	early.Date, late.Date = plotline.MustDate("2001-05-05"), plotline.MustDate("2030-06-06")
	for j := range late.Attributions {
		late.Attributions[j].StatedOn = late.Date
	}
	if _, err := s.db.Apply(ctx, &plotline.Batch{By: "test", Incidents: []plotline.Incident{early, late}}); err != nil {
		t.Fatal(err)
	}
	inc, err := engine.New(ctx, s.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inc.Close)
	for _, id := range []string{early.ID, late.ID} {
		if _, err := s.db.Apply(ctx, &plotline.Batch{By: "test", Deletes: []plotline.Ref{{Kind: plotline.RecIncident, ID: id}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := inc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		full, err := engine.New(ctx, s.db)
		if err != nil {
			t.Fatal(err)
		}
		for _, iv := range []string{"month", "year"} {
			sr := engine.SeriesRequest{Interval: iv}
			same(t, "series "+iv+" after deleting "+id, func() (any, error) { return inc.Series(ctx, sr) }, func() (any, error) { return full.Series(ctx, sr) })
		}
	}
}

// countingDB counts the text searches the engine asks for.
type countingDB struct {
	*sqlite.DB
	mu    sync.Mutex
	texts int
}

func (c *countingDB) MatchText(ctx context.Context, text string, recorded *time.Time) ([]int64, error) {
	c.mu.Lock()
	c.texts++
	c.mu.Unlock()
	return c.DB.MatchText(ctx, text, recorded)
}

// TestLayersShareTextSearch: a text term asks the store once, however many
// layers the snapshot has.
func TestLayersShareTextSearch(t *testing.T) {
	ctx := context.Background()
	s := openDeltaStore(t, 200, 8)
	db := &countingDB{DB: s.db}
	inc, err := engine.New(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inc.Close)
	for range 3 {
		s.write(t)
		if _, err := inc.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
	}
	snap, _ := inc.Snapshot(ctx, plotline.AsOf{})
	if snap.Layers() < 2 {
		t.Fatalf("%d layers", snap.Layers())
	}
	q := mustQuery(t, `"market"`)
	for range 2 {
		if _, err := inc.Count(ctx, engine.Request{Query: q}); err != nil {
			t.Fatal(err)
		}
	}
	if db.texts != 1 {
		t.Errorf("%d text searches for two counts over %d layers, want 1", db.texts, snap.Layers())
	}
}

// failingDB fails full scans once told to.
type failingDB struct {
	*sqlite.DB
	fail bool // set before the engine's background build starts
}

func (f *failingDB) ScanIndex(ctx context.Context, recorded *time.Time, l engine.Loader) (int64, error) {
	if f.fail {
		return 0, fmt.Errorf("disk on fire")
	}
	return f.DB.ScanIndex(ctx, recorded, l)
}

// TestBackgroundBuildFails: the layered snapshot keeps serving, the next
// refresh reports the failure and still brings the writes in.
func TestBackgroundBuildFails(t *testing.T) {
	ctx := context.Background()
	s := openDeltaStore(t, 100, 9)
	db := &failingDB{DB: s.db}
	inc, err := engine.NewWithOptions(ctx, db, engine.Options{DeltaRows: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inc.Close)
	db.fail = true
	var ids []string
	for range 2 {
		in := s.freshIncident()
		ids = append(ids, in.ID)
		if _, err := s.db.Apply(ctx, &plotline.Batch{By: "test", Incidents: []plotline.Incident{in}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := inc.Refresh(ctx); err != nil { // two incidents changed: past DeltaRows, a build starts
		t.Fatal(err)
	}
	engine.WaitBackground(inc)
	in := s.freshIncident()
	ids = append(ids, in.ID)
	if _, err := s.db.Apply(ctx, &plotline.Batch{By: "test", Incidents: []plotline.Incident{in}}); err != nil {
		t.Fatal(err)
	}
	changed, err := inc.Refresh(ctx)
	if !changed || err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("refresh after a failed background build: changed %v, err %v; want the write read and the failure reported", changed, err)
	}
	engine.WaitBackground(inc)
	m, err := inc.Match(ctx, engine.Request{Query: mustQuery(t, "id:"+strings.Join(ids, ","))})
	if err != nil || m.Total != 3 {
		t.Errorf("the written incidents: %+v, %v", m, err)
	}
}
