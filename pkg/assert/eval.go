package assert

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/surge-sh/surge/pkg/report"
)

// Evaluate judges every spec against the report r. Relative criteria
// (`vs baseline`, `baseline + x`) read the same figure from baseline. A
// figure missing from a report fails its assertion with a message naming
// what is missing: an assertion never passes for want of data. The error
// is for invalid input only: a spec that does not parse, or a baseline
// criterion with no baseline report; then no assertion is returned.
func Evaluate(specs []Spec, r *report.Report, baseline *report.Report) ([]report.Assertion, error) {
	exprs := make([]*Expr, len(specs))
	var errs []error
	for i, s := range specs {
		e, err := Parse(s.Expr)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("assert[%d] %w", i, err))
		case e.NeedsBaseline() && baseline == nil:
			errs = append(errs, fmt.Errorf("assert[%d] %q: a baseline criterion needs a baseline report", i, s.Expr))
		}
		exprs[i] = e
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	out := make([]report.Assertion, len(specs))
	for i, e := range exprs {
		out[i] = judge(e, r, baseline)
		out[i].Expr = specs[i].Expr
	}
	return out, nil
}

// value is a measured figure in its own unit.
type value struct {
	v    float64
	dim  dim
	unit string // the label of a dimPlain figure
}

// display converts a figure-unit number into what report.Assertion
// carries: durations in "ms" or "s", every ratio and percentage as a
// "ratio" fraction (as the renderers expect), the rest in its own unit.
func (m value) display(v float64) (float64, string) {
	switch m.dim {
	case dimMs:
		return v, "ms"
	case dimSeconds:
		return v, "s"
	case dimRatio:
		return v, "ratio"
	case dimPercent:
		return v / 100, "ratio"
	}
	return v, m.unit
}

// text writes a figure-unit number for a message, ratios as percentages.
func (m value) text(v float64) string {
	d, u := m.display(v)
	if u == "ratio" {
		d, u = d*100, "%"
	}
	s := formatShort(d)
	switch u {
	case "", "ms", "s", "%":
		return s + u
	}
	return s + " " + u
}

// formatShort prints at most three decimals, without trailing zeros.
func formatShort(v float64) string {
	s := strconv.FormatFloat(v, 'f', 3, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// judge evaluates one parsed expression.
func judge(e *Expr, r, baseline *report.Report) report.Assertion {
	a := report.Assertion{Stage: e.Stage}
	obs, missing := measure(e, r, "report")
	if missing != "" {
		a.Message = "no value: " + missing
		return a
	}
	a.Observed, a.Unit = obs.display(obs.v)
	var (
		thr    float64
		detail string
	)
	switch e.Bound.Kind {
	case Absolute:
		t, err := convert(e.Bound.Q, obs.dim, e.Figure.Name)
		if err != nil {
			a.Message = "invalid bound: " + err.Error()
			return a
		}
		thr = t
	case BaselineDelta, BaselineRelative:
		base, missing := measure(e, baseline, "baseline report")
		if missing != "" {
			a.Message = fmt.Sprintf("observed %s; no baseline value: %s", obs.text(obs.v), missing)
			return a
		}
		if base.dim != obs.dim {
			a.Message = fmt.Sprintf("observed %s; the baseline's %s is in another unit (%s)", obs.text(obs.v), e.Figure.Name, base.text(base.v))
			return a
		}
		detail = ", baseline " + obs.text(base.v)
		if base.v != 0 {
			detail += fmt.Sprintf(" (%+.1f%%)", (obs.v-base.v)/math.Abs(base.v)*100)
		}
		if e.Bound.Kind == BaselineRelative {
			thr = base.v * (1 + e.Bound.Q.Value/100)
			break
		}
		delta, err := convert(e.Bound.Q, obs.dim, e.Figure.Name)
		if err != nil {
			a.Message = "invalid bound: " + err.Error()
			return a
		}
		thr = base.v + delta
	}
	a.Threshold, _ = obs.display(thr)
	if math.IsInf(a.Threshold, 0) || math.IsNaN(a.Threshold) {
		// Report JSON cannot carry an infinite threshold.
		a.Threshold = 0
		a.Message = fmt.Sprintf("invalid bound: %s is out of range", e.Bound)
		return a
	}
	a.Pass = e.Op.Holds(obs.v, thr)
	a.Message = fmt.Sprintf("observed %s%s, want %s %s", obs.text(obs.v), detail, e.Op, e.Bound)
	if e.Bound.Kind != Absolute {
		a.Message += fmt.Sprintf(" (%s %s)", e.Op, obs.text(thr))
	}
	return a
}

// measure reads the expression's figure from r, or says what is missing.
func measure(e *Expr, r *report.Report, what string) (value, string) {
	in := ""
	if e.Stage != "" {
		in = fmt.Sprintf(" during stage %q", e.Stage)
	}
	switch e.Figure.Class {
	case ClassClient:
		st := r.Totals
		if e.Stage != "" {
			var ok bool
			if st, ok = r.Stage(e.Stage); !ok {
				return value{}, fmt.Sprintf("stage %q is not in the %s (stages: %s)", e.Stage, what, stageNames(r))
			}
		}
		v, ok := clientFigure(st, e.Figure.Field)
		if !ok {
			if e.Figure.Field == "achieved_ratio" {
				return value{}, "the target rate is 0" + in
			}
			return value{}, "no requests were sent" + in
		}
		info := figures[e.Figure.Name]
		return value{v: v, dim: info.dim, unit: info.unit}, ""
	case ClassSignal:
		sig := r.Signal(e.Figure.Signal)
		if sig == nil {
			return value{}, fmt.Sprintf("signal %q is not in the %s (signals: %s)", e.Figure.Signal, what, signalNames(r))
		}
		agg, missing := signalAgg(r, sig, e.Stage, what)
		if missing != "" {
			return value{}, missing
		}
		v := map[string]float64{"min": agg.min, "avg": agg.avg, "max": agg.max, "last": agg.last}[e.Figure.Field]
		return value{v: v, dim: signalDim(sig.Unit), unit: sig.Unit}, ""
	case ClassReplicas:
		return replicasFigure(r, e, what)
	case ClassReaction:
		return reactionFigure(r, e, what)
	}
	return value{}, "unknown figure " + e.Figure.Name
}

// clientFigure reads a client figure from stats; false when the stats
// cannot give it (no requests, or no target rate).
func clientFigure(st report.Stats, field string) (float64, bool) {
	switch field {
	case "achieved_rate":
		return st.AchievedRate, true
	case "target_rate":
		return st.TargetRate, true
	case "requests":
		return float64(st.Requests), true
	case "successes":
		return float64(st.Successes), true
	case "timeouts":
		return float64(st.Timeouts), true
	case "errors":
		return float64(st.Errors), true
	case "delayed":
		return float64(st.Delayed), true
	case "unsent":
		return float64(st.Unsent), true
	case "achieved_ratio":
		if st.TargetRate <= 0 {
			return 0, false
		}
		return st.AchievedRate / st.TargetRate, true
	}
	// Latencies and failure rates of nothing are not zero: they are unknown.
	if st.Requests == 0 {
		return 0, false
	}
	switch field {
	case "timeout_rate":
		return st.TimeoutRate(), true
	case "error_rate":
		return st.ErrorRate(), true
	}
	l := st.LatencyMs
	if f, ok := strings.CutPrefix(field, "service_"); ok {
		field, l = f, st.ServiceLatencyMs
	}
	switch field {
	case "p50":
		return l.P50, true
	case "p90":
		return l.P90, true
	case "p95":
		return l.P95, true
	case "p99":
		return l.P99, true
	case "max":
		return l.Max, true
	case "mean":
		return l.Mean, true
	case "min":
		return l.Min, true
	}
	return 0, false
}

// agg summarises signal points.
type agg struct {
	min, avg, max, first, last float64
	n                          int
}

func aggPoints(pts []report.Point) (agg, bool) {
	if len(pts) == 0 {
		return agg{}, false
	}
	a := agg{min: pts[0][1], max: pts[0][1], first: pts[0][1], last: pts[len(pts)-1][1], n: len(pts)}
	sum := 0.0
	for _, p := range pts {
		a.min = math.Min(a.min, p[1])
		a.max = math.Max(a.max, p[1])
		sum += p[1]
	}
	a.avg = sum / float64(len(pts))
	return a, true
}

// stagePoints returns the points inside the named stage's time span.
func stagePoints(r *report.Report, sig *report.Signal, stage string) ([]report.Point, bool) {
	st, ok := r.Stage(stage)
	if !ok {
		return nil, false
	}
	from, to := st.StartSeconds, st.StartSeconds+st.DurationSeconds
	var pts []report.Point
	for _, p := range sig.Points {
		if p[0] >= from && p[0] < to {
			pts = append(pts, p)
		}
	}
	return pts, true
}

// signalAgg aggregates a signal over a stage or the whole run. The
// report's own per-stage figures are preferred so that an assertion agrees
// with the table people read; the points fill in where they are absent.
func signalAgg(r *report.Report, sig *report.Signal, stage, what string) (agg, string) {
	if stage != "" {
		if a, ok := sig.ByStage[stage]; ok && a.Samples > 0 {
			return agg{min: a.Min, avg: a.Avg, max: a.Max, last: a.Last, n: a.Samples}, ""
		}
		pts, ok := stagePoints(r, sig, stage)
		if !ok {
			return agg{}, fmt.Sprintf("stage %q is not in the %s (stages: %s)", stage, what, stageNames(r))
		}
		if a, ok := aggPoints(pts); ok {
			return a, ""
		}
		return agg{}, fmt.Sprintf("signal %q has no samples during stage %q in the %s", sig.Name, stage, what)
	}
	if a, ok := aggPoints(sig.Points); ok {
		return a, ""
	}
	// No points kept: merge the per-stage summaries in stage order.
	var m agg
	sum := 0.0
	for _, st := range r.Stages {
		a, ok := sig.ByStage[st.Name]
		if !ok || a.Samples == 0 {
			continue
		}
		if m.n == 0 {
			m = agg{min: a.Min, max: a.Max, first: a.Min}
		}
		m.min, m.max, m.last = math.Min(m.min, a.Min), math.Max(m.max, a.Max), a.Last
		sum += a.Avg * float64(a.Samples)
		m.n += a.Samples
	}
	if m.n == 0 {
		return agg{}, fmt.Sprintf("signal %q has no samples in the %s", sig.Name, what)
	}
	m.avg = sum / float64(m.n)
	return m, ""
}

func replicasFigure(r *report.Report, e *Expr, what string) (value, string) {
	out := func(v float64) (value, string) { return value{v: v, dim: dimPlain, unit: "replicas"}, "" }
	rs := r.Scaling.Replicas
	if e.Stage == "" && rs.Known {
		return out(map[string]float64{"initial": rs.Initial, "min": rs.Min, "max": rs.Max, "final": rs.Final}[e.Figure.Field])
	}
	sig := r.Signal("replicas")
	if sig == nil {
		return value{}, "the replica count is unknown (no source reported replicas in the " + what + ")"
	}
	pts := sig.Points
	if e.Stage != "" {
		var ok bool
		if pts, ok = stagePoints(r, sig, e.Stage); !ok {
			return value{}, fmt.Sprintf("stage %q is not in the %s (stages: %s)", e.Stage, what, stageNames(r))
		}
	}
	a, ok := aggPoints(pts)
	if !ok {
		if e.Stage != "" {
			return value{}, fmt.Sprintf("no replica samples during stage %q in the %s", e.Stage, what)
		}
		return value{}, "no replica samples in the " + what
	}
	return out(map[string]float64{"initial": a.first, "min": a.min, "max": a.max, "final": a.last}[e.Figure.Field])
}

var reactionWhat = map[string]string{
	"decision":  "a scale decision",
	"actuation": "a replica change",
	"ready":     "ready replicas",
	"stable":    "a stable state",
}

func reactionFigure(r *report.Report, e *Expr, what string) (value, string) {
	info := figures[e.Figure.Name]
	rc := r.Scaling.Reaction
	if rc == nil {
		return value{}, "the " + what + " has no reaction figures (no load step, or no autoscaler observed)"
	}
	out := func(v float64) (value, string) { return value{v: v, dim: info.dim, unit: info.unit}, "" }
	switch e.Figure.Field {
	case "slo_violation":
		return out(rc.SLOViolationSeconds)
	case "replica_seconds":
		return out(rc.ReplicaSeconds)
	case "under_accuracy":
		return out(rc.UnderProvisionAccuracy)
	case "over_accuracy":
		return out(rc.OverProvisionAccuracy)
	case "under_timeshare":
		return out(rc.UnderProvisionTimeshare)
	case "over_timeshare":
		return out(rc.OverProvisionTimeshare)
	}
	// Step figures: the slowest step judges, and a step that never got
	// there fails, since the autoscaler did not react in time.
	found, worst := false, 0.0
	for _, s := range rc.Steps {
		if e.Stage != "" && s.Stage != e.Stage {
			continue
		}
		p := map[string]*float64{"decision": s.DecisionSeconds, "actuation": s.ActuationSeconds, "ready": s.ReadySeconds, "stable": s.StableSeconds}[e.Figure.Field]
		if p == nil {
			return value{}, fmt.Sprintf("the load step at %ss (stage %q) never reached %s in the %s", formatShort(s.AtSeconds), s.Stage, reactionWhat[e.Figure.Field], what)
		}
		if !found || *p > worst {
			worst = *p
		}
		found = true
	}
	if !found {
		if e.Stage != "" {
			return value{}, fmt.Sprintf("no load step during stage %q in the %s", e.Stage, what)
		}
		return value{}, "no load step in the " + what
	}
	return out(worst)
}

func stageNames(r *report.Report) string {
	if len(r.Stages) == 0 {
		return "none"
	}
	names := make([]string, len(r.Stages))
	for i, s := range r.Stages {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

func signalNames(r *report.Report) string {
	if len(r.Signals) == 0 {
		return "none"
	}
	names := make([]string, len(r.Signals))
	for i, s := range r.Signals {
		names[i] = s.Name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
