// Package report holds surge's one report model — what a run measured and
// concluded — and the renderers that turn it into the terminal table,
// Markdown, JSON, HTML and JUnit XML. report.json is the API that CI parses:
// the JSON keys here are a contract (see docs/report.md); add keys, rename none.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// SchemaVersion names the layout of report.json.
const SchemaVersion = "surge.report/v1"

// Verdict is the one-word outcome of a run.
type Verdict string

// The verdicts a run can end with.
const (
	VerdictPass    Verdict = "pass"
	VerdictFail    Verdict = "fail"
	VerdictAborted Verdict = "aborted"
)

// Report is everything a run measured and concluded.
type Report struct {
	SchemaVersion string      `json:"schemaVersion"`
	Scenario      ScenarioRef `json:"scenario"`
	StartedAt     time.Time   `json:"startedAt"`
	EndedAt       time.Time   `json:"endedAt"`
	Verdict       Verdict     `json:"verdict"`
	// Abort says why the run stopped early (interrupt, abortOnFail, fatal
	// error); empty when it ran to the end.
	Abort string `json:"abort,omitempty"`
	// Target describes what was attacked, with secrets redacted.
	Target TargetInfo `json:"target"`
	// Compare names the two stages of the headline table (e.g. baseline, peak).
	Compare []string `json:"compare,omitempty"`
	// SLO is the latency and timeout objective the analysis judges against.
	SLO *SLO `json:"slo,omitempty"`

	Stages     []Stats      `json:"stages"`
	Totals     Stats        `json:"totals"`
	Signals    []Signal     `json:"signals"`
	Scaling    Scaling      `json:"scaling"`
	Assertions []Assertion  `json:"assertions"`
	Diagnosis  []Finding    `json:"diagnosis"`
	Warnings   []string     `json:"warnings,omitempty"`
	Sources    []SourceInfo `json:"sources,omitempty"`
}

// ScenarioRef names the scenario a report came from.
type ScenarioRef struct {
	Name string `json:"name"`
	File string `json:"file,omitempty"`
}

// TargetInfo is a redacted description of the attacked endpoint.
type TargetInfo struct {
	Method  string  `json:"method,omitempty"`
	URL     string  `json:"url,omitempty"`
	Timeout float64 `json:"timeoutSeconds,omitempty"`
	// Sim is the simulator policy when the target was the built-in simulator.
	Sim string `json:"sim,omitempty"`
}

// SLO is the objective the run is judged against by the analysis.
type SLO struct {
	P95Ms       float64 `json:"p95Ms,omitempty"`
	TimeoutRate float64 `json:"timeoutRate,omitempty"` // a fraction, 0.01 = 1%
}

// Stats is what clients saw over one stage, one request kind, or the run.
// requests = successes + timeouts + errors.
type Stats struct {
	Name            string  `json:"name"`
	StartSeconds    float64 `json:"startSeconds"`
	DurationSeconds float64 `json:"durationSeconds"`
	// RateShape is the stage's rate as written: "50", "50..400", "step 50..400/4", ...
	RateShape string `json:"rateShape,omitempty"`
	// TargetRate is the mean planned arrival rate (requests/s).
	TargetRate float64 `json:"targetRate"`
	// AchievedRate is requests actually sent per second.
	AchievedRate float64 `json:"achievedRate"`
	// PlannedRequests is what the schedule asked for.
	PlannedRequests int64 `json:"plannedRequests"`
	Requests        int64 `json:"requests"`
	Successes       int64 `json:"successes"`
	Timeouts        int64 `json:"timeouts"`
	Errors          int64 `json:"errors"`
	// ErrorsByClass splits Errors: refused, reset, http4xx, http5xx, other.
	ErrorsByClass map[string]int64 `json:"errorsByClass,omitempty"`
	// Delayed counts requests sent later than scheduled by more than the
	// engine's tolerance (in-flight cap reached, or the client saturated).
	Delayed int64 `json:"delayed"`
	// Unsent counts scheduled requests that were never sent.
	Unsent int64 `json:"unsent"`
	// LatencyMs is measured from each request's scheduled send time
	// (coordinated omission corrected): what a user would have waited.
	LatencyMs Latency `json:"latencyMs"`
	// ServiceLatencyMs is measured from the actual send time.
	ServiceLatencyMs Latency `json:"serviceLatencyMs"`
	BytesIn          int64   `json:"bytesIn,omitempty"`
	BytesOut         int64   `json:"bytesOut,omitempty"`
	// Kinds splits the figures by request kind, when a scenario has several.
	Kinds []Stats `json:"kinds,omitempty"`
}

// TimeoutRate is Timeouts/Requests (0 when nothing was sent).
func (s Stats) TimeoutRate() float64 { return ratio(s.Timeouts, s.Requests) }

// ErrorRate is (Timeouts+Errors)/Requests: every request that failed.
func (s Stats) ErrorRate() float64 { return ratio(s.Timeouts+s.Errors, s.Requests) }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Latency holds latency percentiles in milliseconds.
type Latency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Signal is one observed series (CPU, GPU, queue depth, P95, replicas, or a
// client-side figure) aligned with the run start.
type Signal struct {
	Name string `json:"name"`
	Unit string `json:"unit"`
	// Source is where it came from: "client", "scrape", "prometheus", "kubernetes".
	Source string `json:"source"`
	// Query is the PromQL or metric name read, when there is one.
	Query string `json:"query,omitempty"`
	// Points are [secondsSinceStart, value] pairs in time order.
	Points  []Point        `json:"points"`
	ByStage map[string]Agg `json:"byStage"`
	// Gaps are the intervals where the source failed.
	Gaps []Gap `json:"gaps,omitempty"`
}

// Point is a [seconds, value] pair; it encodes as a two-element JSON array.
type Point [2]float64

// Agg summarises a signal over one stage.
type Agg struct {
	Min  float64 `json:"min"`
	Avg  float64 `json:"avg"`
	Max  float64 `json:"max"`
	Last float64 `json:"last"`
	// Samples is how many points the figures rest on.
	Samples int `json:"samples"`
}

// Gap is a stretch of the run where a source gave no data, and why.
type Gap struct {
	FromSeconds float64 `json:"fromSeconds"`
	ToSeconds   float64 `json:"toSeconds"`
	Error       string  `json:"error"`
}

// SourceInfo says how one observation source fared.
type SourceInfo struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
	Gaps   []Gap  `json:"gaps,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// Scaling is the autoscaler's side of the story.
type Scaling struct {
	Replicas ReplicaSummary `json:"replicas"`
	Events   []ScaleEvent   `json:"events"`
	Reaction *Reaction      `json:"reaction,omitempty"`
	// Autoscaler is the autoscaler's own configuration as read from the
	// cluster; nil when no source could read it (the built-in simulator's
	// policy is in Target.Sim instead).
	Autoscaler *AutoscalerInfo `json:"autoscaler,omitempty"`
}

// AutoscalerInfo is what an autoscaler is configured to do: the analysis
// needs it to tell a CPU-blind autoscaler or a replica ceiling from a slow one.
type AutoscalerInfo struct {
	// Kind is "hpa" or "keda".
	Kind string `json:"kind"`
	// Name is the HPA's or the ScaledObject's name.
	Name string `json:"name"`
	// ScalesOn are the canonical signal names it scales on: "cpu",
	// "queue_depth" (a KEDA redis trigger), "p95_latency" (a KEDA
	// prometheus trigger), "hpa_<metric>" for another HPA metric and
	// "keda_<type>" for another KEDA trigger.
	ScalesOn []string `json:"scalesOn"`
	// CPUTargetRatio is the CPU utilisation target as a ratio (0.7 for
	// 70%); 0 when it does not scale on CPU utilisation.
	CPUTargetRatio float64 `json:"cpuTargetRatio,omitempty"`
	MinReplicas    int     `json:"minReplicas"`
	MaxReplicas    int     `json:"maxReplicas"`
}

// ReplicaSummary is the replica count over the run.
type ReplicaSummary struct {
	Initial float64 `json:"initial"`
	Min     float64 `json:"min"`
	Max     float64 `json:"max"`
	Final   float64 `json:"final"`
	// Known is false when no source reported replicas.
	Known bool `json:"known"`
}

// ScaleEvent is one replica change or autoscaler event.
type ScaleEvent struct {
	Seconds float64 `json:"seconds"`
	From    float64 `json:"from"`
	To      float64 `json:"to"`
	Reason  string  `json:"reason"`
	// Source: "sim", "deployment", "hpa", "scaledobject", "event", "scrape".
	Source string `json:"source"`
	// Kind distinguishes decisions ("desired"), actuations ("spec"),
	// readiness ("ready") and plain events ("event").
	Kind string `json:"kind,omitempty"`
}

// Reaction holds the autoscaler reaction figures (see docs/analysis.md).
type Reaction struct {
	Steps                   []StepReaction `json:"steps"`
	ReplicaSeconds          float64        `json:"replicaSeconds"`
	SLOViolationSeconds     float64        `json:"sloViolationSeconds"`
	UnderProvisionAccuracy  float64        `json:"underProvisionAccuracy"`
	OverProvisionAccuracy   float64        `json:"overProvisionAccuracy"`
	UnderProvisionTimeshare float64        `json:"underProvisionTimeshare"`
	OverProvisionTimeshare  float64        `json:"overProvisionTimeshare"`
	PerReplicaCapacity      float64        `json:"perReplicaCapacity,omitempty"`
	// CapacityMethod names the estimator behind PerReplicaCapacity
	// ("saturation" or "utilization"); empty when it could not be measured.
	CapacityMethod string `json:"capacityMethod,omitempty"`
	// Notes say which figures could not be derived and why (no SLO, no
	// replica signal, capacity unknown).
	Notes []string `json:"notes,omitempty"`
}

// StepReaction is the reaction to one load step. A nil figure means the
// step never got that far.
type StepReaction struct {
	Stage string `json:"stage"`
	// Kind is "boundary" (the rate jumps at a stage start) or "ramp" (the
	// rate rises within a stage; the step is when it outgrew the replicas
	// ready at the ramp's start).
	Kind             string   `json:"kind,omitempty"`
	AtSeconds        float64  `json:"atSeconds"`
	FromRate         float64  `json:"fromRate"`
	ToRate           float64  `json:"toRate"`
	DecisionSeconds  *float64 `json:"decisionSeconds"`
	ActuationSeconds *float64 `json:"actuationSeconds"`
	ReadySeconds     *float64 `json:"readySeconds"`
	StableSeconds    *float64 `json:"stableSeconds"`
}

// Assertion is one checked criterion and what was observed.
type Assertion struct {
	Expr     string  `json:"expr"`
	Stage    string  `json:"stage,omitempty"`
	Observed float64 `json:"observed"`
	// Threshold is the bound the observed value was compared with, in the
	// same unit as Observed.
	Threshold float64 `json:"threshold"`
	Unit      string  `json:"unit,omitempty"`
	Pass      bool    `json:"pass"`
	Message   string  `json:"message,omitempty"`
}

// Finding is one diagnosis with the numbers that support it.
type Finding struct {
	ID       string         `json:"id"`
	Severity string         `json:"severity"` // "critical", "warning", "info"
	Message  string         `json:"message"`
	Evidence map[string]any `json:"evidence"`
}

// Stage returns the stats of the named stage, or false.
func (r *Report) Stage(name string) (Stats, bool) {
	for _, s := range r.Stages {
		if s.Name == name {
			return s, true
		}
	}
	return Stats{}, false
}

// Signal returns the named signal, or nil.
func (r *Report) Signal(name string) *Signal {
	for i := range r.Signals {
		if r.Signals[i].Name == name {
			return &r.Signals[i]
		}
	}
	return nil
}

// Decode reads a report.json and checks its schema version.
func Decode(rd io.Reader) (*Report, error) {
	var r Report
	dec := json.NewDecoder(rd)
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("decode report: schemaVersion %q, want %q", r.SchemaVersion, SchemaVersion)
	}
	return &r, nil
}

// WriteJSON renders the report as indented JSON (report.json).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
