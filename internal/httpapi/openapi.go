package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

// The OpenAPI 3.1 document is built from the description below; schemas
// are derived from the Go types the handlers encode, so they cannot drift
// from the wire format. TestOpenAPIMatchesRoutes checks that the document
// lists exactly the registered routes.

// operation describes one route for the document.
type operation struct {
	method, path string
	summary      string
	params       []string     // names in paramDocs
	body         reflect.Type // request body, nil for none
	response     reflect.Type // 200/201 body; nil = any JSON (engine results)
	status       int          // success status; default 200
	errors       []int        // error statuses besides 400 and 500
	// drafts: the answer is response (nil: an engine result) with the
	// DraftsNote members added (WithDrafts, ReportAnswer).
	drafts bool
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

var paramDocs = map[string]map[string]any{
	"as_of":      {"description": "World clock: only what had been stated (and made public) by this day.", "schema": dayParam},
	"recorded":   {"description": "Record clock: only what Plotline had recorded by this day (its end) or RFC 3339 instant.", "schema": map[string]any{"type": "string"}},
	"q":          {"description": "A query in Plotline's query language (see docs/query-language.md), e.g. `kind:plot target:DEU actor:ISKP+`.", "schema": map[string]any{"type": "string"}},
	"cursor":     {"description": "Opaque cursor from a previous page's next_cursor.", "schema": map[string]any{"type": "string"}},
	"limit":      {"description": "Page size or top-N.", "schema": map[string]any{"type": "integer", "minimum": 0}},
	"from":       {"description": "First day of the period.", "schema": dayParam},
	"to":         {"description": "Last day of the period.", "schema": dayParam},
	"rule":       {"description": "Counting rule: any, official, claims, best, bases:a,b or best:a>b>c.", "schema": map[string]any{"type": "string"}},
	"related_to": {"description": "Split counts by relation to this actor (ID, name or alias, e.g. ISKP).", "schema": map[string]any{"type": "string"}},
	"org":        {"description": "Organisation whose operations are counted (default: the root of related_to, else is).", "schema": map[string]any{"type": "string"}},
	"by":         {"description": "Comma-separated dimensions to group by.", "schema": map[string]any{"type": "string"}},
	"rows":       {"description": "Cross-tab row dimension.", "schema": map[string]any{"type": "string"}},
	"cols":       {"description": "Cross-tab column dimension.", "schema": map[string]any{"type": "string"}},
	"every":      {"description": "Series bucket size.", "schema": map[string]any{"type": "string", "enum": intervals}},
	"date":       {"description": "The day the organisation graph is read at.", "schema": dayParam},
	"root":       {"description": "Start the tree at this actor (ID, name or alias).", "schema": map[string]any{"type": "string"}},
	"incident":   {"description": "Only statements about this incident.", "schema": map[string]any{"type": "string"}},
	"actor":      {"description": "Only records naming this actor ID.", "schema": map[string]any{"type": "string"}},
	"basis":      {"description": "Only statements with this basis.", "schema": map[string]any{"type": "string", "enum": plotline.Bases}},
	"kind":       {"description": "Only records of this kind.", "schema": map[string]any{"type": "string"}},
	"tlp":        {"description": "Only sources with this TLP marking.", "schema": map[string]any{"type": "string", "enum": plotline.TLPs}},
	"version_from": {"name": "from", "description": "Older version number (default: the one before `to`).",
		"schema": map[string]any{"type": "integer", "minimum": 1}},
	"version_to": {"name": "to", "description": "Newer version number (default: the latest).",
		"schema": map[string]any{"type": "integer", "minimum": 1}},
}

var dayParam = map[string]any{"type": "string", "format": "date"}

func operations() []operation {
	clocks := []string{"as_of", "recorded"}
	with := func(extra ...string) []string { return append(extra, clocks...) }
	analytics := func(extra ...string) []string { return with(append([]string{"q", "rule"}, extra...)...) }
	return []operation{
		{method: "GET", path: "/api/v1/", summary: "API index: the routes and this document's address", response: typeOf[APIIndex]()},
		{method: "GET", path: "/api/v1/openapi.json", summary: "This OpenAPI 3.1 document", response: nil},

		{method: "GET", path: "/api/v1/incidents", summary: "List incidents matching a query, by date then ID, in pages",
			params: with("q", "cursor", "limit"), response: typeOf[IncidentList](), errors: []int{501}},
		{method: "POST", path: "/api/v1/incidents", summary: "Create an incident (with optional attributions); a new version recorded by \"api\"",
			body: typeOf[plotline.Incident](), response: typeOf[WriteResult[plotline.Incident]](), status: 201, errors: []int{409, 413, 415}},
		{method: "GET", path: "/api/v1/incidents/{id}", summary: "One incident with its attribution statements as known at as_of",
			params: clocks, response: typeOf[plotline.Incident](), errors: []int{404}},
		{method: "PUT", path: "/api/v1/incidents/{id}", summary: "Replace an incident; with \"attributions\" in the body, replace its statements too. Honours If-Match.",
			body: typeOf[plotline.Incident](), response: typeOf[WriteResult[plotline.Incident]](), errors: []int{404, 409, 412, 413, 415}},
		{method: "DELETE", path: "/api/v1/incidents/{id}", summary: "Delete an incident and its statements (tombstones; history is kept). Honours If-Match.",
			response: typeOf[WriteResult[plotline.Incident]](), errors: []int{404, 412}},
		{method: "GET", path: "/api/v1/incidents/{id}/history", summary: "Every stored version of an incident, oldest first",
			response: typeOf[History](), errors: []int{404}},
		{method: "GET", path: "/api/v1/incidents/{id}/diff", summary: "Field-by-field differences between two versions of an incident",
			params: []string{"version_from", "version_to"}, response: typeOf[Diff](), errors: []int{404}},

		{method: "GET", path: "/api/v1/attributions", summary: "List attribution statements, by ID, in pages",
			params: with("incident", "actor", "basis", "cursor", "limit"), response: typeOf[AttributionList](), errors: []int{404}},
		{method: "POST", path: "/api/v1/attributions", summary: "Create an attribution statement on an existing incident",
			body: typeOf[plotline.Attribution](), response: typeOf[WriteResult[plotline.Attribution]](), status: 201, errors: []int{409, 413, 415}},
		{method: "GET", path: "/api/v1/attributions/{id}", summary: "One attribution statement (IDs contain '/': escape it as %2F)",
			params: clocks, response: typeOf[plotline.Attribution](), errors: []int{404}},
		{method: "PUT", path: "/api/v1/attributions/{id}", summary: "Replace an attribution statement. Honours If-Match.",
			body: typeOf[plotline.Attribution](), response: typeOf[WriteResult[plotline.Attribution]](), errors: []int{404, 412, 413, 415}},
		{method: "DELETE", path: "/api/v1/attributions/{id}", summary: "Delete an attribution statement (a tombstone). Honours If-Match.",
			response: typeOf[WriteResult[plotline.Attribution]](), errors: []int{404, 412}},
		{method: "GET", path: "/api/v1/attributions/{id}/history", summary: "Every stored version of a statement",
			response: typeOf[History](), errors: []int{404}},
		{method: "GET", path: "/api/v1/attributions/{id}/diff", summary: "Differences between two versions of a statement",
			params: []string{"version_from", "version_to"}, response: typeOf[Diff](), errors: []int{404}},

		{method: "GET", path: "/api/v1/sources", summary: "List sources", params: with("kind", "tlp"), response: typeOf[SourceList]()},
		{method: "POST", path: "/api/v1/sources", summary: "Create a source",
			body: typeOf[plotline.Source](), response: typeOf[WriteResult[plotline.Source]](), status: 201, errors: []int{409, 413, 415}},
		{method: "GET", path: "/api/v1/sources/{id}", summary: "One source", params: clocks, response: typeOf[plotline.Source](), errors: []int{404}},
		{method: "PUT", path: "/api/v1/sources/{id}", summary: "Replace a source. Honours If-Match.",
			body: typeOf[plotline.Source](), response: typeOf[WriteResult[plotline.Source]](), errors: []int{404, 412, 413, 415}},
		{method: "GET", path: "/api/v1/sources/{id}/history", summary: "Every stored version of a source", response: typeOf[History](), errors: []int{404}},
		{method: "GET", path: "/api/v1/sources/{id}/diff", summary: "Differences between two versions of a source",
			params: []string{"version_from", "version_to"}, response: typeOf[Diff](), errors: []int{404}},

		{method: "GET", path: "/api/v1/actors", summary: "List actors (organisations and units)", params: with("kind"), response: typeOf[ActorList]()},
		{method: "GET", path: "/api/v1/actors/{id}", summary: "One actor with its parents and children in the organisation graph (all, or those valid on date)",
			params: with("date"), response: typeOf[ActorDetail](), errors: []int{404}},
		{method: "GET", path: "/api/v1/actors/{id}/history", summary: "Every stored version of an actor", response: typeOf[History](), errors: []int{404}},
		{method: "GET", path: "/api/v1/affiliations", summary: "List affiliations (dated part-of links), optionally valid on date or touching actor",
			params: with("date", "actor"), response: typeOf[AffiliationList]()},
		{method: "GET", path: "/api/v1/org", summary: "The organisation tree as it stood on date (default today)",
			params: with("date", "root"), response: typeOf[Org]()},
		{method: "GET", path: "/api/v1/changes", summary: "Applied changes, newest first", params: []string{"limit"}, response: typeOf[ChangeList]()},

		{method: "GET", path: "/api/v1/query", summary: "IDs of the incidents a query selects, by date then ID",
			params: analytics("cursor", "limit"), response: typeOf[QueryResult](), errors: []int{501}},
		{method: "GET", path: "/api/v1/count", summary: "Counts grouped by up to three dimensions",
			params: analytics("by", "limit"), drafts: true, errors: []int{501}},
		{method: "GET", path: "/api/v1/crosstab", summary: "A cross-tab of two dimensions (e.g. unit × target country)",
			params: analytics("rows", "cols", "limit"), drafts: true, errors: []int{501}},
		{method: "GET", path: "/api/v1/series", summary: "A time series with strict and possible counts per bucket",
			params: analytics("every", "from", "to", "by"), drafts: true, errors: []int{501}},
		{method: "GET", path: "/api/v1/projection", summary: "Rate over the period so far and a projection to its end with a predictive interval",
			params: analytics("from", "to", "by"), drafts: true, errors: []int{501}},
		{method: "GET", path: "/api/v1/report/external-ops", summary: "The external-operations report (same JSON as `plotline report external-ops --format json`); published data only",
			params: with("from", "to", "related_to", "org", "rule"), response: typeOf[analysis.ExternalOpsReport](), drafts: true},

		{method: "GET", path: "/healthz", summary: "Liveness and store check (text/plain \"ok\")"},
		{method: "GET", path: "/metrics", summary: "Prometheus metrics (text exposition format)"},
	}
}

// openAPIDocument builds the document.
func openAPIDocument() map[string]any {
	schemas := map[string]any{}
	sg := &schemaGen{defs: schemas}
	paths := map[string]any{}
	for _, op := range append(operations(), reviewOperations()...) {
		item, _ := paths[op.path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[op.path] = item
		}
		item[strings.ToLower(op.method)] = op.document(sg)
	}
	sg.schema(typeOf[ErrorBody]())
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Plotline API",
			"version":     "1",
			"description": "Terrorist external operations: incidents, the dated organisation graph, attribution statements and sources, with analytics. Errors are always {code, message, field, errors, request_id}. See docs/api.md.",
			"license":     map[string]any{"name": "see the repository's LICENSE"},
		},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas},
	}
}

func (op operation) document(sg *schemaGen) map[string]any {
	doc := map[string]any{"summary": op.summary, "operationId": operationID(op.method, op.path)}
	var params []any
	if strings.Contains(op.path, "{id}") {
		params = append(params, map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
	}
	for _, name := range op.params {
		d, ok := paramDocs[name]
		if !ok {
			d = reviewParamDocs[name]
		}
		p := map[string]any{"name": name, "in": "query", "description": d["description"], "schema": d["schema"]}
		if n, ok := d["name"]; ok {
			p["name"] = n
		}
		params = append(params, p)
	}
	if params != nil {
		doc["parameters"] = params
	}
	if op.body != nil {
		doc["requestBody"] = map[string]any{"required": true,
			"content": map[string]any{"application/json": map[string]any{"schema": sg.schema(op.body)}}}
	}
	status := op.status
	if status == 0 {
		status = http.StatusOK
	}
	responses := map[string]any{}
	switch {
	case op.path == "/healthz" || op.path == "/metrics":
		responses["200"] = map[string]any{"description": "OK", "content": map[string]any{"text/plain": map[string]any{"schema": map[string]any{"type": "string"}}}}
	case op.drafts:
		parts := []any{sg.schema(typeOf[DraftsNote]())}
		if op.response != nil {
			parts = append([]any{sg.schema(op.response)}, parts...)
		}
		responses[itoa(status)] = map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
			"type": "object", "allOf": parts, "required": []string{"drafts"},
			"description": "Computed from published data only: drafts is always \"excluded\"; drafts_pending, for analysts and up, counts the drafts awaiting review."}}}}
	case op.response == nil:
		responses[itoa(status)] = map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{}}}}
	default:
		responses[itoa(status)] = map[string]any{"description": http.StatusText(status),
			"content": map[string]any{"application/json": map[string]any{"schema": sg.schema(op.response)}}}
	}
	if op.method == "GET" && op.path != "/healthz" && op.path != "/metrics" {
		responses["304"] = map[string]any{"description": "Not Modified (If-None-Match matched the ETag)"}
	}
	if op.path != "/healthz" && op.path != "/metrics" {
		for _, st := range append([]int{400, 500}, op.errors...) {
			responses[itoa(st)] = map[string]any{"description": http.StatusText(st),
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ErrorBody"}}}}
		}
	}
	doc["responses"] = responses
	return doc
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.Split(strings.TrimPrefix(path, "/api/v1"), "/") {
		part = strings.Trim(part, "{}")
		for _, w := range strings.FieldsFunc(part, func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// schemaGen derives JSON Schemas from Go types via their json tags.
type schemaGen struct{ defs map[string]any }

var (
	dateType = reflect.TypeFor[plotline.Date]()
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == dateType:
		return map[string]any{"type": []string{"string", "null"},
			"description": "YYYY-MM-DD, YYYY-MM, YYYY-Qn, YYYY or DAY..DAY; null when unknown"}
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := g.schema(t.Elem())
		if typ, ok := s["type"].(string); ok {
			s["type"] = []string{typ, "null"}
		}
		return s
	case reflect.Slice:
		return map[string]any{"type": []string{"array", "null"}, "items": g.schema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := schemaName(t)
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		if _, done := g.defs[name]; done {
			return ref
		}
		g.defs[name] = nil // reserve: recursive types refer to it
		props := map[string]any{}
		g.fields(t, props)
		g.defs[name] = map[string]any{"type": "object", "properties": props}
		return ref
	}
	return map[string]any{}
}

func (g *schemaGen) fields(t reflect.Type, props map[string]any) {
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			g.fields(f.Type, props)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.schema(f.Type)
	}
}

// schemaName names a type's schema, generics included: WriteResult[Incident] → WriteResultIncident.
func schemaName(t reflect.Type) string {
	name := t.Name()
	if i := strings.IndexByte(name, '['); i >= 0 {
		inner := name[i+1 : len(name)-1]
		inner = inner[strings.LastIndexByte(inner, '.')+1:]
		name = name[:i] + inner
	}
	return name
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r)
	if p.err != nil {
		return p.err
	}
	return writeJSON(w, r, http.StatusOK, openAPIDocument())
}
