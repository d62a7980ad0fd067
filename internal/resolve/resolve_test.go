package resolve_test

import (
	"strings"
	"testing"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/dataset"
	"github.com/plotline-dev/plotline/internal/resolve"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Islamic State of Iraq and the Levant (ISIL)", "islamic state iraq levant isil"},
		{"Da'ish", "daish"},
		{"İslam Devleti – Türkiye Vilayeti", "islam devleti turkiye vilayeti"},
		{"Al-Qā'ida", "qaida"},
		{"الدولة الإسلامية", "دوله اسلاميه"},
		{"ٱلدولة ألإسلامية", "دوله اسلاميه"}, // alef wasla, hamza forms
		{"ولايةُ خُراسان", "ولايه خراسان"},   // vowel marks dropped
		{"  Boko   Haram ", "boko haram"},
	}
	for _, tt := range tests {
		if got := resolve.Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	for _, pair := range [][2]string{{"Wilayah Khorasan", "Wilayat Khurasan"}, {"Al-Farouq office", "Al-Faruq Office"}, {"Zhu al-Nurayn", "Dhu al-Nurayn"}} {
		if a, b := resolve.Fold(resolve.Normalize(pair[0])), resolve.Fold(resolve.Normalize(pair[1])); a != b {
			t.Errorf("Fold: %q → %q but %q → %q; want equal", pair[0], a, pair[1], b)
		}
	}
}

func curated(t *testing.T) []plotline.Actor {
	t.Helper()
	ds, err := dataset.Load(dataset.Files)
	if err != nil {
		t.Fatal(err)
	}
	return ds.Batch.Actors
}

func TestResolveAgainstCuratedActors(t *testing.T) {
	r := resolve.New(curated(t), nil)
	d2021 := plotline.MustDate("2021-06-01")
	tests := []struct {
		name    string
		where   resolve.Where
		want    string // actor, "" = unmatched
		suggest string
		reason  string
	}{
		{"Khorasan Chapter of the Islamic State", resolve.Where{}, "is-khorasan", "", "alias"},
		{"KHORASAN CHAPTER OF THE ISLAMIC STATE", resolve.Where{}, "is-khorasan", "", ""},
		{"Wilayah Khurasan", resolve.Where{}, "is-khorasan", "", "transliteration"},
		{"ولاية خراسان", resolve.Where{}, "is-khorasan", "", ""},
		{"Islamic State of Iraq and the Levant (ISIL)", resolve.Where{}, "is", "", ""},
		{"Islamic State (Syria)", resolve.Where{}, "is-syria", "", "name words"},
		{"Sinai Province of the Islamic State", resolve.Where{}, "is-sinai", "", ""},
		// A weak alias alone: corroborated by the incident's home country, or not at all.
		{"ISKP", resolve.Where{Country: "AFG", Date: d2021}, "is-khorasan", "", "home country AFG"},
		{"ISKP", resolve.Where{Country: "AUT", Date: d2021}, "", "is-khorasan", "not corroborated"},
		{"ISKP", resolve.Where{}, "", "is-khorasan", "not corroborated"},
		{"Islamic State in the Greater Sahara (ISGS)", resolve.Where{}, "is-sahel", "", ""},
		// A qualifier in parentheses narrows the name: never matched to the bare name's actor.
		{"Islamic State (Afghanistan)", resolve.Where{}, "", "is", "qualifier (Afghanistan)"},
		{"Left-Wing Militants", resolve.Where{}, "", "", ""},
		{"Taliban", resolve.Where{}, "", "", ""},
	}
	for _, tt := range tests {
		got := r.Resolve("test", tt.name, tt.where)
		if got.ActorID != tt.want || got.Suggestion != tt.suggest || !strings.Contains(got.Reason, tt.reason) {
			t.Errorf("Resolve(%q, %+v) = %+v; want actor %q suggestion %q reason ~%q", tt.name, tt.where.Country, got, tt.want, tt.suggest, tt.reason)
		}
	}
}

func TestDecisionsWin(t *testing.T) {
	at := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	key := resolve.Normalize("Islamic State (Afghanistan)")
	decisions := []plotline.NameDecision{
		{ID: 1, Dataset: "acled", Key: key, Verdict: plotline.VerdictUnsure, By: "bob", At: at},
		{ID: 2, Dataset: "acled", Key: key, Verdict: plotline.VerdictMatch, ActorID: "is-khorasan", By: "alice", At: at},
		{ID: 3, Dataset: "", Key: resolve.Normalize("ISKP"), Verdict: plotline.VerdictNoMatch, By: "carol", At: at},
	}
	r := resolve.New(curated(t), decisions)
	if got := r.Resolve("acled", "Islamic State (Afghanistan)", resolve.Where{}); got.ActorID != "is-khorasan" || !got.Decided || !strings.Contains(got.Reason, "alice") {
		t.Errorf("acled name = %+v; want alice's match", got)
	}
	if got := r.Resolve("gtd", "Islamic State (Afghanistan)", resolve.Where{}); got.Matched() {
		t.Errorf("a decision for acled applied to gtd: %+v", got)
	}
	// A decision for every dataset overrides even the home-country corroboration.
	if got := r.Resolve("gtd", "ISKP", resolve.Where{Country: "AFG", Date: plotline.MustDate("2021")}); got.Matched() || got.Verdict != plotline.VerdictNoMatch {
		t.Errorf("ISKP = %+v; want carol's no-match", got)
	}
}

func TestPlaceholderID(t *testing.T) {
	for _, name := range []string{"Left-Wing Militants", "جماعة", strings.Repeat("Very Long Group Name ", 20)} {
		id := resolve.PlaceholderID("gtd", resolve.Normalize(name))
		if !plotline.ValidID(id) || !strings.HasPrefix(id, "unresolved:gtd:") {
			t.Errorf("PlaceholderID(%q) = %q: not a valid ID", name, id)
		}
		if id != resolve.PlaceholderID("gtd", resolve.Normalize(name)) {
			t.Errorf("PlaceholderID(%q) is not stable", name)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestCandidates(t *testing.T) {
	inc := func(id, origin, date string, lat, lon float64, actor string, killed int) plotline.Incident {
		in := plotline.Incident{ID: id, Origin: origin, Date: plotline.MustDate(date),
			Location: plotline.Location{Country: "AFG", Lat: ptr(lat), Lon: ptr(lon)}, Killed: plotline.Range{Best: ptr(killed)}}
		if actor != "" {
			in.Attributions = []plotline.Attribution{{ActorID: actor}}
		}
		return in
	}
	affs := []plotline.Affiliation{{ChildID: "is-khorasan", ParentID: "is"}, {ChildID: "is-pakistan", ParentID: "is"}}
	list := []plotline.Incident{
		inc("gtd:1", "gtd", "2021-08-26", 34.52, 69.17, "is-khorasan", 170),
		inc("acled:afg1", "acled", "2021-08-26", 34.53, 69.18, "is", 170),        // same event: parent actor, 1.4 km
		inc("acled:afg2", "acled", "2021-08-26", 36.70, 67.11, "is-khorasan", 3), // 300 km away
		inc("acled:afg3", "acled", "2021-08-27", 34.52, 69.17, "is-khorasan", 1), // next day
		inc("acled:afg4", "acled", "2021-08-26", 34.52, 69.17, "taliban", 170),   // incompatible actor
		inc("gtd:2", "gtd", "2021-08-26", 34.52, 69.17, "is-khorasan", 170),      // same origin as gtd:1
		inc("ucdp:5", "ucdp", "2021-08-20..2021-08-31", 34.52, 69.17, "", 160),   // range, unknown actor
	}
	pairs := resolve.Candidates(list, affs, resolve.DuplicateOptions{})
	got := map[[2]string]resolve.Pair{}
	for _, p := range pairs {
		got[[2]string{p.A, p.B}] = p
	}
	if p, ok := got[[2]string{"acled:afg1", "gtd:1"}]; !ok || p.Score < 0.8 || !strings.Contains(p.Reason, "same day") || !strings.Contains(p.Reason, "one organisation") {
		t.Errorf("gtd:1/acled:afg1 = %+v (ok %v); want a strong candidate", p, ok)
	}
	for _, no := range [][2]string{{"acled:afg2", "gtd:1"}, {"acled:afg3", "gtd:1"}, {"acled:afg4", "gtd:1"}, {"gtd:1", "gtd:2"}} {
		if p, ok := got[no]; ok {
			t.Errorf("%v proposed: %+v", no, p)
		}
	}
	if p, ok := got[[2]string{"gtd:1", "ucdp:5"}]; !ok || !strings.Contains(p.Reason, "dates overlap") || !strings.Contains(p.Reason, "unknown") {
		t.Errorf("gtd:1/ucdp:5 = %+v (ok %v); want a weak candidate", p, ok)
	}
	if pairs[0].A != "acled:afg1" || pairs[0].B != "gtd:1" {
		t.Errorf("best pair %+v; want acled:afg1/gtd:1 first", pairs[0])
	}
	decided := resolve.Candidates(list, affs, resolve.DuplicateOptions{Decided: map[[2]string]bool{{"acled:afg1", "gtd:1"}: true}})
	for _, p := range decided {
		if p.A == "acled:afg1" && p.B == "gtd:1" {
			t.Error("a decided pair was proposed again")
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Islamic State (ISIL)", "ولاية خراسان", "Da'ish", "((a)", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := resolve.Normalize(s)
		if resolve.Normalize(k) != k {
			t.Fatalf("Normalize is not idempotent on %q: %q → %q", s, k, resolve.Normalize(k))
		}
		if id := resolve.PlaceholderID("x", k); !plotline.ValidID(id) {
			t.Fatalf("PlaceholderID(%q) = %q", k, id)
		}
	})
}
