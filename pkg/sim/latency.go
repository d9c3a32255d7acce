package sim

import (
	"math"
	"time"
)

// LatencyBuckets are the upper bounds (seconds) of inference_latency_seconds.
// They are dense around the 100 ms–1 s range where P95 decisions are made.
var LatencyBuckets = []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10}

// latencyWindow keeps recent completions so that the model can answer what
// histogram_quantile(q, sum(rate(inference_latency_seconds_bucket[w])) by (le))
// would, which is what a KEDA prometheus trigger reads.
type latencyWindow struct {
	keep    time.Duration
	entries []latencyEntry
	head    int // entries before head have left the window
}

type latencyEntry struct {
	at     time.Duration
	bucket int // index into LatencyBuckets; len(LatencyBuckets) is +Inf
}

func newLatencyWindow(keep time.Duration) *latencyWindow { return &latencyWindow{keep: keep} }

func (w *latencyWindow) add(at, latency time.Duration) {
	s := latency.Seconds()
	b := len(LatencyBuckets)
	for i, ub := range LatencyBuckets {
		if s <= ub {
			b = i
			break
		}
	}
	w.entries = append(w.entries, latencyEntry{at: at, bucket: b})
	for w.head < len(w.entries) && w.entries[w.head].at < at-w.keep {
		w.head++
	}
	// Compact once half the slice is stale: amortised O(1) per completion.
	if w.head > len(w.entries)/2 {
		w.entries = append(w.entries[:0], w.entries[w.head:]...)
		w.head = 0
	}
}

func (w *latencyWindow) quantile(now, window time.Duration, q float64) float64 {
	counts := make([]float64, len(LatencyBuckets)+1)
	for _, e := range w.entries[w.head:] {
		if e.at > now-window {
			counts[e.bucket]++
		}
	}
	return bucketQuantile(q, LatencyBuckets, counts)
}

// bucketQuantile is Prometheus's histogram_quantile over per-bucket counts
// (not cumulative; the last count is the +Inf bucket): linear interpolation
// inside the bucket holding the rank, the first bucket starting at 0, and
// the highest finite bound when the rank falls in +Inf. NaN without data.
func bucketQuantile(q float64, bounds, counts []float64) float64 {
	total := 0.0
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return math.NaN()
	}
	rank := q * total
	cum := 0.0
	for i, c := range counts {
		if cum+c >= rank && c > 0 {
			if i == len(bounds) {
				return bounds[len(bounds)-1]
			}
			lo := 0.0
			if i > 0 {
				lo = bounds[i-1]
			}
			return lo + (bounds[i]-lo)*(rank-cum)/c
		}
		cum += c
	}
	return bounds[len(bounds)-1]
}
