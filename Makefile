# plugctl: build, sample plugins, demo, tests, benchmarks.
#
#   make demo    build plugctl and the sample plugins, and run plugctl on them
#   make test    everything CI checks
#   make bench   benchmarks, each compared with a baseline in the same run
#
# Needs: go (see go.mod), gcc, cargo. `make tools` says what is missing.

SHELL      := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO         ?= go
CC         ?= gcc
CARGO      ?= cargo
BUILD      := build
PLUGINS    := $(BUILD)/plugins
PLUGCTL    := $(BUILD)/plugctl
VERSION    := $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
LDFLAGS    := -s -w -X github.com/plugctl/plugctl/internal/cli.version=$(VERSION)
# plugctl never uses cgo: purego calls C without it.
export CGO_ENABLED := 0
export CARGO_TARGET_DIR := $(abspath $(BUILD)/cargo)
export PLUGCTL_PLUGINS := $(abspath $(PLUGINS))

FUZZTIME   ?= 10s
# Platforms plugctl must build for besides this one (Windows and macOS are
# checked by cross-compiling only: nothing here can run them).
CROSS      := windows/amd64 darwin/arm64 darwin/amd64 linux/arm64

.PHONY: all build plugins demo test test-go test-sdk fuzz fuzz-short cross lint bench tools clean

all: build plugins

## tools: check for what the build needs and say what is missing
tools:
	@missing=(); \
	command -v $(GO) >/dev/null    || missing+=("go: install Go $$(sed -n 's/^go //p' go.mod) or newer from go.dev/dl"); \
	command -v $(CC) >/dev/null    || missing+=("gcc: apt-get install gcc (builds the sample C plugins)"); \
	command -v $(CARGO) >/dev/null || missing+=("cargo: install Rust (rustup or apt-get install cargo; builds the sample Rust plugins and tests the Rust SDK)"); \
	if (( $${#missing[@]} )); then printf 'make: missing tool: %s\n' "$${missing[@]}" >&2; exit 1; fi

## build: build/plugctl
build: tools
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(PLUGCTL) ./cmd/plugctl

# ---- sample plugins --------------------------------------------------------

CSRC      := testdata/plugins/c
CFLAGS    := -O2 -g -Wall -Wextra -Werror -fPIC -fvisibility=hidden -Isdk/c
C_PLUGINS := plain sdk_hello refuse crash future table_size manifest_short thread hostile_log noentry undefined
C_LIBS    := $(patsubst %,$(PLUGINS)/lib%.so,$(C_PLUGINS))
RUST_PLUGINS := plain_rust sdk_rust mangled
RUST_LIBS := $(patsubst %,$(PLUGINS)/lib%.so,$(RUST_PLUGINS))

## plugins: build the sample and hostile plugins into build/plugins
plugins: tools $(C_LIBS) $(PLUGINS)/libneeds_missing.so $(PLUGINS)/program rust-plugins

$(PLUGINS):
	@mkdir -p $@

$(PLUGINS)/lib%.so: $(CSRC)/%.c sdk/c/plugctl.h | $(PLUGINS)
	$(CC) $(CFLAGS) -shared -pthread -o $@ $<

# Linked against a library that is then deleted: its dependency is missing.
$(PLUGINS)/libneeds_missing.so: $(CSRC)/needs_missing.c $(CSRC)/gone.c sdk/c/plugctl.h | $(PLUGINS)
	@mkdir -p $(BUILD)/tmp
	$(CC) $(CFLAGS) -shared -o $(BUILD)/tmp/libplugctl_gone.so $(CSRC)/gone.c
	$(CC) $(CFLAGS) -shared -o $@ $< -L$(BUILD)/tmp -lplugctl_gone
	rm -f $(BUILD)/tmp/libplugctl_gone.so

$(PLUGINS)/program: $(CSRC)/program.c | $(PLUGINS)
	$(CC) -O2 -o $@ $<

rust-plugins: | $(PLUGINS)
	$(CARGO) build --release --offline --quiet --manifest-path testdata/plugins/rust/Cargo.toml
	@for p in $(RUST_PLUGINS); do cp -f $(CARGO_TARGET_DIR)/release/lib$$p.so $(PLUGINS)/; done

# ---- demo ------------------------------------------------------------------

## demo: build plugctl and the samples, then run plugctl on them
demo: build plugins
	@echo '$$ plugctl load build/plugins/libsdk_hello.so build/plugins/libsdk_rust.so build/plugins/libplain.so build/plugins/libplain_rust.so'
	@$(PLUGCTL) load $(PLUGINS)/libsdk_hello.so $(PLUGINS)/libsdk_rust.so $(PLUGINS)/libplain.so $(PLUGINS)/libplain_rust.so
	@echo
	@echo '$$ plugctl load --wait 1s build/plugins/libthread.so | tail -3'
	@$(PLUGCTL) load --wait 1s $(PLUGINS)/libthread.so | tail -3
	@echo
	@echo '$$ plugctl load build/plugins/libmangled.so build/plugins/libneeds_missing.so build/plugins/libfuture.so   # these fail on purpose'
	@$(PLUGCTL) load $(PLUGINS)/libmangled.so $(PLUGINS)/libneeds_missing.so $(PLUGINS)/libfuture.so || echo "(exit status $$?)"

# ---- tests -----------------------------------------------------------------

## test: everything CI checks
test: lint plugins test-go test-sdk fuzz-short cross

test-go: plugins
	$(GO) test -count=1 ./...

test-sdk: tools
	$(CARGO) test --offline --quiet --manifest-path sdk/rust/Cargo.toml

## fuzz-short: run every fuzz target (func FuzzXxx in a _test.go file) for
## FUZZTIME, default 10s; make test runs it.
# Minimising is capped: on 16 KB seeds Go's default of 60s per input stalls a
# short run. A failing input is saved under the package's testdata/fuzz.
fuzz-short: plugins
	@grep -rl --include='*_test.go' '^func Fuzz' internal cmd | sort | while read -r f; do \
	  dir=./$$(dirname $$f); \
	  for name in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
	    echo "fuzz $$dir $$name ($(FUZZTIME))"; \
	    $(GO) test -run='^$$' -fuzz="^$$name$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=3s $$dir >/dev/null || \
	      { echo "make: fuzz $$name failed; rerun: go test -run='^$$' -fuzz='^$$name$$' $$dir" >&2; exit 1; }; \
	  done; \
	done

## fuzz: run each fuzz target longer (FUZZTIME=5m)
fuzz:
	@$(MAKE) --no-print-directory fuzz-short FUZZTIME=5m

## cross: check that plugctl builds for the other supported platforms
cross:
	@for p in $(CROSS); do echo "build $$p"; GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -o /dev/null ./cmd/plugctl; done
	@for p in $(CROSS); do GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) vet ./... ; done

## lint: formatting and vet
lint: tools
	@bad=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$bad" ]; then echo "gofmt needed: $$bad" >&2; exit 1; fi
	$(GO) vet ./...
	$(CARGO) fmt --version >/dev/null 2>&1 && $(CARGO) fmt --check --manifest-path sdk/rust/Cargo.toml || true

# ---- benchmarks ------------------------------------------------------------

## bench: start-up of plugctl load vs a minimal C host, and the callback costs
# Four commands, alternated in one run so that all see the same machine: the
# C host (the baseline), a bare Go program and a minimal purego host (the
# floors any Go host pays), and plugctl load. docs/performance.md has figures.
bench: build plugins $(BUILD)/bench/chost
	$(GO) build -o $(BUILD)/bench/gohello ./bench/gohello
	$(GO) build -ldflags '-s -w' -o $(BUILD)/bench/gohost ./bench/gohost
	$(GO) run ./bench/startup -n 300 \
	  -- $(BUILD)/bench/chost $(abspath $(PLUGINS))/libplain.so \
	  -- $(BUILD)/bench/gohello \
	  -- $(BUILD)/bench/gohost $(abspath $(PLUGINS))/libplain.so \
	  -- $(PLUGCTL) load $(abspath $(PLUGINS))/libplain.so
	$(GO) test -run='^$$' -bench=. -benchmem ./internal/...

$(BUILD)/bench/chost: bench/chost.c
	@mkdir -p $(BUILD)/bench
	$(CC) -O2 -o $@ $< -ldl

clean:
	rm -rf $(BUILD)
