package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/httpapi"
)

// mixedRead is one kind of read in the mixed load; engineOnly reads need
// the analytics engine (they answer 501 on the snapshot fallback).
type mixedRead struct {
	name, path string
	engineOnly bool
}

var mixedReads = []mixedRead{
	{"get-incident", "/api/v1/incidents/2024-01-28-tur-istanbul-church", false},
	{"list-incidents", "/api/v1/incidents?limit=50", false},
	{"report", "/api/v1/report/external-ops?from=2024-01-01&to=2024-06-30&related_to=ISKP&as_of=2025-06-30", false},
	{"history", "/api/v1/incidents/2024-01-28-tur-istanbul-church/history", false},
	{"series", "/api/v1/series?q=date:2024-01..2024-06&every=month&from=2024-01-01&to=2024-06-30", true},
	{"crosstab", "/api/v1/crosstab?q=date:2024-01..2024-06&rows=unit&cols=target", true},
	{"query", "/api/v1/incidents?q=date:2024-01..2024-06&limit=50", true},
}

// loadtestMixed serves the database on a loopback port inside this process
// and runs --clients clients for --duration, each sending reads and, with
// probability --writes, a write (a PUT of an incident of its own, created
// first). It is bounded in time and in requests, and it writes: run it on a
// copy or a scratch database.
func (m *Main) loadtestMixed(ctx context.Context, args []string) error {
	f := m.newFlags("loadtest-mixed", "[--clients N] [--duration D] [--writes P] [--max-requests N] [--seed S]")
	clients := f.Int("clients", 32, "concurrent clients")
	duration := f.Duration("duration", 60*time.Second, "how long to run (upper bound)")
	writes := f.Float64("writes", 0.1, "share of requests that are writes, 0..1")
	maxReq := f.Int("max-requests", 1_000_000, "stop after this many requests (upper bound)")
	seed := f.Uint64("seed", 1, "random seed for the request mix")
	if _, err := f.parse(args); err != nil {
		return err
	}
	if *clients < 1 || *clients > 1024 || *duration <= 0 || *duration > time.Hour || *writes < 0 || *writes > 1 || *maxReq < 1 {
		return plotline.Errorf(plotline.EINVALID, "loadtest-mixed: want 1 ≤ --clients ≤ 1024, 0 < --duration ≤ 1h, 0 ≤ --writes ≤ 1, --max-requests ≥ 1")
	}
	db, err := m.openAnyStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	quiet := slog.New(slog.DiscardHandler)
	analytics, err := m.analytics(ctx, db, quiet)
	if err != nil {
		return err
	}
	reads := mixedReads
	if _, ok := analytics.(*httpapi.SnapshotAnalytics); ok {
		reads = slices.DeleteFunc(slices.Clone(mixedReads), func(r mixedRead) bool { return r.engineOnly })
		fmt.Fprintln(m.Stdout, "note: this store cannot feed the analytics engine; series, cross-tab and q= reads are left out (they answer 501)")
	}
	srv := httpapi.NewServer(httpapi.Config{Store: db, Analytics: analytics, Logger: quiet, Now: m.Now})
	ln, err := net.Listen("tcp", "127.0.0.1:0") // loopback only
	if err != nil {
		return err
	}
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(sctx, ln, nil) }()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *clients, MaxConnsPerHost: *clients}, Timeout: time.Minute}

	// Each client owns one incident to edit, so that writes never conflict.
	stamp := fmt.Sprintf("%d", m.Now().UnixNano())
	own := make([]map[string]any, *clients)
	tmpl, err := mixedDo(ctx, client, "GET", base+mixedReads[0].path, nil)
	if err != nil {
		return fmt.Errorf("loadtest-mixed: read the template incident: %w", err)
	}
	delete(tmpl, "attributions")
	for c := range own {
		in := copyObject(tmpl)
		in["id"] = fmt.Sprintf("loadtest-%s-%d", stamp, c)
		in["title"] = "Load test record " + in["id"].(string)
		if _, err := mixedDo(ctx, client, "POST", base+"/api/v1/incidents", in); err != nil {
			return fmt.Errorf("loadtest-mixed: create the clients' incidents: %w", err)
		}
		own[c] = in
	}

	fmt.Fprintf(m.Stdout, "plotline loadtest-mixed: %s; analytics %T; GOMAXPROCS %d; %d clients for %s (≤ %d requests), %.0f%% writes, seed %d\n\n",
		redact(f.db), analytics, runtime.GOMAXPROCS(0), *clients, *duration, *maxReq, *writes*100, *seed)
	lctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	type sample struct {
		op  string
		d   time.Duration
		err bool
	}
	var sent atomic.Int64
	results := make([][]sample, *clients)
	firstErr := make([]error, *clients)
	t0 := time.Now()
	var wg sync.WaitGroup
	for c := range *clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(*seed, uint64(c)))
			for k := 0; lctx.Err() == nil && sent.Add(1) <= int64(*maxReq); k++ {
				var (
					op       string
					err      error
					start    = time.Now()
					isWrite  = rng.Float64() < *writes
					readPick = reads[rng.IntN(len(reads))]
				)
				if isWrite {
					op = "write"
					own[c]["summary"] = fmt.Sprintf("load test: client %d edit %d", c, k)
					_, err = mixedDo(lctx, client, "PUT", base+"/api/v1/incidents/"+url.PathEscape(own[c]["id"].(string)), own[c])
				} else {
					op = readPick.name
					_, err = mixedDo(lctx, client, "GET", base+readPick.path, nil)
				}
				if lctx.Err() != nil {
					return // cut off by the time limit: not a measurement
				}
				if err != nil && firstErr[c] == nil {
					firstErr[c] = err
				}
				results[c] = append(results[c], sample{op, time.Since(start), err != nil})
			}
		})
	}
	wg.Wait()
	wall := time.Since(t0)

	byOp := map[string][]time.Duration{}
	errs := map[string]int{}
	var all []time.Duration
	for _, rs := range results {
		for _, s := range rs {
			if s.err {
				errs[s.op]++
				errs["all"]++
				continue
			}
			byOp[s.op] = append(byOp[s.op], s.d)
			all = append(all, s.d)
		}
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "operation\trequests\terrors\treq/s\tp50\tp99\tmax\t")
	row := func(name string, ds []time.Duration, nerr int) {
		slices.Sort(ds)
		var p50, p99, mx time.Duration
		if len(ds) > 0 {
			p50, p99, mx = ds[len(ds)*50/100], ds[min(len(ds)-1, len(ds)*99/100)], ds[len(ds)-1]
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%s\t%s\t%s\t\n", name, len(ds), nerr, float64(len(ds))/wall.Seconds(), fmtDur(p50), fmtDur(p99), fmtDur(mx))
	}
	ops := make([]string, 0, len(byOp))
	for op := range byOp {
		ops = append(ops, op)
	}
	slices.Sort(ops)
	for _, op := range ops {
		row(op, byOp[op], errs[op])
	}
	row("all", all, errs["all"])
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "\n%d requests in %s: %.1f req/s, %d errors\n", len(all)+errs["all"], wall.Round(time.Millisecond), float64(len(all))/wall.Seconds(), errs["all"])
	stop()
	if err := <-served; err != nil {
		return err
	}
	for _, e := range firstErr {
		if e != nil {
			return fmt.Errorf("loadtest-mixed: %d requests failed; the first: %w", errs["all"], e)
		}
	}
	return nil
}

// copyObject copies a decoded JSON object one level deep.
func copyObject(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

// mixedDo sends a request, reads the whole answer and decodes a JSON object;
// anything but a 2xx answer is an error.
func mixedDo(ctx context.Context, c *http.Client, method, u string, body any) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("%s %s: %d %.200s", method, u, res.StatusCode, b)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, u, err)
	}
	return out, nil
}
