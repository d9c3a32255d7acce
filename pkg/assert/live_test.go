package assert

import (
	"testing"
	"time"

	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/units"
)

// fakeLive is a scripted running test.
type fakeLive struct {
	stage   string
	stats   report.Stats
	signals map[string]float64
	windows []time.Duration // the windows asked for
}

func (f *fakeLive) Window(d time.Duration) report.Stats {
	f.windows = append(f.windows, d)
	return f.stats
}

func (f *fakeLive) Signal(name string) (float64, bool) {
	v, ok := f.signals[name]
	return v, ok
}

func (f *fakeLive) Stage() string { return f.stage }

func TestCheckLive(t *testing.T) {
	slow := report.Stats{Requests: 1000, Timeouts: 150, LatencyMs: report.Latency{P95: 4120}, TargetRate: 400, AchievedRate: 390}
	fast := report.Stats{Requests: 1000, LatencyMs: report.Latency{P95: 120}, TargetRate: 400, AchievedRate: 400}
	sec := func(s int) units.Duration { return units.Duration(time.Duration(s) * time.Second) }
	tests := []struct {
		name       string
		specs      []Spec
		live       fakeLive
		elapsed    time.Duration
		wantAbort  bool
		wantReason string
		wantWindow time.Duration // 0: no window asked for
	}{
		{name: "failing hard SLO aborts", specs: []Spec{{Expr: "p95 < 350ms during peak", AbortOnFail: true}},
			live: fakeLive{stage: "peak", stats: slow}, elapsed: time.Minute, wantAbort: true, wantWindow: DefaultWindow,
			wantReason: `"p95 < 350ms during peak" failed: latency.p95 over the last 10s was 4120ms (want < 350ms)`},
		{name: "custom window", specs: []Spec{{Expr: "timeout_rate < 5%", AbortOnFail: true, Window: sec(30)}},
			live: fakeLive{stage: "ramp", stats: slow}, elapsed: time.Minute, wantAbort: true, wantWindow: 30 * time.Second,
			wantReason: `"timeout_rate < 5%" failed: timeout_rate over the last 30s was 15% (want < 5%)`},
		{name: "passing SLO goes on", specs: []Spec{{Expr: "p95 < 350ms", AbortOnFail: true}},
			live: fakeLive{stage: "peak", stats: fast}, elapsed: time.Minute, wantWindow: DefaultWindow},
		{name: "without abortOnFail never aborts", specs: []Spec{{Expr: "p95 < 350ms"}},
			live: fakeLive{stage: "peak", stats: slow}, elapsed: time.Minute},
		{name: "before the delay", specs: []Spec{{Expr: "p95 < 350ms", AbortOnFail: true, After: sec(90)}},
			live: fakeLive{stage: "peak", stats: slow}, elapsed: 89 * time.Second},
		{name: "at the delay", specs: []Spec{{Expr: "p95 < 350ms", AbortOnFail: true, After: sec(90)}},
			live: fakeLive{stage: "peak", stats: slow}, elapsed: 90 * time.Second, wantAbort: true, wantWindow: DefaultWindow,
			wantReason: `"p95 < 350ms" failed: latency.p95 over the last 10s was 4120ms (want < 350ms)`},
		{name: "other stage", specs: []Spec{{Expr: "p95 < 350ms during peak", AbortOnFail: true}},
			live: fakeLive{stage: "ramp", stats: slow}, elapsed: time.Minute},
		{name: "no requests in window", specs: []Spec{{Expr: "p95 > 1ms", AbortOnFail: true}},
			live: fakeLive{stage: "peak"}, elapsed: time.Minute, wantWindow: DefaultWindow},
		{name: "ratio signal latest value", specs: []Spec{{Expr: "gpu.max < 95%", AbortOnFail: true}},
			live: fakeLive{stage: "peak", signals: map[string]float64{"gpu": .98}}, elapsed: time.Minute, wantAbort: true,
			wantReason: `"gpu.max < 95%" failed: gpu (latest value) was 98% (want < 95%)`},
		{name: "plain signal", specs: []Spec{{Expr: "queue_depth.max < 200", AbortOnFail: true}},
			live: fakeLive{stage: "peak", signals: map[string]float64{"queue_depth": 512}}, elapsed: time.Minute, wantAbort: true,
			wantReason: `"queue_depth.max < 200" failed: queue_depth (latest value) was 512 (want < 200)`},
		{name: "signal not read yet", specs: []Spec{{Expr: "queue_depth.max < 200", AbortOnFail: true}},
			live: fakeLive{stage: "peak"}, elapsed: time.Minute},
		{name: "replicas", specs: []Spec{{Expr: "replicas.max <= 10", AbortOnFail: true}},
			live: fakeLive{stage: "peak", signals: map[string]float64{"replicas": 12}}, elapsed: time.Minute, wantAbort: true,
			wantReason: `"replicas.max <= 10" failed: replicas (latest value) was 12 replicas (want <= 10)`},
		{name: "baseline criterion skipped", specs: []Spec{{Expr: "p95 <= +10% vs baseline", AbortOnFail: true}},
			live: fakeLive{stage: "peak", stats: slow}, elapsed: time.Minute},
		{name: "first failing spec wins", specs: []Spec{
			{Expr: "p95 < 10s", AbortOnFail: true},
			{Expr: "achieved_ratio >= 99%", AbortOnFail: true},
			{Expr: "p95 < 1s", AbortOnFail: true},
		}, live: fakeLive{stage: "peak", stats: slow}, elapsed: time.Minute, wantAbort: true, wantWindow: DefaultWindow,
			wantReason: `"achieved_ratio >= 99%" failed: achieved_ratio over the last 10s was 97.5% (want >= 99%)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.live
			abort, reason := CheckLive(tt.specs, &l, tt.elapsed)
			if abort != tt.wantAbort || reason != tt.wantReason {
				t.Fatalf("CheckLive = %v %q, want %v %q", abort, reason, tt.wantAbort, tt.wantReason)
			}
			if tt.wantWindow != 0 && (len(l.windows) == 0 || l.windows[0] != tt.wantWindow) {
				t.Fatalf("windows asked %v, want %v first", l.windows, tt.wantWindow)
			}
		})
	}
}
