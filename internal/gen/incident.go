package gen

import (
	"fmt"

	"github.com/plotline-dev/plotline"
)

// Origin is the Origin of every generated incident.
const Origin = "synthetic"

// SourceID is the ID of the one source every generated record cites.
const SourceID = "synthetic-generator"

// Source describes the generator: every record needs a source, and this one
// says plainly that the events are invented.
func Source() plotline.Source {
	return plotline.Source{
		ID:        SourceID,
		Publisher: "Plotline",
		Title:     "Synthetic ACLED-like events from plotline gen (invented data for benchmarks, not real events)",
		URL:       "https://github.com/plotline-dev/plotline/tree/main/internal/gen",
		Language:  "en",
		Kind:      "research",
		TLP:       "clear",
	}
}

// PlotlineActor returns the actor as a plotline record.
func (a Actor) PlotlineActor() plotline.Actor {
	out := plotline.Actor{ID: a.ID, Name: a.Name, Kind: a.Kind, Sources: []string{SourceID},
		Note: "synthetic (" + a.Inter + ")"}
	if a.Country != "" {
		out.Home = []plotline.HomeCountry{{Country: a.Country}}
	}
	return out
}

// PlotlineActors returns every actor as plotline records.
func (g *Generator) PlotlineActors() []plotline.Actor {
	out := make([]plotline.Actor, len(g.actors))
	for i, a := range g.actors {
		out[i] = a.PlotlineActor()
	}
	return out
}

// IncidentID is the plotline ID of the event at position seq. IDs follow
// the stream's order so that a store's B-trees grow at their right edge:
// random keys made a 2.5 M-row load several times slower.
func IncidentID(seq int) string { return fmt.Sprintf("syn-%08d", seq+1) }

// Incident returns the event as a plotline incident with one attribution
// (basis media) to actor 1 and a second to the associated actor, if any.
func (g *Generator) Incident(e *Event) plotline.Incident {
	kind, outcome := plotline.KindAttack, "completed"
	switch e.SubEventType {
	case "Arrests", "Disrupted weapons use":
		kind, outcome = plotline.KindPlot, "foiled"
	}
	prec := "place"
	if e.GeoPrec == 3 {
		prec = "admin1"
	}
	lat, lon := e.Lat, e.Lon
	killed := e.Fatalities
	day := plotline.DayDate(e.Day)
	in := plotline.Incident{
		ID:            IncidentID(e.Seq),
		Title:         e.SubEventType + " in " + e.Location + ", " + e.Admin1,
		Kind:          kind,
		Outcome:       outcome,
		Stage:         "execution",
		Date:          day,
		Location:      plotline.Location{Country: e.Country, Admin1: e.Admin1, Place: e.Location, Lat: &lat, Lon: &lon, Precision: prec},
		TargetCountry: e.Country,
		EventType:     e.EventType,
		Killed:        plotline.Range{Best: &killed},
		Summary:       e.Notes,
		Tags:          []string{e.SubEventType},
		Sources:       []string{SourceID},
		Origin:        Origin,
		OriginID:      e.ID,
	}
	if kind == plotline.KindPlot {
		in.Stage = "preparation"
	}
	for i, a := range []int{e.Actor1, e.Assoc1} {
		if a < 0 {
			continue
		}
		in.Attributions = append(in.Attributions, plotline.Attribution{
			ID:         in.ID + "#a" + string(rune('1'+i)),
			IncidentID: in.ID,
			ActorID:    g.actors[a].ID,
			Basis:      plotline.BasisMedia,
			AssertedBy: "synthetic news report",
			StatedOn:   day,
			Link:       "unknown",
			Sources:    []plotline.SourceRef{{ID: SourceID}},
		})
	}
	return in
}
