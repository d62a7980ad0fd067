package httpapi

import (
	"net/http"
	"strings"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
)

func (s *Server) today() plotline.Day { return plotline.DayOf(s.cfg.Now()) }

// report answers the external-operations report: from, to (required),
// related_to, org, rule, as_of, recorded.
func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	p := newParams(r, "from", "to", "related_to", "org", "rule")
	req := ReportRequest{AsOf: p.asOf(), RelatedTo: p.str("related_to"), Org: p.str("org"), Rule: p.str("rule"), Today: s.today()}
	from, to := p.day("from"), p.day("to")
	if p.err != nil {
		return p.err
	}
	if from == nil {
		return plotline.FieldError("from", "is required (YYYY-MM-DD)")
	}
	if to == nil {
		return plotline.FieldError("to", "is required (YYYY-MM-DD)")
	}
	if *to < *from {
		return plotline.FieldError("to", "%s is before from %s", *to, *from)
	}
	if _, err := analysis.ParseRule(req.Rule); err != nil {
		return err
	}
	req.From, req.To = *from, *to
	if err := s.checkActorNames(r.Context(), req.AsOf, [2]string{"related_to", req.RelatedTo}, [2]string{"org", req.Org}); err != nil {
		return err
	}
	rep, err := s.analytics.Report(r.Context(), req)
	if err != nil {
		return err
	}
	drafts, err := DraftsNoteFor(r.Context(), s.store, s.cache())
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, ReportAnswer{ExternalOpsReport: *rep, DraftsPending: drafts.Pending})
}

// queryRequest reads the parameters every analytics endpoint shares, plus
// the named extra ones.
func (s *Server) queryRequest(r *http.Request, extra ...string) (*params, QueryRequest) {
	p := newParams(r, append([]string{"q", "rule"}, extra...)...)
	req := QueryRequest{Q: p.str("q"), AsOf: p.asOf(), Today: s.today(), Rule: p.str("rule")}
	if req.Rule != "" {
		if _, err := analysis.ParseRule(req.Rule); err != nil {
			p.fail(err)
		}
	}
	return p, req
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// QueryResult lists the IDs of the incidents a query selects (published
// data only, as DraftsNote says).
type QueryResult struct {
	Q          string   `json:"q"`
	Total      int      `json:"total"`
	IDs        []string `json:"ids"`
	NextCursor string   `json:"next_cursor,omitempty"`
	DraftsNote
}

func (s *Server) query(w http.ResponseWriter, r *http.Request) error {
	p, req := s.queryRequest(r, "limit", "cursor")
	limit := p.intIn("limit", 1000, 1, 100000)
	after := p.cursor("cursor")
	if p.err != nil {
		return p.err
	}
	if err := s.checkQueryActors(r.Context(), req.AsOf, req.Q); err != nil {
		return err
	}
	m, next, err := page(r.Context(), s.analytics, req, after, limit)
	if err != nil {
		return err
	}
	drafts, err := DraftsNoteFor(r.Context(), s.store, s.cache())
	if err != nil {
		return err
	}
	out := QueryResult{Q: req.Q, Total: m.Total, IDs: m.IDs, NextCursor: next, DraftsNote: drafts}
	return writeJSON(w, r, http.StatusOK, out)
}

// count answers ?q=&by=a,b,c (up to three dimensions).
func (s *Server) count(w http.ResponseWriter, r *http.Request) error {
	p, req := s.queryRequest(r, "by", "limit")
	req.By = splitList(p.str("by"))
	req.Limit = p.intIn("limit", 0, 0, 100000)
	if len(req.By) > 3 {
		p.fail(plotline.FieldError("by", "at most three dimensions, got %d", len(req.By)))
	}
	if p.err != nil {
		return p.err
	}
	if err := s.checkQueryActors(r.Context(), req.AsOf, req.Q); err != nil {
		return err
	}
	out, err := s.analytics.Count(r.Context(), req)
	if err != nil {
		return err
	}
	return s.writeAnalytics(w, r, out)
}

// crosstab answers ?q=&rows=DIM&cols=DIM.
func (s *Server) crosstab(w http.ResponseWriter, r *http.Request) error {
	p, req := s.queryRequest(r, "rows", "cols", "limit")
	rows, cols := p.str("rows"), p.str("cols")
	req.Limit = p.intIn("limit", 0, 0, 100000)
	if p.err != nil {
		return p.err
	}
	if rows == "" {
		return plotline.FieldError("rows", "is required (a dimension, e.g. unit)")
	}
	if cols == "" {
		return plotline.FieldError("cols", "is required (a dimension, e.g. target)")
	}
	req.By = []string{rows, cols}
	if err := s.checkQueryActors(r.Context(), req.AsOf, req.Q); err != nil {
		return err
	}
	out, err := s.analytics.CrossTab(r.Context(), req)
	if err != nil {
		return err
	}
	return s.writeAnalytics(w, r, out)
}

// Intervals are the series' bucket sizes.
var intervals = []string{"week", "month", "quarter", "half", "year"}

// series answers ?q=&every=month&from=&to=&by=DIM.
func (s *Server) series(w http.ResponseWriter, r *http.Request) error {
	p, req := s.queryRequest(r, "every", "from", "to", "by")
	req.Every = p.oneOf("every", intervals)
	req.From, req.To = p.day("from"), p.day("to")
	req.By = splitList(p.str("by"))
	if len(req.By) > 1 {
		p.fail(plotline.FieldError("by", "a series splits by at most one dimension"))
	}
	if p.err != nil {
		return p.err
	}
	if req.Every == "" {
		req.Every = "month"
	}
	if err := checkPeriod(req.From, req.To); err != nil {
		return err
	}
	if err := s.checkQueryActors(r.Context(), req.AsOf, req.Q); err != nil {
		return err
	}
	out, err := s.analytics.Series(r.Context(), req)
	if err != nil {
		return err
	}
	return s.writeAnalytics(w, r, out)
}

// projection answers ?q=&from=&to=&by=DIM: the rate over [from, as_of] and
// its projection to the end of the period.
func (s *Server) projection(w http.ResponseWriter, r *http.Request) error {
	p, req := s.queryRequest(r, "from", "to", "by")
	req.From, req.To = p.day("from"), p.day("to")
	req.By = splitList(p.str("by"))
	if len(req.By) > 1 {
		p.fail(plotline.FieldError("by", "a projection splits by at most one dimension"))
	}
	if p.err != nil {
		return p.err
	}
	if req.From == nil {
		return plotline.FieldError("from", "is required (YYYY-MM-DD)")
	}
	if req.To == nil {
		return plotline.FieldError("to", "is required (YYYY-MM-DD)")
	}
	if err := checkPeriod(req.From, req.To); err != nil {
		return err
	}
	if err := s.checkQueryActors(r.Context(), req.AsOf, req.Q); err != nil {
		return err
	}
	out, err := s.analytics.Projection(r.Context(), req)
	if err != nil {
		return err
	}
	return s.writeAnalytics(w, r, out)
}

// cache returns the analytics' ChangeCache, or nil.
func (s *Server) cache() *ChangeCache { return ChangeCacheOf(s.analytics) }

// writeAnalytics answers with an analytics result and the drafts note.
func (s *Server) writeAnalytics(w http.ResponseWriter, r *http.Request, out any) error {
	drafts, err := DraftsNoteFor(r.Context(), s.store, s.cache())
	if err != nil {
		return err
	}
	return writeJSON(w, r, http.StatusOK, WithDrafts(out, drafts))
}

func checkPeriod(from, to *plotline.Day) error {
	if from != nil && to != nil && *to < *from {
		return plotline.FieldError("to", "%s is before from %s", *to, *from)
	}
	return nil
}

// APIIndex points at the API's document and lists its routes.
type APIIndex struct {
	Name    string   `json:"name"`
	OpenAPI string   `json:"openapi"`
	Routes  []string `json:"routes"`
}

func (s *Server) apiIndex(w http.ResponseWriter, r *http.Request) error {
	if p := newParams(r); p.err != nil {
		return p.err
	}
	return writeJSON(w, r, http.StatusOK, APIIndex{Name: "Plotline API v1", OpenAPI: "/api/v1/openapi.json", Routes: s.Routes()})
}
