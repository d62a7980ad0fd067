package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/plotline-dev/plotline"
)

// Config is what the server needs. Store is required; everything else has
// a default.
type Config struct {
	Store plotline.Store
	// Analytics answers report, count, cross-tab, series and projection
	// questions. Nil means the built-in fallback over Store.Snapshot, which
	// answers report, and the rest with not_implemented.
	Analytics Analytics
	// UI serves every path outside /api/, /healthz and /metrics. Nil means a
	// plain index page.
	UI     http.Handler
	Logger *slog.Logger

	MaxBodyBytes   int64         // request body cap; default 1 MiB
	RequestTimeout time.Duration // deadline on each request's context; default 30 s
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout of the
	// http.Server; defaults 5 s, 30 s, 60 s and 120 s.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown; default 10 s.
	ShutdownTimeout time.Duration
	// Now is the clock for "today" (default as-of dates); default time.Now.
	Now func() time.Time
	// Auth, when set, turns accounts on: it names the user of each request,
	// and AccessPolicy (auth.go) decides what that user may do. Nil is
	// single-user mode: every request acts as plotline.LocalUser.
	Auth Authenticator
	// AllowedHosts, when set, lists the host names (without port) the
	// server answers to; any other Host header is refused. Single-user mode
	// on loopback sets it to the loopback names, so a hostile page cannot
	// reach the server through DNS rebinding.
	AllowedHosts []string
}

// Server is Plotline's HTTP server.
type Server struct {
	cfg       Config
	store     plotline.Store
	analytics Analytics
	log       *slog.Logger
	metrics   *metrics
	handler   http.Handler

	mu     sync.Mutex // guards routes during construction only
	routes []string   // API patterns as registered, for the OpenAPI check
}

// NewServer builds a server from cfg.
func NewServer(cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	setDefault(&cfg.ReadHeaderTimeout, 5*time.Second)
	setDefault(&cfg.ReadTimeout, 30*time.Second)
	setDefault(&cfg.WriteTimeout, 60*time.Second)
	setDefault(&cfg.IdleTimeout, 120*time.Second)
	setDefault(&cfg.ShutdownTimeout, 10*time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{cfg: cfg, store: cfg.Store, analytics: cfg.Analytics, log: cfg.Logger, metrics: newMetrics()}
	if s.analytics == nil {
		s.analytics = &SnapshotAnalytics{Store: cfg.Store}
	}
	s.handler = s.middleware(s.mux())
	return s
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// ServeHTTP serves the API, health, metrics and the UI.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Handler returns the server's root handler (the server itself).
func (s *Server) Handler() http.Handler { return s }

// Routes returns the API route patterns, e.g. "GET /api/v1/incidents/{id}".
func (s *Server) Routes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.routes...)
}

// HTTPServer returns an http.Server for addr with every timeout set.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// ListenAndServe listens on addr and serves until ctx ends, then shuts down
// gracefully, letting requests in flight finish within ShutdownTimeout.
// ready, when not nil, receives the bound address once listening.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return plotline.Errorf(plotline.EINVALID, "listen on %s: %v", addr, err)
	}
	return s.Serve(ctx, ln, ready)
}

// Serve serves on ln until ctx ends, then shuts down gracefully.
func (s *Server) Serve(ctx context.Context, ln net.Listener, ready func(net.Addr)) error {
	srv := s.HTTPServer(ln.Addr().String())
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready(ln.Addr())
	}
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// mux routes the three areas; the API has its own mux so that its 404 and
// 405 answers are JSON.
func (s *Server) mux() http.Handler {
	api := http.NewServeMux()
	s.apiRoutes(api)
	root := http.NewServeMux()
	root.Handle("/api/", s.apiHandler(api))
	root.HandleFunc("/healthz", s.healthz)
	root.Handle("/metrics", s.metrics.handler())
	ui := s.cfg.UI
	if ui == nil {
		ui = http.HandlerFunc(s.index)
	}
	root.Handle("/", ui)
	return s.routeRecorder(root)
}

// handle registers an API route whose handler returns an error.
func (s *Server) handle(mux *http.ServeMux, pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	s.mu.Lock()
	s.routes = append(s.routes, pattern)
	s.mu.Unlock()
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// apiHandler answers unknown API paths and wrong methods with JSON errors
// instead of the mux's plain text.
func (s *Server) apiHandler(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			if info := infoOf(r.Context()); info != nil {
				info.route = pattern
			}
			mux.ServeHTTP(w, r)
			return
		}
		probe := &headerProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		if probe.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", probe.header.Get("Allow"))
			s.writeError(w, r, &plotline.Error{Code: codeMethodNotAllowed,
				Message: fmt.Sprintf("method %s is not allowed here (allowed: %s)", r.Method, probe.header.Get("Allow"))})
			return
		}
		s.writeError(w, r, plotline.Errorf(plotline.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path))
	})
}

// headerProbe records what the mux's own error handler would answer.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(code int)        { p.status = code }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := s.store.Empty(r.Context()); err != nil {
		s.log.ErrorContext(r.Context(), "health check", "err", err, "request_id", RequestID(r.Context()))
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "store unavailable")
		return
	}
	fmt.Fprintln(w, "ok")
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Plotline</title></head>
<body><h1>Plotline</h1><p>The web UI is not built into this binary. The JSON API is at
<a href="/api/v1/">/api/v1/</a>; its OpenAPI document at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<p><a href="/healthz">/healthz</a> · <a href="/metrics">/metrics</a></p></body></html>
`)
}
