package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/plotline-dev/plotline"
)

// serve opens the database (loading the curated dataset on first start)
// and serves the web app and JSON API until interrupted.
func (m *Main) serve(ctx context.Context, args []string) error {
	f := m.newFlags("serve", "[--addr HOST:PORT]")
	addr := f.String("addr", "127.0.0.1:8080", "listen address")
	if _, err := f.parse(args); err != nil {
		return err
	}
	db, err := m.openStore(ctx, f.db)
	if err != nil {
		return err
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(m.Stderr, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		list, err := db.Incidents(r.Context(), plotline.IncidentFilter{}, plotline.AsOf{})
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "Plotline: %d incidents\n", len(list))
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("serving", "addr", "http://"+*addr, "db", f.db)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}
