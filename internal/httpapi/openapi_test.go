package httpapi_test

import (
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes checks that the served document lists every
// registered route and nothing else.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	res := ts.do(t, "GET", "/api/v1/openapi.json", nil)
	if res.status != 200 {
		t.Fatalf("got %d", res.status)
	}
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	res.json(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("got openapi %q, want 3.1.0", doc.OpenAPI)
	}
	var documented []string
	for path, item := range doc.Paths {
		for method, op := range item {
			documented = append(documented, strings.ToUpper(method)+" "+path)
			if op["summary"] == "" || op["responses"] == nil {
				t.Errorf("%s %s: no summary or responses", method, path)
			}
		}
	}
	registered := []string{"GET /healthz", "GET /metrics"}
	for _, r := range ts.api.Routes() {
		registered = append(registered, strings.Replace(r, "{$}", "", 1))
	}
	for _, r := range registered {
		if !slices.Contains(documented, r) {
			t.Errorf("route %q is not in openapi.json", r)
		}
	}
	for _, d := range documented {
		if !slices.Contains(registered, d) {
			t.Errorf("openapi.json lists %q, which is not a route", d)
		}
	}
	if len(registered) < 30 {
		t.Errorf("only %d routes registered; the check would prove little", len(registered))
	}
}

// TestOpenAPIRefsResolve checks that every $ref points at a schema.
func TestOpenAPIRefsResolve(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, nil)
	var doc map[string]any
	ts.do(t, "GET", "/api/v1/openapi.json", nil).json(t, &doc)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if s, ok := schemas[name]; !ok || s == nil {
					t.Errorf("$ref %q does not resolve", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	for _, name := range []string{"Incident", "Attribution", "Source", "ErrorBody", "ExternalOpsReport"} {
		if _, ok := schemas[name]; !ok {
			t.Errorf("schema %s missing", name)
		}
	}
}
