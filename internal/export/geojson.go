package export

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// The GeoJSON export (RFC 7946) is one FeatureCollection with a Feature per
// incident: a Point at [lon, lat] in WGS 84, or a null geometry when the
// place is not known to coordinates. Every feature has the same property
// keys (unknowns are null) so that GIS tools see one attribute table. The
// selection travels in the foreign member "plotline".

type geoCollection struct {
	Type     string       `json:"type"`
	Plotline Meta         `json:"plotline"`
	Features []geoFeature `json:"features"`
	BBox     []float64    `json:"bbox,omitempty"`
}

type geoFeature struct {
	Type       string      `json:"type"`
	ID         string      `json:"id"`
	Geometry   *geoPoint   `json:"geometry"`
	Properties geoIncident `json:"properties"`
}

type geoPoint struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

// geoStatement is an attribution with its actor's name for map pop-ups.
type geoStatement struct {
	plotline.Attribution
	ActorName string `json:"actor_name"`
}

type geoIncident struct {
	ID                string         `json:"id"`
	Title             string         `json:"title"`
	Kind              string         `json:"kind"`
	Outcome           string         `json:"outcome"`
	Stage             *string        `json:"stage"`
	Date              string         `json:"date"`
	DatePrecision     string         `json:"date_precision"`
	DateStart         string         `json:"date_start"`
	DateEnd           string         `json:"date_end"`
	Disclosed         plotline.Date  `json:"disclosed"`
	Country           string         `json:"country"`
	Admin1            *string        `json:"admin1"`
	Place             *string        `json:"place"`
	LocationPrecision *string        `json:"location_precision"`
	TargetCountry     string         `json:"target_country"`
	TargetType        *string        `json:"target_type"`
	EventType         *string        `json:"event_type"`
	Weapons           []string       `json:"weapons"`
	KilledLow         *int           `json:"killed_low"`
	KilledBest        *int           `json:"killed_best"`
	KilledHigh        *int           `json:"killed_high"`
	InjuredLow        *int           `json:"injured_low"`
	InjuredBest       *int           `json:"injured_best"`
	InjuredHigh       *int           `json:"injured_high"`
	Perpetrators      *int           `json:"perpetrators"`
	Arrests           *int           `json:"arrests"`
	Documentation     *string        `json:"documentation"`
	Summary           *string        `json:"summary"`
	Tags              []string       `json:"tags"`
	Sources           []string       `json:"sources"`
	SourceURLs        []string       `json:"source_urls"`
	Origin            *string        `json:"origin"`
	OriginID          *string        `json:"origin_id"`
	Actors            string         `json:"actors"`
	Attributions      []geoStatement `json:"attributions"`
}

// WriteGeoJSON writes d's incidents as an RFC 7946 FeatureCollection.
func WriteGeoJSON(w io.Writer, d *Data) error {
	names := map[string]string{}
	for _, a := range d.Actors {
		names[a.ID] = a.Name
	}
	urls := map[string]string{}
	for _, s := range d.Sources {
		urls[s.ID] = s.URL
	}
	fc := geoCollection{Type: "FeatureCollection", Plotline: d.Meta, Features: []geoFeature{}}
	var box []float64
	for _, in := range d.Incidents {
		f := geoFeature{Type: "Feature", ID: in.ID, Properties: geoProps(&in, names, urls)}
		if l := in.Location; l.Lat != nil && l.Lon != nil {
			f.Geometry = &geoPoint{Type: "Point", Coordinates: [2]float64{*l.Lon, *l.Lat}}
			box = grow(box, *l.Lon, *l.Lat)
		}
		fc.Features = append(fc.Features, f)
	}
	fc.BBox = box
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(fc); err != nil {
		return fmt.Errorf("write geojson export: %w", err)
	}
	return nil
}

func grow(box []float64, lon, lat float64) []float64 {
	if box == nil {
		return []float64{lon, lat, lon, lat}
	}
	return []float64{min(box[0], lon), min(box[1], lat), max(box[2], lon), max(box[3], lat)}
}

func geoProps(in *plotline.Incident, names, urls map[string]string) geoIncident {
	p := geoIncident{ID: in.ID, Title: in.Title, Kind: in.Kind, Outcome: in.Outcome, Stage: strPtr(in.Stage),
		Date: in.Date.String(), DatePrecision: string(in.Date.Precision), DateStart: dayOrEmpty(in.Date, false),
		DateEnd: dayOrEmpty(in.Date, true), Disclosed: in.Disclosed, Country: in.Location.Country,
		Admin1: strPtr(in.Location.Admin1), Place: strPtr(in.Location.Place), LocationPrecision: strPtr(in.Location.Precision),
		TargetCountry: in.TargetCountry, TargetType: strPtr(in.TargetType), EventType: strPtr(in.EventType),
		Weapons: in.Weapons, KilledLow: in.Killed.Low, KilledBest: in.Killed.Best, KilledHigh: in.Killed.High,
		InjuredLow: in.Injured.Low, InjuredBest: in.Injured.Best, InjuredHigh: in.Injured.High,
		Perpetrators: in.Perpetrators, Arrests: in.Arrests, Documentation: strPtr(in.Documentation),
		Summary: strPtr(in.Summary), Tags: in.Tags, Sources: in.Sources, Origin: strPtr(in.Origin), OriginID: strPtr(in.OriginID),
		Attributions: []geoStatement{}}
	for _, s := range in.Sources {
		p.SourceURLs = append(p.SourceURLs, urls[s])
	}
	var actors []string
	for _, a := range in.Attributions {
		p.Attributions = append(p.Attributions, geoStatement{Attribution: a, ActorName: names[a.ActorID]})
		if n := names[a.ActorID]; !slices.Contains(actors, n) {
			actors = append(actors, n)
		}
	}
	p.Actors = strings.Join(actors, "; ")
	return p
}

// ReadGeoJSON reads a GeoJSON export back into incidents with their
// statements. It does not carry the sources and actors they cite.
func ReadGeoJSON(r io.Reader) (*Data, error) {
	var fc geoCollection
	if err := json.NewDecoder(r).Decode(&fc); err != nil {
		return nil, plotline.Errorf(plotline.EINVALID, "not a Plotline GeoJSON export: %v", err)
	}
	if fc.Type != "FeatureCollection" {
		return nil, plotline.FieldError("type", "got %q; want FeatureCollection", fc.Type)
	}
	d := &Data{Meta: fc.Plotline}
	for i, f := range fc.Features {
		p := f.Properties
		date, err := plotline.ParseDate(p.Date)
		if err != nil {
			return nil, plotline.FieldError(fmt.Sprintf("features[%d].properties.date", i), "%v", err)
		}
		in := plotline.Incident{ID: p.ID, Title: p.Title, Kind: p.Kind, Outcome: p.Outcome, Stage: deref(p.Stage), Date: date,
			Disclosed: p.Disclosed, Location: plotline.Location{Country: p.Country, Admin1: deref(p.Admin1), Place: deref(p.Place),
				Precision: deref(p.LocationPrecision)},
			TargetCountry: p.TargetCountry, TargetType: deref(p.TargetType), EventType: deref(p.EventType), Weapons: p.Weapons,
			Killed:       plotline.Range{Low: p.KilledLow, Best: p.KilledBest, High: p.KilledHigh},
			Injured:      plotline.Range{Low: p.InjuredLow, Best: p.InjuredBest, High: p.InjuredHigh},
			Perpetrators: p.Perpetrators, Arrests: p.Arrests, Documentation: deref(p.Documentation), Summary: deref(p.Summary),
			Tags: p.Tags, Sources: p.Sources, Origin: deref(p.Origin), OriginID: deref(p.OriginID)}
		if f.Geometry != nil {
			if f.Geometry.Type != "Point" {
				return nil, plotline.FieldError(fmt.Sprintf("features[%d].geometry.type", i), "got %q; want Point", f.Geometry.Type)
			}
			lon, lat := f.Geometry.Coordinates[0], f.Geometry.Coordinates[1]
			in.Location.Lat, in.Location.Lon = &lat, &lon
		}
		for _, a := range p.Attributions {
			a.Attribution.IncidentID = in.ID
			in.Attributions = append(in.Attributions, a.Attribution)
		}
		d.Incidents = append(d.Incidents, in)
	}
	return d, nil
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
