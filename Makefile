# Everyday tasks. Each is also written out in README.md.
GO ?= go
PG ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable

.PHONY: run test test-all test-race lint fuzz bench bench-engine bench-import bench-refresh bench-pg crash20 assets build check

run:            ## run Plotline on the embedded default database (plotline.db)
	$(GO) run ./cmd/plotline serve

build:          ## build the one binary, pure Go
	CGO_ENABLED=0 $(GO) build -o plotline ./cmd/plotline

test:           ## run the tests (PostgreSQL and browser tests skip with a message when unavailable)
	$(GO) test ./...

test-all:       ## run the tests as CI does: with PostgreSQL and Chromium
	PLOTLINE_TEST_POSTGRES='$(PG)' $(GO) test ./...

test-race:      ## the tests as CI runs them, under the race detector (needs cgo: a C compiler; ~6 min on 2 cores)
	PLOTLINE_TEST_POSTGRES='$(PG)' $(GO) test -race ./...

check:          ## validate the curated dataset
	$(GO) run ./cmd/plotline dataset check

lint:           ## gofmt, go vet, staticcheck (pinned; fetched through the module proxy on first use)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fuzz:           ## run every fuzz target for a short while (FUZZTIME=30s)
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run=NONE -fuzz="^$$f$$" -fuzztime=$${FUZZTIME:-30s} $$pkg || exit 1; \
		done; \
	done

bench:          ## benchmark the engine against SQLite and DuckDB on generated data (see bench/)
	cd bench && $(GO) run . -rows $${ROWS:-2500000}

bench-engine:   ## engine benchmarks on generated data in memory (PLOTLINE_BENCH_ROWS=2500000 for full size)
	$(GO) test ./internal/engine -run '^$$' -bench . -benchtime 20x

bench-import:   ## import throughput beside a raw insert of the same rows into the same tables (PLOTLINE_BENCH_ROWS, default 1 M: ~8 min)
	$(GO) test -run XXX -bench . -benchtime 1x -timeout 3h ./internal/ingest/

bench-refresh:  ## Refresh after one write vs a full build on a generated SQLite store (PLOTLINE_BENCH_ROWS, default 200k)
	PLOTLINE_BENCH_REFRESH_DB=/tmp/plotline-refresh.db $(GO) test -run '^$$' -bench Refresh -benchtime 20x ./internal/engine/

bench-pg:       ## the engine's store scan and text search on PostgreSQL beside SQLite (needs PostgreSQL)
	PLOTLINE_TEST_POSTGRES='$(PG)' $(GO) test -run '^$$' -bench EngineStore -benchtime 5x ./internal/postgres/

crash20:        ## the crash test's acceptance run: 20 kill -9 runs mid-import and mid-edit
	PLOTLINE_CRASH_RUNS=20 $(GO) test -count=1 -run TestCrash -v ./cmd/plotline

assets:         ## rebuild the web bundle (needs Node 20 and npm) into internal/web/static/dist
	cd web && npm ci && npm run build
