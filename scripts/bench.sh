#!/usr/bin/env bash
# surge's load-engine benchmark, on this machine, in one run:
#  (a) the highest constant rate surge sustains against a minimal loopback
#      HTTP server, next to vegeta's own CLI at the same settings;
#  (b) surge's peak RSS for 100k and for 1M requests.
# It prints the figures and the ratios (targets: surge >= 0.95x vegeta's
# sustained rate; RSS at 1M within 1.5x of RSS at 100k).
#
# A rate is "sustained" when at least 98% of the planned requests went out
# within the run and at least 99% of them succeeded — the same test for both
# tools. Load goes to 127.0.0.1 only. Environment knobs:
#   BENCH_STEP_SECONDS (5)  length of each rate step
#   BENCH_RATES             the rate ladder to climb
#   BENCH_MEM_RATE (5000)   rate of the memory runs
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step=${BENCH_STEP_SECONDS:-5}
rates=(${BENCH_RATES:-1000 2000 4000 6000 8000 10000 12000 16000 20000 24000 28000 32000 40000 50000})
mem_rate=${BENCH_MEM_RATE:-5000}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

command -v /usr/bin/time >/dev/null || { apt-get install -y time >/dev/null; }
echo "building surge, the bench server and vegeta v12.13.0 ..."
go build -o "$work/surge" ./cmd/surge
go build -o "$work/benchserver" ./hack/benchserver
GOBIN="$work" go install github.com/tsenart/vegeta/v12@v12.13.0

"$work/benchserver" >"$work/addr" &
for _ in $(seq 50); do [[ -s "$work/addr" ]] && break; sleep 0.1; done
url="http://$(cat "$work/addr")/"
echo "target: $url   cores: $(nproc)   step: ${step}s"

scenario() { # rate seconds file
	cat >"$3" <<YAML
apiVersion: surge/v1alpha1
kind: Scenario
name: bench
target: {url: "$url", timeout: 30s}
load:
  maxInFlight: 10000
  stages:
    - {name: constant, duration: ${2}s, rate: $1}
YAML
}

json_num() { # key file -> first numeric value of "key"
	grep -o "\"$1\": *[0-9.e+-]*" "$2" | head -1 | sed 's/.*: *//'
}

# run_surge rate -> "sent ok delayed"
run_surge() {
	scenario "$1" "$step" "$work/s.yaml"
	rm -rf "$work/out"
	"$work/surge" run "$work/s.yaml" --out "$work/out" --quiet --format json >/dev/null 2>&1 || true
	local t="$work/out/totals.json"
	sed -n '/"totals": {/,/"latencyMs"/p' "$work/out/report.json" >"$t"
	echo "$(json_num requests "$t") $(json_num successes "$t") $(json_num delayed "$t")"
}

# run_vegeta rate -> "sent ok"
run_vegeta() {
	echo "POST $url" | "$work/vegeta" attack -rate="$1" -duration="${step}s" -max-workers=10000 -timeout=30s -keepalive=true \
		| "$work/vegeta" report -type=json >"$work/v.json"
	local req ok
	req=$(grep -o '"requests":[0-9]*' "$work/v.json" | sed 's/.*://')
	ok=$(grep -o '"success":[0-9.e+-]*' "$work/v.json" | sed 's/.*://')
	echo "$req $(awk -v r="$req" -v s="$ok" 'BEGIN{printf "%d", r*s}')"
}

sustained() { # planned sent ok
	awk -v p="$1" -v s="$2" -v o="$3" 'BEGIN{exit !(s >= 0.98*p && o >= 0.99*s)}'
}

best_surge=0 best_vegeta=0 surge_done=0 vegeta_done=0
printf '\n%-8s %-34s %-34s\n' "rate" "surge (sent/ok/late)" "vegeta (sent/ok)"
for r in "${rates[@]}"; do
	planned=$((r * step))
	s_cell="-" v_cell="-"
	# alternate which tool goes first, so neither always meets a warmer machine
	for tool in $( ((r / 1000 % 2)) && echo "surge vegeta" || echo "vegeta surge"); do
		if [[ $tool == surge && $surge_done == 0 ]]; then
			read -r sent ok late < <(run_surge "$r")
			if sustained "$planned" "$sent" "$ok"; then best_surge=$r; s_cell="$sent/$ok/$late ok"; else surge_done=1; s_cell="$sent/$ok/$late FAIL"; fi
		elif [[ $tool == vegeta && $vegeta_done == 0 ]]; then
			read -r sent ok < <(run_vegeta "$r")
			if sustained "$planned" "$sent" "$ok"; then best_vegeta=$r; v_cell="$sent/$ok ok"; else vegeta_done=1; v_cell="$sent/$ok FAIL"; fi
		fi
	done
	printf '%-8s %-34s %-34s\n' "$r/s" "$s_cell" "$v_cell"
	[[ $surge_done == 1 && $vegeta_done == 1 ]] && break
done

echo
echo "highest sustained constant rate: surge ${best_surge}/s, vegeta ${best_vegeta}/s"
awk -v s="$best_surge" -v v="$best_vegeta" 'BEGIN{ if (v>0) printf "ratio surge/vegeta: %.2f (target >= 0.95)\n", s/v }'

peak_rss() { # requests -> KiB
	local n=$1 secs
	secs=$(awk -v n="$n" -v r="$mem_rate" 'BEGIN{printf "%d", n/r}')
	scenario "$mem_rate" "$secs" "$work/m.yaml"
	rm -rf "$work/mout"
	/usr/bin/time -f '%M' -o "$work/rss" "$work/surge" run "$work/m.yaml" --out "$work/mout" --quiet --format json --yes >/dev/null 2>&1 || true
	echo "$(tail -1 "$work/rss") $(json_num requests "$work/mout/report.json")"
}

echo
echo "peak RSS at ${mem_rate}/s ..."
read -r rss100k n100k < <(peak_rss 100000)
read -r rss1m n1m < <(peak_rss 1000000)
echo "100k requests (${n100k} sent): ${rss100k} KiB"
echo "1M requests (${n1m} sent):   ${rss1m} KiB"
awk -v a="$rss100k" -v b="$rss1m" 'BEGIN{ printf "ratio 1M/100k: %.2f (target <= 1.5)\n", b/a }'
