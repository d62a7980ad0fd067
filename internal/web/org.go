package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/analysis"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// orgNode is one unit of the organisation chart on a day.
type orgNode struct {
	A        plotline.Actor
	Since    string // the affiliation's start, when known
	Children []*orgNode
	Home     []string
}

type orgData struct {
	On       string
	Roots    []*orgNode
	Count    int
	Dates    []string
	Withheld string // the actors and affiliations withheld at the user's clearance (withheldText)
}

func (h *Handler) org(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	on := v.Day
	if s := v.Query.Get("on"); s != "" {
		if on, err = plotline.ParseDay(s); err != nil {
			h.fail(w, r, plotline.FieldError("on", "%v", err))
			return
		}
	}
	g, withheld, err := h.graph(r.Context(), v.Clock)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &orgData{On: on.String(), Dates: []string{"2015-01-01", "2018-01-01", "2020-01-01", "2024-01-01", v.Day.String()},
		Withheld: withheldText(plotline.Withheld{Actors: withheld.Actors, Affiliations: withheld.Affiliations})}
	exists := map[string]*plotline.Actor{}
	actors := g.Actors()
	for i := range actors {
		a := &actors[i]
		if a.Founded.Known() && a.Founded.Start > on {
			continue
		}
		if a.Dissolved.Known() && a.Dissolved.End < on {
			continue
		}
		exists[a.ID] = a
	}
	type edge struct{ child, since string }
	kids := map[string][]edge{}
	hasParent := map[string]bool{}
	for _, f := range g.Affiliations() {
		if exists[f.ChildID] == nil || exists[f.ParentID] == nil || !f.ValidOn(on) {
			continue
		}
		kids[f.ParentID] = append(kids[f.ParentID], edge{f.ChildID, f.From.String()})
		hasParent[f.ChildID] = true
	}
	// A unit under two parents shows under both; depth is bounded in case
	// the data ever holds a cycle.
	var build func(id, since string, depth int) *orgNode
	build = func(id, since string, depth int) *orgNode {
		a := exists[id]
		n := &orgNode{A: *a, Since: since}
		for _, hc := range a.Home {
			if a.HomeOn(hc.Country, on) {
				n.Home = append(n.Home, hc.Country)
			}
		}
		if depth < 12 {
			for _, k := range kids[id] {
				n.Children = append(n.Children, build(k.child, k.since, depth+1))
			}
		}
		sortNodes(n.Children)
		return n
	}
	for id := range exists {
		if !hasParent[id] {
			d.Roots = append(d.Roots, build(id, "", 0))
		}
	}
	sortNodes(d.Roots)
	d.Count = len(exists)
	h.render(w, r, http.StatusOK, "org", &page{Title: "Organisation chart", Nav: "org", View: v, Data: d})
}

func sortNodes(list []*orgNode) {
	sort.SliceStable(list, func(i, j int) bool {
		ki, kj := slices.Index(plotline.ActorKinds, list[i].A.Kind), slices.Index(plotline.ActorKinds, list[j].A.Kind)
		if ki != kj {
			return ki < kj
		}
		return list[i].A.Name < list[j].A.Name
	})
}

// netNode and netEdge lay out the network view: units → incidents → target countries.
type netNode struct {
	X, Y, W int
	Label   string
	Class   string
	Href    string
	Title   string
	TextX   int
	TextEnd bool
}

type netEdge struct {
	D     string
	Class string
}

type networkData struct {
	P             *reportParams
	R             *analysis.ExternalOpsReport
	Width, Height int
	Nodes         []netNode
	Edges         []netEdge
	Actors        []plotline.Actor
	Rules         []string
	Drafts        httpapi.DraftsNote
	Withheld      string // what the report left out at the user's clearance (withheldText)
}

func (h *Handler) network(w http.ResponseWriter, r *http.Request) {
	v, err := h.newView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	g, _, err := h.graph(r.Context(), v.Clock)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := readReportParams(v, g)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := h.report(r.Context(), v, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	drafts, err := httpapi.DraftsNoteFor(r.Context(), h.store, httpapi.ChangeCacheOf(h.analytics))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &networkData{P: p, R: rep, Width: 1000, Actors: orgActors(g.Actors()), Rules: []string{"any", "official", "claims", "best"}, Drafts: drafts}
	if rep.Withheld != nil {
		d.Withheld = withheldText(*rep.Withheld)
	}
	const rowH, nodeH = 26, 20
	var units, countries []string
	for _, in := range rep.Incidents {
		for _, u := range in.Units {
			if !slices.Contains(units, u) {
				units = append(units, u)
			}
		}
		if !slices.Contains(countries, in.TargetCountry) {
			countries = append(countries, in.TargetCountry)
		}
	}
	sort.Strings(countries)
	d.Height = max(3, len(rep.Incidents)+1) * rowH
	spread := func(i, n int) int { return (i*2+1)*d.Height/(2*max(1, n)) - nodeH/2 }
	unitY, countryY, incY := map[string]int{}, map[string]int{}, map[string]int{}
	for i, u := range units {
		y := spread(i, len(units))
		unitY[u] = y
		d.Nodes = append(d.Nodes, netNode{X: 0, Y: y, W: 250, Label: g.Name(u), Class: "unit", TextX: 6,
			Href: v.Link("/incidents", "q", "actor:"+u+"+"), Title: "Incidents attributed to " + g.Name(u)})
	}
	for i, in := range rep.Incidents {
		y := i*rowH + rowH/2
		incY[in.ID] = y
		label := in.Date + " " + in.Title
		if len(label) > 52 {
			label = label[:50] + "…"
		}
		d.Nodes = append(d.Nodes, netNode{X: 330, Y: y, W: 420, Label: label, Class: "incident", TextX: 336,
			Href: v.Link("/incidents/" + url.PathEscape(in.ID)), Title: in.Title})
	}
	for i, c := range countries {
		y := spread(i, len(countries))
		countryY[c] = y
		d.Nodes = append(d.Nodes, netNode{X: 830, Y: y, W: 170, Label: countryLabel(c), Class: "country", TextX: 836,
			Href: v.Link("/incidents", "q", "target:"+c), Title: "Incidents targeting " + countryLabel(c)})
	}
	curve := func(x1, y1, x2, y2 int) string {
		mid := (x1 + x2) / 2
		return fmt.Sprintf("M%d,%d C%d,%d %d,%d %d,%d", x1, y1, mid, y1, mid, y2, x2, y2)
	}
	for _, in := range rep.Incidents {
		cls := "edge"
		if in.Related {
			cls += " related"
		}
		y := incY[in.ID] + nodeH/2
		for _, u := range in.Units {
			d.Edges = append(d.Edges, netEdge{D: curve(250, unitY[u]+nodeH/2, 330, y), Class: cls})
		}
		d.Edges = append(d.Edges, netEdge{D: curve(750, y, 830, countryY[in.TargetCountry]+nodeH/2), Class: cls})
	}
	h.render(w, r, http.StatusOK, "network", &page{Title: "Network", Nav: "network", View: v, Data: d})
}
