package query

import (
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// Type is how a field's values are read.
type Type int

const (
	TypeEnum    Type = iota // one of a fixed vocabulary
	TypeString              // any text, matched exactly
	TypeCountry             // ISO 3166-1 alpha-3 code
	TypeActor               // actor ID, name or alias; NAME+ adds every unit under it
	TypeDate                // a date or a range of dates
	TypeInt                 // a whole number or a range of them
	TypeBool                // true or false
	TypeBBox                // west,south,east,north in degrees
	TypeText                // words matched against title and summary (full-text)
	TypeRule                // a counting rule
)

// Level says what a field describes: the incident itself, one attribution
// statement on it, or the query as a whole.
type Level int

const (
	LevelIncident Level = iota
	LevelAttribution
	LevelQuery
)

// Field describes one field of the language.
type Field struct {
	Name  string
	Type  Type
	Level Level
	Enum  []string // TypeEnum: the allowed values
	Doc   string
}

var datePrecisions = []string{"day", "month", "quarter", "year", "range"}

// Fields lists every field of the language, in documentation order.
var Fields = []Field{
	{Name: "id", Type: TypeString, Doc: "incident ID"},
	{Name: "kind", Type: TypeEnum, Enum: plotline.IncidentKinds, Doc: "attack or plot"},
	{Name: "outcome", Type: TypeEnum, Enum: plotline.Outcomes, Doc: "completed, failed, foiled, abandoned, unknown"},
	{Name: "stage", Type: TypeEnum, Enum: plotline.Stages, Doc: "stage reached: planning, preparation, attempt, execution"},
	{Name: "date", Type: TypeDate, Doc: "incident date possibly inside the range (its precision overlaps it)"},
	{Name: "within", Type: TypeDate, Doc: "incident date certainly inside the range"},
	{Name: "disclosed", Type: TypeDate, Doc: "date the incident became public (the incident date when unknown), possibly inside the range"},
	{Name: "precision", Type: TypeEnum, Enum: datePrecisions, Doc: "precision of the incident date"},
	{Name: "country", Type: TypeCountry, Doc: "country where it happened (ISO alpha-3)"},
	{Name: "admin1", Type: TypeString, Doc: "first-level administrative division"},
	{Name: "place", Type: TypeString, Doc: "place name"},
	{Name: "locprec", Type: TypeEnum, Enum: plotline.LocPrecisions, Doc: "precision of the location"},
	{Name: "bbox", Type: TypeBBox, Doc: "coordinates inside west,south,east,north (degrees)"},
	{Name: "target", Type: TypeCountry, Doc: "target country (ISO alpha-3)"},
	{Name: "target_type", Type: TypeString, Doc: "target type"},
	{Name: "event_type", Type: TypeString, Doc: "an imported dataset's own event type"},
	{Name: "weapon", Type: TypeString, Doc: "a weapon used or planned"},
	{Name: "tag", Type: TypeString, Doc: "a tag"},
	{Name: "source", Type: TypeString, Doc: "a source cited by the incident"},
	{Name: "killed", Type: TypeInt, Doc: "killed, best estimate"},
	{Name: "injured", Type: TypeInt, Doc: "injured, best estimate"},
	{Name: "perpetrators", Type: TypeInt, Doc: "number of perpetrators"},
	{Name: "arrests", Type: TypeInt, Doc: "number of arrests"},
	{Name: "documentation", Type: TypeEnum, Enum: plotline.DocGrades, Doc: "how well the incident is documented"},
	{Name: "origin", Type: TypeString, Doc: "dataset an imported incident came from (curated for none)"},
	{Name: "text", Type: TypeText, Doc: "words in the title or summary (a bare word or \"phrase\" means the same)"},
	{Name: "actor", Type: TypeActor, Level: LevelAttribution, Doc: "actor named by a counted statement; ACTOR+ adds every unit under it at the incident date"},
	{Name: "basis", Type: TypeEnum, Level: LevelAttribution, Enum: plotline.Bases, Doc: "basis of a counted statement"},
	{Name: "link", Type: TypeEnum, Level: LevelAttribution, Enum: plotline.Links, Doc: "link of a counted statement: directed, guided, inspired, unknown"},
	{Name: "likelihood", Type: TypeEnum, Level: LevelAttribution, Enum: plotline.Likelihoods, Doc: "estimative likelihood of a counted statement"},
	{Name: "confidence", Type: TypeEnum, Level: LevelAttribution, Enum: plotline.Confidences, Doc: "confidence of a counted statement"},
	{Name: "by", Type: TypeString, Level: LevelAttribution, Doc: "who asserted a counted statement (exact text)"},
	{Name: "stated", Type: TypeDate, Level: LevelAttribution, Doc: "date a counted statement was made, possibly inside the range"},
	{Name: "external", Type: TypeBool, Level: LevelAttribution, Doc: "the target country lies outside the home countries of the unit a counted statement names"},
	{Name: "rule", Type: TypeRule, Level: LevelQuery, Doc: "counting rule: any, official, claims, best, bases:a+b, best:a>b>c"},
}

// Lookup returns the field called name.
func Lookup(name string) (Field, bool) {
	i := slices.IndexFunc(Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return Fields[i], true
}

// Nearest returns the field name closest to name in edit distance, or ""
// when none is close enough to be a plausible typo.
func Nearest(name string) string {
	best, bestD := "", 1<<30
	lname := strings.ToLower(name)
	for _, f := range Fields {
		d := editDistance(lname, f.Name)
		if strings.HasPrefix(f.Name, lname) && len(lname) >= 2 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = f.Name, d
		}
	}
	if bestD > max(2, len(name)/2) {
		return ""
	}
	return best
}

// editDistance is the Damerau (optimal string alignment) distance in bytes.
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
