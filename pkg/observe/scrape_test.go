package observe

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// simMetrics exposes the simulator's metric names from a real client_golang
// registry, so the parser sees what the simulator will serve.
type simMetrics struct {
	queue, gpu, cpu, ready, desired prometheus.Gauge
	latency                         prometheus.Histogram
	srv                             *httptest.Server
}

func newSimMetrics(t *testing.T) *simMetrics {
	t.Helper()
	reg := prometheus.NewRegistry()
	m := &simMetrics{
		queue:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "inference_queue_depth"}),
		gpu:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "inference_gpu_utilization_ratio"}),
		cpu:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "inference_cpu_utilization_ratio"}),
		ready:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "inference_replicas_ready"}),
		desired: prometheus.NewGauge(prometheus.GaugeOpts{Name: "inference_replicas_desired"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "inference_latency_seconds", Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}}),
	}
	reg.MustRegister(m.queue, m.gpu, m.cpu, m.ready, m.desired, m.latency)
	m.srv = httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(m.srv.Close)
	return m
}

func TestScrapeSource(t *testing.T) {
	m := newSimMetrics(t)
	clock := &fakeClock{t: t0}
	o, err := New(Config{Interval: DefaultInterval}, Env{DefaultScrapeURL: m.srv.URL + "/metrics", Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	o.start = t0
	s := o.sources[0]

	// Before the first scrape: 100 fast requests that must not count
	// towards the first interval's P95.
	for range 100 {
		m.latency.Observe(0.01)
	}
	m.queue.Set(4)
	m.gpu.Set(0.4)
	m.cpu.Set(0.3)
	m.ready.Set(3)
	m.desired.Set(3)
	o.pollOnce(context.Background(), s)

	// During the interval: 90 at 0.2 s, 10 at 3 s. The 95th of the 100
	// falls half way into the (2.5, 5] bucket: 3.75 s.
	for range 90 {
		m.latency.Observe(0.2)
	}
	for range 10 {
		m.latency.Observe(3)
	}
	m.queue.Set(60)
	m.gpu.Set(0.98)
	m.desired.Set(6)
	clock.Set(t0.Add(5 * time.Second))
	o.pollOnce(context.Background(), s)

	// No traffic in the next interval: no P95 point, and no gap.
	m.ready.Set(6)
	clock.Set(t0.Add(10 * time.Second))
	o.pollOnce(context.Background(), s)

	o.end = t0.Add(10 * time.Second)
	signals, scaling, infos := o.Result([]Span{{Name: "all", Start: 0, End: 10}})
	got := map[string][][2]float64{}
	for _, sig := range signals {
		for _, p := range sig.Points {
			got[sig.Name] = append(got[sig.Name], p)
		}
		if sig.Source != "scrape" || len(sig.Gaps) != 0 {
			t.Errorf("%s: source %q gaps %v", sig.Name, sig.Source, sig.Gaps)
		}
	}
	tests := []struct {
		signal string
		want   [][2]float64
	}{
		{signal: "queue_depth", want: [][2]float64{{0, 4}, {5, 60}, {10, 60}}},
		{signal: "gpu", want: [][2]float64{{0, 0.4}, {5, 0.98}, {10, 0.98}}},
		{signal: "p95_latency", want: [][2]float64{{5, 3750}}},
		{signal: "replicas_desired", want: [][2]float64{{0, 3}, {5, 6}, {10, 6}}},
		{signal: "replicas", want: [][2]float64{{0, 3}, {5, 3}, {10, 6}}},
	}
	for _, tt := range tests {
		t.Run(tt.signal, func(t *testing.T) {
			g := got[tt.signal]
			if len(g) != len(tt.want) {
				t.Fatalf("got %v, want %v", g, tt.want)
			}
			for i := range g {
				if g[i][0] != tt.want[i][0] || math.Abs(g[i][1]-tt.want[i][1]) > 1e-9 {
					t.Fatalf("got %v, want %v", g, tt.want)
				}
			}
		})
	}
	if len(scaling.Events) != 2 {
		t.Fatalf("events %+v", scaling.Events)
	}
	if e := scaling.Events[0]; e.Seconds != 5 || e.Kind != "desired" || e.Source != "scrape" || e.From != 3 || e.To != 6 {
		t.Errorf("first event %+v", e)
	}
	if e := scaling.Events[1]; e.Seconds != 10 || e.Kind != "ready" || e.From != 3 || e.To != 6 {
		t.Errorf("second event %+v", e)
	}
	if !infos[0].OK || infos[0].Kind != "scrape" {
		t.Errorf("info %+v", infos[0])
	}
}

func TestScrapeFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		signals map[string]string
		wantErr string
	}{
		{
			name:    "server error",
			handler: func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) },
			wantErr: "HTTP 500: boom",
		},
		{
			name:    "not the text format",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>hello</html>\n")) },
			wantErr: "parse",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			s := newScrapeSource(ScrapeConfig{URL: srv.URL})
			err := s.check(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), srv.URL) {
				t.Fatalf("check() = %v, want an error naming the URL and %q", err, tt.wantErr)
			}
		})
	}
}

func TestScrapeCustomMapping(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`# TYPE worker_busy_ratio gauge
worker_busy_ratio{pod="a"} 0.2
worker_busy_ratio{pod="b"} 0.6
# TYPE jobs_waiting gauge
jobs_waiting{shard="1"} 3
jobs_waiting{shard="2"} 5
`))
	}))
	defer srv.Close()
	s := newScrapeSource(ScrapeConfig{URL: srv.URL, Signals: map[string]string{
		"worker_busy_ratio": "gpu", "jobs_waiting": "queue_depth", "absent_metric": "cpu",
	}})
	rs, _, err := s.poll(context.Background(), t0, t0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]reading{}
	for _, r := range rs {
		got[r.signal] = r
	}
	tests := []struct {
		signal  string
		want    float64
		wantErr string
	}{
		{signal: "gpu", want: 0.4},       // a ratio is averaged over series
		{signal: "queue_depth", want: 8}, // a count is summed
		{signal: "cpu", wantErr: `no metric "absent_metric"`},
	}
	for _, tt := range tests {
		t.Run(tt.signal, func(t *testing.T) {
			r := got[tt.signal]
			if tt.wantErr != "" {
				if r.err == nil || !strings.Contains(r.err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", r.err, tt.wantErr)
				}
				return
			}
			if r.err != nil || math.Abs(r.value-tt.want) > 1e-9 {
				t.Fatalf("got %v %v, want %v", r.value, r.err, tt.want)
			}
		})
	}
}

func TestQuantileOf(t *testing.T) {
	tests := []struct {
		signal string
		want   float64
	}{
		{"p95_latency", 0.95}, {"p99_latency", 0.99}, {"p999_latency", 0.999}, {"p50_latency", 0.5}, {"latency", 0.95},
	}
	for _, tt := range tests {
		t.Run(tt.signal, func(t *testing.T) {
			if got := quantileOf(tt.signal); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
