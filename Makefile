# mxaudit — one module, one Makefile. `make help` lists the targets.

GO        ?= go
BIN       := bin
DEMO      := demo
VERSION   := $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
# The sample fleet listens here (see samples/fleet.json).
FLEET_DNS := 127.0.0.53:5353
FLEET_PORT := 2525
FLEET_HTTPS := 8443

.PHONY: help build test lint fuzz demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

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
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

demo: build ## start the sample fleet on loopback and audit it
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	@$(BIN)/mxfleet -fleet samples/fleet.json -ca-out $(DEMO)/ca.pem -domains-out $(DEMO)/domains.txt \
	  -ready $(DEMO)/fleet.ready -duration 10m > $(DEMO)/fleet.log 2>&1 & echo $$! > $(DEMO)/fleet.pid
	@for i in $$(seq 1 100); do [ -f $(DEMO)/fleet.ready ] && break; sleep 0.1; done; \
	  if [ ! -f $(DEMO)/fleet.ready ]; then cat $(DEMO)/fleet.log; kill $$(cat $(DEMO)/fleet.pid); exit 1; fi
	@echo "Sample fleet up (DNS $(FLEET_DNS), SMTP port $(FLEET_PORT)). Auditing $$(wc -l < $(DEMO)/domains.txt) domains..."
	@status=0; $(BIN)/mxaudit scan --resolver $(FLEET_DNS) --port $(FLEET_PORT) --ca-file $(DEMO)/ca.pem \
	  --ehlo demo.mxaudit.invalid --timeout 5s --mta-sts-port $(FLEET_HTTPS) $$(cat $(DEMO)/domains.txt) || status=$$?; \
	  $(BIN)/mxaudit scan --json --resolver $(FLEET_DNS) --port $(FLEET_PORT) --ca-file $(DEMO)/ca.pem \
	  --ehlo demo.mxaudit.invalid --timeout 5s --mta-sts-port $(FLEET_HTTPS) $$(cat $(DEMO)/domains.txt) > $(DEMO)/scan.json || status=$$?; \
	  kill $$(cat $(DEMO)/fleet.pid) 2>/dev/null; \
	  echo "Full evidence as JSON: $(DEMO)/scan.json"; exit $$status

clean: ## remove build output and demo files
	rm -rf $(BIN) $(DEMO)
