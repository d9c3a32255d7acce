package analysis

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/template"
	"time"

	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/sim"
	"github.com/surge-sh/surge/pkg/units"
)

// Defaults and rules of thumb of the advice (docs/analysis.md).
const (
	// DefaultListName is the Redis list of the simulator's request queue.
	DefaultListName = sim.DefaultRedisList
	// DefaultHistogram is the simulator's latency histogram.
	DefaultHistogram = "inference_latency_seconds_bucket"
	// DefaultRedisAddress and DefaultPrometheusURL are placeholders for
	// the in-cluster services, to be edited when they differ.
	DefaultRedisAddress  = "redis:6379"
	DefaultPrometheusURL = "http://prometheus:9090"
	// TargetUtilization is the utilisation a replica is sized for at the
	// lowest load: queueing stays short below it.
	TargetUtilization = 0.7
	// PeakHeadroom is the margin of maxReplicaCount over the observed peak.
	PeakHeadroom = 1.5
	// AdvisedPollingInterval is the HPA's default sync period, in seconds.
	AdvisedPollingInterval = 15
	// MinCooldownPeriod is the shortest cooldownPeriod advised, in seconds.
	MinCooldownPeriod = 120
	// P95Window is the rate window of the P95 query.
	P95Window = 2 * time.Minute
)

// AdviseOptions name the objects and services the advice refers to.
type AdviseOptions struct {
	// Deployment is the scale target; default: the scenario name.
	Deployment string
	Namespace  string
	// ListName is the Redis list holding the request queue.
	ListName string
	// Histogram is the latency histogram's bucket series.
	Histogram     string
	RedisAddress  string
	PrometheusURL string
	// SLOP95Ms overrides the report's SLO P95.
	SLOP95Ms float64
	// ColdStartSeconds is the replicas' cold start when the run measured
	// none (no scale-up got to ready replicas); 0 leaves it unknown.
	ColdStartSeconds float64
}

// Advice is a KEDA ScaledObject derived from a run, with the figures each
// number comes from.
type Advice struct {
	Scenario   string
	Deployment string
	Namespace  string

	PollingInterval int
	CooldownPeriod  int
	MinReplicas     int
	MaxReplicas     int

	RedisAddress string
	ListName     string
	ListLength   int

	PrometheusURL string
	Histogram     string
	Query         string
	ThresholdMs   float64

	// The measurements behind the numbers.
	Capacity        Capacity
	SLOP95Ms        float64
	SLOTimeoutRate  float64
	UnloadedStage   string
	UnloadedP95Ms   float64
	BaseRate        float64
	PeakRate        float64
	ColdStartSecond float64
}

// Advise derives a KEDA configuration from the run: a Redis list-length
// trigger whose listLength is the queue a replica drains within the SLO's
// latency budget, a Prometheus P95 trigger at the SLO, and min/max replicas
// from the measured capacity, the lowest and the peak rate.
func Advise(r *report.Report, o AdviseOptions) (*Advice, error) {
	c, err := MeasureCapacity(r)
	if err != nil {
		return nil, fmt.Errorf("advise: %w", err)
	}
	a := &Advice{
		Scenario: r.Scenario.Name, Deployment: o.Deployment, Namespace: o.Namespace,
		ListName: o.ListName, Histogram: o.Histogram, RedisAddress: o.RedisAddress, PrometheusURL: o.PrometheusURL,
		Capacity: c, SLOP95Ms: o.SLOP95Ms,
	}
	if r.SLO != nil {
		a.SLOTimeoutRate = r.SLO.TimeoutRate
		if a.SLOP95Ms <= 0 {
			a.SLOP95Ms = r.SLO.P95Ms
		}
	}
	if a.SLOP95Ms <= 0 {
		return nil, errors.New("advise: the report has no SLO P95 (set slo.p95 in the scenario, or pass one)")
	}
	setDefault(&a.Deployment, r.Scenario.Name)
	setDefault(&a.ListName, DefaultListName)
	setDefault(&a.Histogram, DefaultHistogram)
	setDefault(&a.RedisAddress, DefaultRedisAddress)
	setDefault(&a.PrometheusURL, DefaultPrometheusURL)

	run := newRun(r, Options{})
	a.BaseRate, a.PeakRate = math.Inf(1), 0
	for _, s := range r.Stages {
		_, _, peak := run.stageRates(s)
		a.PeakRate = math.Max(a.PeakRate, peak)
		if s.TargetRate > 0 && s.TargetRate < a.BaseRate {
			a.BaseRate, a.UnloadedStage, a.UnloadedP95Ms = s.TargetRate, s.Name, s.LatencyMs.P95
		}
	}
	if a.PeakRate <= 0 || math.IsInf(a.BaseRate, 1) {
		return nil, errors.New("advise: the report has no stage with a target rate")
	}

	budget := a.SLOP95Ms - a.UnloadedP95Ms
	a.ListLength = max(1, int(math.Floor(c.PerReplica*budget/1000+1e-9)))
	a.ThresholdMs = a.SLOP95Ms
	a.Query = fmt.Sprintf("histogram_quantile(0.95, sum(rate(%s[%s])) by (le))", a.Histogram, promDuration(P95Window))
	if strings.Contains(a.Histogram, "_seconds") {
		a.Query += " * 1000"
	}
	a.MinReplicas = max(1, int(ceilRatio(a.BaseRate, c.PerReplica*TargetUtilization)))
	a.MaxReplicas = max(a.MinReplicas, int(ceilRatio(a.PeakRate*PeakHeadroom, c.PerReplica)))
	a.ColdStartSecond = coldStart(r.Scaling.Reaction)
	if a.ColdStartSecond == 0 {
		a.ColdStartSecond = o.ColdStartSeconds
	}
	a.PollingInterval = AdvisedPollingInterval
	a.CooldownPeriod = max(MinCooldownPeriod, int(math.Ceil(4*a.ColdStartSecond)))
	return a, nil
}

// coldStart is the mean time from a scale decision to ready replicas over
// the steps that got that far; 0 when none did.
func coldStart(rc *report.Reaction) float64 {
	if rc == nil {
		return 0
	}
	var v []float64
	for _, s := range rc.Steps {
		if s.DecisionSeconds != nil && s.ReadySeconds != nil {
			v = append(v, *s.ReadySeconds-*s.DecisionSeconds)
		}
	}
	if len(v) == 0 {
		return 0
	}
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return round(sum/float64(len(v)), 3)
}

func setDefault(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

func promDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return fmt.Sprintf("%ds", int(d/time.Second))
}

// SimConfig is the simulator configuration of the advised setup: the base
// service with the keda policy and the advised triggers. The HPA settings
// (sync period, behavior) stay the base's, since they are the cluster's.
func (a *Advice) SimConfig(base sim.Config) sim.Config {
	c := base
	c.Redis = ""
	minCount := a.MinReplicas
	c.Autoscaler.Policy = sim.PolicyKEDA
	c.Autoscaler.KEDA = sim.KEDA{
		PollingInterval: secondsDuration(a.PollingInterval),
		CooldownPeriod:  secondsDuration(a.CooldownPeriod),
		MinReplicaCount: &minCount,
		MaxReplicaCount: a.MaxReplicas,
		Triggers: []sim.Trigger{
			{Type: sim.TriggerRedis, ListName: a.ListName, ListLength: sim.Number(a.ListLength)},
			{Type: sim.TriggerPrometheus, Threshold: sim.Number(a.ThresholdMs), Query: a.Query, Window: secondsDuration(int(P95Window / time.Second))},
		},
	}
	return c
}

// WriteYAML writes the ScaledObject with a comment block that explains
// every number.
func (a *Advice) WriteYAML(w io.Writer) error {
	return scaledObjectTmpl.Execute(w, a)
}

var scaledObjectTmpl = template.Must(template.New("so").Funcs(template.FuncMap{
	"q":   func(v any) string { b, _ := json.Marshal(fmt.Sprint(v)); return string(b) },
	"num": func(v float64) string { return trimFloat(round(v, 1)) },
	"pct": pct,
	"ms":  func(v float64) string { return trimFloat(round(v, 0)) },
	"budget": func(a *Advice) string {
		return trimFloat(round(a.SLOP95Ms-a.UnloadedP95Ms, 0))
	},
	"wait": func(a *Advice) string {
		return trimFloat(round(1000*float64(a.ListLength)/a.Capacity.PerReplica, 0))
	},
	"targetUtil":     func() float64 { return TargetUtilization },
	"headroom":       func() float64 { return PeakHeadroom },
	"minCooldown":    func() int { return MinCooldownPeriod },
	"promDurationOf": func() string { return promDuration(P95Window) },
	"peakNeed":       func(a *Advice) string { return trimFloat(ceilRatio(a.PeakRate, a.Capacity.PerReplica)) },
	"method": func(c Capacity) string {
		if c.Method == MethodSaturation {
			return fmt.Sprintf("saturation: median completions per ready replica over %d intervals in which the queue grew", c.Samples)
		}
		return fmt.Sprintf("utilization law: achieved rate / (ready replicas x GPU utilisation), median of %d samples", c.Samples)
	},
}).Parse(`# KEDA ScaledObject for {{.Deployment}}, advised by surge from the run of
# scenario "{{.Scenario}}". Every number comes from what that run measured:
#
# - capacity: one replica completes {{num .Capacity.PerReplica}} req/s
#   ({{method .Capacity}}).
# - SLO: P95 {{ms .SLOP95Ms}} ms{{if gt .SLOTimeoutRate 0.0}}, timeouts {{pct .SLOTimeoutRate}}{{end}}. Unloaded P95 (stage "{{.UnloadedStage}}", {{num .BaseRate}} req/s): {{ms .UnloadedP95Ms}} ms.
#
# listLength {{.ListLength}} = floor(capacity {{num .Capacity.PerReplica}} req/s x (SLO P95 {{ms .SLOP95Ms}} ms - unloaded P95 {{ms .UnloadedP95Ms}} ms))
#   A replica drains its share of the queue at {{num .Capacity.PerReplica}} req/s, so {{.ListLength}} waiting
#   requests per replica add about {{wait .}} ms: the {{budget .}} ms the SLO leaves over the
#   unloaded latency. The HPA that KEDA creates asks for ceil(queue / {{.ListLength}}) replicas.
# threshold {{ms .ThresholdMs}} = the SLO P95 in ms. With KEDA's AverageValue target the HPA asks
#   for ceil(P95 / {{ms .ThresholdMs}}) replicas: a backstop for slowness the queue does not show
#   (longer generations, a slower GPU). The query is over {{promDurationOf}}, like the reference setup.
# minReplicaCount {{.MinReplicas}} = ceil(lowest rate {{num .BaseRate}} req/s / (capacity {{num .Capacity.PerReplica}} req/s x {{pct targetUtil}} utilisation))
#   so that the quiet hours stay below {{pct targetUtil}} busy and answer at the unloaded latency.
# maxReplicaCount {{.MaxReplicas}} = ceil(peak rate {{num .PeakRate}} req/s x {{num headroom}} headroom / capacity {{num .Capacity.PerReplica}} req/s)
#   The run's peak needs {{peakNeed .}} replicas; the headroom covers a bigger sale.
# pollingInterval {{.PollingInterval}}: the HPA's default sync period. With minReplicaCount >= 1 the HPA
#   queries the triggers at each sync; pollingInterval only times activation
#   from zero and cached metrics, so polling faster buys nothing.
# cooldownPeriod {{.CooldownPeriod}} = max({{minCooldown}} s, 4 x cold start {{num .ColdStartSecond}} s{{if eq .ColdStartSecond 0.0}} (not measured){{end}}). KEDA only uses it to scale
#   to zero, which minReplicaCount {{.MinReplicas}} rules out; if you allow zero, do not drop
#   capacity for less than a few cold starts.
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata:
  name: {{q (print .Deployment "-scaler")}}
{{- if .Namespace}}
  namespace: {{q .Namespace}}
{{- end}}
spec:
  scaleTargetRef:
    name: {{q .Deployment}}
  pollingInterval: {{.PollingInterval}}
  cooldownPeriod: {{.CooldownPeriod}}
  minReplicaCount: {{.MinReplicas}}
  maxReplicaCount: {{.MaxReplicas}}
  triggers:
    - type: redis
      metadata:
        address: {{q .RedisAddress}}
        listName: {{q .ListName}}
        listLength: {{q .ListLength}}
    - type: prometheus
      metadata:
        serverAddress: {{q .PrometheusURL}}
        query: {{q .Query}}
        threshold: {{q (ms .ThresholdMs)}}
`))

func secondsDuration(s int) units.Duration { return units.Duration(time.Duration(s) * time.Second) }
