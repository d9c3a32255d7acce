package observe

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// DefaultScrapeSignals maps the simulator's metric names (a contract, see
// DESIGN.md) to signals.
var DefaultScrapeSignals = map[string]string{
	"inference_queue_depth":           SignalQueueDepth,
	"inference_gpu_utilization_ratio": SignalGPU,
	"inference_cpu_utilization_ratio": SignalCPU,
	"inference_latency_seconds":       SignalP95Latency,
	"inference_replicas_ready":        SignalReplicas,
	"inference_replicas_desired":      SignalReplicasDesired,
}

// maxScrapeBytes bounds what one scrape reads: a /metrics page larger than
// this is not one surge was pointed at on purpose.
const maxScrapeBytes = 32 << 20

// scrapeSource reads a target's /metrics each interval: gauges and counters
// as they are, histograms as a quantile over the observations made between
// two scrapes, which is what histogram_quantile(rate(...)) gives over one
// scrape interval.
type scrapeSource struct {
	url     string
	shown   string // url without a password, for errors and reports
	signals map[string]string
	opt     bool
	client  *http.Client

	mu   sync.Mutex
	prev map[string]buckets
}

func newScrapeSource(cfg ScrapeConfig) *scrapeSource {
	signals := cfg.Signals
	if len(signals) == 0 {
		signals = DefaultScrapeSignals
	}
	return &scrapeSource{url: cfg.URL, shown: redact(cfg.URL), signals: signals, opt: cfg.Optional, client: &http.Client{}, prev: map[string]buckets{}}
}

func (s *scrapeSource) meta() sourceMeta {
	return sourceMeta{name: "scrape", kind: "scrape", detail: s.shown, optional: s.opt, priority: 1}
}

func (s *scrapeSource) check(ctx context.Context) error {
	_, err := s.fetch(ctx)
	return err
}

func (s *scrapeSource) fetch(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", s.shown, err)
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", s.shown, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
		return nil, fmt.Errorf("scrape %s: HTTP %d: %s", s.shown, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(io.LimitReader(resp.Body, maxScrapeBytes))
	if err != nil {
		return nil, fmt.Errorf("scrape %s: parse: %w", s.shown, err)
	}
	return fams, nil
}

func (s *scrapeSource) poll(ctx context.Context, _, _ time.Time) ([]reading, []timedEvent, error) {
	fams, err := s.fetch(ctx)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []reading
	for _, metric := range sortedKeys(s.signals) {
		signal := s.signals[metric]
		r := reading{signal: signal, query: metric, unit: scrapeUnit(metric, signal)}
		fam, ok := fams[metric]
		switch {
		case !ok:
			r.err = fmt.Errorf("scrape %s: no metric %q", s.shown, metric)
		case fam.GetType() == dto.MetricType_HISTOGRAM:
			cur := mergeBuckets(fam)
			prev, seen := s.prev[metric]
			s.prev[metric] = cur
			if !seen {
				// The first scrape only sets the baseline.
				continue
			}
			r.value = cur.since(prev).quantile(quantileOf(signal)) * latencyScale(metric, r.unit)
		default:
			v, err := gaugeValue(fam, r.unit == "ratio")
			r.value, r.err = v, err
		}
		out = append(out, r)
	}
	return out, nil, nil
}

// gaugeValue reads a family with one value per series. Several series are
// summed (queue lengths, replica counts), or averaged for ratios, where a
// sum would exceed 1.
func gaugeValue(fam *dto.MetricFamily, average bool) (float64, error) {
	var sum float64
	n := 0
	for _, m := range fam.GetMetric() {
		switch {
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		default:
			return 0, fmt.Errorf("metric %q is a %s, want a gauge, counter or histogram", fam.GetName(), strings.ToLower(fam.GetType().String()))
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("metric %q has no series", fam.GetName())
	}
	if average {
		return sum / float64(n), nil
	}
	return sum, nil
}

func scrapeUnit(metric, signal string) string {
	if u, ok := canonicalUnits[signal]; ok {
		return u
	}
	switch {
	case strings.HasSuffix(signal, "_latency"):
		return "ms"
	case strings.HasSuffix(metric, "_ratio"):
		return "ratio"
	case strings.HasSuffix(metric, "_seconds"):
		return "s"
	}
	return ""
}

func latencyScale(metric, unit string) float64 {
	if unit == "ms" && strings.HasSuffix(metric, "_seconds") {
		return 1000
	}
	return 1
}

var quantileName = regexp.MustCompile(`^p(\d+)_`)

// quantileOf reads the quantile from a signal name: p95_latency -> 0.95,
// p99_latency -> 0.99, p999_latency -> 0.999; anything else is a P95.
func quantileOf(signal string) float64 {
	m := quantileName.FindStringSubmatch(signal)
	if m == nil {
		return 0.95
	}
	v, _ := strconv.ParseFloat("0."+m[1], 64)
	return v
}

// buckets is a cumulative histogram: counts per upper bound, +Inf included.
type buckets struct {
	le    []float64
	count []float64
}

// mergeBuckets adds up the cumulative bucket counts of every series of a
// histogram family by upper bound, as sum(...) by (le) does.
func mergeBuckets(fam *dto.MetricFamily) buckets {
	byLE := map[float64]float64{}
	for _, m := range fam.GetMetric() {
		h := m.GetHistogram()
		if h == nil {
			continue
		}
		for _, b := range h.GetBucket() {
			byLE[b.GetUpperBound()] += cumulative(b)
		}
	}
	// +Inf is re-derived from the sample counts so that series which did
	// and did not list it explicitly add up alike.
	total := 0.0
	for _, m := range fam.GetMetric() {
		if h := m.GetHistogram(); h != nil {
			total += sampleCount(h)
		}
	}
	byLE[math.Inf(1)] = total
	var b buckets
	for le := range byLE {
		b.le = append(b.le, le)
	}
	sort.Float64s(b.le)
	for _, le := range b.le {
		b.count = append(b.count, byLE[le])
	}
	return b
}

func cumulative(b *dto.Bucket) float64 {
	if b.CumulativeCountFloat != nil {
		return b.GetCumulativeCountFloat()
	}
	return float64(b.GetCumulativeCount())
}

func sampleCount(h *dto.Histogram) float64 {
	if h.SampleCountFloat != nil {
		return h.GetSampleCountFloat()
	}
	return float64(h.GetSampleCount())
}

// since is the histogram of the observations made after prev. A count that
// went down means the target restarted, and then everything counted now is new.
func (b buckets) since(prev buckets) buckets {
	if len(prev.le) != len(b.le) {
		return b
	}
	out := buckets{le: b.le, count: make([]float64, len(b.count))}
	for i := range b.count {
		if prev.le[i] != b.le[i] || b.count[i] < prev.count[i] {
			return b
		}
		out.count[i] = b.count[i] - prev.count[i]
	}
	return out
}

// quantile estimates the q-quantile by linear interpolation within the
// bucket that holds it, the way PromQL's histogram_quantile does: below the
// lowest bucket the lower edge is 0, and a quantile falling in the +Inf
// bucket is the highest finite bound. NaN when there were no observations.
func (b buckets) quantile(q float64) float64 {
	n := len(b.le)
	if n < 2 || b.count[n-1] == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	if q <= 0 {
		return math.Inf(-1)
	}
	if q >= 1 {
		return math.Inf(1)
	}
	rank := q * b.count[n-1]
	i := sort.Search(n-1, func(i int) bool { return b.count[i] >= rank })
	if i == n-1 {
		return b.le[n-2]
	}
	if i == 0 && b.le[0] <= 0 {
		return b.le[0]
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = b.le[i-1], b.count[i-1]
	}
	upper := b.le[i]
	inBucket := b.count[i] - below
	if inBucket == 0 {
		return upper
	}
	return lower + (upper-lower)*(rank-below)/inBucket
}
