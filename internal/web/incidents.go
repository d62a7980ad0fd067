package web

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/export"
	"github.com/plotline-dev/plotline/internal/httpapi"
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

// tableLimits bound the incident table's work per request.
type tableLimits struct {
	// page is how many rows the table shows at once.
	page int
	// sort bounds the matches sorted by a column other than the date: that
	// sort reads every matching incident. Above it the table keeps the date
	// order and says so; the date order pages through any number of matches.
	sort int
	// export bounds the rows one download carries (the API pages through
	// any number; plotline export writes whole stores).
	export int
}

var defaultLimits = tableLimits{page: 500, sort: 5000, export: 50000}

// table is the incident table as shown: one page of the matching rows, in
// order, with the chosen columns.
type table struct {
	Fields   []string // the filter language's field names, for the help text
	Q        string
	Sort     string
	Cols     []*column
	All      []colChoice
	Rows     []tableRow
	Total    int // incidents known before filtering
	Matched  int // incidents the filter selects
	First    int // 1-based position of the first row shown (0: none)
	Prev     string
	Next     string
	Note     string // why the rows are not in the order asked for
	QErr     string
	Download []download
	Drafts   httpapi.DraftsNote // the table leaves drafts out; how many wait
	// linked: the other records of listed groups of records linked as one;
	// their statements are the group's (engine links.go).
	linked map[string][]string
}

// match is Analytics.Match keeping the linked records of what it lists.
func (h *Handler) match(ctx context.Context, t *table, req httpapi.QueryRequest, offset, limit int) (*httpapi.Matches, error) {
	m, err := h.analytics.Match(ctx, req, offset, limit)
	if err != nil {
		return nil, err
	}
	for id, others := range m.Linked {
		if t.linked == nil {
			t.linked = map[string][]string{}
		}
		t.linked[id] = others
	}
	return m, nil
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

// buildTable reads q, sort, cols and page from the view and computes what
// the table shows: the analytics select and order the incidents, and only
// the rows shown are read from the store. With all set it returns every
// matching row instead of one page (up to limits.export).
func (h *Handler) buildTable(r *http.Request, v *view, all bool) (*table, error) {
	ctx := r.Context()
	g, err := h.analytics.Graph(ctx, v.Clock)
	if err != nil {
		return nil, err
	}
	q := v.Query
	t := &table{Q: q.Get("q"), Sort: q.Get("sort"), Fields: filterFields}
	if h.queryLang {
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
	pageNo := 1
	if s := q.Get("page"); s != "" {
		if pageNo, err = strconv.Atoi(s); err != nil || pageNo < 1 {
			return nil, plotline.FieldError("page", "%q is not a page number", s)
		}
	}
	for _, f := range []string{"csv", "json", "geojson"} {
		t.Download = append(t.Download, download{Label: strings.ToUpper(f), URL: v.Link("/incidents/export", "q", t.Q, "sort", q.Get("sort"), "cols", strings.Join(keys, ","), "format", f)})
	}
	size, offset := h.limits.page, (pageNo-1)*h.limits.page
	if all {
		size, offset = h.limits.export, 0
	}
	ids, err := h.tableIDs(ctx, v, t, sortCol, offset, size)
	if err != nil {
		if plotline.ErrorCode(err) != plotline.EINVALID {
			return nil, err
		}
		t.QErr = plotline.ErrorMessage(err) // shows nothing while the filter is wrong
	}
	t.Total = t.Matched
	if t.Q != "" {
		// Each Match sorts its matches: skip the count of all when it is
		// the one just made.
		known, err := h.analytics.Match(ctx, httpapi.QueryRequest{AsOf: v.Clock, Today: v.Day}, 0, 1)
		if err != nil {
			return nil, err
		}
		t.Total = known.Total
	}
	if t.QErr != "" {
		return t, nil
	}
	if all && t.Matched > h.limits.export {
		return nil, plotline.FieldError("q", "%d incidents match; a download carries at most %d: narrow the filter, or use the API or plotline export", t.Matched, h.limits.export)
	}
	ctxs, err := h.rowCtxs(ctx, v, g, ids, t.linked)
	if err != nil {
		return nil, err
	}
	if t.Note == "" && sortCol.Key != "date" {
		// Every match was read: sort them all, then cut the page.
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
		ctxs = ctxs[min(offset, len(ctxs)):min(offset+size, len(ctxs))]
	}
	for _, c := range ctxs {
		row := tableRow{ID: c.in.ID, in: c.in}
		for _, col := range t.Cols {
			row.Cells = append(row.Cells, col.value(c))
		}
		t.Rows = append(t.Rows, row)
	}
	if len(t.Rows) > 0 && !all {
		t.First = offset + 1
		if pageNo > 1 {
			t.Prev = v.With("page", pageLink(pageNo-1))
		}
		if offset+len(t.Rows) < t.Matched {
			t.Next = v.With("page", pageLink(pageNo+1))
		}
	}
	return t, nil
}

func pageLink(n int) string {
	if n <= 1 {
		return "" // page 1 is the URL without page=
	}
	return strconv.Itoa(n)
}

// tableIDs returns the IDs of the rows to show and sets t.Matched. In date
// order (ascending or descending) that is one page of matches. For another
// column it is every match when there are at most limits.sort (the caller
// sorts and cuts the page); above that, the page in date order, with t.Note
// saying so.
func (h *Handler) tableIDs(ctx context.Context, v *view, t *table, sortCol *column, offset, size int) ([]string, error) {
	req := httpapi.QueryRequest{Q: t.Q, AsOf: v.Clock, Today: v.Day}
	if sortCol.Key != "date" {
		m, err := h.match(ctx, t, req, 0, h.limits.sort+1)
		if err != nil {
			return nil, err
		}
		t.Matched = m.Total
		if m.Total <= h.limits.sort {
			return m.IDs, nil
		}
		t.Note = fmt.Sprintf("%d incidents match: sorting by %s needs at most %d, so they are in date order. Narrow the filter to sort them.", m.Total, sortCol.Label, h.limits.sort)
		if offset+size <= len(m.IDs) {
			return m.IDs[offset : offset+size], nil
		}
		m, err = h.match(ctx, t, req, offset, size)
		if err != nil {
			return nil, err
		}
		return m.IDs, nil
	}
	if !strings.HasPrefix(t.Sort, "-") {
		m, err := h.match(ctx, t, req, offset, size)
		if err != nil {
			return nil, err
		}
		t.Matched = m.Total
		return m.IDs, nil
	}
	// Newest first: the same order reversed, counted from the end.
	m, err := h.match(ctx, t, req, 0, 1)
	if err != nil {
		return nil, err
	}
	t.Matched = m.Total
	hi := m.Total - offset
	if hi <= 0 {
		return nil, nil
	}
	lo := max(0, hi-size)
	if m, err = h.match(ctx, t, req, lo, hi-lo); err != nil {
		return nil, err
	}
	slices.Reverse(m.IDs)
	return m.IDs, nil
}

// rowCtxs reads the incidents named by ids (in that order) as known on the
// view's day, with the names of the units their standing statements name,
// those of the records linked with them (linked) included.
func (h *Handler) rowCtxs(ctx context.Context, v *view, g *analysis.Graph, ids []string, linked map[string][]string) ([]*rowCtx, error) {
	var out []*rowCtx
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 1000)] // bounds each read
		ids = ids[len(chunk):]
		read := chunk
		for _, id := range chunk {
			if others := linked[id]; len(others) > 0 {
				if len(read) == len(chunk) {
					read = slices.Clone(chunk)
				}
				read = append(read, others...)
			}
		}
		byID, err := h.incidentsByID(ctx, read, v) // the reader's clearance applies to linked records too
		if err != nil {
			return nil, err
		}
		for _, id := range chunk {
			raw := byID[id]
			if raw == nil {
				continue // deleted since the index was built
			}
			in, ok := raw.AsKnownOn(v.Day)
			if !ok {
				continue
			}
			c := &rowCtx{in: &in}
			var actors []string
			stmts := in.Attributions
			for _, other := range linked[id] {
				if o := byID[other]; o != nil {
					if known, ok := o.AsKnownOn(v.Day); ok {
						stmts = append(slices.Clip(stmts), known.Attributions...)
					}
				}
			}
			for _, a := range stmts {
				if a.StandsOn(v.Day) {
					if !slices.Contains(actors, a.ActorID) {
						actors = append(actors, a.ActorID)
					}
					if !slices.Contains(c.bases, a.Basis) {
						c.bases = append(c.bases, a.Basis)
					}
				}
			}
			for _, id := range g.MostSpecific(actors, in.Date.Start) {
				c.units = append(c.units, g.Name(id))
			}
			out = append(out, c)
		}
	}
	return out, nil
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
	t, err := h.buildTable(r, v, false)
	if err == nil {
		t.Drafts, err = httpapi.DraftsNoteFor(r.Context(), h.store, httpapi.ChangeCacheOf(h.analytics))
	}
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

// exportIncidents downloads what the table shows: every matching row (not
// just the page shown), in the same order, with the same columns.
func (h *Handler) exportIncidents(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.buildTable(r, v, true)
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
		cells := make([]string, len(t.Cols))
		for _, row := range t.Rows {
			for i, c := range row.Cells {
				cells[i] = c
				if !t.Cols[i].Numeric { // free text: no spreadsheet formulas
					cells[i] = export.SafeCell(c)
				}
			}
			cw.Write(cells) //nolint:errcheck // as above
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
