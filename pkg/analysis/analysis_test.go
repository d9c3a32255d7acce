package analysis

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/surge-sh/surge/pkg/report"
)

// The recorded timelines in testdata/ are small reports whose every figure
// is worked out by hand below.
//
// hpa-blind.json: a CPU-based HPA (target 70%) in front of 2 replicas of 10
// req/s. baseline [0,10) at 10 req/s, peak [10,30) at 60 req/s. Samples
// every 2 s: GPU 0.5 until t=10 then 1.0; CPU 0.4 then 0.55; the queue 0
// until t=10, then 40 per second more (80 at t=12 ... 400 from t=20);
// server P95 200 ms until t=12, 1000 at t=14, then 4000; replicas and
// desired replicas 2 throughout. Client P95 (per second) 200 until 9, 400
// for 10..13, 2000 from 14; timeout rate 0 until 19, then 0.5. Client
// timeout 4 s; SLO P95 500 ms, timeouts 1%.
//
// keda-ramp.json: not the simulator; 2 replicas, baseline [0,10) at 10
// req/s, ramp [10,30) at 10+2(s−10) req/s (10..48), peak [30,50) at 50.
// Desired 2 -> 4 at t=18, 4 -> 6 at t=28; spec 2 -> 4 at t=20, 4 -> 6 at
// t=28; ready 2 -> 3 at t=24, 3 -> 4 at t=26, 4 -> 6 at t=32. GPU 0.5 until
// t=10, 0.6 at 12, 0.8 at 14, 1.0 for 16..30, 0.9 after. Queue 4, 12, 24,
// 30, 20, 10 at t=18..28, else 0. Client P95 800 ms for seconds 20..29,
// else 200; no timeouts. The autoscaler (KEDA) scales on queue_depth and
// p95_latency, at most 6 replicas.
//
// shapes-only.json: no SLO and no signals at all; stages "50" [0,10),
// "50..100" [10,30), "200" [30,40).

func loadReport(t *testing.T, name string) *report.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}

var (
	hpaBlindOptions = Options{Autoscaler: "hpa-cpu", ScalingSignals: []string{"cpu"}, HPATargetCPU: 0.7, MaxReplicas: 10}
	kedaRampOptions = Options{Autoscaler: "keda", ScalingSignals: []string{"queue_depth", "p95_latency"}, MaxReplicas: 6}
)

func TestMeasureCapacity(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		want    Capacity
		wantErr string
	}{
		{
			// Saturated intervals (queue non-empty at the start and
			// growing, GPU >= 0.9, 2 replicas throughout, no timeouts of
			// requests scheduled in [a−5, b−4]): 12→14, 14→16, 16→18,
			// 18→20. Each: (60 req/s × 2 s − 80 queued) / 2 s / 2 replicas
			// = 10. 10→12 starts empty; 20→22 does not grow.
			name: "saturation", file: "hpa-blind.json",
			want: Capacity{PerReplica: 10, Method: MethodSaturation, Samples: 4},
		},
		{
			// Saturation finds only 18→20 ((26+28−8)/2/2 = 11.5) and
			// 20→22 ((30+32−12)/2/2 = 12.5): 2 < 3, and 22→24 spans the
			// ready change at 24. The utilization law then reads the GPU
			// samples in [0.3, 0.85] with an empty queue: t=2..10 (10 req/s
			// / (2 × 0.5) = 10), t=12 (12 / (2 × 0.6) = 10), t=14 (16 /
			// (2 × 0.8) = 10): 7 samples, median 10.
			name: "utilization fallback", file: "keda-ramp.json",
			want: Capacity{PerReplica: 10, Method: MethodUtilization, Samples: 7},
		},
		{
			name: "no signals", file: "shapes-only.json",
			wantErr: "no ready-replica or achieved-rate signal",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MeasureCapacity(loadReport(t, tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("capacity %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReaction(t *testing.T) {
	tests := []struct {
		name string
		file string
		opts Options
		// edit changes the loaded report before the analysis.
		edit func(*report.Report)
		want report.Reaction
	}{
		{
			// One boundary step at t=10 (10 -> 60 req/s, a 500% rise); the
			// replicas never move, so every step figure is nil.
			// replica-seconds = 2 × 30 = 60. SLO-violation seconds: client
			// P95 > 500 for 14..29 = 16 (the timeouts of 20..29 are in
			// those seconds). Elasticity with capacity 10: seconds 0..9
			// demand ceil(10/10) = 1, supply 2: over by (2−1)/1 = 1 for 10
			// s; seconds 10..29 demand 6, supply 2: under by 4/6 for 20 s.
			// θU = 20 × 4/6 / 30 = 0.4444, θO = 10/30 = 0.3333,
			// τU = 20/30 = 0.6667, τO = 10/30 = 0.3333.
			name: "cpu hpa never scales", file: "hpa-blind.json", opts: hpaBlindOptions,
			want: report.Reaction{
				Steps:                   []report.StepReaction{{Stage: "peak", Kind: StepBoundary, AtSeconds: 10, FromRate: 10, ToRate: 60}},
				ReplicaSeconds:          60,
				SLOViolationSeconds:     16,
				UnderProvisionAccuracy:  0.4444,
				OverProvisionAccuracy:   0.3333,
				UnderProvisionTimeshare: 0.6667,
				OverProvisionTimeshare:  0.3333,
				PerReplicaCapacity:      10,
				CapacityMethod:          MethodSaturation,
			},
		},
		{
			// The ramp rises 10 -> 48 (its highest second); 2 ready
			// replicas of 10 req/s serve 20, first exceeded at second 16
			// (22 req/s): the step is at t=16. Decision: desired rises at
			// t=18 -> 2 s; actuation: spec at t=20 -> 4 s; ready: t=24 ->
			// 8 s; stable: the last replica change before the run end
			// (no later drop of the rate) is ready 4 -> 6 at t=32, and
			// ready = desired = 6 at the end -> 16 s.
			// replica-seconds = 2×24 + 3×2 + 4×6 + 6×18 = 186.
			// SLO-violation seconds: 20..29 = 10.
			// Elasticity (demand ceil(rate/10), supply ready at s+0.5):
			//   over: s 0..9 (2 vs 1) 10 × 1; s 10 (2 vs 1) 1; s 32..49
			//   (6 vs 5) 18 × 0.2 = 3.6; total 14.6 over 29 s.
			//   under: s 16..20 (2 vs 3) 5 × 1/3; s 21..23 (2 vs 4) 3 ×
			//   0.5; s 24,25 (3 vs 4) 2 × 0.25; s 26..29 (4 vs 5) 4 × 0.2;
			//   s 30,31 (4 vs 5) 2 × 0.2; total 4.8667 over 16 s.
			// θU = 4.8667/50 = 0.0973, θO = 14.6/50 = 0.292,
			// τU = 16/50 = 0.32, τO = 29/50 = 0.58.
			name: "keda reacts to a ramp", file: "keda-ramp.json", opts: kedaRampOptions,
			want: report.Reaction{
				Steps: []report.StepReaction{{Stage: "ramp", Kind: StepRamp, AtSeconds: 16, FromRate: 10, ToRate: 48,
					DecisionSeconds: ptr(2), ActuationSeconds: ptr(4), ReadySeconds: ptr(8), StableSeconds: ptr(16)}},
				ReplicaSeconds:          186,
				SLOViolationSeconds:     10,
				UnderProvisionAccuracy:  0.0973,
				OverProvisionAccuracy:   0.292,
				UnderProvisionTimeshare: 0.32,
				OverProvisionTimeshare:  0.58,
				PerReplicaCapacity:      10,
				CapacityMethod:          MethodUtilization,
			},
		},
		{
			// Without the desired series and its events, the HPA's
			// SuccessfulRescale event at t=18 is the decision (2 s).
			name: "decision from a rescale event", file: "keda-ramp.json", opts: kedaRampOptions,
			edit: func(r *report.Report) {
				dropSignal(r, "replicas_desired")
				dropEvents(r, "desired")
				r.Scaling.Events = append(r.Scaling.Events, report.ScaleEvent{Seconds: 18, From: 2, To: 4, Kind: "event", Source: "event",
					Reason: "SuccessfulRescale: New size: 4; reason: external metric s0-redis-ai_request_queue above target"})
			},
			want: report.Reaction{
				Steps: []report.StepReaction{{Stage: "ramp", Kind: StepRamp, AtSeconds: 16, FromRate: 10, ToRate: 48,
					DecisionSeconds: ptr(2), ActuationSeconds: ptr(4), ReadySeconds: ptr(8), StableSeconds: ptr(16)}},
				ReplicaSeconds: 186, SLOViolationSeconds: 10,
				UnderProvisionAccuracy: 0.0973, OverProvisionAccuracy: 0.292, UnderProvisionTimeshare: 0.32, OverProvisionTimeshare: 0.58,
				PerReplicaCapacity: 10, CapacityMethod: MethodUtilization,
			},
		},
		{
			// The simulator has no separate Deployment spec: its desired
			// count is spec.replicas, so actuation = decision = 2 s.
			name: "simulator actuation is its decision", file: "keda-ramp.json", opts: kedaRampOptions,
			edit: func(r *report.Report) {
				r.Target.Sim = "keda"
				dropSignal(r, "replicas_spec")
				dropEvents(r, "spec")
			},
			want: report.Reaction{
				Steps: []report.StepReaction{{Stage: "ramp", Kind: StepRamp, AtSeconds: 16, FromRate: 10, ToRate: 48,
					DecisionSeconds: ptr(2), ActuationSeconds: ptr(2), ReadySeconds: ptr(8), StableSeconds: ptr(16)}},
				ReplicaSeconds: 186, SLOViolationSeconds: 10,
				UnderProvisionAccuracy: 0.0973, OverProvisionAccuracy: 0.292, UnderProvisionTimeshare: 0.32, OverProvisionTimeshare: 0.58,
				PerReplicaCapacity: 10, CapacityMethod: MethodUtilization,
			},
		},
		{
			// The load drops at t=40 (a cooldown stage at 10 req/s): the
			// step's hold ends there, and a scale-down at t=44 does not
			// move "stable" (still t=32 -> 16 s). Seconds 40..49 now have
			// demand 1 against 6 ready: over by 5/1 each, so θO and τO
			// change: over = 10 + 1 + 8 × 0.2 (s 32..39) + 10 × 5 (s
			// 40..43 at 6, 44..49 at 6 too, since the down-scale is only
			// desired) = 62.6 -> 1.252; τO = (10+1+8+10)/50 = 0.58.
			name: "scale-down after the load drop", file: "keda-ramp.json", opts: kedaRampOptions,
			edit: func(r *report.Report) {
				r.Stages[2].DurationSeconds = 10
				r.Stages = append(r.Stages, report.Stats{Name: "cooldown", StartSeconds: 40, DurationSeconds: 10, RateShape: "10", TargetRate: 10})
				setPoints(r, "target_rate", 40, 50, 10)
				setPoints(r, "achieved_rate", 40, 50, 10)
				setPoints(r, "replicas_desired", 44, 51, 2)
			},
			want: report.Reaction{
				Steps: []report.StepReaction{{Stage: "ramp", Kind: StepRamp, AtSeconds: 16, FromRate: 10, ToRate: 48,
					DecisionSeconds: ptr(2), ActuationSeconds: ptr(4), ReadySeconds: ptr(8), StableSeconds: ptr(16)}},
				ReplicaSeconds: 186, SLOViolationSeconds: 10,
				UnderProvisionAccuracy: 0.0973, OverProvisionAccuracy: 1.252, UnderProvisionTimeshare: 0.32, OverProvisionTimeshare: 0.58,
				PerReplicaCapacity: 10, CapacityMethod: MethodUtilization,
			},
		},
		{
			// Steps from the shapes alone: "50..100" rises 100% within the
			// stage (a ramp; capacity unknown, so at its start t=10);
			// "200" jumps from the ramp's last rate 100 (a boundary at
			// t=30). Nothing else can be derived, and the notes say so.
			name: "shapes only", file: "shapes-only.json",
			want: report.Reaction{
				Steps: []report.StepReaction{
					{Stage: "ramp", Kind: StepRamp, AtSeconds: 10, FromRate: 50, ToRate: 100},
					{Stage: "peak", Kind: StepBoundary, AtSeconds: 30, FromRate: 100, ToRate: 200},
				},
				Notes: []string{
					"no ready-replica signal: replica-seconds, reaction times and elasticity are not derived",
					"the report has no SLO: SLO-violation seconds and the findings that need the SLO are not derived",
					"measure capacity: the report has no ready-replica or achieved-rate signal: demand, elasticity metrics and ramp step instants are not derived",
				},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := loadReport(t, tt.file)
			if tt.edit != nil {
				tt.edit(r)
			}
			Analyze(r, tt.opts)
			got := r.Scaling.Reaction
			if got == nil {
				t.Fatal("no reaction")
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("reaction:\n got %s\nwant %s", jsonOf(got), jsonOf(tt.want))
			}
		})
	}
}

func TestFindings(t *testing.T) {
	tests := []struct {
		name string
		file string
		opts Options
		edit func(*report.Report)
		want []report.Finding // messages are checked for the key numbers only
		// words that each finding's message must hold, by id.
		words map[string][]string
	}{
		{
			// cpu-blind-saturation: saturated from t=12 (queue growth and
			// GPU >= 0.9 both start there) to t=30 (GPU still 1.0, queue
			// 400); CPU at most 0.55 < 0.7 there; 16 SLO-violation s.
			// leading-signal: client P95 first > 500 at second 14. Queue
			// growth onset t=12 (80, 160, 240 rising; 240 >= 2 × 2), GPU
			// t=12 (1.0 twice), server P95 t=14 (1000 then 4000), CPU
			// never. Queue and GPU tie; the queue is named: lead 14 − 12 =
			// 2 s; the HPA scales on cpu, so the finding fires.
			// no-autoscaler-activity: one step, 16 violation s, replicas 2
			// throughout; peak 60 req/s needs ceil(60/10) = 6 replicas.
			name: "cpu hpa never scales", file: "hpa-blind.json", opts: hpaBlindOptions,
			want: []report.Finding{
				{ID: FindingCPUBlind, Severity: "critical", Evidence: map[string]any{
					"cpuTarget": 0.7, "cpuMax": 0.55, "saturatedFromSecond": 12.0, "saturatedToSecond": 30.0,
					"sloViolationSeconds": 16.0, "gpuMax": 1.0, "queueMax": 400.0, "queueBaseline": 0.0, "desiredReplicasMax": 2.0}},
				{ID: FindingLeadingSignal, Severity: "warning", Evidence: map[string]any{
					"signal": "queue_depth", "crossedAtSeconds": 12.0, "leadSeconds": 2.0, "clientP95BreachAt": 14.0, "sloP95Ms": 500.0,
					"threshold":                   "growing over 3 samples to 2 per ready replica above the baseline 0",
					"queue_depthCrossedAtSeconds": 12.0, "gpuCrossedAtSeconds": 12.0, "p95_latencyCrossedAtSeconds": 14.0,
					"cpuCrossedAtSeconds": "never", "scalingSignals": "cpu"}},
				{ID: FindingNoAutoscaler, Severity: "critical", Evidence: map[string]any{
					"replicas": 2.0, "stepStage": "peak", "stepAtSeconds": 10.0, "fromRate": 10.0, "peakRate": 60.0,
					"sloViolationSeconds": 16.0, "autoscaler": "hpa-cpu", "demandPeak": 6.0, "perReplicaCapacity": 10.0}},
			},
			words: map[string][]string{
				FindingCPUBlind:      {"55%", "70%", "t=12s", "t=30s", "400", "16s"},
				FindingLeadingSignal: {"Queue depth", "t=12s", "2s before", "t=14s", "scales on cpu"},
				FindingNoAutoscaler:  {"stayed at 2", "60 req/s", "6 replicas", "16s", "hpa-cpu"},
			},
		},
		{
			// slow-scale-up: step at t=16, decision 2 s, ready 8 s (cold
			// start 8 − 2 = 6 s, the larger part); the SLO broke at
			// second 20, and seconds 20..23 were violated before the
			// replicas were ready at t=24.
			// scale-limit-reached: desired 6 (= max) from t=28; seconds
			// 28 and 29 were violated: first at 28, 2 s; the peak of 50
			// req/s needs 5.
			// No cpu-blind (no CPU target), no leading-signal (the queue
			// leads, t=18 vs GPU t=16 within one 2 s sample, but KEDA
			// scales on it), no no-autoscaler-activity (it scaled).
			name: "keda reacts to a ramp", file: "keda-ramp.json", opts: kedaRampOptions,
			want: []report.Finding{
				{ID: FindingSlowScaleUp, Severity: "warning", Evidence: map[string]any{
					"stage": "ramp", "stepAtSeconds": 16.0, "decisionSeconds": 2.0, "readySeconds": 8.0, "coldStartSeconds": 6.0,
					"dominant": "coldStart", "sloBrokenAtSeconds": 20.0, "sloViolationSecondsBeforeReady": 4.0}},
				{ID: FindingScaleLimit, Severity: "critical", Evidence: map[string]any{
					"maxReplicas": 6.0, "firstAtMaxSeconds": 28.0, "sloViolationSecondsAtMax": 2.0, "peakRate": 50.0,
					"demandPeak": 5.0, "perReplicaCapacity": 10.0}},
			},
			words: map[string][]string{
				FindingSlowScaleUp: {"8s after", "t=16s", "2s to decide", "6s for the new replicas", "cold start"},
				FindingScaleLimit:  {"maximum of 6", "t=28s", "2s there", "needs only 5 replicas"},
			},
		},
		{
			// The same timeline under an autoscaler that scales on CPU
			// only: now the queue's lead (client breach at 20 − onset 18 =
			// 2 s) is news, and leading-signal fires.
			name: "queue leads a cpu autoscaler", file: "keda-ramp.json",
			opts: Options{Autoscaler: "hpa-cpu", ScalingSignals: []string{"cpu"}},
			want: []report.Finding{
				{ID: FindingLeadingSignal, Severity: "warning", Evidence: map[string]any{
					"signal": "queue_depth", "crossedAtSeconds": 18.0, "leadSeconds": 2.0, "clientP95BreachAt": 20.0, "sloP95Ms": 500.0,
					"threshold":                   "growing over 3 samples to 2 per ready replica above the baseline 0",
					"queue_depthCrossedAtSeconds": 18.0, "gpuCrossedAtSeconds": 16.0, "p95_latencyCrossedAtSeconds": 22.0,
					"scalingSignals": "cpu"}},
				{ID: FindingSlowScaleUp, Severity: "warning", Evidence: map[string]any{
					"stage": "ramp", "stepAtSeconds": 16.0, "decisionSeconds": 2.0, "readySeconds": 8.0, "coldStartSeconds": 6.0,
					"dominant": "coldStart", "sloBrokenAtSeconds": 20.0, "sloViolationSecondsBeforeReady": 4.0}},
			},
			words: map[string][]string{FindingLeadingSignal: {"Queue depth", "t=18s", "GPU utilisation at t=16s"}},
		},
		{
			// An autoscaler on GPU utilisation: the GPU crossed at t=16,
			// the queue at t=18, within one 2 s sample of each other. No
			// signal is earlier than the one it scales on: no
			// leading-signal.
			name: "autoscaler on a tied signal", file: "keda-ramp.json",
			opts: Options{Autoscaler: "custom", ScalingSignals: []string{"gpu"}},
			want: []report.Finding{
				{ID: FindingSlowScaleUp, Severity: "warning", Evidence: map[string]any{
					"stage": "ramp", "stepAtSeconds": 16.0, "decisionSeconds": 2.0, "readySeconds": 8.0, "coldStartSeconds": 6.0,
					"dominant": "coldStart", "sloBrokenAtSeconds": 20.0, "sloViolationSecondsBeforeReady": 4.0}},
			},
		},
		{
			// Without an SLO nothing can be judged: no finding fires.
			name: "no slo", file: "hpa-blind.json", opts: hpaBlindOptions,
			edit: func(r *report.Report) { r.SLO = nil },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := loadReport(t, tt.file)
			if tt.edit != nil {
				tt.edit(r)
			}
			Analyze(r, tt.opts)
			if len(r.Diagnosis) != len(tt.want) {
				t.Fatalf("%d findings, want %d:\n%s", len(r.Diagnosis), len(tt.want), jsonOf(r.Diagnosis))
			}
			for i, f := range r.Diagnosis {
				w := tt.want[i]
				if f.ID != w.ID || f.Severity != w.Severity {
					t.Errorf("finding %d: %s/%s, want %s/%s", i, f.ID, f.Severity, w.ID, w.Severity)
				}
				if !reflect.DeepEqual(f.Evidence, w.Evidence) {
					t.Errorf("%s evidence:\n got %s\nwant %s", f.ID, jsonOf(f.Evidence), jsonOf(w.Evidence))
				}
				for _, word := range tt.words[f.ID] {
					if !strings.Contains(f.Message, word) {
						t.Errorf("%s message %q lacks %q", f.ID, f.Message, word)
					}
				}
			}
		})
	}
}

// A report with nothing in it (an aborted run before the first second)
// gets an empty reaction whose notes say why, and no findings.
func TestAnalyzeEmptyReport(t *testing.T) {
	r := &report.Report{SchemaVersion: report.SchemaVersion, SLO: &report.SLO{P95Ms: 500}}
	Analyze(r, hpaBlindOptions)
	rc := r.Scaling.Reaction
	if rc == nil || len(rc.Steps) != 0 || rc.ReplicaSeconds != 0 || len(rc.Notes) != 3 || len(r.Diagnosis) != 0 {
		t.Fatalf("reaction %s, findings %s", jsonOf(rc), jsonOf(r.Diagnosis))
	}
}

// Analyze replaces its own findings and keeps everyone else's.
func TestAnalyzeIsRepeatable(t *testing.T) {
	r := loadReport(t, "hpa-blind.json")
	other := report.Finding{ID: "custom", Severity: "info", Message: "kept", Evidence: map[string]any{"n": 1.0}}
	r.Diagnosis = append(r.Diagnosis, other)
	Analyze(r, hpaBlindOptions)
	first := jsonOf(r.Diagnosis)
	Analyze(r, hpaBlindOptions)
	if got := jsonOf(r.Diagnosis); got != first {
		t.Fatalf("a second Analyze changed the findings:\n%s\nthen\n%s", first, got)
	}
	if r.Diagnosis[0].ID != "custom" || len(r.Diagnosis) != 4 {
		t.Fatalf("findings %s, want the custom one first and the 3 of the analysis", first)
	}
}

// Every evidence map survives report.json: the renderers and CI read it
// back from there.
func TestFindingsRoundTrip(t *testing.T) {
	r := loadReport(t, "hpa-blind.json")
	Analyze(r, hpaBlindOptions)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	back, err := report.Decode(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Diagnosis, r.Diagnosis) || !reflect.DeepEqual(back.Scaling.Reaction, r.Scaling.Reaction) {
		t.Fatalf("round trip changed the analysis:\n%s\n%s", jsonOf(r.Diagnosis), jsonOf(back.Diagnosis))
	}
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func dropSignal(r *report.Report, name string) {
	out := r.Signals[:0]
	for _, s := range r.Signals {
		if s.Name != name {
			out = append(out, s)
		}
	}
	r.Signals = out
}

func dropEvents(r *report.Report, kind string) {
	out := r.Scaling.Events[:0]
	for _, e := range r.Scaling.Events {
		if e.Kind != kind {
			out = append(out, e)
		}
	}
	r.Scaling.Events = out
}

// setPoints sets the named signal to v for the points in [from, to).
func setPoints(r *report.Report, name string, from, to, v float64) {
	s := r.Signal(name)
	for i, p := range s.Points {
		if p[0] >= from && p[0] < to {
			s.Points[i][1] = v
		}
	}
}
