// Package gen writes realistic synthetic ACLED-like events for benchmarks
// and importer tests: Zipf-skewed countries and actors, dates that grow over
// 1997–2025, real first-level subdivision names, coordinates inside each
// country's box, ACLED's event vocabulary, skewed fatalities and notes of
// about 200 characters.
//
// Output is a pure function of Config: the same seed and row count give
// the same events, byte for byte. Events stream one at a time in date order
// and memory stays constant whatever the row count (the actor and place
// tables are fixed in size).
package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
)

// Config says what to generate.
type Config struct {
	Seed uint64
	Rows int
	// FirstYear and LastYear bound the event dates (default 1997 and 2025).
	FirstYear, LastYear int
	// Violent restricts the events to political violence (battles,
	// explosions/remote violence, violence against civilians): the shape of
	// a terrorism dataset such as GTD rather than ACLED's protests and riots.
	Violent bool
}

// Event is one generated ACLED-like event.
type Event struct {
	Seq          int    // 0-based position in the stream
	ID           string // ACLED-style event_id_cnty, e.g. "AFG1234"
	Day          plotline.Day
	TimePrec     int    // ACLED time_precision 1–3
	Country      string // ISO 3166-1 alpha-3
	Admin1       string
	Location     string // town or village
	Lat, Lon     float64
	GeoPrec      int // ACLED geo_precision 1–3
	DisorderType string
	EventType    string
	SubEventType string
	Actor1       int // index into Actors
	Assoc1       int // associated actor of Actor1, -1 if none
	Actor2       int // counterpart, -1 if none
	Fatalities   int
	Notes        string

	country int // index into Generator.countries
}

// Actor is one generated actor. Country is the home country (alpha-3), ""
// for transnational groups.
type Actor struct {
	ID      string
	Name    string
	Country string
	Inter   string // ACLED actor type: "State forces", "Rebel group", …
	Kind    string // plotline actor kind
}

// Country is a generated country's share of the events.
type Country struct {
	Code   string
	Weight float64 // share of events, summing to 1
	Admin1 []string
}

// Actor roles inside a country's actor list: the generic actors come first,
// then the armed groups.
const (
	roleMilitary = iota
	rolePolice
	roleProtesters
	roleRioters
	roleCivilians
	roleUnidentified
	genericActors
)

// Generator streams events.
type Generator struct {
	cfg       Config
	rng       *rand.Rand
	countries []country
	countryW  sampler
	actors    []Actor
	global    []int // transnational armed groups, by rank
	globalW   sampler
	types     sampler
	yearCum   []float64 // cumulative event share per year
	next      int
}

type country struct {
	place
	name     string
	weight   float64
	admin1   []string // by rank (Zipf), permuted from the table by seed
	admin1W  sampler
	actors   []int // indices into Generator.actors: generic roles, then armed groups by rank
	armedW   sampler
	counter  int
	cols     int // admin1 grid over the country's box
	rows     int
	cellSide [2]float64
}

type place struct {
	code                           string
	numeric                        int
	minLat, minLon, maxLat, maxLon float64
	admin1                         []string
}

// head lists countries at the top of the Zipf ranking, in rank order: a
// plausible shape for a conflict-event dataset, not a measurement. The
// other countries follow in an order drawn from the seed.
var head = []string{"IND", "UKR", "SYR", "MEX", "PAK", "BRA", "USA", "MMR", "NGA", "IRQ", "YEM", "AFG",
	"SOM", "COD", "SDN", "PHL", "COL", "BGD", "ETH", "MLI", "BFA", "LBN", "PSE", "ISR", "TUR", "LBY",
	"CMR", "FRA", "RUS", "IRN", "KEN", "ZAF", "NER", "EGY", "MOZ", "VEN", "CAF", "SSD", "DZA", "TUN"}

const (
	countryExponent = 1.1 // Zipf exponent over countries
	actorExponent   = 1.2 // over a country's armed groups
	admin1Exponent  = 0.8
	globalExponent  = 1.0
	// ArmedGroups is how many armed groups the countries share (by weight^0.5).
	armedGroups = 3600
	// TransnationalGroups is the count of groups without a home country.
	transnationalGroups = 200
	yearGrowth          = 0.12 // events per year grow by e^0.12 ≈ 13% a year
)

// New builds a generator's tables from the seed.
func New(cfg Config) *Generator {
	if cfg.FirstYear == 0 {
		cfg.FirstYear = 1997
	}
	if cfg.LastYear == 0 {
		cfg.LastYear = 2025
	}
	g := &Generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x706c6f746c696e65))}
	g.buildCountries()
	g.buildActors()
	g.buildTypes()
	g.buildYears()
	return g
}

func (g *Generator) buildCountries() {
	byCode := map[string]place{}
	var rest []string
	for _, p := range places {
		byCode[p.code] = p
		if !slices.Contains(head, p.code) {
			rest = append(rest, p.code)
		}
	}
	g.rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	order := make([]string, 0, len(places))
	for _, c := range head {
		if _, ok := byCode[c]; ok {
			order = append(order, c)
		}
	}
	order = append(order, rest...)
	weights := zipf(len(order), countryExponent)
	g.countryW = newSampler(weights)
	for i, code := range order {
		p := byCode[code]
		name, _ := plotline.CountryName(code)
		c := country{place: p, name: name, weight: weights[i]}
		c.admin1 = slices.Clone(p.admin1)
		g.rng.Shuffle(len(c.admin1), func(i, j int) { c.admin1[i], c.admin1[j] = c.admin1[j], c.admin1[i] })
		c.admin1W = newSampler(zipf(len(c.admin1), admin1Exponent))
		// Lay the subdivisions out on a grid over the box so that each has
		// its own area and a bounding box selects whole neighbourhoods.
		c.cols = int(math.Ceil(math.Sqrt(float64(len(c.admin1)))))
		c.rows = (len(c.admin1) + c.cols - 1) / c.cols
		c.cellSide = [2]float64{(p.maxLat - p.minLat) / float64(c.rows), (p.maxLon - p.minLon) / float64(c.cols)}
		g.countries = append(g.countries, c)
	}
}

func (g *Generator) buildActors() {
	// Armed groups per country in proportion to the square root of its
	// event share: busy countries have more groups, but not linearly more.
	var sum float64
	for _, c := range g.countries {
		sum += math.Sqrt(c.weight)
	}
	n := 0
	for ci := range g.countries {
		c := &g.countries[ci]
		generic := []struct{ name, inter, kind string }{
			{"Military Forces of " + c.name, "State forces", plotline.ActorCore},
			{"Police Forces of " + c.name, "State forces", plotline.ActorCore},
			{"Protesters (" + c.name + ")", "Protesters", plotline.ActorUnaffiliated},
			{"Rioters (" + c.name + ")", "Rioters", plotline.ActorUnaffiliated},
			{"Civilians (" + c.name + ")", "Civilians", plotline.ActorUnaffiliated},
			{"Unidentified Armed Group (" + c.name + ")", "Political militia", plotline.ActorUnaffiliated},
		}
		for _, a := range generic {
			c.actors = append(c.actors, g.addActor(a.name, c.code, a.inter, a.kind))
		}
		armed := max(2, int(math.Round(armedGroups*math.Sqrt(c.weight)/sum)))
		for range armed {
			name, inter, kind := g.groupName(c)
			c.actors = append(c.actors, g.addActor(name, c.code, inter, kind))
		}
		c.armedW = newSampler(zipf(armed, actorExponent))
		n += armed
	}
	for range transnationalGroups {
		name := g.word(3) + " " + pick(g.rng, transnationalSuffixes)
		g.global = append(g.global, g.addActor(name, "", "External/Other forces", plotline.ActorNetwork))
	}
	g.globalW = newSampler(zipf(transnationalGroups, globalExponent))
}

func (g *Generator) addActor(name, country, inter, kind string) int {
	i := len(g.actors)
	g.actors = append(g.actors, Actor{ID: fmt.Sprintf("syn-actor-%05d", i+1), Name: name, Country: country, Inter: inter, Kind: kind})
	return i
}

var (
	groupSuffixes = []struct{ suffix, inter, kind string }{
		{"Liberation Front", "Rebel group", plotline.ActorCore},
		{"Revolutionary Army", "Rebel group", plotline.ActorCore},
		{"Resistance Movement", "Rebel group", plotline.ActorCore},
		{"National Movement", "Rebel group", plotline.ActorCore},
		{"Defence Brigades", "Political militia", plotline.ActorCore},
		{"People's Militia", "Political militia", plotline.ActorCore},
		{"Vigilante Committee", "Political militia", plotline.ActorCell},
		{"Communal Militia", "Identity militia", plotline.ActorNetwork},
		{"Ethnic Militia", "Identity militia", plotline.ActorNetwork},
		{"Self-Defence Group", "Identity militia", plotline.ActorCell},
	}
	transnationalSuffixes = []string{"Global Front", "Network", "International Brigade", "Transnational Movement"}
	syllables             = []string{"ka", "ra", "to", "me", "li", "sa", "no", "da", "vi", "ru", "ze", "ba",
		"ho", "ni", "ta", "lu", "mo", "ke", "sha", "dor", "an", "el", "im", "os", "ul", "gar", "tem", "bri"}
)

func (g *Generator) groupName(c *country) (name, inter, kind string) {
	s := groupSuffixes[g.rng.IntN(len(groupSuffixes))]
	return g.word(2+g.rng.IntN(2)) + " " + s.suffix + " (" + c.name + ")", s.inter, s.kind
}

// word makes a pronounceable invented word of n syllables: group and place
// names must not be real ones, so no event is pinned on a real group.
func (g *Generator) word(n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(syllables[g.rng.IntN(len(syllables))])
	}
	w := b.String()
	return strings.ToUpper(w[:1]) + w[1:]
}

// eventTypes is ACLED's event vocabulary with a plausible share of each
// sub-event type (per mille) and the disorder type it belongs to.
var eventTypes = []struct {
	disorder, event, sub string
	share                float64
}{
	{"Political violence", "Battles", "Armed clash", 150},
	{"Political violence", "Battles", "Government regains territory", 6},
	{"Political violence", "Battles", "Non-state actor overtakes territory", 6},
	{"Political violence", "Explosions/Remote violence", "Shelling/artillery/missile attack", 80},
	{"Political violence", "Explosions/Remote violence", "Air/drone strike", 45},
	{"Political violence", "Explosions/Remote violence", "Remote explosive/landmine/IED", 25},
	{"Political violence", "Explosions/Remote violence", "Suicide bomb", 3},
	{"Political violence", "Explosions/Remote violence", "Grenade", 6},
	{"Political violence", "Explosions/Remote violence", "Chemical weapon", 0.3},
	{"Political violence", "Violence against civilians", "Attack", 100},
	{"Political violence", "Violence against civilians", "Abduction/forced disappearance", 20},
	{"Political violence", "Violence against civilians", "Sexual violence", 5},
	{"Demonstrations", "Protests", "Peaceful protest", 330},
	{"Demonstrations", "Protests", "Protest with intervention", 25},
	{"Political violence; Demonstrations", "Protests", "Excessive force against protesters", 3},
	{"Demonstrations", "Riots", "Violent demonstration", 60},
	{"Political violence", "Riots", "Mob violence", 30},
	{"Strategic developments", "Strategic developments", "Arrests", 20},
	{"Strategic developments", "Strategic developments", "Looting/property destruction", 20},
	{"Strategic developments", "Strategic developments", "Change to group/activity", 15},
	{"Strategic developments", "Strategic developments", "Disrupted weapons use", 12},
	{"Strategic developments", "Strategic developments", "Agreement", 5},
	{"Strategic developments", "Strategic developments", "Headquarters or base established", 3},
	{"Strategic developments", "Strategic developments", "Non-violent transfer of territory", 3},
	{"Strategic developments", "Strategic developments", "Other", 3},
}

// EventTypes lists ACLED's event types, in the order the generator knows them.
func EventTypes() []string {
	var out []string
	for _, t := range eventTypes {
		if !slices.Contains(out, t.event) {
			out = append(out, t.event)
		}
	}
	return out
}

func (g *Generator) buildTypes() {
	w := make([]float64, len(eventTypes))
	for i, t := range eventTypes {
		if !g.cfg.Violent || t.disorder == "Political violence" && t.event != "Riots" {
			w[i] = t.share
		}
	}
	g.types = newSampler(w)
}

func (g *Generator) buildYears() {
	var sum float64
	for y := g.cfg.FirstYear; y <= g.cfg.LastYear; y++ {
		sum += math.Exp(yearGrowth * float64(y-g.cfg.FirstYear))
		g.yearCum = append(g.yearCum, sum)
	}
	for i := range g.yearCum {
		g.yearCum[i] /= sum
	}
}

// Actors returns the actor table (shared; do not modify).
func (g *Generator) Actors() []Actor { return g.actors }

// Countries returns the countries by rank with their event shares.
func (g *Generator) Countries() []Country {
	out := make([]Country, len(g.countries))
	for i, c := range g.countries {
		out[i] = Country{Code: c.code, Weight: c.weight, Admin1: c.admin1}
	}
	return out
}

// TopArmedGroup returns the most active armed group of the country at rank
// r (0 = the busiest country): a stable target for benchmark queries.
func (g *Generator) TopArmedGroup(r int) Actor {
	return g.actors[g.countries[r].actors[genericActors]]
}

// Rows is the configured row count.
func (g *Generator) Rows() int { return g.cfg.Rows }

// Next returns the next event, false when all rows have been generated.
func (g *Generator) Next() (Event, bool) {
	if g.next >= g.cfg.Rows {
		return Event{}, false
	}
	i := g.next
	g.next++
	e := Event{Seq: i, Assoc1: -1, Actor2: -1}
	e.Day = g.day(i)
	ci := g.countryW.sample(g.rng)
	c := &g.countries[ci]
	e.country = ci
	c.counter++
	e.Country = c.code
	e.ID = fmt.Sprintf("%s%d", c.code, c.counter)
	t := eventTypes[g.types.sample(g.rng)]
	e.DisorderType, e.EventType, e.SubEventType = t.disorder, t.event, t.sub
	e.TimePrec = weighted(g.rng, 85, 12, 3) + 1
	e.GeoPrec = weighted(g.rng, 70, 25, 5) + 1
	ai := c.admin1W.sample(g.rng)
	e.Admin1 = c.admin1[ai]
	e.Location = placeName(c.code, ai, g.rng.IntN(12))
	row, col := ai/c.cols, ai%c.cols
	e.Lat = round4(c.minLat + (float64(row)+g.rng.Float64())*c.cellSide[0])
	e.Lon = round4(c.minLon + (float64(col)+g.rng.Float64())*c.cellSide[1])
	g.actorsFor(&e, c)
	e.Fatalities = g.fatalities(e.EventType, e.SubEventType)
	e.Notes = g.notes(&e, c)
	return e, true
}

// day places event i of n in time: the inverse of the cumulative year
// shares at (i+0.5)/n, so events come out in date order and the count per
// year grows by yearGrowth.
func (g *Generator) day(i int) plotline.Day {
	u := (float64(i) + 0.5) / float64(g.cfg.Rows)
	y := sort.SearchFloat64s(g.yearCum, u)
	if y >= len(g.yearCum) {
		y = len(g.yearCum) - 1
	}
	lo := 0.0
	if y > 0 {
		lo = g.yearCum[y-1]
	}
	frac := (u - lo) / (g.yearCum[y] - lo)
	year := g.cfg.FirstYear + y
	first := plotline.MakeDay(year, time.January, 1)
	days := float64(plotline.MakeDay(year+1, time.January, 1) - first)
	return first + plotline.Day(min(days-1, math.Floor(frac*days)))
}

// actorsFor picks the actors by the roles the event type implies.
func (g *Generator) actorsFor(e *Event, c *country) {
	armed := func() int {
		if g.rng.IntN(10) == 0 {
			return g.global[g.globalW.sample(g.rng)]
		}
		return c.actors[genericActors+c.armedW.sample(g.rng)]
	}
	stateOrArmed := func() int {
		switch g.rng.IntN(10) {
		case 0, 1, 2:
			return c.actors[roleMilitary]
		case 3:
			return c.actors[rolePolice]
		}
		return armed()
	}
	switch e.EventType {
	case "Protests":
		e.Actor1 = c.actors[roleProtesters]
		if e.SubEventType != "Peaceful protest" {
			e.Actor2 = c.actors[rolePolice]
		}
	case "Riots":
		e.Actor1 = c.actors[roleRioters]
		if g.rng.IntN(3) == 0 {
			e.Actor1 = armed()
		}
		e.Actor2 = c.actors[[]int{roleCivilians, rolePolice}[g.rng.IntN(2)]]
	case "Battles":
		e.Actor1 = stateOrArmed()
		e.Actor2 = armed()
	case "Explosions/Remote violence":
		e.Actor1 = stateOrArmed()
		if g.rng.IntN(2) == 0 {
			e.Actor2 = c.actors[roleCivilians]
		} else {
			e.Actor2 = armed()
		}
	case "Violence against civilians":
		e.Actor1 = armed()
		if g.rng.IntN(5) == 0 {
			e.Actor1 = c.actors[roleUnidentified]
		}
		e.Actor2 = c.actors[roleCivilians]
	default: // Strategic developments
		e.Actor1 = stateOrArmed()
		if g.rng.IntN(2) == 0 {
			e.Actor2 = armed()
		}
	}
	if g.cfg.Violent && g.actors[e.Actor1].Inter == "State forces" {
		// A terrorism dataset records the non-state perpetrator: the state
		// forces become the target.
		state := e.Actor1
		e.Actor1 = armed()
		e.Actor2 = state
	}
	if e.Actor2 == e.Actor1 {
		e.Actor2 = -1
	}
	// An associated actor: a second named group acting with the first.
	if g.actors[e.Actor1].Inter != "Protesters" && g.actors[e.Actor1].Inter != "Civilians" && g.rng.IntN(4) == 0 {
		if a := armed(); a != e.Actor1 && a != e.Actor2 {
			e.Assoc1 = a
		}
	}
}

// fatalities draws a skewed count: most events kill nobody, a few kill many.
func (g *Generator) fatalities(event, sub string) int {
	var pZero, mu, sigma float64
	switch event {
	case "Battles":
		pZero, mu, sigma = 0.45, 1.0, 1.1
	case "Explosions/Remote violence":
		pZero, mu, sigma = 0.5, 0.8, 1.2
		if sub == "Suicide bomb" {
			pZero, mu = 0.15, 1.8
		}
	case "Violence against civilians":
		pZero, mu, sigma = 0.4, 0.2, 0.9
	case "Riots":
		pZero, mu, sigma = 0.93, 0, 0.7
	case "Protests":
		pZero, mu, sigma = 0.995, 0, 0.5
	default:
		return 0
	}
	if g.rng.Float64() < pZero {
		return 0
	}
	return min(1500, 1+int(math.Exp(mu+sigma*g.rng.NormFloat64())))
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// placeName invents a stable town name for slot k of a subdivision, from a
// hash so that no table of names needs to be kept.
func placeName(code string, admin1, k int) string {
	h := uint64(14695981039346656037)
	for _, b := range []byte(code) {
		h = (h ^ uint64(b)) * 1099511628211
	}
	h = (h ^ uint64(admin1)) * 1099511628211
	h = (h ^ uint64(k)) * 1099511628211
	var b strings.Builder
	for n := 2 + int(h%2); n > 0; n-- {
		h = h*6364136223846793005 + 1442695040888963407
		b.WriteString(syllables[(h>>33)%uint64(len(syllables))])
	}
	w := b.String()
	return strings.ToUpper(w[:1]) + w[1:]
}

// zipf returns n weights proportional to 1/rank^s, summing to 1.
func zipf(n int, s float64) []float64 {
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), s)
		sum += w[i]
	}
	for i := range w {
		w[i] /= sum
	}
	return w
}

// sampler draws an index with probability proportional to its weight.
type sampler struct{ cum []float64 }

func newSampler(w []float64) sampler {
	cum := make([]float64, len(w))
	var sum float64
	for i, x := range w {
		sum += x
		cum[i] = sum
	}
	for i := range cum {
		cum[i] /= sum
	}
	return sampler{cum: cum}
}

func (s sampler) sample(r *rand.Rand) int {
	i := sort.SearchFloat64s(s.cum, r.Float64())
	if i >= len(s.cum) {
		return len(s.cum) - 1
	}
	for s.cum[i] == 0 { // a draw of exactly 0 must not land on a zero-weight head
		i++
	}
	return i
}

func weighted(r *rand.Rand, w ...int) int {
	total := 0
	for _, x := range w {
		total += x
	}
	n := r.IntN(total)
	for i, x := range w {
		if n < x {
			return i
		}
		n -= x
	}
	return len(w) - 1
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }
