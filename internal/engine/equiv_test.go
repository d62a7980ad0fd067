package engine_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
)

var (
	genCountries = []string{"IRQ", "SYR", "AFG", "PAK", "DEU", "FRA", "TUR", "NGA"}
	genWords     = []string{"market", "convoy", "church", "checkpoint", "bridge", "school", "mosque", "police", "border", "festival"}
	genEvents    = []string{"Battles", "Explosions/Remote violence", "Violence against civilians", "Riots"}
)

// genBatch writes a small, deterministic world: a core with three offices,
// twelve provinces (some moved between offices on a day), and n incidents
// with one or two statements each. Dates of affiliations are day-precision
// so that the SQL evaluation can read them with julianday().
func genBatch(n int, seed uint64) *plotline.Batch {
	r := rand.New(rand.NewPCG(seed, 7))
	src := []string{"s1"}
	b := &plotline.Batch{By: "gen", Sources: []plotline.Source{{ID: "s1", Publisher: "p", Title: "t", URL: "https://example.org/", Published: plotline.MustDate("2020"), Kind: "news", TLP: "clear"}}}
	b.Actors = append(b.Actors, plotline.Actor{ID: "core", Name: "Core", Kind: "core", Home: []plotline.HomeCountry{{Country: "IRQ"}, {Country: "SYR"}}, Sources: src})
	for o := 1; o <= 3; o++ {
		id := fmt.Sprintf("office%d", o)
		b.Actors = append(b.Actors, plotline.Actor{ID: id, Name: "Office " + id, Kind: "office", Sources: src})
		b.Affiliations = append(b.Affiliations, plotline.Affiliation{ID: "a-" + id, ChildID: id, ParentID: "core", Sources: src})
	}
	for p := 1; p <= 12; p++ {
		id := fmt.Sprintf("prov%d", p)
		home := genCountries[p%len(genCountries)]
		b.Actors = append(b.Actors, plotline.Actor{ID: id, Name: "Province " + id, Kind: "province", Sources: src,
			Home: []plotline.HomeCountry{{Country: home, From: plotline.MustDate("2015-01-01")}}})
		first := fmt.Sprintf("office%d", 1+p%3)
		if p%4 == 0 { // moved to another office on 2021-06-15
			b.Affiliations = append(b.Affiliations,
				plotline.Affiliation{ID: "a1-" + id, ChildID: id, ParentID: first, From: plotline.MustDate("2016-01-01"), To: plotline.MustDate("2021-06-14"), Sources: src},
				plotline.Affiliation{ID: "a2-" + id, ChildID: id, ParentID: fmt.Sprintf("office%d", 1+(p+1)%3), From: plotline.MustDate("2021-06-15"), Sources: src})
		} else {
			b.Affiliations = append(b.Affiliations, plotline.Affiliation{ID: "a1-" + id, ChildID: id, ParentID: first, Sources: src})
		}
	}
	b.Actors = append(b.Actors, plotline.Actor{ID: "lone", Name: "Lone actor", Kind: "unaffiliated", Sources: src})
	actors := make([]string, len(b.Actors))
	for i, a := range b.Actors {
		actors[i] = a.ID
	}
	start := plotline.MakeDay(2018, 1, 1)
	for i := range n {
		d := start + plotline.Day(r.IntN(6*365))
		date := plotline.DayDate(d)
		switch r.IntN(10) {
		case 0:
			date = plotline.MustDate(d.String()[:7])
		case 1:
			date = plotline.MustDate(d.String()[:4])
		}
		kind, outcome := "attack", []string{"completed", "failed"}[r.IntN(2)]
		if r.IntN(3) == 0 {
			kind, outcome = "plot", []string{"foiled", "abandoned", "unknown"}[r.IntN(3)]
		}
		country := genCountries[min(r.IntN(len(genCountries)), r.IntN(len(genCountries)))]
		in := plotline.Incident{ID: fmt.Sprintf("inc-%05d", i), Kind: kind, Outcome: outcome, Date: date,
			Title:    genWords[r.IntN(len(genWords))] + " incident",
			Summary:  strings.Join([]string{genWords[r.IntN(len(genWords))], genWords[r.IntN(len(genWords))], "reported"}, " "),
			Location: plotline.Location{Country: country, Admin1: fmt.Sprintf("Region %d", r.IntN(5))}, TargetCountry: country,
			EventType: genEvents[r.IntN(len(genEvents))], Sources: src}
		if r.IntN(5) == 0 {
			in.TargetCountry = genCountries[r.IntN(len(genCountries))]
		}
		if r.IntN(4) > 0 {
			in.Killed.Best = ip(r.IntN(20))
		}
		if r.IntN(5) > 0 {
			lat, lon := float64(r.IntN(700000))/10000-10, float64(r.IntN(1000000))/10000-20
			in.Location.Lat, in.Location.Lon = &lat, &lon
		}
		if r.IntN(6) == 0 {
			in.Disclosed = plotline.DayDate(date.End + plotline.Day(r.IntN(90)))
		}
		for j := range 1 + r.IntN(2) {
			a := plotline.Attribution{ID: fmt.Sprintf("%s-a%d", in.ID, j), ActorID: actors[r.IntN(len(actors))],
				Basis: plotline.Bases[r.IntN(len(plotline.Bases))], AssertedBy: fmt.Sprintf("speaker %d", r.IntN(4)),
				StatedOn: plotline.DayDate(date.End + plotline.Day(r.IntN(60))), Link: "unknown", Sources: []plotline.SourceRef{{ID: "s1"}}}
			switch r.IntN(8) {
			case 0:
				a.SupersededOn = plotline.DayDate(a.StatedOn.End + plotline.Day(r.IntN(200)))
			case 1:
				a.RetractedOn = plotline.DayDate(a.StatedOn.End + plotline.Day(r.IntN(200)))
			}
			in.Attributions = append(in.Attributions, a)
		}
		b.Incidents = append(b.Incidents, in)
	}
	return b
}

// randomQuery draws a query over the generated world.
func randomQuery(r *rand.Rand) string {
	pick := func(list []string, k int) string {
		var out []string
		for range k {
			out = append(out, list[r.IntN(len(list))])
		}
		return strings.Join(out, ",")
	}
	date := func() string {
		lo := plotline.MakeDay(2018, 1, 1) + plotline.Day(r.IntN(6*365))
		hi := lo + plotline.Day(r.IntN(700))
		switch r.IntN(3) {
		case 0:
			return lo.String()[:7] + ".." + hi.String()[:7]
		case 1:
			return lo.String()[:4]
		}
		return lo.String() + ".." + hi.String()
	}
	terms := []func() string{
		func() string { return "kind:" + pick([]string{"attack", "plot"}, 1) },
		func() string { return "outcome:" + pick(plotline.Outcomes, 1+r.IntN(2)) },
		func() string { return "country:" + pick(genCountries, 1+r.IntN(3)) },
		func() string { return "target:" + pick(genCountries, 1+r.IntN(2)) },
		func() string { return "event_type:" + `"` + pick(genEvents, 1) + `"` },
		func() string { return "admin1:" + `"` + fmt.Sprintf("Region %d", r.IntN(5)) + `"` },
		func() string { return "date:" + date() },
		func() string { return "within:" + date() },
		func() string { return fmt.Sprintf("killed:%d..%d", r.IntN(5), 5+r.IntN(15)) },
		func() string {
			w, s := -10+r.IntN(50), -10+r.IntN(40)
			return fmt.Sprintf("bbox:%d.5,%d,%d,%d.5", w, s, w+5+r.IntN(40), s+5+r.IntN(30))
		},
		func() string { return `"` + genWords[r.IntN(len(genWords))] + `"` },
		func() string {
			return "actor:" + pick([]string{"core", "office1", "office2", "office3", "prov4", "prov5", "prov8", "lone"}, 1) + []string{"", "+"}[r.IntN(2)]
		},
		func() string { return "basis:" + pick(plotline.Bases, 1+r.IntN(2)) },
		func() string { return "external:" + pick([]string{"true", "false"}, 1) },
		func() string { return "by:" + `"` + fmt.Sprintf("speaker %d", r.IntN(4)) + `"` },
		func() string { return "stated:" + date() },
	}
	var parts []string
	for range 1 + r.IntN(3) {
		t := terms[r.IntN(len(terms))]()
		if r.IntN(5) == 0 {
			t = "-" + t
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func inList(vals []query.Value) string {
	var out []string
	for _, v := range vals {
		out = append(out, lit(v.Eq))
	}
	return "(" + strings.Join(out, ", ") + ")"
}

const big = "1000000000"

// buildSQL returns the statement listing the IDs matching q under the rule as known on S.
func buildSQL(tb testing.TB, g *analysis.Graph, q *query.Query, rule analysis.Rule, S plotline.Day) string {
	rank := "CASE a.basis"
	for i, b := range rule.Order {
		rank += fmt.Sprintf(" WHEN %s THEN %d", lit(b), i)
	}
	rank += " ELSE 99 END"
	bases := make([]query.Value, len(rule.Bases))
	for i, b := range rule.Bases {
		bases[i] = query.Value{Eq: b}
	}
	standing := fmt.Sprintf(`a.stated_end <= %d AND coalesce(a.superseded_end, %s) > %d AND coalesce(a.retracted_end, %s) > %d AND a.basis IN %s`,
		S, big, S, big, S, inList(bases))
	counted := `SELECT a.* FROM att a WHERE ` + standing
	if len(rule.Order) > 0 {
		counted += ` AND ` + rank + ` = (SELECT min(` + strings.ReplaceAll(rank, "a.", "b.") + `) FROM att b WHERE b.incident_id = a.incident_id AND ` + strings.ReplaceAll(standing, "a.", "b.") + `)`
	}
	var where, attrPos []string
	where = append(where, fmt.Sprintf(`i.pub_end <= %d`, S))
	for _, t := range q.Terms {
		f, _ := query.Lookup(t.Field)
		var alts []string
		for _, v := range t.Values {
			switch f.Name {
			case "kind", "outcome":
				alts = append(alts, fmt.Sprintf(`json_extract(i.data, '$.%s') = %s`, f.Name, lit(v.Eq)))
			case "country":
				alts = append(alts, `json_extract(i.data, '$.location.country') = `+lit(v.Eq))
			case "admin1":
				alts = append(alts, `json_extract(i.data, '$.location.admin1') = `+lit(v.Eq))
			case "target":
				alts = append(alts, `json_extract(i.data, '$.target_country') = `+lit(v.Eq))
			case "event_type":
				alts = append(alts, `json_extract(i.data, '$.event_type') = `+lit(v.Eq))
			case "date", "within", "stated":
				lo, hi, _ := query.DateBounds(v)
				switch f.Name {
				case "date":
					alts = append(alts, fmt.Sprintf(`(i.date_start <= %d AND i.date_end >= %d)`, hi, lo))
				case "within":
					alts = append(alts, fmt.Sprintf(`(i.date_start >= %d AND i.date_end <= %d)`, lo, hi))
				default:
					alts = append(alts, fmt.Sprintf(`(a.stated_start <= %d AND a.stated_end >= %d)`, hi, lo))
				}
			case "killed":
				lo, hi, _ := query.IntBounds(v)
				alts = append(alts, fmt.Sprintf(`json_extract(i.data, '$.killed.best') BETWEEN %d AND %d`, lo, hi))
			case "text":
				alts = append(alts, `i.k IN (SELECT rowid FROM incident_fts WHERE incident_fts MATCH `+lit(`"`+v.Eq+`"`)+`)`)
			case "actor":
				id, ok := g.Resolve(v.Eq)
				if !ok {
					tb.Fatalf("actor %q", v.Eq)
				}
				if v.Subtree {
					alts = append(alts, `EXISTS (SELECT 1 FROM anc x WHERE x.child = a.actor_id AND x.ancestor = `+lit(id)+` AND i.date_start BETWEEN x.lo AND x.hi)`)
				} else {
					alts = append(alts, `a.actor_id = `+lit(id))
				}
			case "basis":
				alts = append(alts, `a.basis = `+lit(v.Eq))
			case "by":
				alts = append(alts, `json_extract(a.data, '$.asserted_by') = `+lit(v.Eq))
			case "external":
				// The nearest ancestor (on the incident day) with home
				// countries decides; none: external.
				ext := `coalesce((SELECT NOT EXISTS (SELECT 1 FROM home h WHERE h.actor = x.ancestor AND h.country = json_extract(i.data, '$.target_country')
					AND i.date_start BETWEEN h.lo AND h.hi)
					FROM anc x WHERE x.child = a.actor_id AND i.date_start BETWEEN x.lo AND x.hi AND x.ancestor IN (SELECT actor FROM home)
					ORDER BY x.depth LIMIT 1), 1)`
				if v.Eq == "false" {
					ext = "NOT " + ext
				}
				alts = append(alts, ext)
			}
		}
		if t.Field == "bbox" {
			w, s, e, n := query.BBox(&t)
			alts = []string{fmt.Sprintf(`(json_extract(i.data, '$.location.lat') BETWEEN %v AND %v AND json_extract(i.data, '$.location.lon') BETWEEN %v AND %v)`, s, n, w, e)}
		}
		if t.Field == "rule" {
			continue
		}
		cond := "coalesce(" + strings.Join(alts, " OR ") + ", 0)"
		if f.Level == query.LevelAttribution {
			if t.Not {
				where = append(where, `NOT EXISTS (SELECT 1 FROM cnt a WHERE a.incident_id = i.id AND `+cond+`)`)
			} else {
				attrPos = append(attrPos, cond)
			}
			continue
		}
		if t.Not {
			cond = "NOT " + cond
		}
		where = append(where, cond)
	}
	if len(attrPos) > 0 {
		where = append(where, `EXISTS (SELECT 1 FROM cnt a WHERE a.incident_id = i.id AND `+strings.Join(attrPos, " AND ")+`)`)
	}
	day := `(julianday(%s) - 2440587.5)`
	return `WITH RECURSIVE
	inc AS (SELECT v.rowid AS k, v.* FROM incident_v v WHERE v.rec_to IS NULL AND v.deleted = 0),
	att AS (SELECT v.* FROM attribution_v v WHERE v.rec_to IS NULL AND v.deleted = 0),
	cnt AS (` + counted + `),
	anc(child, ancestor, lo, hi, depth) AS (
		SELECT id, id, -` + big + `, ` + big + `, 0 FROM actor_v WHERE rec_to IS NULL AND deleted = 0
		UNION
		SELECT anc.child, f.parent_id,
			max(anc.lo, coalesce(` + fmt.Sprintf(day, `json_extract(f.data, '$.from')`) + `, -` + big + `)),
			min(anc.hi, coalesce(` + fmt.Sprintf(day, `json_extract(f.data, '$.to')`) + `, ` + big + `)), anc.depth + 1
		FROM anc JOIN affiliation_v f ON f.child_id = anc.ancestor AND f.rec_to IS NULL AND f.deleted = 0
		WHERE max(anc.lo, coalesce(` + fmt.Sprintf(day, `json_extract(f.data, '$.from')`) + `, -` + big + `))
			<= min(anc.hi, coalesce(` + fmt.Sprintf(day, `json_extract(f.data, '$.to')`) + `, ` + big + `))),
	home(actor, country, lo, hi) AS (
		SELECT v.id, json_extract(h.value, '$.country'),
			coalesce(` + fmt.Sprintf(day, `json_extract(h.value, '$.from')`) + `, -` + big + `),
			coalesce(` + fmt.Sprintf(day, `json_extract(h.value, '$.to')`) + `, ` + big + `)
		FROM actor_v v, json_each(v.data, '$.home') h WHERE v.rec_to IS NULL AND v.deleted = 0)
	SELECT i.id FROM inc i WHERE ` + strings.Join(where, " AND ") + ` ORDER BY i.date_start, i.id`
}

func TestEngineEqualsSQL(t *testing.T) {
	ctx := context.Background()
	db, eng := openFixture(t, genBatch(1200, 1))
	ix, err := eng.Index(ctx, plotline.AsOf{})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(42, 42))
	rules := []string{"any", "official", "claims", "best", "best:media>claim"}
	nonEmpty := 0
	for i := range 200 {
		text := randomQuery(r)
		q, err := query.Parse(text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		ruleName := rules[r.IntN(len(rules))]
		rule, _ := analysis.ParseRule(ruleName)
		S := plotline.MakeDay(2018, 1, 1) + plotline.Day(r.IntN(7*365))
		m, err := eng.Match(ctx, engine.Request{Query: q, Rule: ruleName, AsOf: plotline.AsOf{Stated: &S}})
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		stmt := buildSQL(t, ix.Graph(), q, rule, S)
		rows, err := db.ReadDB().QueryContext(ctx, stmt)
		if err != nil {
			t.Fatalf("%q: %v\n%s", text, err, stmt)
		}
		want := []string{}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			want = append(want, id)
		}
		rows.Close()
		if len(want) > 0 {
			nonEmpty++
		}
		if !reflect.DeepEqual(m.IDs, want) {
			extra, missing := diff(m.IDs, want), diff(want, m.IDs)
			t.Errorf("query %d %q rule %s as of %s: engine %d, SQL %d; engine only %v; SQL only %v", i, text, ruleName, S, len(m.IDs), len(want), head(extra), head(missing))
		}
		// A count over the same query agrees with the listing.
		tab, err := eng.Count(ctx, engine.Request{Query: q, Rule: ruleName, AsOf: plotline.AsOf{Stated: &S}, GroupBy: []string{"kind"}})
		if err != nil {
			t.Fatal(err)
		}
		if tab.Total != len(want) {
			t.Errorf("query %q: count %d, listing %d", text, tab.Total, len(want))
		}
	}
	if nonEmpty < 60 {
		t.Errorf("only %d of 200 random queries matched anything; the test is too weak", nonEmpty)
	}
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

func head(s []string) []string { return s[:min(len(s), 5)] }
