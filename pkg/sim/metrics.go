package sim

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names. The first six are part of surge's contract: dashboards and
// PromQL in users' scenarios name them.
const (
	MetricQueueDepth       = "inference_queue_depth"
	MetricLatency          = "inference_latency_seconds"
	MetricGPU              = "inference_gpu_utilization_ratio"
	MetricCPU              = "inference_cpu_utilization_ratio"
	MetricReplicasReady    = "inference_replicas_ready"
	MetricReplicasDesired  = "inference_replicas_desired"
	MetricReplicasStarting = "inference_replicas_starting"
	MetricRequests         = "inference_requests_total"
	MetricDecisions        = "inference_scaling_decisions_total"
)

// gauges is what the model's loop publishes for scrapes to read.
type gauges struct {
	mu                       sync.Mutex
	queue                    int
	ready, starting, desired int
	gpu, cpu                 float64 // means over the last second
}

func (g *gauges) read(f func(*gauges) float64) func() float64 {
	return func() float64 {
		g.mu.Lock()
		defer g.mu.Unlock()
		return f(g)
	}
}

type metrics struct {
	reg       *prometheus.Registry
	g         gauges
	latency   prometheus.Histogram
	requests  *prometheus.CounterVec
	decisions *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    MetricLatency,
		Help:    "Server-side latency (queue + service) of completed inference requests.",
		Buckets: LatencyBuckets,
	})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricRequests,
		Help: "Inference requests by kind and outcome (ok, cancelled while queued, abandoned while served).",
	}, []string{"kind", "outcome"})
	m.decisions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: MetricDecisions,
		Help: "Changes of the desired replica count by direction (up, down) and the trigger that drove them.",
	}, []string{"direction", "trigger"})
	gauge := func(name, help string, f func(*gauges) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, m.g.read(f))
	}
	m.reg.MustRegister(
		m.latency, m.requests, m.decisions,
		gauge(MetricQueueDepth, "Requests waiting for a GPU slot.", func(g *gauges) float64 { return float64(g.queue) }),
		gauge(MetricGPU, "Busy share of the ready replicas' GPU slots, mean over the last second.", func(g *gauges) float64 { return g.gpu }),
		gauge(MetricCPU, "Mean CPU utilisation of ready replicas over the last second.", func(g *gauges) float64 { return g.cpu }),
		gauge(MetricReplicasReady, "Replicas ready to serve.", func(g *gauges) float64 { return float64(g.ready) }),
		gauge(MetricReplicasDesired, "Replica count the autoscaler asks for.", func(g *gauges) float64 { return float64(g.desired) }),
		gauge(MetricReplicasStarting, "Replicas loading the model (cold start).", func(g *gauges) float64 { return float64(g.starting) }),
	)
	return m
}

// publish copies the model's state for scrapes; window is the usage over
// the last second (nil to keep the previous means).
func (m *metrics) publish(st State, window *Usage, cpu CPU) {
	m.g.mu.Lock()
	defer m.g.mu.Unlock()
	m.g.queue, m.g.ready, m.g.starting, m.g.desired = st.QueueDepth, st.Ready, st.Starting, st.Desired
	if window != nil {
		m.g.gpu = nanZero(window.GPU())
		m.g.cpu = nanZero(window.CPU(cpu))
	}
}

func (m *metrics) done(r *Request) {
	m.requests.WithLabelValues(r.Kind, string(r.Outcome)).Inc()
	if r.Outcome != OutcomeCancelled {
		m.latency.Observe(r.Latency().Seconds())
	}
}

func (m *metrics) scaled(d Decision) {
	m.decisions.WithLabelValues(d.Direction(), d.Trigger).Inc()
}
