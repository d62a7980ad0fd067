// Package httpapi is Plotline's HTTP server: the JSON API under /api/v1,
// /healthz, /metrics, and the middleware that wraps every response,
// including the web UI's.
//
// # Contract with the web UI (internal/web)
//
// cmd/plotline wires the two packages like this:
//
//	eng, _ := engine.New(ctx, db)
//	analytics := &httpapi.EngineAnalytics{Engine: eng} // or &httpapi.SnapshotAnalytics{Store: db}
//	ui := web.New(web.Config{Store: db, Analytics: analytics, Logger: log, Now: now}) // http.Handler
//	srv := httpapi.NewServer(httpapi.Config{Store: db, Analytics: analytics, UI: ui, Logger: log, Now: now})
//	err := srv.ListenAndServe(ctx, "127.0.0.1:8080", ready) // returns after graceful shutdown when ctx ends
//
// The UI answers its pages from the same *EngineAnalytics value (it is safe
// for concurrent use and keeps the engine's index fresh): the report, the
// incident table's matches and the organisation graph (EngineAnalytics.Graph),
// so the UI and the API share one index and one report cache. With
// SnapshotAnalytics (a store that cannot feed the engine) the UI is given
// none and reads store snapshots itself, which does not scale to millions
// of imported events.
//
// Server.Handler routes, with Go 1.22 ServeMux method patterns:
//
//	/api/v1/...          the JSON API (this package; see docs/api.md and /api/v1/openapi.json)
//	GET /healthz         "ok" (plain text) when the store answers
//	GET /metrics         Prometheus metrics
//	everything else      Config.UI; when nil, a plain index page linking the API
//
// The UI is mounted at "/" and owns every path outside the three above
// (e.g. /, /incidents, /incidents/{id}, /map, /org, /static/...). It must
// not register /api/, /healthz or /metrics.
//
// Middleware wraps the API and the UI alike, outermost first:
//
//   - request ID: an incoming X-Request-ID (printable, ≤ 64 bytes) is kept,
//     otherwise a random one is made; it is echoed in the X-Request-ID
//     response header and available to handlers as RequestID(ctx);
//   - request log: one log/slog line per request (method, path, route
//     pattern, status, bytes, duration, request ID) and the Prometheus
//     counters/histograms labelled by route pattern;
//   - recovery: a panic becomes a 500 {"code":"internal",...} JSON response
//     (if nothing was written yet) and is logged with its stack; the server
//     keeps serving;
//   - security headers: X-Content-Type-Options: nosniff, Referrer-Policy:
//     same-origin, X-Frame-Options: DENY, Cross-Origin-Opener-Policy:
//     same-origin and a Content-Security-Policy of
//     "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline';
//     script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self';
//     frame-ancestors 'none'". The headers are set before the handler runs,
//     so a UI handler that needs a different value simply sets its own;
//     no inline <script> and nothing loaded from other origins (air-gapped use);
//   - gzip: responses are compressed when the client accepts gzip and the
//     Content-Type is text, JSON, JavaScript, SVG or XML; handlers must set
//     Content-Type before the first Write and must not compress themselves;
//     a handler that sets Content-Encoding itself is passed through;
//   - body limit: request bodies are capped by http.MaxBytesReader
//     (Config.MaxBodyBytes, default 1 MiB); reading past it fails with
//     *http.MaxBytesError, which the API answers with 413 — the UI should too;
//   - deadline: the request context carries a deadline (Config.RequestTimeout,
//     default 30 s). The http.Server has ReadHeader/Read/Write/Idle timeouts.
//
// Conventions shared by API and UI URLs, so a UI view's URL maps onto API calls:
//
//	q=          the query language (internal/query), e.g. q=kind:plot target:DEU
//	as_of=      world clock, YYYY-MM-DD: what had been stated by that day
//	recorded=   record clock, YYYY-MM-DD or RFC 3339: what Plotline had recorded by then
//	from=, to=  period, YYYY-MM-DD;  rule= counting rule (any|official|claims|best|...)
//	related_to= actor ID, name or alias;  cursor=, limit= paging of lists
//
// Errors are JSON everywhere under /api/v1, one shape:
//
//	{"code":"invalid","message":"date: \"2024-13\" is not a month","field":"date",
//	 "errors":[{"field":"date","message":"..."}], "request_id":"..."}
//
// code is a plotline error code (invalid 400, not_found 404, conflict 409,
// unauthorized 401, forbidden 403, not_implemented 501, internal 500;
// too_large 413 and method/route errors are also reported this way).
// message never carries an internal error's text.
//
// Writes through the API are recorded with By "api" until accounts exist;
// the UI records its own writes with By "web" when it calls the store
// directly, or may post JSON to the API.
package httpapi
