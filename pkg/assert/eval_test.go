package assert

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/surge-sh/surge/pkg/report"
)

func ptr(v float64) *float64 { return &v }

// runReport is a crafted run of the flash-sale story: CPU stays low, the
// GPU saturates, the queue grows and nothing scales.
func runReport() *report.Report {
	return &report.Report{
		SchemaVersion: report.SchemaVersion,
		Stages: []report.Stats{
			{Name: "baseline", StartSeconds: 0, DurationSeconds: 60, TargetRate: 50, AchievedRate: 50,
				Requests: 3000, Successes: 3000,
				LatencyMs:        report.Latency{Min: 20, Mean: 110, P50: 100, P90: 150, P95: 200, P99: 300, Max: 500},
				ServiceLatencyMs: report.Latency{P95: 180}},
			{Name: "peak", StartSeconds: 60, DurationSeconds: 60, TargetRate: 400, AchievedRate: 380,
				Requests: 22800, Successes: 20000, Timeouts: 2280, Errors: 520,
				LatencyMs: report.Latency{P50: 2100, P95: 4200, P99: 6000, Max: 8000}},
			{Name: "cooldown", StartSeconds: 120, DurationSeconds: 30, TargetRate: 50},
		},
		Totals: report.Stats{Name: "total", TargetRate: 250, AchievedRate: 240,
			Requests: 25800, Successes: 23000, Timeouts: 2280, Errors: 520,
			LatencyMs: report.Latency{P95: 3900}},
		Signals: []report.Signal{
			{Name: "cpu", Unit: "ratio", Source: "prometheus",
				Points: []report.Point{{0, .30}, {30, .35}, {60, .55}, {90, .56}, {120, .40}},
				ByStage: map[string]report.Agg{
					"baseline": {Min: .30, Avg: .325, Max: .35, Last: .35, Samples: 2},
					"peak":     {Min: .55, Avg: .555, Max: .56, Last: .56, Samples: 2},
				}},
			{Name: "gpu", Unit: "ratio", Source: "prometheus",
				Points: []report.Point{{0, .40}, {60, .98}, {90, .99}}},
			{Name: "queue_depth", Unit: "requests", Source: "prometheus",
				Points: []report.Point{{0, 5}, {60, 300}, {90, 520}, {120, 40}}},
			{Name: "replicas", Unit: "replicas", Source: "kubernetes",
				Points: []report.Point{{0, 3}, {60, 3}, {90, 4}, {120, 3}}},
		},
		Scaling: report.Scaling{
			Replicas: report.ReplicaSummary{Initial: 3, Min: 3, Max: 4, Final: 3, Known: true},
			Reaction: &report.Reaction{
				Steps: []report.StepReaction{
					{Stage: "peak", AtSeconds: 60, FromRate: 50, ToRate: 400,
						DecisionSeconds: ptr(40), ActuationSeconds: ptr(42)},
				},
				SLOViolationSeconds: 55, ReplicaSeconds: 450, UnderProvisionTimeshare: .5,
			},
		},
	}
}

// baselineReport is an earlier run of the same scenario, without a GPU signal.
func baselineReport() *report.Report {
	r := runReport()
	r.Totals.LatencyMs.P95 = 3500
	r.Totals.Requests, r.Totals.Timeouts, r.Totals.Errors = 25000, 1000, 0
	r.Signals = r.Signals[:1]
	return r
}

func TestEvaluate(t *testing.T) {
	run := runReport()
	totalTimeouts := float64(run.Totals.Timeouts) / float64(run.Totals.Requests)
	baseTimeouts := 1000.0 / 25000
	tests := []struct {
		name     string
		expr     string
		pass     bool
		observed float64
		thr      float64
		unit     string
		stage    string
		message  string // exact when it has no "..."; else a substring
	}{
		{name: "latency in stage fails", expr: "p95 < 350ms during peak", observed: 4200, thr: 350, unit: "ms", stage: "peak",
			message: "observed 4200ms, want < 350ms"},
		{name: "latency in other stage passes", expr: "p95 < 350ms during baseline", pass: true, observed: 200, thr: 350, unit: "ms", stage: "baseline"},
		{name: "seconds converted to ms, bound inclusive", expr: "latency.p99 <= 6s during peak", pass: true, observed: 6000, thr: 6000, unit: "ms", stage: "peak"},
		{name: "service latency", expr: "service_p95 < 1s during baseline", pass: true, observed: 180, thr: 1000, unit: "ms", stage: "baseline"},
		{name: "whole-run latency", expr: "p95 > 0.5m", observed: 3900, thr: 30000, unit: "ms"},
		{name: "timeout rate whole run", expr: "timeout_rate < 1%", observed: totalTimeouts, thr: .01, unit: "ratio"},
		{name: "error rate in stage", expr: "error_rate < 15% during peak", pass: true, observed: 2800.0 / 22800, thr: .15, unit: "ratio", stage: "peak"},
		{name: "achieved ratio at its bound", expr: "achieved_ratio >= 95% during peak", pass: true, observed: .95, thr: .95, unit: "ratio", stage: "peak"},
		{name: "achieved rate", expr: "achieved_rate > 100", pass: true, observed: 240, thr: 100, unit: "req/s"},
		{name: "request count", expr: "requests == 3000 during baseline", pass: true, observed: 3000, thr: 3000, unit: "requests", stage: "baseline"},
		{name: "signal max whole run", expr: "queue_depth.max < 200", observed: 520, thr: 200, unit: "requests",
			message: "observed 520 requests, want < 200"},
		{name: "ratio signal from stage summary", expr: "cpu.max < 70% during peak", pass: true, observed: .56, thr: .70, unit: "ratio", stage: "peak"},
		{name: "ratio signal from points in stage", expr: "gpu.avg < 90% during peak", observed: .985, thr: .90, unit: "ratio", stage: "peak"},
		{name: "ratio signal as fraction", expr: "gpu.last >= 0.99", pass: true, observed: .99, thr: .99, unit: "ratio"},
		{name: "replicas summary", expr: "replicas.max >= 6", observed: 4, thr: 6, unit: "replicas"},
		{name: "replicas in stage from signal", expr: "replicas.initial == 3 during peak", pass: true, observed: 3, thr: 3, unit: "replicas", stage: "peak"},
		{name: "reaction decision", expr: "reaction.decision < 45s", pass: true, observed: 40, thr: 45, unit: "s"},
		{name: "reaction in ms", expr: "reaction.actuation < 41000ms during peak", observed: 42, thr: 41, unit: "s", stage: "peak"},
		{name: "reaction never reached", expr: "reaction.ready < 2m",
			message: `no value: the load step at 60s (stage "peak") never reached ready replicas in the report`},
		{name: "reaction whole-run figure", expr: "reaction.slo_violation < 30s", observed: 55, thr: 30, unit: "s"},
		{name: "reaction timeshare", expr: "reaction.under_timeshare <= 50%", pass: true, observed: .50, thr: .50, unit: "ratio"},
		{name: "stage with no requests", expr: "p95 < 1s during cooldown", stage: "cooldown",
			message: `no value: no requests were sent during stage "cooldown"`},
		{name: "count in stage with no requests is zero", expr: "requests == 0 during cooldown", pass: true, stage: "cooldown", unit: "requests"},
		{name: "unknown stage", expr: "p95 < 1s during soak", stage: "soak",
			message: `no value: stage "soak" is not in the report (stages: baseline, peak, cooldown)`},
		{name: "missing signal", expr: "gpu_temp.max < 80",
			message: `no value: signal "gpu_temp" is not in the report (signals: cpu, gpu, queue_depth, replicas)`},
		{name: "signal without samples in stage", expr: "gpu.max < 90% during cooldown", stage: "cooldown",
			message: `no value: signal "gpu" has no samples during stage "cooldown" in the report`},
		{name: "plain number on a ratio signal", expr: "gpu.avg < 90", observed: (.40 + .98 + .99) / 3, unit: "ratio",
			message: "invalid bound: plain number 90 for gpu.avg, a ratio: write 90% or 0.9"},
		{name: "relative fails", expr: "p95 <= +10% vs baseline", observed: 3900, thr: 3850, unit: "ms",
			message: "observed 3900ms, baseline 3500ms (+11.4%), want <= +10% vs baseline (<= 3850ms)"},
		{name: "relative passes", expr: "p95 <= +20% vs baseline", pass: true, observed: 3900, thr: 4200, unit: "ms"},
		{name: "baseline margin in points", expr: "timeout_rate <= baseline + 5%", pass: true, observed: totalTimeouts, thr: baseTimeouts + .05, unit: "ratio"},
		{name: "plain baseline", expr: "timeout_rate <= baseline", observed: totalTimeouts, thr: baseTimeouts, unit: "ratio"},
		{name: "baseline lacks the signal", expr: "gpu.max <= baseline", observed: .99, unit: "ratio",
			message: `observed 99%; no baseline value: signal "gpu" is not in the baseline report (signals: cpu)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Evaluate([]Spec{{Expr: tt.expr}}, runReport(), baselineReport())
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d assertions, want 1", len(got))
			}
			a := got[0]
			if a.Expr != tt.expr || a.Pass != tt.pass || a.Stage != tt.stage || a.Unit != tt.unit {
				t.Errorf("got expr %q pass %v stage %q unit %q, want %q %v %q %q (message %q)", a.Expr, a.Pass, a.Stage, a.Unit, tt.expr, tt.pass, tt.stage, tt.unit, a.Message)
			}
			if !near(a.Observed, tt.observed) || !near(a.Threshold, tt.thr) {
				t.Errorf("observed %v threshold %v, want %v %v", a.Observed, a.Threshold, tt.observed, tt.thr)
			}
			if tt.message != "" && a.Message != tt.message {
				t.Errorf("message\n got %s\nwant %s", a.Message, tt.message)
			}
			if a.Message == "" {
				t.Errorf("empty message")
			}
			if _, err := json.Marshal(a); err != nil {
				t.Errorf("assertion does not encode: %v", err)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestEvaluateInvalid(t *testing.T) {
	tests := []struct {
		name     string
		specs    []string
		baseline bool
		want     []string
	}{
		{name: "parse error names index and column", specs: []string{"p95 < 1s", "p95 < 35x"}, baseline: true,
			want: []string{`assert[1] "p95 < 35x": column 9: unknown unit "x" (want ms, s, m, %)`}},
		{name: "relative without baseline", specs: []string{"p95 <= +10% vs baseline", "error_rate <= baseline"},
			want: []string{`assert[0] "p95 <= +10% vs baseline": a baseline criterion needs a baseline report`,
				`assert[1] "error_rate <= baseline": a baseline criterion needs a baseline report`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var specs []Spec
			for _, s := range tt.specs {
				specs = append(specs, Spec{Expr: s})
			}
			var base *report.Report
			if tt.baseline {
				base = baselineReport()
			}
			got, err := Evaluate(specs, runReport(), base)
			if err == nil {
				t.Fatalf("Evaluate succeeded with %v, want an error", got)
			}
			if want := strings.Join(tt.want, "\n"); err.Error() != want {
				t.Fatalf("error\n got %s\nwant %s", err, want)
			}
		})
	}
}

func TestEvaluateWithoutPoints(t *testing.T) {
	// A report that kept only per-stage summaries still answers whole-run
	// figures, merged across stages.
	r := runReport()
	cpu := r.Signal("cpu")
	cpu.Points = nil
	got, err := Evaluate([]Spec{{Expr: "cpu.avg < 50%"}, {Expr: "cpu.max < 50%"}, {Expr: "cpu.last < 50%"}}, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{(.325*2 + .555*2) / 4, .56, .56}
	for i, a := range got {
		if !near(a.Observed, want[i]) {
			t.Errorf("%s: observed %v, want %v", a.Expr, a.Observed, want[i])
		}
	}
	if !got[0].Pass || got[1].Pass || got[2].Pass {
		t.Errorf("pass = %v %v %v, want true false false", got[0].Pass, got[1].Pass, got[2].Pass)
	}
}
