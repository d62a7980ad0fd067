// Package plotline holds Plotline's domain: incidents, actors, the dated
// organisation graph, attributions and sources, the interfaces the stores
// implement, and the coded error type every layer returns.
//
// It depends on the standard library only. Adapters (internal/sqlite,
// dataset, internal/report, cmd/plotline) import it; it imports none of them.
package plotline

import (
	"errors"
	"fmt"
)

// Error codes. They map one-to-one to HTTP statuses in the API and to exit
// statuses in the CLI, so callers branch on the code, never on the message.
const (
	ECONFLICT       = "conflict"
	EINTERNAL       = "internal"
	EINVALID        = "invalid"
	ENOTFOUND       = "not_found"
	ENOTIMPLEMENTED = "not_implemented"
	EUNAUTHORIZED   = "unauthorized"
	EFORBIDDEN      = "forbidden"
)

// Error is an application error whose Message is safe to show to a user.
// Field names the offending input field, when there is one; File and Line
// locate it in an input file (dataset, import) when known.
type Error struct {
	Code    string
	Message string
	Field   string
	File    string
	Line    int
}

func (e *Error) Error() string {
	loc := ""
	switch {
	case e.File != "" && e.Line > 0:
		loc = fmt.Sprintf("%s:%d: ", e.File, e.Line)
	case e.File != "":
		loc = e.File + ": "
	}
	if e.Field != "" {
		return fmt.Sprintf("%s%s: %s", loc, e.Field, e.Message)
	}
	return loc + e.Message
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error about one input field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err: the *Error's message,
// or a generic text for internal errors whose detail must not leak.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}
