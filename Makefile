# prismd — build, test, fuzz, bench.
#
#   make build   bin/prismd
#   make test    install missing test tools, then go vet and go test ./...
#   make fuzz    run every fuzz target for FUZZTIME
#   make stress  make test STRESS_RUNS times in a row with a second go test ./... looping beside it
#   make bench   run the standard benchmark set (prismd vs direct), write BENCHMARKS.md

SHELL := /bin/bash
GO    ?= go

# Tools installed by `go install` (versitygw) land here; tests look them up on PATH.
GOBIN_DIR := $(shell $(GO) env GOBIN)
ifeq ($(GOBIN_DIR),)
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
endif
export PATH := $(GOBIN_DIR):$(PATH)

VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X main.version=$(VERSION)
TEST_TIMEOUT  ?= 30m
FUZZTIME      ?= 30s
STRESS_RUNS   ?= 5
VERSITYGW     := github.com/versity/versitygw/cmd/versitygw@v1.8.0
# The MinIO server prismd is compared with (bench.MinIOPackage).
MINIO         := github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c
DEBIAN_PKGS   := awscli python3-boto3 s3cmd rclone

# sudo only when not root.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build test test-deps vet fuzz stress bench bench-go clean

all: build

build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/prismd ./cmd/prismd

# test-deps installs what the end-to-end tests drive, only when it is missing.
test-deps:
	@missing=""; \
	[ -x /usr/bin/aws ] || missing="$$missing awscli"; \
	/usr/bin/python3 -c 'import boto3' 2>/dev/null || missing="$$missing python3-boto3"; \
	command -v s3cmd >/dev/null || missing="$$missing s3cmd"; \
	command -v rclone >/dev/null || missing="$$missing rclone"; \
	command -v curl >/dev/null || missing="$$missing curl"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y $$missing; \
	fi
	@command -v versitygw >/dev/null || { echo "installing $(VERSITYGW)"; $(GO) install $(VERSITYGW); }

vet:
	$(GO) vet ./...

test: test-deps vet
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

# stress checks that the suite does not depend on a quiet machine: make test
# STRESS_RUNS times in a row (stopping at the first failure) while another
# CPU-heavy process, a second uncached go test ./..., runs beside it.
stress: test-deps
	@setsid bash -c 'while :; do $(GO) test -count=1 ./... >/dev/null 2>&1; done' & load=$$!; \
	trap 'kill -- -$$load 2>/dev/null' EXIT; \
	for i in $$(seq $(STRESS_RUNS)); do \
		start=$$(date +%s); \
		GOFLAGS=-count=1 $(MAKE) --no-print-directory test >/tmp/prismd-stress-$$i.log 2>&1 || { echo "run $$i FAILED (/tmp/prismd-stress-$$i.log)"; exit 1; }; \
		echo "run $$i passed in $$(( $$(date +%s) - start )) s, load average $$(cut -d' ' -f1-3 /proc/loadavg)"; \
	done

# fuzz runs each `func FuzzX` for FUZZTIME (go test -fuzz takes one target
# of one package at a time).
fuzz:
	@set -e; \
	grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u | while read -r dir; do \
		for target in $$(grep -h -o '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //'); do \
			echo "== $$dir $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

# make bench builds bin/prismd and runs the standard set of issue 5 through
# it: prismd over three fs regions against MinIO over three drives (both
# erasure 2+1; BENCH_FLAGS=--no-minio skips it), three versitygw regions and
# `prismd serve` on 127.0.0.1, the workloads
# against direct (and a plain relay against direct: what passing bytes
# through any process costs here), CPU time per operation of every process,
# the gateway's memory, a CPU profile, the engine's Go benchmarks; it stops
# everything it started and writes BENCHMARKS.md (about 5 minutes on 2
# cores; the JSON and the CPU profile go to bin/).
BENCH_FLAGS ?=

bench: build
	@command -v versitygw >/dev/null || { echo "installing $(VERSITYGW)"; $(GO) install $(VERSITYGW); }
	@case " $(BENCH_FLAGS) " in *" --no-minio "*) ;; *) command -v minio >/dev/null || { echo "installing $(MINIO)"; $(GO) install $(MINIO); } ;; esac
	bin/prismd bench standard --out BENCHMARKS.md --json-out bin/benchmarks.json --profile-dir bin --source . $(BENCH_FLAGS)

# The Go benchmarks alone, every package.
bench-go:
	$(GO) test -run '^$$' -bench . ./...

clean:
	rm -rf bin
