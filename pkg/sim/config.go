// Package sim is surge's built-in model of an AI inference service on
// Kubernetes: GPU worker slots, a shared request queue, model cold starts and
// an autoscaler (none, HPA on CPU, or KEDA on queue length and P95).
//
// The model core (Model) is a deterministic discrete-event simulation that is
// advanced to given instants; Replay drives it under a virtual clock, and
// Start serves it in real time over HTTP. Both run the same code.
package sim

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/problem"
	"github.com/surge-sh/surge/pkg/units"
)

// Policy names an autoscaler policy.
type Policy string

// The autoscaler policies the simulator knows.
const (
	PolicyNone   Policy = "none"
	PolicyHPACPU Policy = "hpa-cpu"
	PolicyKEDA   Policy = "keda"
)

// Trigger types of the keda policy.
const (
	TriggerRedis      = "redis"
	TriggerPrometheus = "prometheus"
)

// Defaults. The HPA and KEDA ones are those of Kubernetes and KEDA.
const (
	DefaultReplicas               = 3
	DefaultSlotsPerReplica        = 4
	DefaultPrefill                = 30 * time.Millisecond
	DefaultPerToken               = time.Millisecond
	DefaultColdStart              = 30 * time.Second
	DefaultCPUBaseline            = 0.35
	DefaultCPUPerBusySlot         = 0.05
	DefaultRedisList              = "ai_request_queue"
	DefaultHPAMinReplicas         = 1
	DefaultHPAMaxReplicas         = 10
	DefaultTargetCPU              = 70.0
	DefaultSyncPeriod             = 15 * time.Second
	DefaultTolerance              = 0.1
	DefaultScaleDownStabilization = 300 * time.Second
	DefaultScaleUpPods            = 4
	DefaultScaleUpPercent         = 100
	DefaultScalePeriod            = 15 * time.Second
	DefaultPollingInterval        = 30 * time.Second
	DefaultCooldownPeriod         = 300 * time.Second
	DefaultKEDAMaxReplicaCount    = 100
	DefaultP95Window              = 2 * time.Minute
)

// Config describes a simulated service. It is the `target.sim` block of a
// scenario and the flags of `surge sim`. Keys are camelCase in YAML and JSON;
// durations read as "30s" (a bare number is seconds).
type Config struct {
	// Seed makes token draws (and so service times) reproducible.
	Seed int64 `yaml:"seed,omitempty" json:"seed,omitempty"`
	// Replicas is the initial number of ready replicas.
	Replicas int `yaml:"replicas,omitempty" json:"replicas,omitempty"`
	// SlotsPerReplica is the number of requests one replica's GPU serves at once.
	SlotsPerReplica int `yaml:"slotsPerReplica,omitempty" json:"slotsPerReplica,omitempty"`
	// Prefill is the fixed part of every service time.
	Prefill units.Duration `yaml:"prefill,omitempty" json:"prefill,omitempty"`
	// PerToken is the service time of one generated token.
	PerToken units.Duration `yaml:"perToken,omitempty" json:"perToken,omitempty"`
	// ColdStart is how long a new replica loads its model before it is ready.
	ColdStart units.Duration `yaml:"coldStart,omitempty" json:"coldStart,omitempty"`
	CPU       CPU            `yaml:"cpu,omitempty" json:"cpu,omitempty"`
	// Kinds are the request kinds; a request names one in its "kind" field,
	// and an unknown or missing kind is the first one.
	Kinds []Kind `yaml:"kinds,omitempty" json:"kinds,omitempty"`
	// Redis is the address (host:port) of a Redis server whose list mirrors
	// the request queue, so that a real Redis trigger or exporter can read it.
	Redis string `yaml:"redis,omitempty" json:"redis,omitempty"`
	// RedisList names the mirrored list.
	RedisList  string     `yaml:"redisList,omitempty" json:"redisList,omitempty"`
	Autoscaler Autoscaler `yaml:"autoscaler,omitempty" json:"autoscaler,omitempty"`
}

// CPU is the per-replica CPU utilisation model: the orchestration baseline
// (tokenizer, HTTP, batching loop) plus a small cost per busy GPU slot. It is
// what keeps CPU low while the GPU saturates.
type CPU struct {
	Baseline    float64 `yaml:"baseline,omitempty" json:"baseline,omitempty"`
	PerBusySlot float64 `yaml:"perBusySlot,omitempty" json:"perBusySlot,omitempty"`
}

// Kind is one kind of request with its token-count distribution.
type Kind struct {
	Name   string `yaml:"name,omitempty" json:"name,omitempty"`
	Tokens Tokens `yaml:"tokens,omitempty" json:"tokens,omitempty"`
}

// Tokens is a token-count distribution: uniform over [Min, Max], or normal
// with Mean and Stddev (rounded, at least 1).
type Tokens struct {
	Min    int     `yaml:"min,omitempty" json:"min,omitempty"`
	Max    int     `yaml:"max,omitempty" json:"max,omitempty"`
	Mean   float64 `yaml:"mean,omitempty" json:"mean,omitempty"`
	Stddev float64 `yaml:"stddev,omitempty" json:"stddev,omitempty"`
}

// Autoscaler chooses and parameterises the scaling policy.
type Autoscaler struct {
	Policy Policy `yaml:"policy,omitempty" json:"policy,omitempty"`
	// MinReplicas and MaxReplicas bound hpa-cpu (HPA minReplicas/maxReplicas);
	// for keda they are the fallback of minReplicaCount/maxReplicaCount.
	MinReplicas int  `yaml:"minReplicas,omitempty" json:"minReplicas,omitempty"`
	MaxReplicas int  `yaml:"maxReplicas,omitempty" json:"maxReplicas,omitempty"`
	HPA         HPA  `yaml:"hpa,omitempty" json:"hpa,omitempty"`
	KEDA        KEDA `yaml:"keda,omitempty" json:"keda,omitempty"`
}

// HPA holds the HorizontalPodAutoscaler settings: those of hpa-cpu, and the
// sync and behavior rules of the HPA that KEDA owns.
type HPA struct {
	// TargetCPU is the target mean CPU utilisation of ready pods, in percent.
	TargetCPU float64 `yaml:"targetCPU,omitempty" json:"targetCPU,omitempty"`
	// SyncPeriod is --horizontal-pod-autoscaler-sync-period.
	SyncPeriod units.Duration `yaml:"syncPeriod,omitempty" json:"syncPeriod,omitempty"`
	// Tolerance is the ratio band around 1.0 in which nothing changes.
	Tolerance *float64 `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
	// ScaleDownStabilization is behavior.scaleDown.stabilizationWindowSeconds.
	ScaleDownStabilization *units.Duration `yaml:"scaleDownStabilization,omitempty" json:"scaleDownStabilization,omitempty"`
	// ScaleUpPods, ScaleUpPercent and ScaleUpPeriod are the two default
	// scale-up policies (Pods and Percent, selectPolicy Max) and their period.
	ScaleUpPods    int            `yaml:"scaleUpPods,omitempty" json:"scaleUpPods,omitempty"`
	ScaleUpPercent int            `yaml:"scaleUpPercent,omitempty" json:"scaleUpPercent,omitempty"`
	ScaleUpPeriod  units.Duration `yaml:"scaleUpPeriod,omitempty" json:"scaleUpPeriod,omitempty"`
}

// KEDA holds the ScaledObject settings of the keda policy, named as in KEDA.
type KEDA struct {
	PollingInterval units.Duration `yaml:"pollingInterval,omitempty" json:"pollingInterval,omitempty"`
	CooldownPeriod  units.Duration `yaml:"cooldownPeriod,omitempty" json:"cooldownPeriod,omitempty"`
	MinReplicaCount *int           `yaml:"minReplicaCount,omitempty" json:"minReplicaCount,omitempty"`
	MaxReplicaCount int            `yaml:"maxReplicaCount,omitempty" json:"maxReplicaCount,omitempty"`
	// UseCachedMetrics makes the HPA read the values KEDA sampled at its
	// last poll instead of querying the triggers at every HPA sync.
	UseCachedMetrics bool      `yaml:"useCachedMetrics,omitempty" json:"useCachedMetrics,omitempty"`
	Triggers         []Trigger `yaml:"triggers,omitempty" json:"triggers,omitempty"`
}

// Trigger is one KEDA trigger. Both types use AverageValue semantics.
type Trigger struct {
	Type string `yaml:"type,omitempty" json:"type,omitempty"`
	// redis: ListName (the simulator's own queue whatever its name) and
	// ListLength, the target queue length per replica.
	ListName             string `yaml:"listName,omitempty" json:"listName,omitempty"`
	ListLength           Number `yaml:"listLength,omitempty" json:"listLength,omitempty"`
	ActivationListLength Number `yaml:"activationListLength,omitempty" json:"activationListLength,omitempty"`
	// prometheus: Threshold (ms of P95 per replica) on Query, which is kept
	// verbatim; the simulator computes its own server-side P95 over Window.
	Threshold           Number         `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	ActivationThreshold Number         `yaml:"activationThreshold,omitempty" json:"activationThreshold,omitempty"`
	Query               string         `yaml:"query,omitempty" json:"query,omitempty"`
	Window              units.Duration `yaml:"window,omitempty" json:"window,omitempty"`
}

// Number is a float that reads from a number or from a quoted number, as
// KEDA trigger metadata is written (listLength: "50").
type Number float64

// UnmarshalYAML implements yaml.Unmarshaler.
func (n *Number) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a number such as \"50\"")
	}
	return n.parse(node.Value)
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Number) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		return n.parse(s)
	}
	return n.parse(string(b))
}

func (n *Number) parse(s string) error {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("invalid number %q", s)
	}
	*n = Number(f)
	return nil
}

// MarshalYAML writes the number quoted, as KEDA does.
func (n Number) MarshalYAML() (any, error) { return n.String(), nil }

// MarshalJSON writes the number quoted, as KEDA does.
func (n Number) MarshalJSON() ([]byte, error) { return json.Marshal(n.String()) }

func (n Number) String() string { return strconv.FormatFloat(float64(n), 'f', -1, 64) }

// DefaultKinds are the request kinds of the product-enrichment story: short
// descriptions and long summaries.
func DefaultKinds() []Kind {
	return []Kind{
		{Name: "description", Tokens: Tokens{Min: 30, Max: 90}},
		{Name: "summary", Tokens: Tokens{Min: 120, Max: 200}},
	}
}

// ApplyDefaults fills unset fields.
func (c *Config) ApplyDefaults() {
	setInt(&c.Replicas, DefaultReplicas)
	setInt(&c.SlotsPerReplica, DefaultSlotsPerReplica)
	setDur(&c.Prefill, DefaultPrefill)
	setDur(&c.PerToken, DefaultPerToken)
	setDur(&c.ColdStart, DefaultColdStart)
	setFloat(&c.CPU.Baseline, DefaultCPUBaseline)
	setFloat(&c.CPU.PerBusySlot, DefaultCPUPerBusySlot)
	if len(c.Kinds) == 0 {
		c.Kinds = DefaultKinds()
	}
	if c.RedisList == "" {
		c.RedisList = DefaultRedisList
	}
	a := &c.Autoscaler
	if a.Policy == "" {
		a.Policy = PolicyNone
	}
	h := &a.HPA
	setFloat(&h.TargetCPU, DefaultTargetCPU)
	setDur(&h.SyncPeriod, DefaultSyncPeriod)
	if h.Tolerance == nil {
		t := DefaultTolerance
		h.Tolerance = &t
	}
	if h.ScaleDownStabilization == nil {
		d := units.Duration(DefaultScaleDownStabilization)
		h.ScaleDownStabilization = &d
	}
	setInt(&h.ScaleUpPods, DefaultScaleUpPods)
	setInt(&h.ScaleUpPercent, DefaultScaleUpPercent)
	setDur(&h.ScaleUpPeriod, DefaultScalePeriod)
	k := &a.KEDA
	setDur(&k.PollingInterval, DefaultPollingInterval)
	setDur(&k.CooldownPeriod, DefaultCooldownPeriod)
	if k.MinReplicaCount == nil {
		m := a.MinReplicas // KEDA's own default is 0
		k.MinReplicaCount = &m
	}
	setInt(&k.MaxReplicaCount, a.MaxReplicas)
	setInt(&k.MaxReplicaCount, DefaultKEDAMaxReplicaCount)
	for i := range k.Triggers {
		t := &k.Triggers[i]
		switch t.Type {
		case TriggerRedis:
			if t.ListName == "" {
				t.ListName = c.RedisList
			}
		case TriggerPrometheus:
			setDur(&t.Window, DefaultP95Window)
		}
	}
	setInt(&a.MinReplicas, DefaultHPAMinReplicas)
	setInt(&a.MaxReplicas, DefaultHPAMaxReplicas)
}

// Validate reports every invalid setting, with paths relative to the block.
func (c *Config) Validate() []problem.Problem {
	var l problem.List
	if c.Replicas < 0 {
		l.Addf("replicas", "must not be negative")
	}
	if c.SlotsPerReplica < 1 {
		l.Addf("slotsPerReplica", "must be at least 1")
	}
	if c.Prefill < 0 {
		l.Addf("prefill", "must not be negative")
	}
	if c.PerToken < 0 {
		l.Addf("perToken", "must not be negative")
	}
	if c.Prefill == 0 && c.PerToken == 0 {
		l.Addf("perToken", "prefill and perToken are both zero: requests would take no time")
	}
	if c.CPU.Baseline < 0 || c.CPU.Baseline > 1 {
		l.Addf("cpu.baseline", "must be a ratio between 0 and 1, got %g", c.CPU.Baseline)
	}
	if c.CPU.PerBusySlot < 0 || c.CPU.PerBusySlot > 1 {
		l.Addf("cpu.perBusySlot", "must be a ratio between 0 and 1, got %g", c.CPU.PerBusySlot)
	}
	if len(c.Kinds) == 0 {
		l.Addf("kinds", "at least one request kind is required")
	}
	seen := map[string]bool{}
	for i, k := range c.Kinds {
		p := problem.Index("kinds", i)
		switch {
		case k.Name == "":
			l.Addf(problem.Join(p, "name"), "is required")
		case seen[k.Name]:
			l.Addf(problem.Join(p, "name"), "duplicate kind %q", k.Name)
		}
		seen[k.Name] = true
		l.Nest(problem.Join(p, "tokens"), k.Tokens.validate())
	}
	l.Nest("autoscaler", c.Autoscaler.validate(c.Replicas))
	return l
}

func (t Tokens) validate() []problem.Problem {
	var l problem.List
	uniform := t.Min != 0 || t.Max != 0
	normal := t.Mean != 0 || t.Stddev != 0
	switch {
	case uniform && normal:
		l.Addf("", "set either min/max or mean/stddev, not both")
	case uniform:
		if t.Min < 1 {
			l.Addf("min", "must be at least 1")
		}
		if t.Max < t.Min {
			l.Addf("max", "must be at least min (%d)", t.Min)
		}
	case normal:
		if t.Mean < 1 {
			l.Addf("mean", "must be at least 1")
		}
		if t.Stddev < 0 {
			l.Addf("stddev", "must not be negative")
		}
	default:
		l.Addf("", "set min/max or mean/stddev")
	}
	return l
}

func (a Autoscaler) validate(replicas int) []problem.Problem {
	var l problem.List
	switch a.Policy {
	case PolicyNone, PolicyHPACPU, PolicyKEDA:
	default:
		l.Addf("policy", "unknown policy %q (want none, hpa-cpu or keda)", a.Policy)
	}
	// Each policy's bounds are checked where they apply: minReplicas and
	// maxReplicas are only the fallback of KEDA's own counts.
	if a.Policy != PolicyKEDA {
		if a.MinReplicas < 1 {
			l.Addf("minReplicas", "must be at least 1")
		}
		if a.MaxReplicas < a.MinReplicas {
			l.Addf("maxReplicas", "must be at least minReplicas (%d)", a.MinReplicas)
		}
	}
	h := a.HPA
	if h.TargetCPU <= 0 || h.TargetCPU > 100 {
		l.Addf("hpa.targetCPU", "must be a percentage in (0, 100], got %g", h.TargetCPU)
	}
	if h.SyncPeriod <= 0 {
		l.Addf("hpa.syncPeriod", "must be positive")
	}
	if h.Tolerance != nil && (*h.Tolerance < 0 || *h.Tolerance >= 1) {
		l.Addf("hpa.tolerance", "must be in [0, 1), got %g", *h.Tolerance)
	}
	if h.ScaleDownStabilization != nil && (*h.ScaleDownStabilization < 0 || h.ScaleDownStabilization.D() > time.Hour) {
		l.Addf("hpa.scaleDownStabilization", "must be between 0s and 1h")
	}
	if h.ScaleUpPods < 0 {
		l.Addf("hpa.scaleUpPods", "must not be negative")
	}
	if h.ScaleUpPercent < 0 {
		l.Addf("hpa.scaleUpPercent", "must not be negative")
	}
	if h.ScaleUpPeriod <= 0 {
		l.Addf("hpa.scaleUpPeriod", "must be positive")
	}
	k := a.KEDA
	if k.PollingInterval <= 0 {
		l.Addf("keda.pollingInterval", "must be positive")
	}
	if k.CooldownPeriod < 0 {
		l.Addf("keda.cooldownPeriod", "must not be negative")
	}
	if a.Policy == PolicyKEDA {
		minCount := 0
		if k.MinReplicaCount != nil {
			minCount = *k.MinReplicaCount
			if minCount < 0 {
				l.Addf("keda.minReplicaCount", "must not be negative")
			}
		}
		if k.MaxReplicaCount < 1 || k.MaxReplicaCount < minCount {
			l.Addf("keda.maxReplicaCount", "must be at least 1 and at least minReplicaCount (%d)", minCount)
		}
		if len(k.Triggers) == 0 {
			l.Addf("keda.triggers", "the keda policy needs at least one trigger")
		}
	}
	for i, t := range k.Triggers {
		l.Nest(problem.Index("keda.triggers", i), t.validate())
	}
	return l
}

func (t Trigger) validate() []problem.Problem {
	var l problem.List
	switch t.Type {
	case TriggerRedis:
		if t.ListLength <= 0 {
			l.Addf("listLength", "must be a positive number")
		}
		if t.ActivationListLength < 0 {
			l.Addf("activationListLength", "must not be negative")
		}
		if t.Threshold != 0 || t.Query != "" {
			l.Addf("type", "threshold and query belong to a prometheus trigger")
		}
	case TriggerPrometheus:
		if t.Threshold <= 0 {
			l.Addf("threshold", "must be a positive number (P95 in ms)")
		}
		if t.ActivationThreshold < 0 {
			l.Addf("activationThreshold", "must not be negative")
		}
		if t.Window <= 0 {
			l.Addf("window", "must be positive")
		}
		if t.ListLength != 0 || t.ListName != "" {
			l.Addf("type", "listName and listLength belong to a redis trigger")
		}
	case "":
		l.Addf("type", "is required (redis or prometheus)")
	default:
		l.Addf("type", "unknown trigger type %q (want redis or prometheus)", t.Type)
	}
	return l
}

// kind returns the kind named name, or the first kind.
func (c *Config) kind(name string) *Kind {
	for i := range c.Kinds {
		if c.Kinds[i].Name == name {
			return &c.Kinds[i]
		}
	}
	return &c.Kinds[0]
}

// minMax returns the replica bounds the active policy enforces.
func (c *Config) minMax() (lo, hi int) {
	a := c.Autoscaler
	if a.Policy == PolicyKEDA {
		return *a.KEDA.MinReplicaCount, a.KEDA.MaxReplicaCount
	}
	return a.MinReplicas, a.MaxReplicas
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setFloat(p *float64, v float64) {
	if *p == 0 {
		*p = v
	}
}

func setDur(p *units.Duration, v time.Duration) {
	if *p == 0 {
		*p = units.Duration(v)
	}
}
