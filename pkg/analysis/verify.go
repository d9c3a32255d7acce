package analysis

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/surge-sh/surge/pkg/report"
	"github.com/surge-sh/surge/pkg/sim"
	"github.com/surge-sh/surge/pkg/units"
)

// ReplicaCurveStep is the spacing of the replica curves Verify prints.
const ReplicaCurveStep = 10

// StageVerdict compares one stage as measured and as replayed under the
// advised configuration.
type StageVerdict struct {
	Stage                                    string
	TargetRate                               float64
	MeasuredP95Ms, PredictedP95Ms            float64
	MeasuredTimeoutRate, PredictedTimeouts   float64
	MeasuredMaxReplicas, PredictedMaxReplica float64
}

// Verification is the replay of a run's arrival curve under an advice.
type Verification struct {
	Stages []StageVerdict
	// Judged is the stage the verdict is about: the report's second
	// compared stage, else the stage with the highest target rate.
	Judged string
	// PredictedP95Ms and PredictedTimeoutRate are the judged stage's.
	PredictedP95Ms       float64
	PredictedTimeoutRate float64
	SLOP95Ms             float64
	SLOTimeoutRate       float64
	// Within says whether the prediction meets the SLO.
	Within bool
	// Times, MeasuredReplicas and PredictedReplicas are the ready replica
	// curves, every ReplicaCurveStep seconds.
	Times             []float64
	MeasuredReplicas  []float64
	PredictedReplicas []float64
	Seconds           float64
	Requests          int
	// Estimated is set when the service model was estimated from the run
	// rather than read from the scenario's simulator.
	Estimated bool
}

// VerifyInput is the service the advice is replayed against.
type VerifyInput struct {
	// Service is the simulator model of the service; its autoscaler is
	// replaced by the advice.
	Service sim.Config
	// Estimated says Service was estimated from the run (EstimateService).
	Estimated bool
	// Mix weights the request kinds as the run sent them.
	Mix []sim.KindWeight
	// Seed drives the replay's kind picks.
	Seed int64
}

// Verify replays the run's arrival curve (its target_rate signal, second
// by second) through the simulator under the advised configuration, in
// virtual time, and compares the prediction with what the run measured.
func Verify(r *report.Report, a *Advice, in VerifyInput) (*Verification, error) {
	run := newRun(r, Options{})
	n := int(math.Ceil(run.end))
	if n <= 0 {
		return nil, errors.New("verify: the report has no stages or rate signal to replay")
	}
	rates := make([]float64, n)
	for i := range rates {
		rates[i] = run.rate(float64(i))
	}
	res, err := sim.Replay(a.SimConfig(in.Service), sim.ReplayInput{
		Duration:      time.Duration(n) * time.Second,
		Rates:         rates,
		ClientTimeout: time.Duration(r.Target.Timeout * float64(time.Second)),
		Mix:           in.Mix,
		Seed:          in.Seed,
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	v := &Verification{SLOP95Ms: a.SLOP95Ms, SLOTimeoutRate: a.SLOTimeoutRate, Seconds: float64(n), Requests: res.Totals.Requests, Estimated: in.Estimated}
	peak := -1.0
	for _, s := range r.Stages {
		w := res.Window(s.StartSeconds, s.StartSeconds+s.DurationSeconds)
		measuredMax, _ := maxIn(run.ready, s.StartSeconds, s.StartSeconds+s.DurationSeconds)
		v.Stages = append(v.Stages, StageVerdict{
			Stage: s.Name, TargetRate: s.TargetRate,
			MeasuredP95Ms: s.LatencyMs.P95, PredictedP95Ms: w.ClientP95Ms,
			MeasuredTimeoutRate: s.TimeoutRate(), PredictedTimeouts: w.TimeoutRate,
			MeasuredMaxReplicas: measuredMax, PredictedMaxReplica: float64(w.MaxReady),
		})
		if s.TargetRate > peak {
			peak, v.Judged = s.TargetRate, s.Name
		}
	}
	if len(r.Compare) > 1 {
		if _, ok := r.Stage(r.Compare[1]); ok {
			v.Judged = r.Compare[1]
		}
	}
	for _, s := range v.Stages {
		if s.Stage == v.Judged {
			v.PredictedP95Ms, v.PredictedTimeoutRate = s.PredictedP95Ms, s.PredictedTimeouts
		}
	}
	v.Within = v.PredictedP95Ms <= v.SLOP95Ms && (v.SLOTimeoutRate <= 0 || v.PredictedTimeoutRate <= v.SLOTimeoutRate)
	for t := 0; t < n; t += ReplicaCurveStep {
		m, _ := run.ready.at(float64(t) + 0.5)
		v.Times = append(v.Times, float64(t))
		v.MeasuredReplicas = append(v.MeasuredReplicas, m)
		v.PredictedReplicas = append(v.PredictedReplicas, float64(res.Seconds[t].Ready))
	}
	return v, nil
}

// Write prints the comparison as a table, the replica curves and the
// verdict.
func (v *Verification) Write(w io.Writer) error {
	var b strings.Builder
	model := "the scenario's simulator"
	if v.Estimated {
		model = "a simulator model estimated from the run"
	}
	fmt.Fprintf(&b, "Replay of the run's arrival curve (%gs, %d requests) through %s under the advised ScaledObject, in virtual time:\n\n", v.Seconds, v.Requests, model)
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "Stage\tRate\tP95 measured\tP95 predicted\tTimeouts measured\tTimeouts predicted\tMax replicas measured\tMax replicas predicted")
	for _, s := range v.Stages {
		fmt.Fprintf(tw, "%s\t%s req/s\t%s ms\t%s ms\t%s\t%s\t%s\t%s\n", s.Stage, trimFloat(round(s.TargetRate, 1)),
			trimFloat(round(s.MeasuredP95Ms, 0)), trimFloat(round(s.PredictedP95Ms, 0)),
			pct(s.MeasuredTimeoutRate), pct(s.PredictedTimeouts),
			trimFloat(s.MeasuredMaxReplicas), trimFloat(s.PredictedMaxReplica))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "\nReady replicas every %ds (from t=0s):\n", ReplicaCurveStep)
	fmt.Fprintf(&b, "  measured   %s\n", joinCounts(v.MeasuredReplicas))
	fmt.Fprintf(&b, "  predicted  %s\n\n", joinCounts(v.PredictedReplicas))
	slo := fmt.Sprintf("P95 %s ms", trimFloat(v.SLOP95Ms))
	if v.SLOTimeoutRate > 0 {
		slo += ", timeouts " + pct(v.SLOTimeoutRate)
	}
	verdict := "within"
	if !v.Within {
		verdict = "NOT within"
	}
	fmt.Fprintf(&b, "Predicted during %q: P95 %s ms, timeouts %s: %s the SLO (%s).\n", v.Judged,
		trimFloat(round(v.PredictedP95Ms, 0)), pct(v.PredictedTimeoutRate), verdict, slo)
	_, err := io.WriteString(w, b.String())
	return err
}

func joinCounts(v []float64) string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = fmt.Sprintf("%3s", trimFloat(x))
	}
	return strings.Join(parts, " ")
}

// EstimateService builds a simulator model of a service that was not the
// simulator, from the run: the replicas it started with, and per replica
// slots and a service time that give the measured capacity, with the
// service time's mean and spread read from the least loaded stage (where
// requests hardly queue). coldStart is in seconds (0: the simulator's
// default).
func EstimateService(r *report.Report, c Capacity, coldStart float64) (sim.Config, error) {
	var base *report.Stats
	for i := range r.Stages {
		s := &r.Stages[i]
		if s.TargetRate > 0 && s.Successes > 0 && (base == nil || s.TargetRate < base.TargetRate) {
			base = s
		}
	}
	if base == nil || c.PerReplica <= 0 {
		return sim.Config{}, errors.New("estimate service: no stage with successful requests, or no capacity")
	}
	lat := base.ServiceLatencyMs
	if lat.Mean <= 0 {
		lat = base.LatencyMs
	}
	if lat.Mean <= 0 {
		return sim.Config{}, fmt.Errorf("estimate service: stage %q has no latency", base.Name)
	}
	slots := max(1, int(math.Round(c.PerReplica*lat.Mean/1000)))
	meanMs := 1000 * float64(slots) / c.PerReplica
	spread := math.Max(0, (lat.P95-lat.Mean)/1.645) * meanMs / lat.Mean
	replicas := max(1, int(r.Scaling.Replicas.Initial))
	cfg := sim.Config{
		Seed: 1, Replicas: replicas, SlotsPerReplica: slots,
		Prefill: units.Duration(time.Nanosecond), PerToken: units.Duration(time.Millisecond),
		Kinds: []sim.Kind{{Name: "request", Tokens: sim.Tokens{Mean: math.Max(1, meanMs), Stddev: spread}}},
	}
	if coldStart > 0 {
		cfg.ColdStart = units.Duration(time.Duration(coldStart * float64(time.Second)))
	}
	return cfg, nil
}
