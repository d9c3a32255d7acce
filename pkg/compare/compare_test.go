package compare

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/surge-sh/surge/pkg/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func f64(v float64) *float64 { return &v }

// run builds a crafted run of the flash-sale scenario.
type runFigures struct {
	peakP95, totalP95       float64
	peakRequests, peakTO    int64
	totalErrors             int64
	serverP95               []float64 // per point in peak
	queue                   []float64 // over the run
	cpuPeak, gpuPeak        float64
	replicas                []float64 // over the run
	decision                *float64
	compare                 []string
	baselineTarget, rampEnd float64
}

func makeRun(name string, f runFigures) *report.Report {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Scenario:      report.ScenarioRef{Name: name},
		Compare:       f.compare,
		Stages: []report.Stats{
			{Name: "baseline", StartSeconds: 0, DurationSeconds: 60, TargetRate: f.baselineTarget, Requests: 3000, Successes: 3000,
				LatencyMs: report.Latency{P95: 200}},
			{Name: "ramp", StartSeconds: 60, DurationSeconds: 60, TargetRate: 225, Requests: 13500, Successes: 13500,
				LatencyMs: report.Latency{P95: 600}},
			{Name: "peak", StartSeconds: 120, DurationSeconds: 60, TargetRate: 400, Requests: f.peakRequests,
				Successes: f.peakRequests - f.peakTO, Timeouts: f.peakTO, LatencyMs: report.Latency{P95: f.peakP95}},
		},
		Totals: report.Stats{Name: "total", Requests: 16500 + f.peakRequests, Timeouts: f.peakTO, Errors: f.totalErrors,
			LatencyMs: report.Latency{P95: f.totalP95}},
	}
	series := func(name, unit string, vals []float64, step float64) report.Signal {
		s := report.Signal{Name: name, Unit: unit, Source: "prometheus"}
		for i, v := range vals {
			s.Points = append(s.Points, report.Point{float64(i) * step, v})
		}
		return s
	}
	srv := report.Signal{Name: "p95_latency", Unit: "ms", Source: "prometheus"}
	for i, v := range f.serverP95 {
		srv.Points = append(srv.Points, report.Point{120 + float64(i)*10, v})
	}
	r.Signals = []report.Signal{
		series("queue_depth", "requests", f.queue, 30),
		srv,
		{Name: "cpu", Unit: "ratio", ByStage: map[string]report.Agg{"peak": {Avg: f.cpuPeak, Max: f.cpuPeak, Samples: 6}}},
		{Name: "gpu", Unit: "ratio", ByStage: map[string]report.Agg{"peak": {Avg: f.gpuPeak, Max: f.gpuPeak, Samples: 6}}},
		series("replicas", "replicas", f.replicas, 30),
	}
	r.Scaling.Reaction = &report.Reaction{Steps: []report.StepReaction{{Stage: "ramp", AtSeconds: 60, DecisionSeconds: f.decision}}}
	return r
}

// before is the CPU-scaled service: nothing scales, the GPU saturates.
func before() *report.Report {
	return makeRun("blackfriday-hpa", runFigures{
		peakP95: 4200, totalP95: 3100, peakRequests: 24000, peakTO: 2880, totalErrors: 120,
		serverP95: []float64{3900, 4100, 4300}, queue: []float64{5, 40, 300, 520, 610, 580, 400},
		cpuPeak: .55, gpuPeak: .98, replicas: []float64{3, 3, 3, 3, 3, 3, 3}, baselineTarget: 50,
	})
}

// after is the queue-scaled service: replicas 3 -> 11, latency holds.
func after() *report.Report {
	return makeRun("blackfriday-keda", runFigures{
		peakP95: 320, totalP95: 300, peakRequests: 24000, peakTO: 0, totalErrors: 0,
		serverP95: []float64{250, 240, 260}, queue: []float64{5, 40, 60, 45, 30, 20, 10},
		cpuPeak: .42, gpuPeak: .71, replicas: []float64{3, 3, 6, 11, 11, 11, 11}, decision: f64(30), baselineTarget: 50,
	})
}

func TestCompareRows(t *testing.T) {
	b, a := before(), after()
	tab := Compare(b, a, [2]string{"Before KEDA", "After KEDA"})
	type want struct {
		before, after string
		delta         *float64
		pct           *float64
		mark          Mark
	}
	pct := func(x, y float64) *float64 { return f64((y - x) / x * 100) }
	wants := map[string]want{
		"client_p95_peak":   {"4.2 s", "320 ms", f64(320 - 4200), pct(4200, 320), Better},
		"server_p95_peak":   {"4.3 s", "260 ms", f64(260 - 4300), pct(4300, 260), Better},
		"timeout_rate_peak": {"12%", "0%", f64(-2880.0 / 24000), f64(-100), Better},
		"queue_depth_max":   {"610", "60", f64(60 - 610), pct(610, 60), Better},
		"replicas":          {"3 → 3", "3 → 11", f64(8), pct(3, 11), Changed},
		"cpu_peak":          {"55%", "42%", f64(.42 - .55), pct(.55, .42), Changed},
		"gpu_peak":          {"98%", "71%", f64(.71 - .98), pct(.98, .71), Changed},
		"first_scale_up":    {"never", "30s", nil, nil, Better},
		"client_p95":        {"3.1 s", "300 ms", f64(300 - 3100), pct(3100, 300), Better},
		"error_rate":        {"7.4%", "0%", f64(-3000.0 / 40500), f64(-100), Better},
	}
	if len(tab.Rows) != len(wants) {
		t.Fatalf("got %d rows, want %d", len(tab.Rows), len(wants))
	}
	for _, r := range tab.Rows {
		t.Run(r.Key, func(t *testing.T) {
			w, ok := wants[r.Key]
			if !ok {
				t.Fatalf("unexpected row %q", r.Key)
			}
			if got := valueText(r.Before, r.Unit); got != w.before {
				t.Errorf("before %q, want %q", got, w.before)
			}
			if got := valueText(r.After, r.Unit); got != w.after {
				t.Errorf("after %q, want %q", got, w.after)
			}
			if !sameFloat(r.Delta, w.delta) || !sameFloat(r.DeltaPct, w.pct) {
				t.Errorf("delta %v (%v%%), want %v (%v%%)", deref(r.Delta), deref(r.DeltaPct), deref(w.delta), deref(w.pct))
			}
			if r.Mark != w.mark {
				t.Errorf("mark %q, want %q", r.Mark, w.mark)
			}
		})
	}
	if tab.Peak != [2]string{"peak", "peak"} {
		t.Errorf("peak stages %v, want peak, peak", tab.Peak)
	}
}

func TestMarks(t *testing.T) {
	known := func(v float64) Value { return Value{V: v, Known: true} }
	tests := []struct {
		name          string
		dir           Direction
		before, after Value
		tolerance     float64
		want          Mark
	}{
		{"lower is better, fell", LowerBetter, known(200), known(100), 1, Better},
		{"lower is better, rose", LowerBetter, known(100), known(200), 1, Worse},
		{"higher is better, rose", HigherBetter, known(100), known(200), 1, Better},
		{"higher is better, fell", HigherBetter, known(200), known(100), 1, Worse},
		{"within 1% is the same", LowerBetter, known(1000), known(1009), 1, Same},
		{"within tolerance is the same", LowerBetter, known(0), known(0.0004), 0.0005, Same},
		{"from zero beyond tolerance", LowerBetter, known(0), known(0.01), 0.0005, Worse},
		{"neutral moved", Neutral, known(3), known(11), 0, Changed},
		{"neutral still", Neutral, known(3), known(3), 0, Same},
		{"missing side", LowerBetter, Value{}, known(3), 0, Unknown},
		{"both never", LowerBetter, Value{Never: true}, Value{Never: true}, 0, Same},
		{"stopped happening", LowerBetter, known(30), Value{Never: true}, 0, Worse},
		{"started happening", LowerBetter, Value{Never: true}, known(30), 0, Better},
		{"never against unknown", LowerBetter, Value{Never: true}, Value{}, 0, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Row{Direction: tt.dir, Before: tt.before, After: tt.after}
			judge(&r, tt.tolerance)
			if r.Mark != tt.want {
				t.Fatalf("mark %q, want %q", r.Mark, tt.want)
			}
		})
	}
}

func TestPeakStage(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*report.Report)
		want   string
	}{
		{"highest target rate", func(r *report.Report) {}, "peak"},
		{"report compare names it", func(r *report.Report) { r.Compare = []string{"baseline", "ramp"} }, "ramp"},
		{"compare names an unknown stage", func(r *report.Report) { r.Compare = []string{"baseline", "soak"} }, "peak"},
		{"first on a tie", func(r *report.Report) { r.Stages[1].TargetRate = 400 }, "ramp"},
		{"no stages", func(r *report.Report) { r.Stages = nil }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := before()
			tt.modify(r)
			if got := PeakStage(r); got != tt.want {
				t.Fatalf("PeakStage = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFirstScaleUpFromEvents(t *testing.T) {
	// Without reaction figures the first upward decision after the load
	// rose (ramp starts at 60s) counts; readiness events do not.
	r := after()
	r.Scaling.Reaction = nil
	r.Scaling.Replicas.Known = true
	r.Scaling.Events = []report.ScaleEvent{
		{Seconds: 20, From: 2, To: 3, Kind: "desired"},   // before the load rose
		{Seconds: 95, From: 3, To: 6, Kind: "ready"},     // not a decision
		{Seconds: 140, From: 6, To: 11, Kind: "desired"}, // later
		{Seconds: 85, From: 3, To: 6, Kind: "desired"},   // the first one
	}
	v := firstScaleUp(r, "")
	if !v.Known || v.V != 25 {
		t.Fatalf("first scale-up %+v, want 25s", v)
	}
	r.Scaling.Events = r.Scaling.Events[:2]
	if v := firstScaleUp(r, ""); !v.Never {
		t.Fatalf("first scale-up %+v, want never", v)
	}
}

func TestRenderGolden(t *testing.T) {
	tab := Compare(before(), after(), [2]string{"Before KEDA", "After KEDA"})
	for _, tt := range []struct {
		format, file string
	}{
		{"md", "compare.golden.md"},
		{"json", "compare.golden.json"},
		{"terminal", "compare.golden.txt"},
	} {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Writers[tt.format](&buf, tab); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", tt.file)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("%s output differs from %s (run go test -update after checking):\n%s", tt.format, path, buf.String())
			}
		})
	}
}

func TestJSONShape(t *testing.T) {
	// CI reads the JSON: every row has its key, numbers or null, and a mark.
	var buf bytes.Buffer
	if err := WriteJSON(&buf, Compare(before(), after(), DefaultLabels)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		SchemaVersion string           `json:"schemaVersion"`
		Labels        []string         `json:"labels"`
		Rows          []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.SchemaVersion != SchemaVersion || strings.Join(got.Labels, ",") != "Before,After" {
		t.Fatalf("schema %q labels %v", got.SchemaVersion, got.Labels)
	}
	for _, r := range got.Rows {
		if r["key"] == "first_scale_up" {
			if r["before"] != nil || r["beforeText"] != "never" || r["after"] != 30.0 {
				t.Fatalf("first_scale_up row %v", r)
			}
		}
		for _, k := range []string{"key", "metric", "unit", "before", "after", "delta", "deltaPercent", "mark"} {
			if _, ok := r[k]; !ok {
				t.Fatalf("row %v lacks %q", r["key"], k)
			}
		}
	}
}

func sameFloat(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*b))
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
