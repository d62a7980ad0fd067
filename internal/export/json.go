package export

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/plotline-dev/plotline"
)

// JSONFormat names the JSON export's format in its "format" member.
const JSONFormat = "plotline-export"

// JSONVersion is the JSON export's layout version.
const JSONVersion = 1

// jsonDoc is the JSON export: the records in the domain's own JSON shape.
type jsonDoc struct {
	Format       string                 `json:"format"`
	Version      int                    `json:"version"`
	Meta         Meta                   `json:"meta"`
	Sources      []plotline.Source      `json:"sources"`
	Actors       []plotline.Actor       `json:"actors"`
	Affiliations []plotline.Affiliation `json:"affiliations"`
	Incidents    []plotline.Incident    `json:"incidents"`
	// LinkedAsOne: pairs of incidents a reviewer linked as one incident
	// (counted once); both records are in incidents.
	LinkedAsOne [][2]string `json:"linked_as_one,omitempty"`
}

// WriteJSON writes d as one indented JSON document.
func WriteJSON(w io.Writer, d *Data) error {
	doc := jsonDoc{Format: JSONFormat, Version: JSONVersion, Meta: d.Meta,
		Sources: nonNil(d.Sources), Actors: nonNil(d.Actors), Affiliations: nonNil(d.Affiliations), Incidents: nonNil(d.Incidents),
		LinkedAsOne: d.Links}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json export: %w", err)
	}
	return nil
}

// ReadJSON reads a JSON export back.
func ReadJSON(r io.Reader) (*Data, error) {
	var doc jsonDoc
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, plotline.Errorf(plotline.EINVALID, "not a Plotline JSON export: %v", err)
	}
	if doc.Format != JSONFormat || doc.Version != JSONVersion {
		return nil, plotline.FieldError("format", "got %q version %d; want %q version %d", doc.Format, doc.Version, JSONFormat, JSONVersion)
	}
	incidents := make(map[string]bool, len(doc.Incidents))
	for _, in := range doc.Incidents {
		incidents[in.ID] = true
	}
	for i, l := range doc.LinkedAsOne {
		for _, id := range l {
			if !incidents[id] {
				return nil, plotline.FieldError(fmt.Sprintf("linked_as_one[%d]", i), "incident %q is not in this export", id)
			}
		}
	}
	for i := range doc.Incidents {
		for j := range doc.Incidents[i].Attributions {
			if doc.Incidents[i].Attributions[j].IncidentID == "" {
				doc.Incidents[i].Attributions[j].IncidentID = doc.Incidents[i].ID
			}
		}
	}
	return &Data{Meta: doc.Meta, Sources: doc.Sources, Actors: doc.Actors, Affiliations: doc.Affiliations, Incidents: doc.Incidents,
		Links: doc.LinkedAsOne}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
