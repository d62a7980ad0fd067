package web

import (
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/query"
)

// column is one column the incident table can show.
type column struct {
	Key, Label string
	Numeric    bool
	value      func(c *rowCtx) string
	sortKey    func(c *rowCtx) any // string, int or plotline.Day; nil = value
}

type rowCtx struct {
	in    *plotline.Incident
	units []string // names of the units standing statements name
	bases []string
}

func intOr(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

var columns = []column{
	{Key: "date", Label: "Date", value: func(c *rowCtx) string { return c.in.Date.String() }, sortKey: func(c *rowCtx) any { return c.in.Date.Start }},
	{Key: "id", Label: "ID", value: func(c *rowCtx) string { return c.in.ID }},
	{Key: "title", Label: "Title", value: func(c *rowCtx) string { return c.in.Title }},
	{Key: "kind", Label: "Kind", value: func(c *rowCtx) string { return c.in.Kind }},
	{Key: "outcome", Label: "Outcome", value: func(c *rowCtx) string { return c.in.Outcome }},
	{Key: "stage", Label: "Stage", value: func(c *rowCtx) string { return c.in.Stage }},
	{Key: "country", Label: "Location", value: func(c *rowCtx) string { return c.in.Location.Country }},
	{Key: "place", Label: "Place", value: func(c *rowCtx) string { return c.in.Location.Place }},
	{Key: "target", Label: "Target country", value: func(c *rowCtx) string { return c.in.TargetCountry }},
	{Key: "target_type", Label: "Target type", value: func(c *rowCtx) string { return c.in.TargetType }},
	{Key: "killed", Label: "Killed", Numeric: true, value: func(c *rowCtx) string { return rangeText(c.in.Killed) }, sortKey: func(c *rowCtx) any { return intOr(c.in.Killed.Best) }},
	{Key: "injured", Label: "Injured", Numeric: true, value: func(c *rowCtx) string { return rangeText(c.in.Injured) }, sortKey: func(c *rowCtx) any { return intOr(c.in.Injured.Best) }},
	{Key: "units", Label: "Attributed to", value: func(c *rowCtx) string { return strings.Join(c.units, "; ") }},
	{Key: "bases", Label: "Bases", value: func(c *rowCtx) string { return strings.Join(c.bases, ", ") }},
	{Key: "documentation", Label: "Documentation", value: func(c *rowCtx) string { return c.in.Documentation }},
	{Key: "sources", Label: "Sources", Numeric: true, value: func(c *rowCtx) string { return fmt.Sprint(len(c.in.Sources)) }, sortKey: func(c *rowCtx) any { return len(c.in.Sources) }},
}

var defaultColumns = []string{"date", "title", "kind", "outcome", "target", "killed", "units"}

func columnByKey(k string) *column {
	for i := range columns {
		if columns[i].Key == k {
			return &columns[i]
		}
	}
	return nil
}

// table is the incident table as shown: the rows, in order, with the chosen columns.
type table struct {
	Fields   []string // the filter language's field names, for the help text
	Q        string
	Sort     string
	Cols     []*column
	All      []colChoice
	Rows     []tableRow
	Total    int // incidents known before filtering
	QErr     string
	Download []download
}

type colChoice struct {
	Key, Label string
	On         bool
}

type tableRow struct {
	ID    string
	Cells []string
	in    *plotline.Incident
}

type download struct{ Label, URL string }

// buildTable reads q, sort and cols from the view and computes what the table shows.
func (h *Handler) buildTable(r *http.Request, v *view) (*table, error) {
	wd, err := h.load(r.Context(), v)
	if err != nil {
		return nil, err
	}
	q := v.Query
	t := &table{Q: q.Get("q"), Sort: q.Get("sort"), Fields: filterFields}
	if h.engine != nil {
		t.Fields = nil
		for _, f := range query.Fields {
			t.Fields = append(t.Fields, f.Name)
		}
	}
	if t.Sort == "" {
		t.Sort = "date"
	}
	keys := defaultColumns
	if c := q.Get("cols"); c != "" {
		keys = strings.Split(c, ",")
	}
	if len(q["col"]) > 0 { // the column checkboxes
		keys = q["col"]
	}
	for _, k := range keys {
		c := columnByKey(k)
		if c == nil {
			return nil, plotline.FieldError("cols", "unknown column %q", k)
		}
		if !slices.Contains(t.Cols, c) {
			t.Cols = append(t.Cols, c)
		}
	}
	for _, c := range columns {
		t.All = append(t.All, colChoice{Key: c.Key, Label: c.Label, On: slices.Contains(keys, c.Key)})
	}
	sortCol := columnByKey(strings.TrimPrefix(t.Sort, "-"))
	if sortCol == nil {
		return nil, plotline.FieldError("sort", "cannot sort by %q", t.Sort)
	}
	match, err := h.matcher(r, v, t.Q, wd)
	if err != nil {
		if plotline.ErrorCode(err) != plotline.EINVALID {
			return nil, err
		}
		t.QErr = plotline.ErrorMessage(err)
		match = func(*plotline.Incident) bool { return false } // shows nothing while the filter is wrong
	}
	var ctxs []*rowCtx
	for _, raw := range wd.snap.Incidents {
		in, ok := raw.AsKnownOn(v.Day)
		if !ok {
			continue
		}
		t.Total++
		if !match(&in) {
			continue
		}
		c := &rowCtx{in: &in}
		var ids []string
		for _, a := range in.Attributions {
			if a.StandsOn(v.Day) {
				if !slices.Contains(ids, a.ActorID) {
					ids = append(ids, a.ActorID)
				}
				if !slices.Contains(c.bases, a.Basis) {
					c.bases = append(c.bases, a.Basis)
				}
			}
		}
		for _, id := range wd.graph.MostSpecific(ids, in.Date.Start) {
			c.units = append(c.units, wd.graph.Name(id))
		}
		ctxs = append(ctxs, c)
	}
	desc := strings.HasPrefix(t.Sort, "-")
	slices.SortStableFunc(ctxs, func(a, b *rowCtx) int {
		n := compareKeys(sortCol, a, b)
		if n == 0 {
			n = cmp.Compare(a.in.ID, b.in.ID)
		}
		if desc {
			return -n
		}
		return n
	})
	for _, c := range ctxs {
		row := tableRow{ID: c.in.ID, in: c.in}
		for _, col := range t.Cols {
			row.Cells = append(row.Cells, col.value(c))
		}
		t.Rows = append(t.Rows, row)
	}
	for _, f := range []string{"csv", "json", "geojson"} {
		t.Download = append(t.Download, download{Label: strings.ToUpper(f), URL: v.Link("/incidents/export", "q", t.Q, "sort", q.Get("sort"), "cols", strings.Join(keys, ","), "format", f)})
	}
	return t, nil
}

// matcher returns the filter of the table: the engine's answer to the query
// language when an engine is configured, else the built-in filter.
func (h *Handler) matcher(r *http.Request, v *view, q string, wd *world) (func(*plotline.Incident) bool, error) {
	if h.engine == nil {
		f, err := parseFilter(q, wd.graph)
		if err != nil {
			return nil, err
		}
		return func(in *plotline.Incident) bool { return f.match(wd.graph, in, v.Day) }, nil
	}
	pq, err := query.Parse(q)
	if err != nil {
		return nil, plotline.FieldError("q", "%s", err.Error())
	}
	m, err := h.engine.Match(r.Context(), engine.Request{Query: pq, AsOf: v.Clock})
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(m.IDs))
	for _, id := range m.IDs {
		ids[id] = true
	}
	return func(in *plotline.Incident) bool { return ids[in.ID] }, nil
}

func compareKeys(col *column, a, b *rowCtx) int {
	if col.sortKey == nil {
		return cmp.Compare(strings.ToLower(col.value(a)), strings.ToLower(col.value(b)))
	}
	switch ka := col.sortKey(a).(type) {
	case int:
		return cmp.Compare(ka, col.sortKey(b).(int))
	case plotline.Day:
		return cmp.Compare(ka, col.sortKey(b).(plotline.Day))
	}
	return 0
}

// SortLink returns the URL sorting by key, toggling direction when it already sorts by it.
func (t *table) SortLink(v *view, key string) string {
	next := key
	if t.Sort == key {
		next = "-" + key
	}
	return v.With("sort", next)
}

// SortState is the aria-sort value of a column header.
func (t *table) SortState(key string) string {
	switch t.Sort {
	case key:
		return "ascending"
	case "-" + key:
		return "descending"
	}
	return "none"
}

func (h *Handler) incidents(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.buildTable(r, v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	code := http.StatusOK
	if t.QErr != "" {
		code = http.StatusBadRequest
	}
	h.render(w, r, code, "incidents", &page{Title: "Incidents", Nav: "incidents", View: v, Data: t})
}

// exportIncidents downloads exactly what the table shows: the same rows in
// the same order with the same columns.
func (h *Handler) exportIncidents(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.buildTable(r, v)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if t.QErr != "" {
		h.fail(w, r, plotline.FieldError("q", "%s", t.QErr))
		return
	}
	format := v.Query.Get("format")
	name := "plotline-incidents"
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		cw := csv.NewWriter(w)
		head := []string{}
		for _, c := range t.Cols {
			head = append(head, c.Key)
		}
		cw.Write(head) //nolint:errcheck // checked by Flush/Error below
		for _, row := range t.Rows {
			cw.Write(row.Cells) //nolint:errcheck // as above
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			h.log.WarnContext(r.Context(), "web: csv export", "err", err)
		}
	case "json":
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.json"`)
		out := make([]map[string]string, 0, len(t.Rows))
		for _, row := range t.Rows {
			out = append(out, t.record(row))
		}
		h.writeJSON(w, r, out)
	case "geojson":
		w.Header().Set("Content-Type", "application/geo+json")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.geojson"`)
		type geometry struct {
			Type        string    `json:"type"`
			Coordinates []float64 `json:"coordinates"`
		}
		type feature struct {
			Type       string            `json:"type"`
			ID         string            `json:"id"`
			Geometry   *geometry         `json:"geometry"`
			Properties map[string]string `json:"properties"`
		}
		fc := struct {
			Type     string    `json:"type"`
			Features []feature `json:"features"`
		}{Type: "FeatureCollection", Features: []feature{}}
		for _, row := range t.Rows {
			f := feature{Type: "Feature", ID: row.ID, Properties: t.record(row)}
			if loc := row.in.Location; loc.Lat != nil && loc.Lon != nil {
				f.Geometry = &geometry{Type: "Point", Coordinates: []float64{*loc.Lon, *loc.Lat}}
			}
			fc.Features = append(fc.Features, f)
		}
		h.writeJSON(w, r, fc)
	default:
		h.fail(w, r, plotline.FieldError("format", "%q is not csv, json or geojson", format))
	}
}

func (t *table) record(row tableRow) map[string]string {
	m := make(map[string]string, len(t.Cols))
	for i, c := range t.Cols {
		m[c.Key] = row.Cells[i]
	}
	return m
}

func (h *Handler) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		h.log.WarnContext(r.Context(), "web: write json", "err", err)
	}
}
