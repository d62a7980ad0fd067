package gen

import (
	"strconv"
	"strings"
)

// verbs says what actor 1 did, by sub-event type; %2 stands for actor 2.
var verbs = map[string]string{
	"Armed clash":                         "clashed with %2",
	"Government regains territory":        "regained control of the area from %2",
	"Non-state actor overtakes territory": "took control of the area from %2",
	"Shelling/artillery/missile attack":   "shelled positions of %2",
	"Air/drone strike":                    "carried out an air or drone strike on %2",
	"Remote explosive/landmine/IED":       "detonated an IED against %2",
	"Suicide bomb":                        "carried out a suicide bombing against %2",
	"Grenade":                             "threw a grenade at %2",
	"Chemical weapon":                     "used a chemical agent against %2",
	"Attack":                              "attacked %2",
	"Abduction/forced disappearance":      "abducted members of %2",
	"Sexual violence":                     "committed sexual violence against %2",
	"Peaceful protest":                    "demonstrated against rising prices and local officials",
	"Protest with intervention":           "demonstrated and were dispersed by %2",
	"Excessive force against protesters":  "demonstrated and were fired upon by %2",
	"Violent demonstration":               "rioted, burning tyres and blocking roads, confronting %2",
	"Mob violence":                        "formed a mob and assaulted %2",
	"Arrests":                             "arrested suspected members of %2",
	"Looting/property destruction":        "looted and burned property belonging to %2",
	"Change to group/activity":            "announced a change of leadership and activity",
	"Disrupted weapons use":               "defused explosives prepared by %2",
	"Agreement":                           "agreed a local ceasefire with %2",
	"Headquarters or base established":    "established a base in the area",
	"Non-violent transfer of territory":   "took over positions vacated by %2",
	"Other":                               "held a gathering of commanders",
}

// details are the sentences notes are padded with; a few carry words that
// text-search benchmarks look for (checkpoint, convoy, market, curfew).
var details = []string{
	"The incident took place near a checkpoint on the main road.",
	"Witnesses reported a convoy passing through shortly before.",
	"Local sources said the market stayed closed the next day.",
	"Residents fled to neighbouring villages.",
	"Security forces imposed a curfew in the district.",
	"The incident followed weeks of tension over land and water.",
	"Several vehicles and houses were damaged.",
	"Casualty reports could not be independently verified.",
	"A local official confirmed the event to the press.",
	"No group claimed responsibility.",
	"Reinforcements arrived from the provincial capital.",
	"Telephone networks were cut in the area for two days.",
	"The road to the border crossing was closed.",
	"Humanitarian agencies suspended their activities nearby.",
	"Schools in the area were closed as a precaution.",
	"Clashes continued intermittently into the night.",
}

var months = [...]string{"January", "February", "March", "April", "May", "June", "July", "August",
	"September", "October", "November", "December"}

const (
	notesMin = 180 // pad notes to at least this many bytes
	notesMax = 260
)

// notes writes an ACLED-style description of about 200 characters.
func (g *Generator) notes(e *Event, c *country) string {
	var b strings.Builder
	b.Grow(notesMax + 40)
	t := e.Day.Time()
	b.WriteString("On ")
	b.WriteString(strconv.Itoa(t.Day()))
	b.WriteByte(' ')
	b.WriteString(months[t.Month()-1])
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(t.Year()))
	b.WriteString(", ")
	b.WriteString(g.actors[e.Actor1].Name)
	if e.Assoc1 >= 0 {
		b.WriteString(" with ")
		b.WriteString(g.actors[e.Assoc1].Name)
	}
	b.WriteByte(' ')
	verb := verbs[e.SubEventType]
	a2 := "unidentified persons"
	if e.Actor2 >= 0 {
		a2 = g.actors[e.Actor2].Name
	}
	b.WriteString(strings.Replace(verb, "%2", a2, 1))
	b.WriteString(" in ")
	b.WriteString(e.Location)
	b.WriteString(" (")
	b.WriteString(e.Admin1)
	b.WriteString(", ")
	b.WriteString(c.name)
	b.WriteString("). ")
	switch e.Fatalities {
	case 0:
		b.WriteString("No fatalities reported.")
	case 1:
		b.WriteString("1 fatality.")
	default:
		b.WriteString(strconv.Itoa(e.Fatalities))
		b.WriteString(" fatalities.")
	}
	used := -1
	for b.Len() < notesMin {
		d := g.rng.IntN(len(details))
		if d == used {
			continue
		}
		used = d
		b.WriteByte(' ')
		b.WriteString(details[d])
	}
	s := b.String()
	if len(s) > notesMax {
		// Long actor names: cut at the last sentence end that fits.
		if i := strings.LastIndex(s[:notesMax], ". "); i >= notesMin/2 {
			s = s[:i+1]
		}
	}
	return s
}
