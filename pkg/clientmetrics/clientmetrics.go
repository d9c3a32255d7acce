// Package clientmetrics exports what surge's own clients see during a run in
// the Prometheus format: requests by stage and outcome class, the corrected
// latency histogram, and the schedule's target rate and current stage, so a
// dashboard can put the client side next to the server side of one run.
//
// Observe is called once per finished request from the load engine's results
// loop. It does no allocation and takes no lock beyond the atomics inside the
// client_golang collectors: every (stage, class) child is resolved up front.
package clientmetrics

import (
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/surge-sh/surge/pkg/load"
)

// LatencyBuckets are the upper bounds, in seconds, of the latency histogram:
// fine where SLOs live (a few hundred ms), then up to 30 s, the longest
// timeout anyone sets on an inference call.
var LatencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 10, 15, 20, 30}

// Class names as they appear in the class label, indexed by load.Class.
var classes = []load.Class{load.ClassOK, load.ClassTimeout, load.ClassRefused, load.ClassReset, load.Class4xx, load.Class5xx, load.ClassOther}

// Metrics are one run's client-side metrics in a private registry.
type Metrics struct {
	reg   *prometheus.Registry
	sched *load.Schedule
	now   func() time.Time
	// began is the run start; zero until known.
	began atomic.Int64

	requests [][]prometheus.Counter // [stage][class]
	errors   [][]prometheus.Counter // [stage][class], nil for ok
	latency  []prometheus.Observer  // [stage]
}

// Options adjust New.
type Options struct {
	// Now is the clock used to place a scrape in the schedule; nil means time.Now.
	Now func() time.Time
}

// New builds the metrics of one run of sched. Every series carries the
// label scenario=name so that runs of several scenarios share a dashboard.
func New(sched *load.Schedule, name string, opts Options) *Metrics {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Metrics{reg: prometheus.NewRegistry(), sched: sched, now: opts.Now}
	reg := prometheus.WrapRegistererWith(prometheus.Labels{"scenario": name}, m.reg)

	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "surge_requests_total",
		Help: "Requests that finished, by stage (of their scheduled send time) and outcome class (ok, timeout, refused, reset, http4xx, http5xx, other).",
	}, []string{"stage", "class"})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "surge_request_errors_total",
		Help: "Requests that failed, by stage and class: surge_requests_total without class=\"ok\".",
	}, []string{"stage", "class"})
	latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "surge_request_latency_seconds",
		Help:    "Latency of finished requests measured from their scheduled send time (coordinated omission corrected): what a user waited.",
		Buckets: LatencyBuckets,
	}, []string{"stage"})
	reg.MustRegister(requests, errs, latency, &scheduleCollector{m: m})

	stages := sched.Stages()
	m.requests = make([][]prometheus.Counter, len(stages))
	m.errors = make([][]prometheus.Counter, len(stages))
	m.latency = make([]prometheus.Observer, len(stages))
	for i, st := range stages {
		m.requests[i] = make([]prometheus.Counter, len(classes))
		m.errors[i] = make([]prometheus.Counter, len(classes))
		for _, c := range classes {
			// Children exist from the start so that rate() sees the zero.
			m.requests[i][c] = requests.WithLabelValues(st.Name, c.String())
			if c != load.ClassOK {
				m.errors[i][c] = errs.WithLabelValues(st.Name, c.String())
			}
		}
		m.latency[i] = latency.WithLabelValues(st.Name)
	}
	return m
}

// Start places the run in time: the target rate and the current stage are
// read from the schedule at (scrape time - began).
func (m *Metrics) Start(began time.Time) { m.began.Store(began.UnixNano()) }

// Observe counts one finished request. Until Start is called, the first
// sample dates the run start (its end offset subtracted from now).
func (m *Metrics) Observe(s load.Sample) {
	if m.began.Load() == 0 {
		m.began.CompareAndSwap(0, m.now().Add(-s.End()).UnixNano())
	}
	st := m.sched.StageAt(s.Scheduled)
	if st < 0 || st >= len(m.requests) || int(s.Class) >= len(classes) {
		return
	}
	m.requests[st][s.Class].Inc()
	if s.Class != load.ClassOK {
		m.errors[st][s.Class].Inc()
	}
	m.latency[st].Observe(s.Latency.Seconds())
}

// Registry is the private registry holding the metrics.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// elapsed is the run time at now, and false before the run started.
func (m *Metrics) elapsed() (time.Duration, bool) {
	b := m.began.Load()
	if b == 0 {
		return 0, false
	}
	return m.now().Sub(time.Unix(0, b)), true
}

// scheduleCollector computes the schedule figures at scrape time, so they
// are exact whenever Prometheus asks, without a ticker.
type scheduleCollector struct{ m *Metrics }

var (
	targetRateDesc = prometheus.NewDesc("surge_target_rate",
		"Arrival rate the schedule asks for now (requests/second); 0 before the start and after the end.", nil, nil)
	scheduledDesc = prometheus.NewDesc("surge_scheduled_requests_total",
		"Arrivals the schedule has planned so far.", nil, nil)
	elapsedDesc = prometheus.NewDesc("surge_elapsed_seconds",
		"Time since the run started.", nil, nil)
	durationDesc = prometheus.NewDesc("surge_schedule_duration_seconds",
		"Length of the whole schedule.", nil, nil)
	stageDesc = prometheus.NewDesc("surge_current_stage_info",
		"1 for the stage the schedule is in now (absent before the start and after the end).", []string{"stage"}, nil)
)

func (c *scheduleCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{targetRateDesc, scheduledDesc, elapsedDesc, durationDesc, stageDesc} {
		ch <- d
	}
}

func (c *scheduleCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.m.sched
	ch <- prometheus.MustNewConstMetric(durationDesc, prometheus.GaugeValue, s.Duration().Seconds())
	el, started := c.m.elapsed()
	if !started {
		ch <- prometheus.MustNewConstMetric(targetRateDesc, prometheus.GaugeValue, 0)
		ch <- prometheus.MustNewConstMetric(scheduledDesc, prometheus.CounterValue, 0)
		ch <- prometheus.MustNewConstMetric(elapsedDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(targetRateDesc, prometheus.GaugeValue, s.Rate(el))
	ch <- prometheus.MustNewConstMetric(scheduledDesc, prometheus.CounterValue, float64(s.PlannedIn(0, el)))
	ch <- prometheus.MustNewConstMetric(elapsedDesc, prometheus.GaugeValue, el.Seconds())
	if el >= 0 && el < s.Duration() {
		ch <- prometheus.MustNewConstMetric(stageDesc, prometheus.GaugeValue, 1, s.Stages()[s.StageAt(el)].Name)
	}
}
