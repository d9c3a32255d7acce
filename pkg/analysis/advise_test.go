package analysis

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/scenario"
	"github.com/surge-sh/surge/pkg/sim"
)

// scaledObject mirrors the fields of KEDA's ScaledObject
// (keda.sh/v1alpha1, apis/keda/v1alpha1/scaledobject_types.go) that an
// advice may write; strict decoding rejects anything else.
type scaledObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string            `yaml:"name"`
		Namespace string            `yaml:"namespace"`
		Labels    map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		ScaleTargetRef struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Name       string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		PollingInterval *int32 `yaml:"pollingInterval"`
		CooldownPeriod  *int32 `yaml:"cooldownPeriod"`
		MinReplicaCount *int32 `yaml:"minReplicaCount"`
		MaxReplicaCount *int32 `yaml:"maxReplicaCount"`
		Triggers        []struct {
			Type       string            `yaml:"type"`
			Name       string            `yaml:"name"`
			MetricType string            `yaml:"metricType"`
			Metadata   map[string]string `yaml:"metadata"`
		} `yaml:"triggers"`
	} `yaml:"spec"`
}

func TestAdvise(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		opts    AdviseOptions
		edit    func(*report.Report)
		want    Advice // the figures checked; names and measurements apart
		wantErr string
	}{
		{
			// Capacity 10 req/s (saturation). Unloaded P95: the lowest-rate
			// stage, baseline (10 req/s), 200 ms; SLO 500 ms.
			// listLength = floor(10 × (500 − 200)/1000) = 3; threshold 500;
			// min = ceil(10 / (10 × 0.7)) = ceil(1.43) = 2;
			// max = ceil(60 × 1.5 / 10) = 9; no scale-up got to ready
			// replicas: cold start unknown, cooldown max(120, 0) = 120.
			name: "hpa-blind", file: "hpa-blind.json",
			want: Advice{ListLength: 3, ThresholdMs: 500, MinReplicas: 2, MaxReplicas: 9, PollingInterval: 15, CooldownPeriod: 120,
				UnloadedStage: "baseline", UnloadedP95Ms: 200, BaseRate: 10, PeakRate: 60, SLOP95Ms: 500, SLOTimeoutRate: 0.01},
		},
		{
			// A known cold start of 40 s: cooldown max(120, 4 × 40) = 160.
			// An SLO of 1000 ms: listLength floor(10 × 0.8) = 8.
			name: "options", file: "hpa-blind.json", opts: AdviseOptions{ColdStartSeconds: 40, SLOP95Ms: 1000},
			want: Advice{ListLength: 8, ThresholdMs: 1000, MinReplicas: 2, MaxReplicas: 9, PollingInterval: 15, CooldownPeriod: 160,
				UnloadedStage: "baseline", UnloadedP95Ms: 200, BaseRate: 10, PeakRate: 60, SLOP95Ms: 1000, SLOTimeoutRate: 0.01, ColdStartSecond: 40},
		},
		{
			// Capacity 10 (utilization); baseline P95 200: listLength 3;
			// min ceil(10/7) = 2; peak 50: max ceil(75/10) = 8; the
			// analysed step took 8 − 2 = 6 s from decision to ready:
			// cooldown max(120, 24) = 120.
			name: "keda-ramp analysed", file: "keda-ramp.json",
			edit: func(r *report.Report) { Analyze(r, kedaRampOptions) },
			want: Advice{ListLength: 3, ThresholdMs: 500, MinReplicas: 2, MaxReplicas: 8, PollingInterval: 15, CooldownPeriod: 120,
				UnloadedStage: "baseline", UnloadedP95Ms: 200, BaseRate: 10, PeakRate: 50, SLOP95Ms: 500, SLOTimeoutRate: 0.01, ColdStartSecond: 6},
		},
		{
			// The SLO leaves no room over the unloaded latency: one
			// waiting request per replica is the least a trigger takes.
			name: "no budget", file: "hpa-blind.json", opts: AdviseOptions{SLOP95Ms: 150},
			want: Advice{ListLength: 1, ThresholdMs: 150, MinReplicas: 2, MaxReplicas: 9, PollingInterval: 15, CooldownPeriod: 120,
				UnloadedStage: "baseline", UnloadedP95Ms: 200, BaseRate: 10, PeakRate: 60, SLOP95Ms: 150, SLOTimeoutRate: 0.01},
		},
		{
			name: "no slo", file: "hpa-blind.json", edit: func(r *report.Report) { r.SLO = nil },
			wantErr: "no SLO P95",
		},
		{
			name: "no capacity", file: "shapes-only.json",
			wantErr: "measure capacity",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := loadReport(t, tt.file)
			if tt.edit != nil {
				tt.edit(r)
			}
			a, err := Advise(r, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := Advice{ListLength: a.ListLength, ThresholdMs: a.ThresholdMs, MinReplicas: a.MinReplicas, MaxReplicas: a.MaxReplicas,
				PollingInterval: a.PollingInterval, CooldownPeriod: a.CooldownPeriod, UnloadedStage: a.UnloadedStage, UnloadedP95Ms: a.UnloadedP95Ms,
				BaseRate: a.BaseRate, PeakRate: a.PeakRate, SLOP95Ms: a.SLOP95Ms, SLOTimeoutRate: a.SLOTimeoutRate, ColdStartSecond: a.ColdStartSecond}
			if got != tt.want {
				t.Errorf("advice\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestScaledObjectYAML(t *testing.T) {
	tests := []struct {
		name string
		opts AdviseOptions
		// wantName and wantNamespace are the ScaledObject's metadata.
		wantName, wantNamespace, wantTarget string
		wantQuery                           string
	}{
		{
			name: "defaults", wantName: "hpa-blind-scaler", wantTarget: "hpa-blind",
			wantQuery: "histogram_quantile(0.95, sum(rate(inference_latency_seconds_bucket[2m])) by (le)) * 1000",
		},
		{
			name: "named objects and a histogram in ms",
			opts: AdviseOptions{Deployment: "ai-inference-deployment", Namespace: "ai-services", ListName: "jobs: \"hot\"",
				Histogram: "inference_latency_bucket", RedisAddress: "redis.ai:6379", PrometheusURL: "http://prom:9090"},
			wantName: "ai-inference-deployment-scaler", wantNamespace: "ai-services", wantTarget: "ai-inference-deployment",
			wantQuery: "histogram_quantile(0.95, sum(rate(inference_latency_bucket[2m])) by (le))",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Advise(loadReport(t, "hpa-blind.json"), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := a.WriteYAML(&buf); err != nil {
				t.Fatal(err)
			}
			var so scaledObject
			dec := yaml.NewDecoder(bytes.NewReader(buf.Bytes()))
			dec.KnownFields(true)
			if err := dec.Decode(&so); err != nil {
				t.Fatalf("strict decode: %v\n%s", err, buf.String())
			}
			sp := so.Spec
			if so.APIVersion != "keda.sh/v1alpha1" || so.Kind != "ScaledObject" || so.Metadata.Name != tt.wantName ||
				so.Metadata.Namespace != tt.wantNamespace || sp.ScaleTargetRef.Name != tt.wantTarget {
				t.Errorf("header %s %s %s/%s -> %s", so.APIVersion, so.Kind, so.Metadata.Namespace, so.Metadata.Name, sp.ScaleTargetRef.Name)
			}
			ints := map[string]*int32{"pollingInterval": sp.PollingInterval, "cooldownPeriod": sp.CooldownPeriod, "minReplicaCount": sp.MinReplicaCount, "maxReplicaCount": sp.MaxReplicaCount}
			want := map[string]int{"pollingInterval": a.PollingInterval, "cooldownPeriod": a.CooldownPeriod, "minReplicaCount": a.MinReplicas, "maxReplicaCount": a.MaxReplicas}
			for k, p := range ints {
				if p == nil || int(*p) != want[k] {
					t.Errorf("%s = %v, want %d", k, p, want[k])
				}
			}
			if len(sp.Triggers) != 2 || sp.Triggers[0].Type != "redis" || sp.Triggers[1].Type != "prometheus" {
				t.Fatalf("triggers %+v, want redis then prometheus", sp.Triggers)
			}
			redis, prom := sp.Triggers[0].Metadata, sp.Triggers[1].Metadata
			if redis["listLength"] != fmt.Sprint(a.ListLength) || redis["listName"] != a.ListName || redis["address"] != a.RedisAddress {
				t.Errorf("redis metadata %v", redis)
			}
			if prom["threshold"] != "500" || prom["query"] != tt.wantQuery || prom["serverAddress"] != a.PrometheusURL {
				t.Errorf("prometheus metadata %v", prom)
			}
			// Trigger metadata is map[string]string in KEDA: every value
			// must be a YAML string, not a number.
			var doc yaml.Node
			if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			vals := metadataValues(&doc)
			if len(vals) != 6 {
				t.Errorf("%d trigger metadata values, want 3 per trigger", len(vals))
			}
			for _, v := range vals {
				if v.Tag != "!!str" {
					t.Errorf("trigger metadata value %q is %s, want a string", v.Value, v.Tag)
				}
			}
			// The comment block explains every number.
			for _, line := range []string{
				fmt.Sprintf("# listLength %d = ", a.ListLength), "# threshold 500 = ",
				fmt.Sprintf("# minReplicaCount %d = ", a.MinReplicas), fmt.Sprintf("# maxReplicaCount %d = ", a.MaxReplicas),
				fmt.Sprintf("# pollingInterval %d", a.PollingInterval), fmt.Sprintf("# cooldownPeriod %d = ", a.CooldownPeriod),
			} {
				if !strings.Contains(buf.String(), line) {
					t.Errorf("the comment block lacks %q", line)
				}
			}
		})
	}
}

// metadataValues returns the value nodes of every trigger's metadata.
func metadataValues(doc *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	var walk func(n *yaml.Node, inMeta bool)
	walk = func(n *yaml.Node, inMeta bool) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if inMeta {
					out = append(out, v)
				}
				walk(v, k.Value == "metadata" && v.Kind == yaml.MappingNode && !inMeta && isTriggerMeta(n))
			}
			return
		}
		for _, c := range n.Content {
			walk(c, false)
		}
	}
	walk(doc, false)
	return out
}

func isTriggerMeta(parent *yaml.Node) bool {
	for i := 0; i+1 < len(parent.Content); i += 2 {
		if parent.Content[i].Value == "type" {
			return true
		}
	}
	return false
}

// A service that was not the simulator is modelled from the run: 10 req/s
// per replica and a 200 ms mean service time at the baseline give 2 slots
// of 200 ms; the spread is (250 − 200)/1.645 ms.
func TestEstimateService(t *testing.T) {
	r := loadReport(t, "hpa-blind.json")
	r.Scaling.Replicas.Initial = 2
	cfg, err := EstimateService(r, Capacity{PerReplica: 10, Method: MethodSaturation, Samples: 4}, 12)
	if err != nil {
		t.Fatal(err)
	}
	k := cfg.Kinds[0].Tokens
	if cfg.Replicas != 2 || cfg.SlotsPerReplica != 2 || k.Mean != 200 || math.Abs(k.Stddev-50/1.645) > 1e-9 || cfg.ColdStart.D() != 12*time.Second {
		t.Fatalf("estimated %+v, tokens %+v", cfg, k)
	}
	if _, err := EstimateService(loadReport(t, "shapes-only.json"), Capacity{}, 0); err == nil {
		t.Fatal("estimated a service without capacity")
	}
}

func TestVerifyEstimated(t *testing.T) {
	r := loadReport(t, "hpa-blind.json")
	r.Scaling.Replicas.Initial = 2
	r.Compare = []string{"baseline", "peak"}
	a, err := Advise(r, AdviseOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := EstimateService(r, a.Capacity, 5)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Verify(r, a, VerifyInput{Service: svc, Estimated: true, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// 10 s at 10 req/s and 20 s at 60 req/s.
	if v.Requests != 10*10+20*60 || v.Seconds != 30 || v.Judged != "peak" || len(v.Stages) != 2 {
		t.Fatalf("verification %+v", v)
	}
	if want := v.PredictedP95Ms <= 500 && v.PredictedTimeoutRate <= 0.01; v.Within != want {
		t.Errorf("within = %v for P95 %g and timeouts %g", v.Within, v.PredictedP95Ms, v.PredictedTimeoutRate)
	}
	if !slices.Equal(v.Times, []float64{0, 10, 20}) || !slices.Equal(v.MeasuredReplicas, []float64{2, 2, 2}) || v.PredictedReplicas[0] != 2 {
		t.Errorf("replica curves %v %v %v", v.Times, v.MeasuredReplicas, v.PredictedReplicas)
	}
	var buf bytes.Buffer
	if err := v.Write(&buf); err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{"a simulator model estimated from the run", "peak", "measured", "predicted", "the SLO (P95 500 ms, timeouts 1%)"} {
		if !strings.Contains(buf.String(), word) {
			t.Errorf("verification output lacks %q:\n%s", word, buf.String())
		}
	}
}

// The demo scenarios, replayed in virtual time and turned into reports,
// tell the story the analysis is for: the CPU HPA is blind to the
// saturation and the queue leads the breach; KEDA reacts; the advice,
// replayed, keeps the peak within the SLO.
func TestDemoStory(t *testing.T) {
	t.Run("hpa-cpu", func(t *testing.T) {
		r, scn := replayReport(t, "blackfriday.yaml")
		Analyze(r, OptionsFromSim(scn.Target.Sim))
		ids := findingIDsOf(r)
		if !slices.Contains(ids, FindingCPUBlind) || !slices.Contains(ids, FindingNoAutoscaler) {
			t.Errorf("findings %v, want cpu-blind-saturation and no-autoscaler-activity", ids)
		}
		if f := findingByID(r, FindingLeadingSignal); f == nil || f.Evidence["signal"] != "queue_depth" {
			t.Errorf("leading-signal %+v, want one naming queue_depth", f)
		}
		c := r.Scaling.Reaction.PerReplicaCapacity
		// 4 slots / (0.8 × 90 ms + 0.2 × 190 ms) = 36.4 req/s.
		if math.Abs(c-36.4) > 2 {
			t.Errorf("capacity %g req/s per replica, want about 36.4", c)
		}
		a, err := Advise(r, AdviseOptions{ColdStartSeconds: scn.Target.Sim.ColdStart.Seconds()})
		if err != nil {
			t.Fatal(err)
		}
		v, err := Verify(r, a, VerifyInput{Service: *scn.Target.Sim, Mix: mixOf(scn), Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !v.Within || v.Judged != "peak" {
			var buf bytes.Buffer
			_ = v.Write(&buf)
			t.Errorf("the advice does not keep the peak within the SLO:\n%s", buf.String())
		}
	})
	t.Run("keda", func(t *testing.T) {
		r, scn := replayReport(t, "blackfriday-keda.yaml")
		Analyze(r, OptionsFromSim(scn.Target.Sim))
		ids := findingIDsOf(r)
		if slices.Contains(ids, FindingCPUBlind) || slices.Contains(ids, FindingLeadingSignal) || slices.Contains(ids, FindingNoAutoscaler) {
			t.Errorf("findings %v, want no cpu-blind-saturation, leading-signal or no-autoscaler-activity", ids)
		}
		steps := r.Scaling.Reaction.Steps
		if len(steps) != 1 || steps[0].DecisionSeconds == nil || steps[0].ReadySeconds == nil {
			t.Fatalf("steps %s, want one with decision and ready figures", jsonOf(steps))
		}
	})
}

func findingIDsOf(r *report.Report) []string {
	var ids []string
	for _, f := range r.Diagnosis {
		ids = append(ids, f.ID)
	}
	return ids
}

func findingByID(r *report.Report, id string) *report.Finding {
	for i := range r.Diagnosis {
		if r.Diagnosis[i].ID == id {
			return &r.Diagnosis[i]
		}
	}
	return nil
}

func mixOf(scn *scenario.Scenario) []sim.KindWeight {
	var mix []sim.KindWeight
	for _, k := range scn.Target.Requests {
		mix = append(mix, sim.KindWeight{Kind: k.Name, Weight: k.Weight})
	}
	return mix
}

// replayReport replays a demo scenario's simulator against its stages in
// virtual time and writes what a run would report: the client signals per
// second, the server signals every 2 s (the scenarios' observe interval),
// and the stage figures.
func replayReport(t *testing.T, file string) (*report.Report, *scenario.Scenario) {
	t.Helper()
	scn, err := scenario.LoadFile(filepath.Join("..", "..", "scenarios", file), scenario.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sched, err := scn.Schedule()
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Replay(*scn.Target.Sim, sim.ReplayInput{
		Duration:      sched.Duration(),
		Rate:          func(x float64) float64 { return sched.Rate(time.Duration(x * float64(time.Second))) },
		ClientTimeout: scn.Target.Timeout.D(),
		Mix:           mixOf(scn),
		Seed:          1,
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &report.Report{
		SchemaVersion: report.SchemaVersion, Scenario: report.ScenarioRef{Name: scn.Name},
		Target:  report.TargetInfo{Timeout: scn.Target.Timeout.Seconds(), Sim: string(scn.Target.Sim.Autoscaler.Policy)},
		SLO:     &report.SLO{P95Ms: float64(scn.SLO.P95.D()) / float64(time.Millisecond), TimeoutRate: float64(scn.SLO.TimeoutRate)},
		Compare: scn.Report.Compare,
	}
	for _, st := range sched.Stages() {
		w := res.Window(st.Start.Seconds(), st.End().Seconds())
		r.Stages = append(r.Stages, report.Stats{
			Name: st.Name, StartSeconds: st.Start.Seconds(), DurationSeconds: st.Duration.Seconds(), RateShape: st.RateShape,
			TargetRate: float64(w.Requests) / st.Duration.Seconds(), Requests: int64(w.Requests), Successes: int64(w.Successes),
			Timeouts: int64(w.Timeouts), LatencyMs: report.Latency{P95: w.ClientP95Ms},
		})
	}
	client := map[string]*report.Signal{}
	for _, name := range []string{"target_rate", "achieved_rate", "client_p95", "timeout_rate"} {
		client[name] = &report.Signal{Name: name, Source: "client"}
	}
	server := map[string]*report.Signal{}
	for _, name := range []string{"cpu", "gpu", "queue_depth", "replicas", "replicas_desired"} {
		server[name] = &report.Signal{Name: name, Source: "scrape"}
	}
	for _, s := range res.Seconds {
		at := float64(s.T)
		client["target_rate"].Points = append(client["target_rate"].Points, report.Point{at, s.TargetRate})
		client["achieved_rate"].Points = append(client["achieved_rate"].Points, report.Point{at, float64(s.Arrivals)})
		if s.Arrivals > 0 {
			client["client_p95"].Points = append(client["client_p95"].Points, report.Point{at, s.ClientP95Ms})
			client["timeout_rate"].Points = append(client["timeout_rate"].Points, report.Point{at, float64(s.Timeouts) / float64(s.Arrivals)})
		}
		if (s.T+1)%2 == 0 { // a sample at the end of every other second
			end := at + 1
			for name, v := range map[string]float64{"cpu": s.CPU, "gpu": s.GPU, "queue_depth": float64(s.QueueDepth), "replicas": float64(s.Ready), "replicas_desired": float64(s.Desired)} {
				server[name].Points = append(server[name].Points, report.Point{end, v})
			}
		}
	}
	for _, name := range []string{"target_rate", "achieved_rate", "client_p95", "timeout_rate"} {
		r.Signals = append(r.Signals, *client[name])
	}
	for _, name := range []string{"cpu", "gpu", "queue_depth", "replicas", "replicas_desired"} {
		r.Signals = append(r.Signals, *server[name])
	}
	return r, scn
}
