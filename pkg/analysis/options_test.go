package analysis

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/sim"
)

func TestOptionsFromReport(t *testing.T) {
	tests := []struct {
		name string
		info *report.AutoscalerInfo
		want Options
	}{
		{name: "nothing read", want: Options{}},
		{
			name: "cpu hpa",
			info: &report.AutoscalerInfo{Kind: "hpa", Name: "ai-inference", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.7, MinReplicas: 2, MaxReplicas: 10},
			want: Options{Autoscaler: "hpa-cpu", ScalingSignals: []string{"cpu"}, HPATargetCPU: 0.7, MaxReplicas: 10},
		},
		{
			name: "hpa on cpu and an external metric",
			info: &report.AutoscalerInfo{Kind: "hpa", Name: "mixed", ScalesOn: []string{"cpu", "hpa_s0_redis_q"}, CPUTargetRatio: 0.6, MaxReplicas: 8},
			want: Options{Autoscaler: "hpa", ScalingSignals: []string{"cpu", "hpa_s0_redis_q"}, HPATargetCPU: 0.6, MaxReplicas: 8},
		},
		{
			name: "keda on the queue and latency",
			info: &report.AutoscalerInfo{Kind: "keda", Name: "ai-inference-scaler", ScalesOn: []string{"queue_depth", "p95_latency"}, MinReplicas: 0, MaxReplicas: 6},
			want: Options{Autoscaler: "keda", ScalingSignals: []string{"queue_depth", "p95_latency"}, MaxReplicas: 6},
		},
		{
			// A ratio without cpu among the signals is not a CPU target.
			name: "cpu ratio without cpu",
			info: &report.AutoscalerInfo{Kind: "hpa", Name: "odd", ScalesOn: []string{"hpa_memory_utilization"}, CPUTargetRatio: 0.7, MaxReplicas: 3},
			want: Options{Autoscaler: "hpa", ScalingSignals: []string{"hpa_memory_utilization"}, MaxReplicas: 3},
		},
		{
			name: "signals unknown",
			info: &report.AutoscalerInfo{Kind: "keda", Name: "no-triggers", ScalesOn: []string{}, MaxReplicas: 100},
			want: Options{Autoscaler: "keda", MaxReplicas: 100},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report.Report{Scaling: report.Scaling{Autoscaler: tt.info}}
			got := OptionsFromReport(r)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("OptionsFromReport = %+v, want %+v", got, tt.want)
			}
			if tt.info != nil && len(got.ScalingSignals) > 0 {
				got.ScalingSignals[0] = "changed"
				if tt.info.ScalesOn[0] == "changed" {
					t.Fatal("the options share the report's slice")
				}
			}
		})
	}
}

// A run against a real cluster: the report says, from the HPA the
// Kubernetes source read, that the autoscaler scales on CPU at 70% with at
// most 10 (or 2) replicas. hpa-blind.json has CPU at most 0.55 while the GPU
// and the queue saturate from t=12 and the SLO breaks for 16 s.
func TestFindingsFromReportedAutoscaler(t *testing.T) {
	cpuHPA := func(maxR int) *report.AutoscalerInfo {
		return &report.AutoscalerInfo{Kind: "hpa", Name: "ai-inference", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.7, MinReplicas: 2, MaxReplicas: maxR}
	}
	tests := []struct {
		name    string
		info    *report.AutoscalerInfo
		want    []string
		notWant []string
	}{
		{
			name:    "cpu hpa, room to scale",
			info:    cpuHPA(10),
			want:    []string{FindingCPUBlind, FindingLeadingSignal, FindingNoAutoscaler},
			notWant: []string{FindingScaleLimit},
		},
		{
			// Replicas stay at 2 = the maximum through all 16 violated
			// seconds: the ceiling is reached too.
			name: "cpu hpa at its maximum",
			info: cpuHPA(2),
			want: []string{FindingCPUBlind, FindingLeadingSignal, FindingScaleLimit, FindingNoAutoscaler},
		},
		{
			// Nothing read: no CPU target, no maximum, so neither finding
			// that needs them can be judged.
			name:    "no autoscaler settings",
			want:    []string{FindingLeadingSignal, FindingNoAutoscaler},
			notWant: []string{FindingCPUBlind, FindingScaleLimit},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := loadReport(t, "hpa-blind.json")
			r.Target.Sim = "" // not the simulator: only the report can say
			r.Scaling.Autoscaler = tt.info
			// Through report.json, as a later analysis of a saved run reads it.
			var buf bytes.Buffer
			if err := report.WriteJSON(&buf, r); err != nil {
				t.Fatal(err)
			}
			r, err := report.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			Analyze(r, OptionsFromReport(r))
			var ids []string
			for _, f := range r.Diagnosis {
				ids = append(ids, f.ID)
			}
			for _, id := range tt.want {
				if !slices.Contains(ids, id) {
					t.Errorf("findings %v lack %s", ids, id)
				}
			}
			for _, id := range tt.notWant {
				if slices.Contains(ids, id) {
					t.Errorf("findings %v hold %s", ids, id)
				}
			}
			for _, f := range r.Diagnosis {
				switch f.ID {
				case FindingCPUBlind:
					if f.Evidence["cpuTarget"] != 0.7 || f.Evidence["cpuMax"] != 0.55 {
						t.Errorf("cpu-blind evidence %v, want target 0.7 and max 0.55", f.Evidence)
					}
				case FindingScaleLimit:
					if f.Evidence["maxReplicas"] != float64(tt.info.MaxReplicas) {
						t.Errorf("scale-limit evidence %v, want maxReplicas %d", f.Evidence, tt.info.MaxReplicas)
					}
				}
			}
		})
	}
}

func TestOptionsForPrefersTheSimulator(t *testing.T) {
	cpuHPA := &report.AutoscalerInfo{Kind: "hpa", Name: "ai-inference", ScalesOn: []string{"cpu"}, CPUTargetRatio: 0.7, MaxReplicas: 10}
	simCfg := &sim.Config{Autoscaler: sim.Autoscaler{Policy: sim.PolicyKEDA}}
	tests := []struct {
		name string
		info *report.AutoscalerInfo
		sim  *sim.Config
		want Options
	}{
		{name: "simulator", info: cpuHPA, sim: simCfg, want: OptionsFromSim(simCfg)},
		{name: "cluster", info: cpuHPA, want: Options{Autoscaler: "hpa-cpu", ScalingSignals: []string{"cpu"}, HPATargetCPU: 0.7, MaxReplicas: 10}},
		{name: "neither", want: Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &report.Report{Scaling: report.Scaling{Autoscaler: tt.info}}
			if got := OptionsFor(r, tt.sim); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("OptionsFor = %+v, want %+v", got, tt.want)
			}
		})
	}
	if got := OptionsFor(&report.Report{}, simCfg); got.Autoscaler != "keda" || got.MaxReplicas == 0 {
		t.Fatalf("simulator options %+v, want KEDA with its default maximum", got)
	}
}
