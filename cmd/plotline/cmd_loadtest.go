package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/web"
)

// loadTarget is one endpoint the load test measures.
type loadTarget struct{ name, path string }

// dashboardTargets are the requests behind the dashboard: the seed's
// report, a monthly series and the unit × target cross-tab of the Islamic
// State's units, and a page of the incident table, for H1 2024; the "-all"
// variants ask about every actor (thousands on generated data).
var dashboardTargets = []loadTarget{
	{"report", "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&related_to=ISKP&as_of=2025-06-30"},
	{"series", "/api/v1/series?q=date:2024-01..2024-06%20actor:is%2B&every=month&from=2024-01-01&to=2024-06-30"},
	{"crosstab", "/api/v1/crosstab?q=date:2024-01..2024-06%20actor:is%2B&rows=unit&cols=target"},
	{"series-all", "/api/v1/series?q=date:2024-01..2024-06&every=month&from=2024-01-01&to=2024-06-30"},
	{"crosstab-all", "/api/v1/crosstab?q=date:2024-01..2024-06&rows=unit&cols=target"},
	{"incidents", "/api/v1/incidents?q=date:2024-01..2024-06&limit=50"},
	{"incidents-all", "/api/v1/incidents?limit=50"},
}

// loadtest serves the database on a loopback port inside this process and
// measures requests/s and latency percentiles for the dashboard endpoints.
// It is bounded: at most --requests per endpoint and --max-time each.
func (m *Main) loadtest(ctx context.Context, args []string) error {
	f := m.newFlags("loadtest", "[--requests N] [--concurrency C] [--max-time D] [--ui]")
	requests := f.Int("requests", 2000, "requests per endpoint (upper bound)")
	conc := f.Int("concurrency", 4, "concurrent clients")
	maxTime := f.Duration("max-time", 20*time.Second, "time limit per endpoint (upper bound)")
	withUI := f.Bool("ui", false, "also measure the dashboard page GET / of the web UI")
	if _, err := f.parse(args); err != nil {
		return err
	}
	if *requests < 1 || *conc < 1 || *maxTime <= 0 {
		return fmt.Errorf("loadtest: --requests, --concurrency and --max-time must be positive")
	}
	db, err := m.openAnyStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	quiet := slog.New(slog.DiscardHandler)
	start := time.Now()
	analytics, err := m.analytics(ctx, db, quiet)
	if err != nil {
		return err
	}
	ready := time.Since(start)
	cfg := httpapi.Config{Store: db, Analytics: analytics, Logger: quiet, Now: m.Now, RequestTimeout: 5 * time.Minute,
		WriteTimeout: 5 * time.Minute}
	targets := slices.Clone(dashboardTargets)
	if *withUI {
		cfg.UI = web.New(m.webConfig(db, analytics, quiet))
		targets = append(targets, loadTarget{"ui-dashboard", "/?from=2024-01-01&to=2024-06-30&related_to=ISKP"})
	}
	srv := httpapi.NewServer(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln, nil) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc, MaxConnsPerHost: *conc}}

	total, err := loadCount(ctx, client, base)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "plotline loadtest: %d incidents; analytics %T ready in %s; GOMAXPROCS %d; %d clients; ≤ %d requests or %s per endpoint\n\n",
		total, analytics, ready.Round(time.Millisecond), runtime.GOMAXPROCS(0), *conc, *requests, *maxTime)
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "endpoint\trequests\terrors\treq/s\tp50\tp99\tmax\tbytes/resp\t")
	for _, t := range targets {
		if ctx.Err() != nil {
			break
		}
		r := runLoad(ctx, client, base+t.path, *requests, *conc, *maxTime)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%d\t\n", t.name, r.n, r.errors, r.rate,
			fmtDur(r.p50), fmtDur(r.p99), fmtDur(r.max), r.bytes)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	stop()
	return <-served
}

// loadCount asks the API how many incidents the store holds.
func loadCount(ctx context.Context, c *http.Client, base string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/api/v1/query?limit=1", nil)
	if err != nil {
		return 0, err
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err
	}
	var n int
	if i := strings.Index(string(body), `"total":`); i >= 0 {
		fmt.Sscanf(string(body[i+len(`"total":`):]), "%d", &n)
	}
	return n, nil
}

type loadResult struct {
	n, errors     int
	rate          float64
	p50, p99, max time.Duration
	bytes         int64
}

// runLoad sends up to n GETs of url from conc clients, stopping at maxTime.
// The first request of each client warms up and is not counted.
func runLoad(ctx context.Context, c *http.Client, url string, n, conc int, maxTime time.Duration) loadResult {
	ctx, cancel := context.WithTimeout(ctx, maxTime)
	defer cancel()
	var next atomic.Int64
	var errs atomic.Int64
	var size atomic.Int64
	lat := make([][]time.Duration, conc)
	get := func() (time.Duration, bool) {
		t0 := time.Now()
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return 0, false
		}
		res, err := c.Do(req)
		if err != nil {
			return 0, false
		}
		b, err := io.Copy(io.Discard, res.Body)
		res.Body.Close()
		size.Store(b)
		return time.Since(t0), err == nil && res.StatusCode == http.StatusOK
	}
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() { get() }) // warm-up: connections, caches
	}
	wg.Wait()
	t0 := time.Now()
	for w := range conc {
		wg.Go(func() {
			for next.Add(1) <= int64(n) && ctx.Err() == nil {
				d, ok := get()
				if ctx.Err() != nil {
					return // cut off by the time limit: not a measurement
				}
				if !ok {
					errs.Add(1)
					continue
				}
				lat[w] = append(lat[w], d)
			}
		})
	}
	wg.Wait()
	wall := time.Since(t0)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := loadResult{n: len(all), errors: int(errs.Load()), bytes: size.Load()}
	if len(all) > 0 {
		r.rate = float64(len(all)) / wall.Seconds()
		r.p50 = all[len(all)*50/100]
		r.p99 = all[min(len(all)-1, len(all)*99/100)]
		r.max = all[len(all)-1]
	}
	return r
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%dµs", d.Microseconds())
}
