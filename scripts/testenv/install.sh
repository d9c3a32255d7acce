#!/usr/bin/env bash
# Installs the real components that surge's integration tests run against:
# Prometheus, Redis, etcd and Chromium from Debian's packages, and kube-apiserver
# built from the k8s.io/kubernetes Go module (see scripts/testenv/kube-apiserver.sh).
#
# Idempotent: packages already installed are not touched and apt-get update only
# runs when something is missing. The Debian services are never started: each
# test starts its own instance on free 127.0.0.1 ports (internal/testenv).
#
# Prints one line per component: name, version, path. Exits non-zero if any
# component cannot be installed or does not run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# fonts-dejavu-core: text in Chromium screenshots of the HTML report.
# tmux: the live-view tests read a real terminal screen.
packages=(prometheus redis-server etcd-server chromium fonts-dejavu-core tmux)
services=(prometheus redis-server etcd)

die() {
	echo "install.sh: $*" >&2
	exit 1
}

installed() {
	[[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

missing=()
for p in "${packages[@]}"; do
	installed "$p" || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
	[[ "$(id -u)" == 0 ]] || die "installing ${missing[*]} needs root (apt-get)"
	# Debian's policy-rc.d hook: exit 101 forbids maintainer scripts from starting
	# services, so installing never leaves a daemon holding the default ports.
	policy=/usr/sbin/policy-rc.d
	own_policy=0
	if [[ ! -e "$policy" ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 0755 "$policy"
		own_policy=1
	fi
	cleanup_policy() { if ((own_policy)); then rm -f "$policy"; fi; }
	trap cleanup_policy EXIT
	echo "install.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2 || die "apt-get update failed"
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
	cleanup_policy
	trap - EXIT
fi

# Never rely on (or collide with) the distribution's daemons: stop any that a
# previous install left running and keep them from starting at boot.
for s in "${services[@]}"; do
	if [[ -x "/etc/init.d/$s" ]]; then
		if [[ "$(id -u)" == 0 ]]; then
			"/etc/init.d/$s" stop >/dev/null 2>&1 || true
			update-rc.d "$s" disable >/dev/null 2>&1 || true
		fi
	fi
	if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
		systemctl disable --now "$s" >/dev/null 2>&1 || true
	fi
done

kube_apiserver="$("$here/kube-apiserver.sh")" || die "building kube-apiserver failed"

# Each component must be runnable, not merely present.
version_of() {
	local name="$1" bin="$2" v
	[[ -x "$bin" ]] || die "$name: $bin is missing or not executable"
	case "$name" in
	prometheus) v="$("$bin" --version 2>&1 | awk 'NR==1{print $3}')" ;;
	redis-server) v="$("$bin" --version 2>&1 | sed -n 's/.* v=\([^ ]*\).*/\1/p')" ;;
	etcd) v="$("$bin" --version 2>&1 | awk '/etcd Version/{print $3}')" ;;
	kube-apiserver) v="$("$bin" --version 2>&1 | awk '{print $2}')" ;;
	# Debian's launcher script may complain on stderr (its /dev/shm check).
	chromium) v="$("$bin" --version 2>/dev/null | awk '/^Chromium/{print $2}')" ;;
	tmux) v="$("$bin" -V 2>&1 | awk '{print $2}')" ;;
	esac
	[[ -n "$v" ]] || die "$name: $bin --version printed no version"
	printf '%-15s %-15s %s\n' "$name" "$v" "$bin"
}

version_of prometheus "$(command -v prometheus || echo /usr/bin/prometheus)"
version_of redis-server "$(command -v redis-server || echo /usr/bin/redis-server)"
version_of etcd "$(command -v etcd || echo /usr/bin/etcd)"
version_of kube-apiserver "$kube_apiserver"
version_of chromium "$(command -v chromium || echo /usr/bin/chromium)"
version_of tmux "$(command -v tmux || echo /usr/bin/tmux)"
