package report

import (
	"math"
	"time"
)

// The fixture is one fixed, realistic run: a KEDA-scaled inference service
// under a flash-sale ramp that scales, but too late for the P95 objective.
// Every series is computed from the same small model, and the per-stage
// figures are aggregated from those series, so the renderers see a report
// whose numbers agree with each other like a real run's do.

const (
	fxStep     = 10.0 // observation interval, seconds
	fxTimeout  = 4000.0
	fxCapacity = 45.0 // req/s one replica serves at full GPU
)

var fxStart = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

type fxStage struct {
	name           string
	start, dur     float64
	fromRate, rate float64
	shape          string
}

var fxStages = []fxStage{
	{"baseline", 0, 60, 50, 50, "50"},
	{"ramp", 60, 120, 50, 400, "50..400"},
	{"peak", 180, 180, 400, 400, "400"},
	{"cooldown", 360, 60, 50, 50, "50"},
}

func fxRate(t float64) float64 {
	for _, s := range fxStages {
		if t >= s.start && t < s.start+s.dur {
			return s.fromRate + (s.rate-s.fromRate)*(t-s.start)/s.dur
		}
	}
	return 50
}

func fxReplicas(t float64) (ready, desired float64) {
	switch {
	case t < 200:
		return 3, 3
	case t < 240:
		return 3, 6
	case t < 245:
		return 3, 11
	case t < 290:
		return 6, 11
	default:
		return 11, 11
	}
}

type fxSample struct {
	t, target, achieved, cpu, gpu, queue, serverP95, clientP95, timeoutRate, ready, desired float64
}

func fxSamples() []fxSample {
	var out []fxSample
	queue := 5.0
	for t := 0.0; t < 420; t += fxStep {
		rate := fxRate(t)
		ready, desired := fxReplicas(t)
		capacity := ready * fxCapacity
		if rate > capacity {
			queue += (rate - capacity) * fxStep * 0.025
		} else {
			queue = math.Max(5, queue-(capacity-rate)*fxStep*0.05)
		}
		gpu := math.Min(0.98, 0.35+0.63*rate/capacity)
		p95 := 190 + queue/capacity*1000
		timeout := math.Min(0.3, math.Max(0, (p95-2500)/20000))
		out = append(out, fxSample{
			t: t, target: rate, achieved: rate * (1 - timeout/10),
			cpu: 0.25 + 0.3*gpu, gpu: gpu, queue: math.Round(queue),
			serverP95: math.Round(p95), clientP95: math.Min(fxTimeout, math.Round(p95*1.06+12)),
			timeoutRate: math.Round(timeout*10000) / 10000,
			ready:       ready, desired: desired,
		})
	}
	return out
}

func fxSignal(name, unit, source, query string, pick func(fxSample) float64, gaps []Gap) Signal {
	s := Signal{Name: name, Unit: unit, Source: source, Query: query, ByStage: map[string]Agg{}, Gaps: gaps}
	samples := fxSamples()
	for _, x := range samples {
		if inGap(x.t, gaps) {
			continue
		}
		s.Points = append(s.Points, Point{x.t, round4(pick(x))})
	}
	for _, st := range fxStages {
		var a Agg
		for _, p := range s.Points {
			if p[0] < st.start || p[0] >= st.start+st.dur {
				continue
			}
			if a.Samples == 0 || p[1] < a.Min {
				a.Min = p[1]
			}
			if a.Samples == 0 || p[1] > a.Max {
				a.Max = p[1]
			}
			a.Avg += p[1]
			a.Last = p[1]
			a.Samples++
		}
		if a.Samples > 0 {
			a.Avg = round4(a.Avg / float64(a.Samples))
			s.ByStage[st.name] = a
		}
	}
	return s
}

func inGap(t float64, gaps []Gap) bool {
	for _, g := range gaps {
		if t >= g.FromSeconds && t < g.ToSeconds {
			return true
		}
	}
	return false
}

func round4(v float64) float64 { return math.Round(v*10000) / 10000 }

func fxStats(st fxStage) Stats {
	s := Stats{Name: st.name, StartSeconds: st.start, DurationSeconds: st.dur, RateShape: st.shape,
		TargetRate: (st.fromRate + st.rate) / 2, ErrorsByClass: map[string]int64{}}
	var p95s []float64
	var planned, achieved, timeouts float64
	for _, x := range fxSamples() {
		if x.t < st.start || x.t >= st.start+st.dur {
			continue
		}
		planned += x.target * fxStep
		achieved += x.achieved * fxStep
		timeouts += x.achieved * x.timeoutRate * fxStep
		p95s = append(p95s, x.clientP95)
	}
	s.PlannedRequests = int64(math.Round(planned))
	s.Requests = int64(math.Round(achieved))
	s.AchievedRate = math.Round(achieved/st.dur*10) / 10
	s.Unsent = s.PlannedRequests - s.Requests
	s.Timeouts = int64(math.Round(timeouts))
	if st.name == "peak" {
		s.ErrorsByClass = map[string]int64{"http5xx": 41, "reset": 7}
		s.Delayed = 312
	}
	for _, n := range s.ErrorsByClass {
		s.Errors += n
	}
	s.Successes = s.Requests - s.Timeouts - s.Errors
	var sum, max float64
	for _, v := range p95s {
		sum += v
		max = math.Max(max, v)
	}
	mean := sum / float64(len(p95s))
	s.LatencyMs = fxLatency(mean, max, 1)
	s.ServiceLatencyMs = fxLatency(mean, max, 0.94)
	s.BytesIn, s.BytesOut = s.Successes*412, s.Requests*96
	return s
}

// fxLatency derives ordered percentiles from a stage's mean and worst
// per-second P95, capped by the client timeout.
func fxLatency(p95, worst, factor float64) Latency {
	p95 = math.Round(p95 * factor)
	p99 := math.Min(fxTimeout, math.Round(math.Max(p95*1.25, worst*factor)))
	return Latency{Min: math.Round(80 * factor), Mean: math.Round(p95 * 0.7), P50: math.Round(p95 * 0.62),
		P90: math.Round(p95 * 0.88), P95: p95, P99: p99, Max: math.Min(fxTimeout, math.Round(p99*1.15))}
}

func fxKinds(s Stats) []Stats {
	split := func(name string, share, latencyFactor float64) Stats {
		k := Stats{Name: name, StartSeconds: s.StartSeconds, DurationSeconds: s.DurationSeconds,
			TargetRate: round4(s.TargetRate * share), AchievedRate: round4(s.AchievedRate * share),
			PlannedRequests: int64(math.Round(float64(s.PlannedRequests) * share)),
			Requests:        int64(math.Round(float64(s.Requests) * share)),
			Timeouts:        int64(math.Round(float64(s.Timeouts) * share)),
			Errors:          int64(math.Round(float64(s.Errors) * share))}
		k.Successes = k.Requests - k.Timeouts - k.Errors
		l := s.LatencyMs
		scale := func(v float64) float64 { return math.Min(fxTimeout, math.Round(v*latencyFactor)) }
		k.LatencyMs = Latency{Min: l.Min, Mean: scale(l.Mean), P50: scale(l.P50), P90: scale(l.P90),
			P95: scale(l.P95), P99: math.Max(scale(l.P95), scale(l.P99)), Max: l.Max}
		return k
	}
	return []Stats{split("enrich-short", 0.7, 0.8), split("enrich-long", 0.3, 1.45)}
}

func fxTotals(stages []Stats) Stats {
	t := Stats{Name: "total", DurationSeconds: 420, RateShape: "", ErrorsByClass: map[string]int64{}}
	for _, s := range stages {
		t.PlannedRequests += s.PlannedRequests
		t.Requests += s.Requests
		t.Successes += s.Successes
		t.Timeouts += s.Timeouts
		t.Errors += s.Errors
		t.Delayed += s.Delayed
		t.Unsent += s.Unsent
		t.BytesIn += s.BytesIn
		t.BytesOut += s.BytesOut
		for k, v := range s.ErrorsByClass {
			t.ErrorsByClass[k] += v
		}
	}
	t.TargetRate = round4(float64(t.PlannedRequests) / t.DurationSeconds)
	t.AchievedRate = round4(float64(t.Requests) / t.DurationSeconds)
	t.LatencyMs = Latency{Min: 88, Mean: 905, P50: 610, P90: 2380, P95: 2990, P99: 3880, Max: 4000}
	t.ServiceLatencyMs = Latency{Min: 85, Mean: 860, P50: 590, P90: 2260, P95: 2840, P99: 3700, Max: 4000}
	return t
}

func f64(v float64) *float64 { return &v }

// fixture returns the fixed report all golden files are rendered from.
func fixture() *Report {
	var stages []Stats
	for _, st := range fxStages {
		stages = append(stages, fxStats(st))
	}
	stages[2].Kinds = fxKinds(stages[2])
	totals := fxTotals(stages)
	totals.Kinds = fxKinds(totals)
	gpuGap := []Gap{{FromSeconds: 200, ToSeconds: 230, Error: "prometheus: query gpu: connection refused"}}
	prom := "prometheus"
	r := &Report{
		SchemaVersion: SchemaVersion,
		Scenario:      ScenarioRef{Name: "blackfriday", File: "scenarios/blackfriday.yaml"},
		StartedAt:     fxStart,
		EndedAt:       fxStart.Add(420 * time.Second),
		Verdict:       VerdictFail,
		Target:        TargetInfo{Method: "POST", URL: "http://127.0.0.1:8080/v1/enrich", Timeout: 4, Sim: "keda"},
		SLO:           &SLO{P95Ms: 350, TimeoutRate: 0.01},
		Stages:        stages,
		Totals:        totals,
		Signals: []Signal{
			fxSignal("target_rate", "req/s", "client", "", func(x fxSample) float64 { return x.target }, nil),
			fxSignal("achieved_rate", "req/s", "client", "", func(x fxSample) float64 { return x.achieved }, nil),
			fxSignal("client_p95", "ms", "client", "", func(x fxSample) float64 { return x.clientP95 }, nil),
			fxSignal("timeout_rate", "ratio", "client", "", func(x fxSample) float64 { return x.timeoutRate }, nil),
			fxSignal("cpu", "ratio", prom, "avg(inference_cpu_utilization_ratio)", func(x fxSample) float64 { return x.cpu }, nil),
			fxSignal("gpu", "ratio", prom, "avg(inference_gpu_utilization_ratio)", func(x fxSample) float64 { return x.gpu }, gpuGap),
			fxSignal("queue_depth", "requests", prom, "sum(inference_queue_depth)", func(x fxSample) float64 { return x.queue }, nil),
			fxSignal("p95_latency", "ms", prom, "histogram_quantile(0.95, sum(rate(inference_latency_seconds_bucket[2m])) by (le)) * 1000", func(x fxSample) float64 { return x.serverP95 }, nil),
			fxSignal("replicas", "replicas", "kubernetes", "", func(x fxSample) float64 { return x.ready }, nil),
			fxSignal("replicas_desired", "replicas", "kubernetes", "", func(x fxSample) float64 { return x.desired }, nil),
		},
		Scaling: Scaling{
			Replicas: ReplicaSummary{Initial: 3, Min: 3, Max: 11, Final: 11, Known: true},
			Events: []ScaleEvent{
				{Seconds: 200, From: 3, To: 6, Reason: "ScaledObject ai-inference-scaler: redis list ai_request_queue length 212 > 50", Source: "scaledobject", Kind: "desired"},
				{Seconds: 202, From: 3, To: 6, Reason: "deployment scaled", Source: "deployment", Kind: "spec"},
				{Seconds: 240, From: 6, To: 11, Reason: "ScaledObject ai-inference-scaler: prometheus p95 3120 > 2000", Source: "scaledobject", Kind: "desired"},
				{Seconds: 242, From: 6, To: 11, Reason: "deployment scaled", Source: "deployment", Kind: "spec"},
				{Seconds: 245, From: 3, To: 6, Reason: "replicas ready", Source: "deployment", Kind: "ready"},
				{Seconds: 290, From: 6, To: 11, Reason: "replicas ready", Source: "deployment", Kind: "ready"},
			},
			Reaction: &Reaction{
				Steps: []StepReaction{
					{Stage: "ramp", AtSeconds: 60, FromRate: 50, ToRate: 400, DecisionSeconds: f64(140), ActuationSeconds: f64(142), ReadySeconds: f64(185), StableSeconds: f64(230)},
					{Stage: "cooldown", AtSeconds: 360, FromRate: 400, ToRate: 50},
				},
				ReplicaSeconds: 2845, SLOViolationSeconds: 210,
				UnderProvisionAccuracy: 0.41, OverProvisionAccuracy: 0.12,
				UnderProvisionTimeshare: 0.52, OverProvisionTimeshare: 0.14,
				PerReplicaCapacity: fxCapacity,
			},
		},
		Assertions: []Assertion{
			{Expr: "p95 < 350ms during peak", Stage: "peak", Observed: stages[2].LatencyMs.P95, Threshold: 350, Unit: "ms", Pass: false,
				Message: "client p95 during peak was " + fmtMs(stages[2].LatencyMs.P95) + ", want < 350 ms"},
			{Expr: "timeout_rate < 5%", Observed: round4(totals.TimeoutRate()), Threshold: 0.05, Unit: "ratio", Pass: true},
			{Expr: "replicas.max >= 6", Observed: 11, Threshold: 6, Unit: "replicas", Pass: true},
		},
		Diagnosis: []Finding{
			{ID: "scaled-late", Severity: "critical",
				Message:  "The autoscaler reacted 140 s after the load step and replicas were ready after 185 s; the queue had grown to its peak by then.",
				Evidence: map[string]any{"stage": "ramp", "decisionSeconds": 140.0, "readySeconds": 185.0, "queueDepthMax": 0.0}},
			{ID: "gpu-bound", Severity: "warning",
				Message:  "GPU saturated at 98% while CPU stayed near 55%: a CPU-based autoscaler would not have scaled.",
				Evidence: map[string]any{"gpuMax": 0.98, "cpuAvgPeak": 0.0}},
		},
		Warnings: []string{"gpu: no data from T+03:20 to T+03:50 (prometheus: query gpu: connection refused)"},
		Sources: []SourceInfo{
			{Name: "client", Kind: "client", OK: true},
			{Name: "prometheus", Kind: "prometheus", OK: true, Gaps: gpuGap, Detail: "http://127.0.0.1:9090"},
			{Name: "kubernetes", Kind: "kubernetes", OK: true, Detail: "ai-services/ai-inference-deployment"},
		},
	}
	r.Diagnosis[0].Evidence["queueDepthMax"] = r.Signal("queue_depth").ByStage["peak"].Max
	r.Diagnosis[1].Evidence["cpuAvgPeak"] = r.Signal("cpu").ByStage["peak"].Avg
	return r
}
