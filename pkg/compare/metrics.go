package compare

import (
	"fmt"
	"math"

	"github.com/surge-sh/surge/pkg/report"
)

// metric is one row's definition: where its figure comes from and how to
// judge a move.
type metric struct {
	key, label, unit string
	dir              Direction
	// tolerance is the move, in the row's unit, below which two figures
	// count as the same.
	tolerance float64
	value     func(r *report.Report, peak string) Value
}

// metrics are the rows in the order the table shows them. The at-peak
// figures are summarised as in the report's headline table: CPU and GPU
// average over the stage, server P95 maximum over the stage, client P95
// and timeout rate over every request of the stage.
var metrics = []metric{
	{key: "client_p95_peak", label: "Client P95 at peak", unit: "ms", dir: LowerBetter, tolerance: 1,
		value: func(r *report.Report, peak string) Value {
			return stageValue(r, peak, func(s report.Stats) float64 { return s.LatencyMs.P95 })
		}},
	{key: "server_p95_peak", label: "Server P95 at peak (max)", unit: "ms", dir: LowerBetter, tolerance: 1,
		value: func(r *report.Report, peak string) Value {
			return signalValue(r, "p95_latency", peak, func(a agg) float64 { return a.max })
		}},
	{key: "timeout_rate_peak", label: "Timeout rate at peak", unit: "ratio", dir: LowerBetter, tolerance: 0.0005,
		value: func(r *report.Report, peak string) Value {
			return stageValue(r, peak, report.Stats.TimeoutRate)
		}},
	{key: "queue_depth_max", label: "Peak queue depth", unit: "requests", dir: LowerBetter, tolerance: 0.5,
		value: func(r *report.Report, _ string) Value {
			return signalValue(r, "queue_depth", "", func(a agg) float64 { return a.max })
		}},
	{key: "replicas", label: "Replicas (initial → max)", unit: "replicas", dir: Neutral, tolerance: 0,
		value: replicasValue},
	{key: "cpu_peak", label: "CPU at peak (avg)", unit: "ratio", dir: Neutral, tolerance: 0.005,
		value: func(r *report.Report, peak string) Value {
			return signalValue(r, "cpu", peak, func(a agg) float64 { return a.avg })
		}},
	{key: "gpu_peak", label: "GPU at peak (avg)", unit: "ratio", dir: Neutral, tolerance: 0.005,
		value: func(r *report.Report, peak string) Value {
			return signalValue(r, "gpu", peak, func(a agg) float64 { return a.avg })
		}},
	{key: "first_scale_up", label: "Time to first scale-up", unit: "s", dir: LowerBetter, tolerance: 0.5,
		value: firstScaleUp},
	{key: "client_p95", label: "Client P95, whole run", unit: "ms", dir: LowerBetter, tolerance: 1,
		value: func(r *report.Report, _ string) Value {
			return statsValue(r.Totals, func(s report.Stats) float64 { return s.LatencyMs.P95 })
		}},
	{key: "error_rate", label: "Error rate, whole run", unit: "ratio", dir: LowerBetter, tolerance: 0.0005,
		value: func(r *report.Report, _ string) Value {
			return statsValue(r.Totals, report.Stats.ErrorRate)
		}},
}

func stageValue(r *report.Report, stage string, pick func(report.Stats) float64) Value {
	s, ok := r.Stage(stage)
	if !ok {
		return Value{}
	}
	return statsValue(s, pick)
}

// statsValue reads a client figure; a stage that sent nothing has none.
func statsValue(s report.Stats, pick func(report.Stats) float64) Value {
	if s.Requests == 0 {
		return Value{}
	}
	return Value{V: pick(s), Known: true}
}

type agg struct{ min, avg, max, first, last float64 }

// signalAgg summarises a signal over a stage ("" = the whole run), from
// the report's per-stage summary when it has one, else from the points.
func signalAgg(r *report.Report, name, stage string) (agg, bool) {
	sig := r.Signal(name)
	if sig == nil {
		return agg{}, false
	}
	pts := sig.Points
	if stage != "" {
		if a, ok := sig.ByStage[stage]; ok && a.Samples > 0 {
			return agg{min: a.Min, avg: a.Avg, max: a.Max, last: a.Last}, true
		}
		st, ok := r.Stage(stage)
		if !ok {
			return agg{}, false
		}
		pts = nil
		for _, p := range sig.Points {
			if p[0] >= st.StartSeconds && p[0] < st.StartSeconds+st.DurationSeconds {
				pts = append(pts, p)
			}
		}
	}
	if len(pts) == 0 {
		return agg{}, false
	}
	a := agg{min: pts[0][1], max: pts[0][1], first: pts[0][1], last: pts[len(pts)-1][1]}
	sum := 0.0
	for _, p := range pts {
		a.min, a.max = math.Min(a.min, p[1]), math.Max(a.max, p[1])
		sum += p[1]
	}
	a.avg = sum / float64(len(pts))
	return a, true
}

func signalValue(r *report.Report, name, stage string, pick func(agg) float64) Value {
	a, ok := signalAgg(r, name, stage)
	if !ok {
		return Value{}
	}
	return Value{V: pick(a), Known: true}
}

// replicasValue is the replica count at the start and its maximum; the
// row's number is the maximum.
func replicasValue(r *report.Report, _ string) Value {
	rs := r.Scaling.Replicas
	initial, max, ok := rs.Initial, rs.Max, rs.Known
	if !ok {
		var a agg
		if a, ok = signalAgg(r, "replicas", ""); ok {
			initial, max = a.first, a.max
		}
	}
	if !ok {
		return Value{}
	}
	return Value{V: max, Known: true, Text: fmt.Sprintf("%s → %s", fmtCount(initial), fmtCount(max))}
}

// firstScaleUp is how long after the load first rose the autoscaler first
// decided to add replicas: the first load step's decision time from the
// report's reaction figures, else the first upward scale event after the
// first stage whose target rate rose.
func firstScaleUp(r *report.Report, _ string) Value {
	if rc := r.Scaling.Reaction; rc != nil && len(rc.Steps) > 0 {
		for _, s := range rc.Steps {
			if s.DecisionSeconds != nil {
				return Value{V: *s.DecisionSeconds, Known: true}
			}
		}
		return Value{Never: true}
	}
	rise, ok := loadRise(r)
	if !ok || (!r.Scaling.Replicas.Known && len(r.Scaling.Events) == 0) {
		return Value{}
	}
	first, found := 0.0, false
	for _, e := range r.Scaling.Events {
		decision := e.Kind == "" || e.Kind == "desired" || e.Kind == "spec"
		if decision && e.To > e.From && e.Seconds >= rise && (!found || e.Seconds < first) {
			first, found = e.Seconds, true
		}
	}
	if !found {
		return Value{Never: true}
	}
	return Value{V: first - rise, Known: true}
}

// loadRise is when the first stage with a higher target rate than the
// first stage began.
func loadRise(r *report.Report) (float64, bool) {
	if len(r.Stages) == 0 {
		return 0, false
	}
	for _, s := range r.Stages[1:] {
		if s.TargetRate > r.Stages[0].TargetRate {
			return s.StartSeconds, true
		}
	}
	return 0, false
}
