package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
)

// Codes the HTTP layer adds to the domain's.
const (
	codeTooLarge           = "too_large"
	codeMethodNotAllowed   = "method_not_allowed"
	codeUnsupportedMedia   = "unsupported_media_type"
	codePreconditionFailed = "precondition_failed"
)

// statuses maps every error code to its HTTP status. Unknown codes are 500:
// an error we did not classify is our fault, not the client's.
var statuses = map[string]int{
	plotline.EINVALID:        http.StatusBadRequest,
	plotline.EUNAUTHORIZED:   http.StatusUnauthorized,
	plotline.EFORBIDDEN:      http.StatusForbidden,
	plotline.ENOTFOUND:       http.StatusNotFound,
	plotline.ECONFLICT:       http.StatusConflict,
	plotline.ENOTIMPLEMENTED: http.StatusNotImplemented,
	plotline.EINTERNAL:       http.StatusInternalServerError,
	codeTooLarge:             http.StatusRequestEntityTooLarge,
	codeMethodNotAllowed:     http.StatusMethodNotAllowed,
	codeUnsupportedMedia:     http.StatusUnsupportedMediaType,
	codePreconditionFailed:   http.StatusPreconditionFailed,
}

// ErrorStatus returns the HTTP status for an error code.
func ErrorStatus(code string) int {
	if st, ok := statuses[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every API error.
type ErrorBody struct {
	Code      string       `json:"code"`
	Message   string       `json:"message"`
	Field     string       `json:"field,omitempty"`
	Errors    []FieldIssue `json:"errors,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
}

// FieldIssue is one field-level problem in a rejected input.
type FieldIssue struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// invalid is a rejected input with one or more field errors. It unwraps to
// the first, so plotline.ErrorCode sees EINVALID.
type invalid struct{ errs []*plotline.Error }

func (e *invalid) Error() string { return e.errs[0].Error() }
func (e *invalid) Unwrap() error { return e.errs[0] }

// invalidInput returns nil for no errors, else an error carrying all of them.
func invalidInput(errs []*plotline.Error) error {
	if len(errs) == 0 {
		return nil
	}
	return &invalid{errs: errs}
}

// errorBody turns err into the body sent to the client. Internal errors
// never carry their text.
func errorBody(err error) ErrorBody {
	var pe *plotline.Error
	if !errors.As(err, &pe) || pe.Code == plotline.EINTERNAL {
		return ErrorBody{Code: plotline.EINTERNAL, Message: "internal error"}
	}
	b := ErrorBody{Code: pe.Code, Message: pe.Message, Field: pe.Field}
	var inv *invalid
	if errors.As(err, &inv) && len(inv.errs) > 1 {
		b.Message = fmt.Sprintf("%s: %s (and %d more)", pe.Field, pe.Message, len(inv.errs)-1)
		for _, e := range inv.errs {
			b.Errors = append(b.Errors, FieldIssue{Field: e.Field, Message: e.Message})
		}
	} else if pe.Field != "" {
		b.Message = pe.Field + ": " + pe.Message
		b.Errors = []FieldIssue{{Field: pe.Field, Message: pe.Message}}
	}
	return b
}

// writeError is the one renderer of errors: it logs internal causes and
// answers with the JSON error body and the code's status.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		err = &plotline.Error{Code: codeTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", tooBig.Limit)}
	}
	b := errorBody(err)
	b.RequestID = RequestID(r.Context())
	status := ErrorStatus(b.Code)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "err", err, "request_id", b.RequestID,
			"method", r.Method, "path", r.URL.Path)
	}
	h := w.Header()
	h.Del("ETag")
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(b) //nolint:errcheck // the client went away; nothing to tell it
}

// decodeJSON reads a request body strictly: JSON content type, one value,
// no unknown fields. Errors name the offending field.
func decodeJSON(r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return &plotline.Error{Code: codeUnsupportedMedia, Message: fmt.Sprintf("content type %q is not application/json", ct)}
		}
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return err
		}
		return plotline.Errorf(plotline.EINVALID, "reading the request body: %v", err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return plotline.Errorf(plotline.EINVALID, "the request body is empty; want a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if ferr := badDateField(body); ferr != nil {
			return ferr
		}
		return jsonError(err)
	}
	if dec.More() {
		return plotline.Errorf(plotline.EINVALID, "the request body holds more than one JSON value")
	}
	return nil
}

// jsonError turns a decoding error into a field error a user can act on.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return plotline.Errorf(plotline.EINVALID, "malformed JSON at byte %d: %v", syn.Offset, syn)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return plotline.Errorf(plotline.EINVALID, "the request body must be a JSON object, not a JSON %s", typ.Value)
		}
		return plotline.FieldError(typ.Field, "want %s, got JSON %s", typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return plotline.Errorf(plotline.EINVALID, "malformed JSON: the body ends early")
	}
	msg := err.Error()
	// encoding/json has no typed error for unknown fields; its message is
	// the documented way to tell.
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return plotline.FieldError(strings.Trim(name, `"`), "unknown field")
	}
	// What is left comes from our own UnmarshalJSON methods (dates): their
	// text is written for users.
	return plotline.Errorf(plotline.EINVALID, "invalid JSON value: %s", strings.TrimPrefix(msg, "json: "))
}

// dateFields are the JSON keys that hold a plotline.Date.
var dateFields = map[string]bool{
	"date": true, "disclosed": true, "stated_on": true, "superseded_on": true, "retracted_on": true,
	"published": true, "founded": true, "dissolved": true, "from": true, "to": true,
}

// badDateField finds the first date-valued field whose value does not parse,
// so that the error names it (encoding/json does not say which field an
// UnmarshalJSON error came from).
func badDateField(body []byte) error {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	return walkDates("", v)
}

func walkDates(path string, v any) error {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(v)) {
			x := v[k]
			p := k
			if path != "" {
				p = path + "." + k
			}
			if s, ok := x.(string); ok && dateFields[k] {
				if _, err := plotline.ParseDate(s); err != nil {
					return plotline.FieldError(p, "%v", err)
				}
				continue
			}
			if err := walkDates(p, x); err != nil {
				return err
			}
		}
	case []any:
		for i, x := range v {
			if err := walkDates(fmt.Sprintf("%s[%d]", path, i), x); err != nil {
				return err
			}
		}
	}
	return nil
}
