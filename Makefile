# livc-broker: the two commands a newcomer needs are `make run` and `make test`.
# bash, for pipefail: a failing benchmark fails `make bench` despite the tee
SHELL    := /bin/bash
GO       ?= go
BIN      ?= bin
DATA     ?= .livc
FUZZTIME ?= 60s
# Set REDIS_URL to run against a real Redis: make run REDIS_URL=redis://127.0.0.1:6379/0
REDIS_URL ?=
# Where make run serves: LIVC_LISTEN from the environment or the command line.
LIVC_LISTEN ?= 127.0.0.1:8080
# The version livcctl --version prints: the commit, from git when there is one.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# The URL to open for it: a wildcard host (":8080", "0.0.0.0:8080", "[::]:8080") is reached on loopback.
RUN_URL = http://$(patsubst :%,127.0.0.1:%,$(patsubst 0.0.0.0:%,127.0.0.1:%,$(patsubst [::]:%,127.0.0.1:%,$(LIVC_LISTEN))))

.PHONY: all build run test lint test-go fuzz bench bench-scale load load-audit soak clean assets image

all: build

build:
	$(GO) build -o $(BIN)/livc-broker ./cmd/livc-broker
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN)/livcctl ./cmd/livcctl

## assets: rebuild the browser assets from web/ (needs Node.js and npm; a fresh
## clone does not: the built files are committed). npm ci installs exactly the
## versions of web/package-lock.json, without running install scripts; the
## build writes internal/web/static/{signal,verify}.js and test/browser/testdata/{axe.min,auditverify}.js.
assets:
	cd web && npm ci --ignore-scripts --no-audit --no-fund && node build.mjs

## run: build and start the broker on the embedded demo cell, with dev tokens
run: build
	@$(BIN)/livcctl dev --dir $(DATA)/dev >/dev/null
	@echo ""
	@echo "livc-broker on the demo cell (zonnedaal) at $(RUN_URL) (LIVC_LISTEN=$(LIVC_LISTEN); the broker's log below says where it listens)"
	@echo "In another terminal, from this folder, try it as a social worker:"
	@echo "  export PATH=\$$PWD/$(BIN):\$$PATH LIVC_BROKER=$(RUN_URL) LIVC_TOKEN=\$$(cat $(DATA)/dev/tokens/ocmw.jwt)"
	@echo "  livcctl submit examples/signal-ocmw.json"
	@echo "then follow the walkthrough in README.md. Or open $(RUN_URL)/ in a browser:"
	@echo "[INSECURE] development keys: its sign-in page lets anyone act as any actor. Ctrl-C stops the broker."
	@echo ""
	$(BIN)/livc-broker serve --data $(DATA) --listen $(LIVC_LISTEN) $(if $(REDIS_URL),--redis-url $(REDIS_URL))

## test: everything that proves it works, Rego policy tests included
test: lint test-go

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

test-go:
	$(GO) test -count=1 -timeout 12m ./...

## fuzz: run every fuzz target for FUZZTIME each; a table of executions and findings at the end
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) ./scripts/fuzz.sh

## load: the audit log's concurrency test at full size (two brokers, 32 clients)
load-audit:
	LIVC_AUDIT_LOAD=$${LIVC_AUDIT_LOAD:-20000} $(GO) test -count=1 -run TestAuditConcurrentAppends -v ./test/e2e/

## bench: every benchmark, with allocations, BENCHCOUNT runs each, written to
## BENCHOUT for benchstat (needs Redis on 127.0.0.1:6379 or LIVC_TEST_REDIS)
BENCHCOUNT ?= 6
BENCHTIME  ?= 300ms
BENCHOUT   ?= bench.txt
bench:
	set -o pipefail; $(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) -benchtime $(BENCHTIME) -timeout 20m ./... | tee $(BENCHOUT)
	@echo "raw results in $(BENCHOUT); compare two runs with: benchstat old.txt $(BENCHOUT)"

## bench-scale: one cell's audit log grown to 10^4, 10^6 and 2x10^7 entries
## (tree only) on a redis-server of its own (about 1 GB), append throughput
## and proof sizes at each; LIVC_SCALE_SIZES=a,b,... for other sizes
bench-scale:
	$(GO) test -tags scale -run '^TestAuditScale$$' -count=1 -v -timeout 60m ./internal/redis/audit

## load: the load generator against the real broker and a redis-server of
## its own: OPA's server vs card reads, age vs submissions, then 1,000 vs
## 1,000,000 stored records and RSS (see BENCHMARKS.md). LOAD_FLAGS adds flags.
LOAD_FLAGS ?=
load: build
	$(GO) build -o $(BIN)/livc-load ./cmd/livc-load
	$(BIN)/livc-load -scenario compare -broker $(BIN)/livc-broker $(LOAD_FLAGS)
	$(BIN)/livc-load -scenario scale -broker $(BIN)/livc-broker $(LOAD_FLAGS)
	$(MAKE) load-audit

## soak: the mixed workload in open loop at SOAK_RATE req/s for SOAK_DURATION
## against the real broker; then every acknowledged write read back, the audit
## log verified and the broker's RSS compared, first minute to last. Fails on
## any error, unsent request, lost write, failed verify or growth over 10%.
SOAK_RATE     ?= 200
SOAK_DURATION ?= 5m
soak: build
	$(GO) build -o $(BIN)/livc-load ./cmd/livc-load
	$(BIN)/livc-load -scenario soak -broker $(BIN)/livc-broker -rate $(SOAK_RATE) -d $(SOAK_DURATION) $(LOAD_FLAGS)

## image: the container image localhost/livc-broker:latest from deploy/Containerfile:
## a static binary and the host's CA bundle put in deploy/build/, then podman build
## (FROM scratch: nothing is pulled). IMAGE names it otherwise.
IMAGE ?= localhost/livc-broker:latest
image:
	mkdir -p deploy/build
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags=-s -o deploy/build/livc-broker ./cmd/livc-broker
	cp /etc/ssl/certs/ca-certificates.crt deploy/build/
	podman build --format docker -t $(IMAGE) deploy

clean:
	rm -rf $(BIN) deploy/build
