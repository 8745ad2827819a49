# make test is the one test command: README.md and .ci/run call it. It
# installs what the tests need (Node packages, servers, nginx, Chromium) from the
# project's own files first, so it passes on a fresh machine.
GO ?= go
GOTEST_FLAGS ?= -race -count=1 -parallel 8 -timeout 30m

# SUBMODULES have their own go.mod (the metrics exporters, the load tool
# and its controls), so that the core module depends on no metrics
# library and no competing library; ./... does not reach them.
SUBMODULES = metrics/prometheus metrics/otel cmd/anyws-bench

.PHONY: test deps lint fmt vet bench

# The fault-injection runs (tests named ...ThroughCuts: connections cut
# every 50-500 ms while thousands of messages flow, in Go and in
# Chromium) run after the rest, on their own, rather than compete with
# every other package for 2 cores.
FAULT_RUNS = ThroughCuts
FAULT_PKGS = ./internal/test/recovery ./internal/test/browsertest

test: deps vet
	$(GO) test $(GOTEST_FLAGS) -skip '$(FAULT_RUNS)' ./...
	$(GO) test $(GOTEST_FLAGS) -p 1 -run '$(FAULT_RUNS)' $(FAULT_PKGS)
	@for m in $(SUBMODULES); do echo "cd $$m && $(GO) test $(GOTEST_FLAGS) ./..."; (cd $$m && $(GO) test $(GOTEST_FLAGS) ./...) || exit 1; done

# deps installs the test dependencies that are not Go modules.
deps:
	@if [ ! -d testdata/node/node_modules ] || [ testdata/node/package-lock.json -nt testdata/node/node_modules ]; then \
		npm ci --prefix testdata/node --no-audit --no-fund; \
	fi
	@# The browser tests (internal/test/browsertest, examples/*) drive Debian's Chromium.
	@if [ ! -x /usr/bin/chromium ]; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	fi
	@# The broker tests (pubsub/redis, pubsub/nats) start their own servers from Debian's packages.
	@if ! command -v redis-server >/dev/null || { ! command -v nats-server >/dev/null && [ ! -x /usr/sbin/nats-server ]; }; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server nats-server; \
	fi
	@# The proxy tests (examples/chat) put Debian's nginx in front of the chat; they start it themselves.
	@if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then \
		sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nginx-light; \
	fi

vet:
	$(GO) vet ./...
	@for m in $(SUBMODULES); do (cd $$m && $(GO) vet ./...) || exit 1; done
	@out=$$(gofmt -l . | grep -v '^testdata/'); if [ -n "$$out" ]; then echo "gofmt: not formatted:"; echo "$$out"; exit 1; fi

lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	@for m in $(SUBMODULES); do (cd $$m && $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...) || exit 1; done

fmt:
	gofmt -w $$(git ls-files '*.go')

# bench runs the micro-benchmarks briefly and a short run of the load tool
# against its controls. The full run is `go run -C cmd/anyws-bench .`;
# docs/performance.md has the method, the durations and the figures.
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 200ms ./...
	@for m in $(SUBMODULES); do (cd $$m && $(GO) test -run '^$$' -bench . -benchmem -benchtime 200ms ./...) || exit 1; done
	$(GO) run -C cmd/anyws-bench . -short
