package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestAllowedHosts(t *testing.T) {
	s := &Server{cfg: Config{AllowedHosts: LoopbackHosts()}}
	for host, want := range map[string]bool{
		"127.0.0.1:8080":         true,
		"localhost":              true,
		"LOCALHOST:80":           true,
		"[::1]:8080":             true,
		"evil.example":           false,
		"evil.example:8080":      false,
		"127.0.0.1.evil.example": false,
	} {
		if got := s.hostAllowed(host); got != want {
			t.Errorf("hostAllowed(%q) = %v; want %v", host, got, want)
		}
	}
	open := &Server{}
	if !open.hostAllowed("anything.example") {
		t.Error("without a list every host is answered")
	}
}

func TestRebindingRefused(t *testing.T) {
	s := &Server{cfg: Config{AllowedHosts: LoopbackHosts()}}
	h := s.access(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for host, want := range map[string]int{"127.0.0.1:8080": http.StatusNoContent, "evil.example": http.StatusForbidden} {
		r := httptest.NewRequest("GET", "/api/v1/incidents", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %s: status %d; want %d", host, w.Code, want)
		}
	}
}
