package httpapi

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// reqInfo is per-request state shared by the middleware layers: the outer
// layer creates it, the mux records the matched route in it.
type reqInfo struct {
	id    string
	route string
	w     *statusWriter
}

type ctxKey struct{}

// RequestID returns the ID of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	if info, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return info.id
	}
	return ""
}

func infoOf(ctx context.Context) *reqInfo {
	info, _ := ctx.Value(ctxKey{}).(*reqInfo)
	return info
}

// middleware wraps h with every layer, outermost first (see doc.go).
func (s *Server) middleware(h http.Handler) http.Handler {
	h = s.access(h)
	h = s.gzip(h)
	h = s.limits(h)
	h = securityHeaders(h)
	h = s.recoverer(h)
	return s.observe(h)
}

// observe assigns the request ID, logs the request and records metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		sw := &statusWriter{ResponseWriter: w}
		info := &reqInfo{id: id, w: sw}
		sw.Header().Set("X-Request-ID", id)
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info)))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		route := info.route
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		s.metrics.observe(route, r.Method, status, elapsed)
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path, "route", route,
			"status", status, "bytes", sw.bytes, "duration", elapsed, "request_id", id)
	})
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// routeRecorder notes the matched mux pattern in the request's reqInfo.
func (s *Server) routeRecorder(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		if info := infoOf(r.Context()); info != nil {
			info.route = pattern
			if pattern == "/api/" {
				info.route = "" // set by the API mux below, when it matches
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a logged 500 JSON answer and keeps serving.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic", "value", fmt.Sprint(v), "stack", string(debug.Stack()),
				"request_id", RequestID(r.Context()))
			info := infoOf(r.Context())
			if info != nil && info.w.status != 0 {
				return // the response has begun; the client sees it cut short
			}
			w.Header().Del("Content-Encoding")
			s.writeError(w, r, errors.New("panic")) // an internal error: its text is not sent
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows only same-origin scripts, styles and images
// (plus data: images and inline styles for SVG charts): nothing is loaded
// from elsewhere, which is also what air-gapped use needs.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
	"script-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		next.ServeHTTP(w, r)
	})
}

// limits caps the request body and puts a deadline on the request context.
func (s *Server) limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	http.NewResponseController(w.ResponseWriter).Flush() //nolint:errcheck // best effort, as http.Flusher
}

// gzip compresses compressible responses for clients that accept gzip.
func (s *Server) gzip(next http.Handler) http.Handler {
	pool := &sync.Pool{New: func() any {
		gz, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // BestSpeed is a valid level
		return gz
	}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if r.Method == http.MethodHead || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w, pool: pool}
		next.ServeHTTP(gw, r)
		// Not deferred: after a panic nothing may be written, so that the
		// recoverer can still answer with a clean 500.
		gw.close()
	})
}

func acceptsGzip(h string) bool {
	for part := range strings.SplitSeq(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}

// compressible reports whether a content type is worth compressing.
func compressible(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/javascript", "application/xml", "image/svg+xml",
		"application/geo+json", "application/x-ndjson", "application/manifest+json":
		return true
	}
	return false
}

type gzipWriter struct {
	http.ResponseWriter
	pool    *sync.Pool
	gz      *gzip.Writer
	decided bool
}

// decide chooses, once, whether this response is compressed.
func (g *gzipWriter) decide(status int, first []byte) {
	if g.decided {
		return
	}
	g.decided = true
	h := g.Header()
	if status < 200 || status == http.StatusNoContent || status == http.StatusNotModified || h.Get("Content-Encoding") != "" {
		return
	}
	ct := h.Get("Content-Type")
	if ct == "" && len(first) > 0 {
		ct = http.DetectContentType(first)
		h.Set("Content-Type", ct)
	}
	if !compressible(ct) {
		return
	}
	h.Set("Content-Encoding", "gzip")
	h.Del("Content-Length")
	g.gz = g.pool.Get().(*gzip.Writer)
	g.gz.Reset(g.ResponseWriter)
}

func (g *gzipWriter) WriteHeader(code int) {
	if code >= 200 {
		g.decide(code, nil)
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	g.decide(http.StatusOK, b)
	if g.gz == nil {
		return g.ResponseWriter.Write(b)
	}
	return g.gz.Write(b)
}

func (g *gzipWriter) Flush() {
	if g.gz != nil {
		g.gz.Flush() //nolint:errcheck // a failed flush surfaces on the next write
	}
	http.NewResponseController(g.ResponseWriter).Flush() //nolint:errcheck // best effort
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// Hijack is refused on compressed streams and passed through otherwise.
func (g *gzipWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if g.gz != nil {
		return nil, nil, errors.New("httpapi: cannot hijack a gzip response")
	}
	return http.NewResponseController(g.ResponseWriter).Hijack()
}

func (g *gzipWriter) close() {
	if g.gz == nil {
		return
	}
	g.gz.Close() //nolint:errcheck // the client went away; nothing to tell it
	g.gz.Reset(nil)
	g.pool.Put(g.gz)
	g.gz = nil
}
