package analysis

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/surge-sh/surge/pkg/report"
)

// Step kinds, as StepReaction.Kind names them.
const (
	StepBoundary = "boundary"
	StepRamp     = "ramp"
)

// run is one report being analysed, with its series read once.
type run struct {
	r    *report.Report
	opts Options
	end  float64

	target, achieved                 series
	clientP95, timeoutRate           map[int]float64
	cpu, gpu, queue, p95             series
	ready, desired, spec             series
	capacity                         Capacity
	capErr                           error
	violated                         map[int]bool
	notes                            []string
	steps                            []step
	sloKnown, replicasKnown, simMode bool
}

// step is one load step and the window its reaction is looked for in.
type step struct {
	report.StepReaction
	// from is where the search for a reaction starts: the boundary, or
	// the ramp's start (a decision during the ramp counts from there).
	from float64
	// until is the next step, else the run end: a reaction after it
	// belongs to the next step.
	until float64
	// holdEnd is where the load stopped being the step's: the next step,
	// the next drop of the rate by StepRise, or the run end.
	holdEnd float64
}

func newRun(r *report.Report, opts Options) *run {
	a := &run{
		r: r, opts: opts,
		target:      signalSeries(r, signalTargetRate),
		achieved:    signalSeries(r, signalAchievedRate),
		clientP95:   signalSeries(r, signalClientP95).perSecond(),
		timeoutRate: signalSeries(r, signalTimeoutRate).perSecond(),
		cpu:         signalSeries(r, signalCPU),
		gpu:         signalSeries(r, signalGPU),
		queue:       signalSeries(r, signalQueueDepth),
		p95:         signalSeries(r, signalP95Latency),
		ready:       signalSeries(r, signalReplicas),
		desired:     signalSeries(r, signalReplicasDesired),
		spec:        signalSeries(r, signalReplicasSpec),
		simMode:     r.Target.Sim != "",
	}
	a.end = runEnd(r)
	a.replicasKnown = len(a.ready) > 0
	a.capacity, a.capErr = MeasureCapacity(r)
	a.sloKnown = r.SLO != nil && (r.SLO.P95Ms > 0 || r.SLO.TimeoutRate > 0)
	a.violated = map[int]bool{}
	if a.sloKnown {
		for s := 0; s < int(math.Ceil(a.end)); s++ {
			if a.breaksP95(s) || a.breaksTimeouts(s) {
				a.violated[s] = true
			}
		}
	}
	a.steps = a.findSteps()
	return a
}

// runEnd is the end of the last stage, else of the client series.
func runEnd(r *report.Report) float64 {
	end := 0.0
	for _, s := range r.Stages {
		end = math.Max(end, s.StartSeconds+s.DurationSeconds)
	}
	if end > 0 {
		return end
	}
	for _, name := range []string{signalTargetRate, signalAchievedRate} {
		if s := r.Signal(name); s != nil && len(s.Points) > 0 {
			end = math.Max(end, s.Points[len(s.Points)-1][0]+1)
		}
	}
	return end
}

func (a *run) breaksP95(s int) bool {
	v, ok := a.clientP95[s]
	return ok && a.r.SLO.P95Ms > 0 && v > a.r.SLO.P95Ms
}

func (a *run) breaksTimeouts(s int) bool {
	v, ok := a.timeoutRate[s]
	return ok && a.r.SLO.TimeoutRate > 0 && v > a.r.SLO.TimeoutRate
}

// violatedIn counts the SLO-violation seconds in [from, to).
func (a *run) violatedIn(from, to float64) int {
	n := 0
	for s := range a.violated {
		if float64(s) >= from && float64(s) < to {
			n++
		}
	}
	return n
}

// firstViolation is the first SLO-violation second at or after from.
func (a *run) firstViolation(from, to float64) (float64, bool) {
	best, found := 0, false
	for s := range a.violated {
		if float64(s) >= from && float64(s) < to && (!found || s < best) {
			best, found = s, true
		}
	}
	return float64(best), found
}

// rate is the target arrival rate at t: the target_rate signal, else the
// rate of the stage holding t read from its shape.
func (a *run) rate(t float64) float64 {
	if v, ok := a.target.at(t); ok {
		return v
	}
	for _, s := range a.r.Stages {
		if t >= s.StartSeconds && t < s.StartSeconds+s.DurationSeconds {
			lo, hi := shapeRates(s)
			if s.DurationSeconds <= 0 {
				return hi
			}
			return lo + (hi-lo)*(t-s.StartSeconds)/s.DurationSeconds
		}
	}
	return 0
}

var shapeRE = regexp.MustCompile(`^(?:step\s+)?([0-9.]+)\s*\.\.\s*([0-9.]+)`)

// shapeRates reads a stage's first and last rate from its shape ("50",
// "50..400", "step 50..400/4"), falling back to the mean rate.
func shapeRates(s report.Stats) (float64, float64) {
	shape := strings.TrimSpace(s.RateShape)
	if m := shapeRE.FindStringSubmatch(shape); m != nil {
		lo, err1 := strconv.ParseFloat(m[1], 64)
		hi, err2 := strconv.ParseFloat(m[2], 64)
		if err1 == nil && err2 == nil {
			return lo, hi
		}
	}
	if v, err := strconv.ParseFloat(shape, 64); err == nil {
		return v, v
	}
	return s.TargetRate, s.TargetRate
}

// stageRates returns the rate at a stage's first second, at its last
// second, and its highest rate.
func (a *run) stageRates(s report.Stats) (first, last, peak float64) {
	start, end := s.StartSeconds, s.StartSeconds+s.DurationSeconds
	if len(a.target) == 0 {
		lo, hi := shapeRates(s)
		return lo, hi, math.Max(lo, hi)
	}
	first = a.rate(start)
	last = a.rate(math.Max(start, end-1))
	peak = first
	for _, p := range a.target {
		if p[0] >= start && p[0] < end {
			peak = math.Max(peak, p[1])
		}
	}
	return first, last, peak
}

// rises tells whether to is a rise of StepRise or more over from.
func rises(from, to float64) bool {
	if to <= 0 {
		return false
	}
	return from <= 0 || to >= from*(1+StepRise)
}

// findSteps finds the load steps: a stage whose first rate rose by
// StepRise over the previous stage's last rate (a boundary step at the
// stage start), else a stage whose rate rose by StepRise within it (a ramp
// step, at the first second its rate exceeded the capacity of the replicas
// ready at its start, or at its start when that capacity is unknown or
// never exceeded). A stage makes at most one step.
func (a *run) findSteps() []step {
	var out []step
	prevLast := 0.0
	for i, s := range a.r.Stages {
		first, last, peak := a.stageRates(s)
		start := s.StartSeconds
		var st *step
		switch {
		case i > 0 && rises(prevLast, first):
			st = &step{StepReaction: report.StepReaction{Stage: s.Name, Kind: StepBoundary, AtSeconds: start, FromRate: prevLast, ToRate: peak}, from: start}
		case rises(first, peak):
			at := a.rampCrossing(s)
			st = &step{StepReaction: report.StepReaction{Stage: s.Name, Kind: StepRamp, AtSeconds: at, FromRate: first, ToRate: peak}, from: start}
		}
		if st != nil {
			st.FromRate, st.ToRate = round(st.FromRate, 3), round(st.ToRate, 3)
			out = append(out, *st)
		}
		prevLast = last
	}
	for i := range out {
		out[i].until = a.end
		if i+1 < len(out) {
			out[i].until = out[i+1].from
		}
		out[i].holdEnd = a.holdEnd(out[i])
	}
	return out
}

// rampCrossing is the first second of a ramp stage at which the target
// rate exceeded the capacity of the replicas ready at the stage's start.
func (a *run) rampCrossing(s report.Stats) float64 {
	start, end := s.StartSeconds, s.StartSeconds+s.DurationSeconds
	r0, ok := a.ready.at(start)
	if a.capErr != nil || !ok || r0 <= 0 || len(a.target) == 0 {
		return start
	}
	limit := a.capacity.PerReplica * r0
	for _, p := range a.target {
		if p[0] >= start && p[0] < end && p[1] > limit {
			return p[0]
		}
	}
	return start
}

// holdEnd is where the step's load ended: the next step, the first later
// stage boundary at which the rate dropped by StepRise, or the run end.
func (a *run) holdEnd(st step) float64 {
	end := st.until
	prevLast := -1.0
	for _, s := range a.r.Stages {
		first, last, _ := a.stageRates(s)
		if s.StartSeconds > st.AtSeconds && prevLast > 0 && rises(first, prevLast) && s.StartSeconds < end {
			return s.StartSeconds
		}
		prevLast = last
	}
	return end
}

// firstIncrease is the first time in [from, to) at which the series rose
// or an event of the kind (for decisions, also an autoscaler's rescale
// event) raised the replica count.
func (a *run) firstIncrease(kind string, s series, from, to float64) (float64, bool) {
	best, found := 0.0, false
	take := func(t float64) {
		if t >= from && t < to && (!found || t < best) {
			best, found = t, true
		}
	}
	for _, t := range s.rises(from, to) {
		take(t)
	}
	for _, e := range a.r.Scaling.Events {
		if e.To <= e.From {
			continue
		}
		switch {
		case e.Kind == kind:
			take(e.Seconds)
		case kind == "desired" && e.Kind == "event" && isRescaleEvent(e.Reason):
			take(e.Seconds)
		}
	}
	return best, found
}

// isRescaleEvent tells whether an autoscaler event records a scale
// decision: the HPA's SuccessfulRescale, KEDA's activation.
func isRescaleEvent(reason string) bool {
	return strings.HasPrefix(reason, "SuccessfulRescale") || strings.HasPrefix(reason, "KEDAScaleTargetActivated")
}

// hasSpec tells whether the report observed the Deployment's spec.
func (a *run) hasSpec() bool {
	if len(a.spec) > 0 {
		return true
	}
	for _, e := range a.r.Scaling.Events {
		if e.Kind == "spec" {
			return true
		}
	}
	return false
}

// replicaChanges are the times in [from, to) at which the ready or
// desired count (or the spec) changed.
func (a *run) replicaChanges(from, to float64) []float64 {
	var out []float64
	out = append(out, a.ready.changes(from, to)...)
	out = append(out, a.desired.changes(from, to)...)
	out = append(out, a.spec.changes(from, to)...)
	for _, e := range a.r.Scaling.Events {
		if (e.Kind == "ready" || e.Kind == "desired" || e.Kind == "spec") && e.Seconds >= from && e.Seconds < to && e.To != e.From {
			out = append(out, e.Seconds)
		}
	}
	return out
}

func (a *run) stepFigures(st step) report.StepReaction {
	sr := st.StepReaction
	since := func(t float64) *float64 { return ptr(round(math.Max(0, t-st.AtSeconds), 3)) }
	dec, decOK := a.firstIncrease("desired", a.desired, st.from, st.until)
	if decOK {
		sr.DecisionSeconds = since(dec)
	}
	switch act, ok := a.firstIncrease("spec", a.spec, st.from, st.until); {
	case ok:
		sr.ActuationSeconds = since(act)
	case decOK && !a.hasSpec() && a.simMode:
		// The simulator's desired count is its Deployment's spec.replicas.
		sr.ActuationSeconds = since(dec)
	}
	rdy, ok := a.firstIncrease("ready", a.ready, st.from, st.until)
	if !ok {
		return sr
	}
	sr.ReadySeconds = since(rdy)
	last := rdy
	for _, t := range a.replicaChanges(st.from, st.holdEnd) {
		last = math.Max(last, t)
	}
	probe := st.holdEnd - 1e-9
	ready, _ := a.ready.at(probe)
	if want, ok := a.desired.at(probe); ok && want != ready {
		return sr // still scaling when the load changed
	}
	sr.StableSeconds = since(last)
	return sr
}

// reaction computes the reaction figures.
func (a *run) reaction() *report.Reaction {
	rc := &report.Reaction{Steps: []report.StepReaction{}}
	for _, st := range a.steps {
		rc.Steps = append(rc.Steps, a.stepFigures(st))
	}
	if len(a.steps) == 0 {
		a.note("no load step: no stage raised the target rate by %g%% or more", 100*StepRise)
	}
	if a.replicasKnown {
		rc.ReplicaSeconds = round(a.ready.integral(0, a.end), 3)
	} else {
		a.note("no ready-replica signal: replica-seconds, reaction times and elasticity are not derived")
	}
	if a.sloKnown {
		rc.SLOViolationSeconds = float64(len(a.violated))
	} else {
		a.note("the report has no SLO: SLO-violation seconds and the findings that need the SLO are not derived")
	}
	if a.capErr != nil {
		a.note("%v: demand, elasticity metrics and ramp step instants are not derived", a.capErr)
	} else {
		rc.PerReplicaCapacity = a.capacity.PerReplica
		rc.CapacityMethod = a.capacity.Method
		if a.replicasKnown {
			a.elasticity(rc)
		}
	}
	rc.Notes = a.notes
	return rc
}

// elasticity fills the SPEC RG provisioning accuracy and timeshare, over
// each second of the run, with demand d = ceil(rate / capacity) and supply
// s = ready replicas at the middle of the second.
func (a *run) elasticity(rc *report.Reaction) {
	n := int(math.Ceil(a.end))
	if n == 0 {
		return
	}
	var under, over, underT, overT float64
	for i := range n {
		d := ceilRatio(a.rate(float64(i)), a.capacity.PerReplica)
		s, _ := a.ready.at(float64(i) + 0.5)
		norm := math.Max(d, 1)
		switch {
		case d > s:
			under += (d - s) / norm
			underT++
		case s > d:
			over += (s - d) / norm
			overT++
		}
	}
	T := float64(n)
	rc.UnderProvisionAccuracy = round(under/T, 4)
	rc.OverProvisionAccuracy = round(over/T, 4)
	rc.UnderProvisionTimeshare = round(underT/T, 4)
	rc.OverProvisionTimeshare = round(overT/T, 4)
}

func (a *run) note(format string, args ...any) {
	a.notes = append(a.notes, fmt.Sprintf(format, args...))
}
