# surge — common tasks. `make demo` and `make test` are the two commands of
# the README; .ci/run calls `make test`.

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/surge-sh/surge/internal/cli.version=$(VERSION)

.PHONY: all build demo demo-keda test unit vet fmt bench fuzz clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/surge ./cmd/surge

# The Black Friday demo on the built-in simulator: no cluster needed.
demo:
	$(GO) run ./cmd/surge run scenarios/blackfriday.yaml

demo-keda:
	$(GO) run ./cmd/surge run scenarios/blackfriday-keda.yaml

# The whole suite, with the real servers installed first (as root).
test:
	scripts/test.sh

# Unit tests only: no servers installed; integration tests skip locally.
unit:
	$(GO) test ./...

vet:
	$(GO) vet ./...

fmt:
	gofmt -w cmd internal pkg

# surge against vegeta's own CLI on this machine, and peak memory at 100k vs 1M requests.
bench:
	scripts/bench.sh

fuzz:
	$(GO) test -fuzz=FuzzParse -fuzztime=60s ./pkg/assert
	$(GO) test -fuzz=FuzzLoad -fuzztime=60s ./pkg/scenario

clean:
	rm -rf bin surge-out
