// Package analysis reads a finished report and says how the autoscaler
// reacted to the load (reaction figures per load step, replica-seconds,
// SLO-violation seconds, the SPEC RG elasticity metrics), why the service
// failed (findings with their evidence), and what queue-driven KEDA
// configuration would have served the same traffic (Advise, Verify).
//
// Everything here is a pure function of the report: no clock, no I/O but
// the writers handed in. The formulas, thresholds and sources are in
// docs/analysis.md; the constants below are the thresholds it names.
package analysis

import (
	"slices"

	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/sim"
)

// Thresholds of the analysis (docs/analysis.md explains each one).
const (
	// StepRise is the relative rise of the target rate that makes a load
	// step: 0.2 is a rise of 20% or more.
	StepRise = 0.2
	// GPUSaturated is the GPU utilisation at which the GPU counts as
	// saturated.
	GPUSaturated = 0.9
	// QueueGrowthPerReplica is how many requests per ready replica a
	// growing queue must reach for its growth to count.
	QueueGrowthPerReplica = 2.0
	// QueueGrowthSamples is how many consecutive samples the queue must
	// rise over for its growth to count.
	QueueGrowthSamples = 3
	// MinCapacitySamples is how many qualifying intervals or samples an
	// estimate of the per-replica capacity needs.
	MinCapacitySamples = 3
	// UtilizationLow and UtilizationHigh bound the GPU samples the
	// utilization estimator of the capacity reads.
	UtilizationLow  = 0.3
	UtilizationHigh = 0.85
)

// The finding identifiers Analyze produces.
const (
	FindingCPUBlind       = "cpu-blind-saturation"
	FindingLeadingSignal  = "leading-signal"
	FindingSlowScaleUp    = "slow-scale-up"
	FindingScaleLimit     = "scale-limit-reached"
	FindingNoAutoscaler   = "no-autoscaler-activity"
	severityCritical      = "critical"
	severityWarning       = "warning"
	signalTargetRate      = "target_rate"
	signalAchievedRate    = "achieved_rate"
	signalClientP95       = "client_p95"
	signalTimeoutRate     = "timeout_rate"
	signalCPU             = "cpu"
	signalGPU             = "gpu"
	signalQueueDepth      = "queue_depth"
	signalP95Latency      = "p95_latency"
	signalReplicas        = "replicas"
	signalReplicasDesired = "replicas_desired"
	signalReplicasSpec    = "replicas_spec"
)

var findingIDs = []string{FindingCPUBlind, FindingLeadingSignal, FindingSlowScaleUp, FindingScaleLimit, FindingNoAutoscaler}

// Options carry what the report does not say about the autoscaler.
type Options struct {
	// Autoscaler names the policy: "hpa-cpu", "keda", "none", or "" when
	// unknown.
	Autoscaler string
	// ScalingSignals are the signals the autoscaler scales on ("cpu" for a
	// CPU HPA; "queue_depth" and "p95_latency" for KEDA's redis and
	// prometheus triggers); nil when unknown.
	ScalingSignals []string
	// HPATargetCPU is the CPU utilisation target of a CPU-based HPA as a
	// ratio (0.7 for 70%); 0 when the autoscaler does not scale on CPU or
	// the target is unknown.
	HPATargetCPU float64
	// MaxReplicas is the autoscaler's upper bound; 0 when unknown.
	MaxReplicas int
}

// OptionsFromSim reads the options from a simulator configuration (the
// scenario's target.sim); nil gives the zero Options.
func OptionsFromSim(c *sim.Config) Options {
	if c == nil {
		return Options{}
	}
	cfg := *c
	cfg.ApplyDefaults()
	a := cfg.Autoscaler
	o := Options{Autoscaler: string(a.Policy)}
	switch a.Policy {
	case sim.PolicyHPACPU:
		o.ScalingSignals = []string{signalCPU}
		o.HPATargetCPU = a.HPA.TargetCPU / 100
		o.MaxReplicas = a.MaxReplicas
	case sim.PolicyKEDA:
		for _, t := range a.KEDA.Triggers {
			switch t.Type {
			case sim.TriggerRedis:
				o.ScalingSignals = append(o.ScalingSignals, signalQueueDepth)
			case sim.TriggerPrometheus:
				o.ScalingSignals = append(o.ScalingSignals, signalP95Latency)
			}
		}
		o.MaxReplicas = a.KEDA.MaxReplicaCount
	case sim.PolicyNone:
		o.ScalingSignals = []string{}
	}
	return o
}

// OptionsFromReport reads the options from the autoscaler settings a
// source read from the cluster (r.Scaling.Autoscaler); without them it
// gives the zero Options, which leave the findings that need them unjudged.
func OptionsFromReport(r *report.Report) Options {
	if r == nil || r.Scaling.Autoscaler == nil {
		return Options{}
	}
	a := r.Scaling.Autoscaler
	o := Options{Autoscaler: a.Kind, MaxReplicas: a.MaxReplicas}
	// An autoscaler that scales on nothing known is not "no autoscaler":
	// its signals stay unknown.
	if len(a.ScalesOn) > 0 {
		o.ScalingSignals = slices.Clone(a.ScalesOn)
	}
	if slices.Contains(a.ScalesOn, signalCPU) {
		o.HPATargetCPU = a.CPUTargetRatio
	}
	// The simulator's name for the same policy, so that findings read
	// alike whichever target the run had.
	if a.Kind == "hpa" && slices.Equal(a.ScalesOn, []string{signalCPU}) {
		o.Autoscaler = string(sim.PolicyHPACPU)
	}
	return o
}

// OptionsFor picks the options of a run: the simulator's configuration
// when the target was the built-in simulator (c non-nil), else the
// autoscaler settings the report read from the cluster.
func OptionsFor(r *report.Report, c *sim.Config) Options {
	if c != nil {
		return OptionsFromSim(c)
	}
	return OptionsFromReport(r)
}

// Analyze fills r.Scaling.Reaction and appends the findings to r.Diagnosis,
// replacing those of an earlier Analyze. It reads the stages, the signals
// and the scaling events; what it cannot derive it leaves at zero or nil
// and says so in Reaction.Notes.
func Analyze(r *report.Report, opts Options) {
	a := newRun(r, opts)
	rc := a.reaction()
	r.Scaling.Reaction = rc
	kept := make([]report.Finding, 0, len(r.Diagnosis))
	for _, f := range r.Diagnosis {
		if !slices.Contains(findingIDs, f.ID) {
			kept = append(kept, f)
		}
	}
	r.Diagnosis = append(kept, a.findings(rc)...)
}
