package main

import (
	"context"
	"log/slog"
	"net"
	"time"

	"github.com/plotline-dev/plotline"
	"github.com/plotline-dev/plotline/internal/engine"
	"github.com/plotline-dev/plotline/internal/httpapi"
	"github.com/plotline-dev/plotline/internal/web"
)

// serve opens the database (loading the curated dataset on first start)
// and serves the web app and JSON API until interrupted (SIGINT/SIGTERM
// cancel ctx), then shuts down gracefully.
func (m *Main) serve(ctx context.Context, args []string) error {
	f := m.newFlags("serve", "[--addr HOST:PORT] [--auth] [--secure-cookies]")
	addr := f.String("addr", "127.0.0.1:8080", "listen address (loopback by default)")
	logJSON := f.Bool("log-json", false, "log requests as JSON lines instead of text")
	acc := m.accountFlags(f.FlagSet)
	if _, err := f.parse(args); err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(m.Stderr, nil)
	if *logJSON {
		h = slog.NewJSONHandler(m.Stderr, nil)
	}
	log := slog.New(h)
	db, err := m.openAnyStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	analytics, err := m.analytics(ctx, db, log)
	if err != nil {
		return err
	}
	if ea, ok := analytics.(*httpapi.EngineAnalytics); ok {
		defer ea.Engine.Close() // stops a background rebuild before the store closes
	}
	if sub, ok := db.(plotline.ChangeSubscriber); ok {
		if r, ok := analytics.(httpapi.Refresher); ok {
			go followChanges(ctx, sub, r, log)
		}
	}
	accounts, err := acc.service(ctx, f.FlagSet, *addr, db, log, m.Now)
	if err != nil {
		return err
	}
	wc, hc := m.webConfig(db, analytics, log), httpapi.Config{Store: db, Analytics: analytics, Logger: log, Now: m.Now}
	if accounts != nil {
		wc.Accounts, hc.Auth = accounts, accounts
	} else {
		// Single-user mode listens on loopback only; refusing other Host
		// names stops a hostile web page from reaching it by DNS rebinding.
		hc.AllowedHosts = httpapi.LoopbackHosts()
	}
	hc.UI = web.New(wc)
	srv := httpapi.NewServer(hc)
	err = srv.ListenAndServe(ctx, *addr, func(a net.Addr) {
		log.Info("serving", "addr", "http://"+a.String(), "db", redact(f.db))
	})
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// followChanges refreshes the analytics whenever the store reports a change
// applied by any process (PostgreSQL: LISTEN/NOTIFY), until ctx ends, so
// another server's or an import's writes show without waiting for the
// next request's staleness check. Bursts coalesce: the subscription
// delivers only the newest change while a refresh runs.
func followChanges(ctx context.Context, sub plotline.ChangeSubscriber, r httpapi.Refresher, log *slog.Logger) {
	for id := range sub.Subscribe(ctx) {
		if err := r.Refresh(ctx); err != nil && ctx.Err() == nil {
			log.Warn("refresh after a change notification", "change", id, "err", err)
		}
	}
}

// analytics picks what answers the API's analytics: the engine when the
// store can feed it (SQLite, PostgreSQL), else the fallback over store
// snapshots (report and unfiltered lists only).
func (m *Main) analytics(ctx context.Context, store plotline.Store, log *slog.Logger) (httpapi.Analytics, error) {
	src, ok := store.(engine.Source)
	if !ok {
		log.Warn("this store cannot feed the analytics engine; count, cross-tab, series, projection and q= filters are unavailable")
		return &httpapi.SnapshotAnalytics{Store: store}, nil
	}
	// Background rebuilds (after many incremental refreshes) are logged.
	eng, err := engine.NewWithOptions(ctx, src, engine.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	st := eng.Stats()
	log.Info("analytics index built", "incidents", st.Incidents, "attributions", st.Attributions, "took", st.BuildTime.Round(time.Millisecond))
	return &httpapi.EngineAnalytics{Engine: eng}, nil
}

// webConfig is the UI's configuration: the pages share the API's analytics
// (one index and report cache) when the store can feed the engine.
func (m *Main) webConfig(store plotline.Store, analytics httpapi.Analytics, log *slog.Logger) web.Config {
	wc := web.Config{Store: store, Logger: log, Now: m.Now}
	if ua, ok := analytics.(web.Analytics); ok {
		wc.Analytics = ua
	}
	return wc
}
