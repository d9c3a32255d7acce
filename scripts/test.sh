#!/usr/bin/env bash
# Runs surge's whole test suite on a fresh machine: installs the real servers
# the integration tests talk to (Prometheus, Redis, etcd, kube-apiserver,
# Chromium; cached after the first time), then the format check, go vet and
# every test. With SURGE_REQUIRE_ALL=1 a test whose component is missing
# fails instead of skipping.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/testenv/install.sh

unformatted=$(gofmt -l cmd internal pkg)
if [[ -n "$unformatted" ]]; then
	echo "gofmt would reformat:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...

export SURGE_REQUIRE_ALL=1
# -p 1: packages one at a time, so that the load tests and the real servers
# do not compete for this machine's two cores and skew what they measure.
go test -count=1 -p 1 -timeout 60m ./...
