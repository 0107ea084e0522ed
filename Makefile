# mxaudit — one module, one Makefile. `make help` lists the targets.

GO        ?= go
BIN       := bin
DEMO      := demo
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2

.PHONY: help build test lint fuzz demo bench bench-10k bench-40k bench-100k bench-history clean e2e report-preview

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

build: ## build bin/mxaudit and bin/mxfleet
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/mxaudit ./cmd/mxaudit
	$(GO) build -trimpath -o $(BIN)/mxfleet ./cmd/mxfleet

test: ## vet and run every test (offline, loopback only), with the race detector
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 8m ./...

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

FUZZTIME ?= 15s
fuzz: ## run every fuzz target for FUZZTIME each (default 15s)
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 1s $$pkg; \
	  done; done

demo: build ## serve the sample fleet on loopback, audit samples/vendors.csv twice (a month apart) and show the changes
	BIN=$(BIN) OUT=$(DEMO) ./samples/demo.sh

BENCH_OUT ?= samples/bench-results.txt
bench: build ## batch benchmark: 1,000 generated domains on ~200 addresses, 50 ms round trips (samples/bench-results.txt; make bench-10k: 10,000 domains); as root also mxaudit against testssl.sh on a real Postfix (samples/e2e/results.txt)
	$(GO) build -trimpath -o $(BIN)/mxbench ./cmd/mxbench
	$(BIN)/mxbench -name 1k -domains 1000 -concurrency 16,32,64 -mxaudit $(BIN)/mxaudit -out $(BENCH_OUT) -detail $(BIN)/bench-1k-addresses.csv
	@if [ "$$(id -u)" = 0 ]; then BIN=$(BIN) GO=$(GO) E2E_BENCH_ONLY=1 ./samples/e2e/e2e.sh; else \
	  echo "bench: timing mxaudit against testssl.sh needs root (it installs and starts a private Postfix): sudo make bench, or make e2e."; \
	  echo "bench: last measured (samples/e2e/results.txt):"; cat samples/e2e/results.txt; fi

# The large benchmarks: ~2,000 addresses (provider pools, tarpits, 421
# refusers, 50 ms round trips), reports included; each runs mxaudit twice,
# under its default 384 MiB soft memory limit and with GOMEMLIMIT=off (peak
# RSS without a limit doing the work). PROFILE=DIR keeps CPU and heap
# profiles (go tool pprof -top -sample_index=inuse_space DIR/...-heap-audited.pprof).
BENCH_LARGE = $(BIN)/mxbench -addresses 2000 -concurrency 128 -memlimit default,off -mxaudit $(BIN)/mxaudit -out $(BENCH_OUT) $(if $(PROFILE),-profile $(PROFILE))

bench-10k: build ## the same at scale: 10,000 domains on ~2,000 addresses, with and without a memory limit (several minutes)
	$(GO) build -trimpath -o $(BIN)/mxbench ./cmd/mxbench
	$(BENCH_LARGE) -name 10k -domains 10000 -detail $(BIN)/bench-10k-addresses.csv

bench-40k: build ## 40,000 domains on ~2,000 addresses, with and without a memory limit
	$(GO) build -trimpath -o $(BIN)/mxbench ./cmd/mxbench
	$(BENCH_LARGE) -name 40k -domains 40000 -max-time 60m -detail $(BIN)/bench-40k-addresses.csv

bench-100k: build ## 100,000 domains on ~2,000 addresses, with and without a memory limit (issue 17's targets)
	$(GO) build -trimpath -o $(BIN)/mxbench ./cmd/mxbench
	$(BENCH_LARGE) -name 100k -domains 100000 -max-time 90m -detail $(BIN)/bench-100k-addresses.csv

HISTORY_DB ?= $(BIN)/history-12x100k.db
bench-history: build ## history database of twelve 100,000-domain runs (generated once into $(HISTORY_DB), ~12 GB, long): time and memory of runs, history, diff and the last run's manifest and report (samples/bench-results.txt)
	$(GO) test -run '^$$' -bench '^BenchmarkHistory$$' -benchtime 1x -timeout 4h ./report/ -args \
	  -history.db $(CURDIR)/$(HISTORY_DB) -history.mxaudit $(CURDIR)/$(BIN)/mxaudit -history.out $(CURDIR)/$(BENCH_OUT)

e2e: build ## root only: audit real Postfix, Exim, NSD and nginx on 127.0.9.x, assert every verdict, compare with testssl.sh
	BIN=$(BIN) GO=$(GO) ./samples/e2e/e2e.sh

PREVIEW := out/preview
report-preview: ## render the sample PDF (demo database if present, else the test fixture) and its pages as PNG into out/preview
	$(GO) run ./report/pdf/internal/preview -db $(DEMO)/history.db -out $(PREVIEW)
	@command -v pdftoppm >/dev/null 2>&1 || { echo "installing poppler-utils for pdftoppm"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y poppler-utils >/dev/null || { apt-get update >/dev/null && apt-get install -y poppler-utils >/dev/null; }; \
	  else sudo apt-get install -y poppler-utils >/dev/null; fi; }
	rm -f $(PREVIEW)/page-*.png
	pdftoppm -r 80 -png $(PREVIEW)/report.pdf $(PREVIEW)/page
	@echo "pages: $$(ls $(PREVIEW)/page-*.png | wc -l) PNG files in $(PREVIEW)/"

clean: ## remove build output and demo files
	rm -rf $(BIN) $(DEMO)
