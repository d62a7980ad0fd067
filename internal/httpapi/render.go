package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// writeJSON answers with v as JSON. Successful GET answers carry a weak
// ETag computed from the body, and a matching If-None-Match gets 304.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) error {
	body, err := jsonBody(v)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	if status == http.StatusOK && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		tag := etagOf(body)
		h.Set("ETag", tag)
		h.Set("Cache-Control", "no-cache")
		if etagMatch(r.Header.Get("If-None-Match"), tag) {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return nil
	}
	w.Write(body) //nolint:errcheck // the client went away; there is no one left to answer
	return nil
}

// etagOf returns a weak validator for a JSON body: weak, because gzip may
// change the bytes on the wire while the representation stays the same.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `W/"` + hex.EncodeToString(sum[:12]) + `"`
}

// etagMatch implements If-None-Match's weak comparison.
func etagMatch(header, tag string) bool {
	if header == "" {
		return false
	}
	if strings.TrimSpace(header) == "*" {
		return true
	}
	want := strings.TrimPrefix(tag, "W/")
	for part := range strings.SplitSeq(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(part), "W/") == want {
			return true
		}
	}
	return false
}
