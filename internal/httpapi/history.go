package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"time"

	"github.com/plotline-dev/plotline"
)

// VersionView is one stored version of a record, its data as JSON.
type VersionView struct {
	Version    int             `json:"version"`
	RecordedAt time.Time       `json:"recorded_at"`
	RecordedBy string          `json:"recorded_by"`
	Note       string          `json:"note,omitempty"`
	Deleted    bool            `json:"deleted"`
	Data       json.RawMessage `json:"data,omitempty"`
}

// History lists every version of a record, oldest first.
type History struct {
	Kind     string        `json:"kind"`
	ID       string        `json:"id"`
	Versions []VersionView `json:"versions"`
}

func (s *Server) history(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := newParams(r)
		if p.err != nil {
			return p.err
		}
		vs, err := s.store.History(r.Context(), plotline.Ref{Kind: kind, ID: r.PathValue("id")})
		if err != nil {
			return err
		}
		if vs, err = s.visibleVersions(r.Context(), kind, r.PathValue("id"), vs); err != nil {
			return err
		}
		out := History{Kind: kind, ID: r.PathValue("id"), Versions: make([]VersionView, len(vs))}
		for i, v := range vs {
			out.Versions[i] = VersionView{Version: v.Version, RecordedAt: v.RecordedAt, RecordedBy: v.RecordedBy,
				Note: v.Note, Deleted: v.Deleted, Data: v.Data}
		}
		return writeJSON(w, r, http.StatusOK, out)
	}
}

// FieldChange is one difference between two versions: the field's path
// (as in validation errors, e.g. "killed.best", "sources[2]") and its
// values before and after; a missing value is null.
type FieldChange struct {
	Path string `json:"path"`
	From any    `json:"from"`
	To   any    `json:"to"`
}

// Diff compares two versions of one record.
type Diff struct {
	Kind    string        `json:"kind"`
	ID      string        `json:"id"`
	From    VersionView   `json:"from"`
	To      VersionView   `json:"to"`
	Changes []FieldChange `json:"changes"`
}

// diff answers ?from=N&to=M (default: the latest version against the one before it).
func (s *Server) diff(kind string) func(w http.ResponseWriter, r *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p := newParams(r, "from", "to")
		from := p.intIn("from", 0, 1, 1<<30)
		to := p.intIn("to", 0, 1, 1<<30)
		if p.err != nil {
			return p.err
		}
		id := r.PathValue("id")
		vs, err := s.store.History(r.Context(), plotline.Ref{Kind: kind, ID: id})
		if err != nil {
			return err
		}
		if vs, err = s.visibleVersions(r.Context(), kind, id, vs); err != nil {
			return err
		}
		if to == 0 {
			to = vs[len(vs)-1].Version
		}
		if from == 0 {
			from = max(1, to-1)
		}
		find := func(field string, n int) (*plotline.Version, error) {
			for i := range vs {
				if vs[i].Version == n {
					return &vs[i], nil
				}
			}
			return nil, plotline.FieldError(field, "%s %q has no version %d (it has 1 to %d)", kind, id, n, vs[len(vs)-1].Version)
		}
		a, err := find("from", from)
		if err != nil {
			return err
		}
		b, err := find("to", to)
		if err != nil {
			return err
		}
		var va, vb any
		if a.Data != nil {
			if err := jsonUnmarshal(a.Data, &va); err != nil {
				return err
			}
		}
		if b.Data != nil {
			if err := jsonUnmarshal(b.Data, &vb); err != nil {
				return err
			}
		}
		out := Diff{Kind: kind, ID: id, Changes: diffValues("", va, vb, nil),
			From: VersionView{Version: a.Version, RecordedAt: a.RecordedAt, RecordedBy: a.RecordedBy, Note: a.Note, Deleted: a.Deleted},
			To:   VersionView{Version: b.Version, RecordedAt: b.RecordedAt, RecordedBy: b.RecordedBy, Note: b.Note, Deleted: b.Deleted}}
		if out.Changes == nil {
			out.Changes = []FieldChange{}
		}
		return writeJSON(w, r, http.StatusOK, out)
	}
}

// diffValues appends the differences between two decoded JSON values.
// Objects are compared key by key and arrays item by item, so a change
// deep inside shows with its full path.
func diffValues(path string, a, b any, out []FieldChange) []FieldChange {
	ma, aObj := a.(map[string]any)
	mb, bObj := b.(map[string]any)
	if aObj && bObj {
		keys := slices.Collect(maps.Keys(ma))
		for k := range mb {
			if _, ok := ma[k]; !ok {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" {
				p = path + "." + k
			}
			out = diffValues(p, ma[k], mb[k], out)
		}
		return out
	}
	la, aArr := a.([]any)
	lb, bArr := b.([]any)
	if aArr && bArr {
		for i := range max(len(la), len(lb)) {
			var x, y any
			if i < len(la) {
				x = la[i]
			}
			if i < len(lb) {
				y = lb[i]
			}
			out = diffValues(fmt.Sprintf("%s[%d]", path, i), x, y, out)
		}
		return out
	}
	if !reflect.DeepEqual(a, b) {
		if path == "" {
			path = "."
		}
		out = append(out, FieldChange{Path: path, From: a, To: b})
	}
	return out
}

// jsonBody encodes v exactly as writeJSON sends it.
func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode response: %w", err)
	}
	return buf.Bytes(), nil
}

// jsonUnmarshal decodes stored data; a failure is the store's fault.
func jsonUnmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode stored record: %w", err)
	}
	return nil
}
