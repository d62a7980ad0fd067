package httpapi

import (
	"net/http"
)

// apiRoutes registers every API route. The OpenAPI document
// (openapi.json) must list exactly these; a test checks it.
func (s *Server) apiRoutes(mux *http.ServeMux) {
	s.handle(mux, "GET /api/v1/{$}", s.apiIndex)
	s.handle(mux, "GET /api/v1/openapi.json", s.openAPI)

	s.handle(mux, "GET /api/v1/incidents", s.listIncidents)
	s.handle(mux, "POST /api/v1/incidents", s.createIncident)
	s.handle(mux, "GET /api/v1/incidents/{id}", s.getIncident)
	s.handle(mux, "PUT /api/v1/incidents/{id}", s.updateIncident)
	s.handle(mux, "DELETE /api/v1/incidents/{id}", s.deleteIncident)
	s.handle(mux, "GET /api/v1/incidents/{id}/history", s.history("incident"))
	s.handle(mux, "GET /api/v1/incidents/{id}/diff", s.diff("incident"))

	s.handle(mux, "GET /api/v1/attributions", s.listAttributions)
	s.handle(mux, "POST /api/v1/attributions", s.createAttribution)
	s.handle(mux, "GET /api/v1/attributions/{id}", s.getAttribution)
	s.handle(mux, "PUT /api/v1/attributions/{id}", s.updateAttribution)
	s.handle(mux, "DELETE /api/v1/attributions/{id}", s.deleteAttribution)
	s.handle(mux, "GET /api/v1/attributions/{id}/history", s.history("attribution"))
	s.handle(mux, "GET /api/v1/attributions/{id}/diff", s.diff("attribution"))

	s.handle(mux, "GET /api/v1/sources", s.listSources)
	s.handle(mux, "POST /api/v1/sources", s.createSource)
	s.handle(mux, "GET /api/v1/sources/{id}", s.getSource)
	s.handle(mux, "PUT /api/v1/sources/{id}", s.updateSource)
	s.handle(mux, "GET /api/v1/sources/{id}/history", s.history("source"))
	s.handle(mux, "GET /api/v1/sources/{id}/diff", s.diff("source"))

	s.handle(mux, "GET /api/v1/actors", s.listActors)
	s.handle(mux, "GET /api/v1/actors/{id}", s.getActor)
	s.handle(mux, "GET /api/v1/actors/{id}/history", s.history("actor"))
	s.handle(mux, "GET /api/v1/affiliations", s.listAffiliations)
	s.handle(mux, "GET /api/v1/org", s.org)
	s.handle(mux, "GET /api/v1/changes", s.changes)

	s.handle(mux, "GET /api/v1/query", s.query)
	s.handle(mux, "GET /api/v1/count", s.count)
	s.handle(mux, "GET /api/v1/crosstab", s.crosstab)
	s.handle(mux, "GET /api/v1/series", s.series)
	s.handle(mux, "GET /api/v1/projection", s.projection)
	s.handle(mux, "GET /api/v1/report/external-ops", s.report)

	s.reviewRoutes(mux) // review.go
}
