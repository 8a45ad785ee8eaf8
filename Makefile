# The README's two commands: `make generate` and `make test`. Both build what
# they need from pinned versions (tools/go.mod, tools/buf/go.mod) into ./bin,
# which goes first on PATH, so buf's `local:` plugins never run a stale or
# foreign binary.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/bin:$(PATH)
# Tools live outside the workspace: their modules are not ours.
TOOLS_GO := GOWORK=off go
# The runtime and its adapters, each a module of its own (so healthreg needs
# only grpc-go and protobuf), all tested under the race detector.
RUNTIME_MODULES := healthreg healthreg/connecthealth healthreg/otelhealth
# proto: the options' Go package alone with protobuf, what users' .pb.go import.
MODULES := . proto $(RUNTIME_MODULES) examples
EXAMPLES := helloworld multi
# What `make generate` writes, and so what must not change when it reruns.
GENERATED := proto healthreg/statuspb docs/parameters.md $(foreach ex,$(EXAMPLES),examples/$(ex)/gen examples/$(ex)/deploy)

.PHONY: all generate test lint vet unit e2e check-generated protoc-matches-buf bench fuzz tools plugin protoc python-grpc node clean

all: generate

## Tools ---------------------------------------------------------------------
bin/buf: tools/buf/go.mod tools/buf/go.sum
	$(TOOLS_GO) build -modfile=tools/buf/go.mod -o bin/buf github.com/bufbuild/buf/cmd/buf

bin/protoc-gen-go bin/protoc-gen-go-grpc bin/grpc-health-probe &: tools/go.mod tools/go.sum
	$(TOOLS_GO) build -modfile=tools/go.mod -o bin/ \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc \
		github.com/grpc-ecosystem/grpc-health-probe

# Always rebuilt: go build is incremental, and a stale plugin is the one
# thing generation must never run.
plugin:
	go build -o bin/ ./cmd/protoc-gen-health ./cmd/verify-probes

tools: bin/buf bin/protoc-gen-go bin/protoc-gen-go-grpc bin/grpc-health-probe plugin

# Debian's protoc, for the tests that compare protoc with buf.
protoc:
	@command -v protoc >/dev/null || { \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler >/dev/null; \
		else echo "protoc is missing: install Debian's protobuf-compiler" >&2; exit 1; fi; }

# Debian's Python gRPC (/usr/bin/python3: the PATH's python3 may be another),
# for the end-to-end tests' plain Python health server.
python-grpc:
	@/usr/bin/python3 -c 'import grpc, grpc_tools' 2>/dev/null || { \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-grpcio python3-grpc-tools >/dev/null; \
		else echo "Debian's python3-grpcio and python3-grpc-tools are missing" >&2; exit 1; fi; }

# Debian's Node.js and npm, for the end-to-end tests' Node.js server; the
# tests run npm ci in examples/e2e/testdata/node (its package-lock.json pins
# @grpc/grpc-js, grpc-health-check and typescript).
node:
	@{ command -v node && command -v npm; } >/dev/null || { \
		if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
		else echo "Node.js and npm are missing: install Debian's nodejs and npm" >&2; exit 1; fi; }

## Generation ----------------------------------------------------------------
# Removes what it regenerates first, so a renamed service leaves no stale file.
generate: tools
	buf generate
	# The plugin again: its settings table reads the options just generated.
	go build -o bin/ ./cmd/protoc-gen-health
	go test ./gen -run '^TestParameterReference$$' -update
	for ex in $(EXAMPLES); do \
		rm -rf examples/$$ex/gen examples/$$ex/deploy; \
		(cd examples/$$ex && buf generate); \
	done

## Tests ---------------------------------------------------------------------
test: lint check-generated unit
	@echo "make test: all checks passed"

lint: tools
	buf lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	for m in $(MODULES); do (cd $$m && go vet ./...); done

# Regenerating must not change a checked-in file, nor add one.
check-generated: generate
	@status=$$(git status --porcelain -- $(GENERATED)); if [ -n "$$status" ]; then \
		echo "make generate changed checked-in files:"; echo "$$status"; git diff --stat -- $(GENERATED); exit 1; fi

# Every module's tests; the runtime's under the race detector. The examples'
# end-to-end tests run the binaries in ./bin (grpc-health-probe, buf, protoc).
# The root module under -race too: the plugin renders manifests on a
# goroutine of its own. The examples' -timeout: the scaffold and README
# tests build fresh modules, which on a cold cache compiles grpc-go from
# source (-trimpath) more than once. Every test runs while scripts/hold-ports
# listens on the ports the docs name (50051-50060, 8086), as another process
# on a shared machine may: a test that needs one of them free fails here.
HOLD_PORTS := $(CURDIR)/scripts/hold-ports
unit: tools protoc python-grpc node
	$(HOLD_PORTS) go test -race -count=1 ./...
	for m in $(RUNTIME_MODULES); do (cd $$m && $(HOLD_PORTS) go test -race -count=1 ./...); done
	cd examples && $(HOLD_PORTS) go test -count=1 -timeout 30m ./...

## Measurements --------------------------------------------------------------
bench: tools
	scripts/bench.sh

FUZZTIME ?= 60s
fuzz:
	for f in FuzzGenerate FuzzWorkloadName FuzzOptions FuzzSlim FuzzConsumerTimings; do \
		go test ./gen -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME); done
	go test ./cmd/verify-probes -run='^$$' -fuzz='^FuzzVerify$$' -fuzztime=$(FUZZTIME)

clean:
	rm -rf bin
