package plotline

import (
	"errors"
	"fmt"
	"slices"
)

// ValidKind reports whether k names a record kind.
func ValidKind(k string) bool { return slices.Contains(RecKinds, k) }

// Validate checks every record of the batch on its own (not its references
// to stored records, which only a store can check), fills in the incident ID
// of attributions given inside an incident, and refuses a record given
// twice. Both stores call it before writing, so they report the same fields.
// It returns the first problem, with the number of others in its message.
func (b *Batch) Validate() error {
	var errs []error
	prefixed := func(prefix string, verrs []*Error) {
		for _, e := range verrs {
			e.Field = prefix + "." + e.Field
			errs = append(errs, e)
		}
	}
	seen := map[Ref]bool{}
	var dups []error // reported after the records' own problems
	once := func(kind, id string) {
		ref := Ref{Kind: kind, ID: id}
		if seen[ref] {
			dups = append(dups, Errorf(EINVALID, "%s %q appears twice in one batch", kind, id))
		}
		seen[ref] = true
	}
	for i := range b.Sources {
		prefixed(fmt.Sprintf("sources[%d]", i), b.Sources[i].Validate())
		once(RecSource, b.Sources[i].ID)
	}
	for i := range b.Actors {
		prefixed(fmt.Sprintf("actors[%d]", i), b.Actors[i].Validate())
		once(RecActor, b.Actors[i].ID)
	}
	for i := range b.Affiliations {
		prefixed(fmt.Sprintf("affiliations[%d]", i), b.Affiliations[i].Validate())
		once(RecAffiliation, b.Affiliations[i].ID)
	}
	for i := range b.Incidents {
		in := &b.Incidents[i]
		prefixed(fmt.Sprintf("incidents[%d]", i), in.Validate())
		once(RecIncident, in.ID)
		for j := range in.Attributions {
			a := &in.Attributions[j]
			if a.IncidentID == "" {
				a.IncidentID = in.ID
			}
			if a.IncidentID != in.ID {
				errs = append(errs, FieldError(fmt.Sprintf("incidents[%d].attributions[%d].incident", i, j),
					"%q does not match the incident %q", a.IncidentID, in.ID))
			}
		}
	}
	for i := range b.Attributions {
		a := &b.Attributions[i]
		if !ValidID(a.IncidentID) {
			errs = append(errs, FieldError(fmt.Sprintf("attributions[%d].incident", i), "%q is not a valid ID", a.IncidentID))
		}
		prefixed(fmt.Sprintf("attributions[%d]", i), a.Validate())
	}
	for _, a := range b.AllAttributions() {
		once(RecAttribution, a.ID)
	}
	errs = append(errs, dups...)
	for i, d := range b.Deletes {
		if !ValidKind(d.Kind) {
			errs = append(errs, FieldError(fmt.Sprintf("deletes[%d].kind", i), "%q is not a record kind", d.Kind))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return firstOf(errs)
}

// AllAttributions returns the batch's attributions in write order: those
// given inside incidents, then the standalone ones.
func (b *Batch) AllAttributions() []*Attribution {
	var out []*Attribution
	for i := range b.Incidents {
		for j := range b.Incidents[i].Attributions {
			out = append(out, &b.Incidents[i].Attributions[j])
		}
	}
	for i := range b.Attributions {
		out = append(out, &b.Attributions[i])
	}
	return out
}

// firstOf returns the first error with the count of the rest, keeping the
// *Error (and its field) for callers that map codes.
func firstOf(errs []error) error {
	var first *Error
	if !errors.As(errs[0], &first) {
		return errors.Join(errs...)
	}
	if len(errs) == 1 {
		return first
	}
	e := *first
	e.Message = fmt.Sprintf("%s (and %d more errors)", e.Message, len(errs)-1)
	return &e
}
