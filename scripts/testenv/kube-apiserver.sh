#!/usr/bin/env bash
# Builds kube-apiserver from the k8s.io/kubernetes Go module (hack/kube-apiserver)
# into a cache outside the repository, keyed by version, and prints its path.
# A binary already in the cache is reused: a cold build takes several minutes.
#
# Environment:
#   SURGE_CACHE   cache root (default: $HOME/.cache/surge)
#   FORCE=1       rebuild even if the cached binary exists
set -euo pipefail

KUBE_VERSION=v1.37.2
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="$repo_root/hack/kube-apiserver"
cache_root="${SURGE_CACHE:-${HOME:-/root}/.cache/surge}"
out_dir="$cache_root/kube-apiserver/$KUBE_VERSION"
out="$out_dir/kube-apiserver"

if [[ -x "$out" && "${FORCE:-0}" != 1 ]]; then
	echo "$out"
	exit 0
fi

if ! grep -q "k8s.io/kubernetes $KUBE_VERSION" "$src/go.mod"; then
	echo "kube-apiserver.sh: $src/go.mod does not require k8s.io/kubernetes $KUBE_VERSION" >&2
	exit 1
fi

mkdir -p "$out_dir"
# One build at a time per cache (parallel test runs, two shells): the second
# waits for the first and then finds the binary.
exec 9>"$out_dir/.lock"
flock 9
if [[ -x "$out" && "${FORCE:-0}" != 1 ]]; then
	echo "$out"
	exit 0
fi
rm -f "$out_dir"/.kube-apiserver.* # left by an interrupted build
tmp="$(mktemp "$out_dir/.kube-apiserver.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

echo "kube-apiserver.sh: building kube-apiserver $KUBE_VERSION (a cold build takes several minutes)" >&2
start=$SECONDS
# Build in the module's own directory so the main module's go.mod is not involved;
# GOWORK=off keeps a developer's go.work from pulling the module into a workspace.
# The version ldflags make `kube-apiserver --version` and /version report the release.
# The build runs in the background so that INT/TERM reach the trap at once
# instead of after the build finishes.
(
	cd "$src"
	CGO_ENABLED=0 GOWORK=off GOFLAGS="-mod=mod -buildvcs=false" exec go build -trimpath \
		-ldflags "-s -w \
			-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
			-X k8s.io/component-base/version.gitMajor=1 \
			-X k8s.io/component-base/version.gitMinor=37 \
			-X k8s.io/component-base/version.gitTreeState=clean \
			-X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION" \
		-o "$tmp" .
) &
build=$!
trap 'kill -INT "$build" 2>/dev/null; wait "$build"; exit 130' INT TERM
wait "$build"
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "kube-apiserver.sh: built in $((SECONDS - start))s" >&2
echo "$out"
