package report

import (
	"fmt"
	"strings"
	"time"
)

// VerdictLine sums the run up in one line: "FAIL — 1 of 3 assertions failed".
func VerdictLine(r *Report) string {
	failed := 0
	for _, a := range r.Assertions {
		if !a.Pass {
			failed++
		}
	}
	word := strings.ToUpper(string(r.Verdict))
	if word == "" {
		word = "UNKNOWN"
	}
	var why string
	switch {
	case r.Verdict == VerdictAborted && r.Abort != "":
		why = r.Abort
	case len(r.Assertions) == 0:
		why = "no assertions"
	case failed == 0:
		why = fmt.Sprintf("all %d assertions passed", len(r.Assertions))
	default:
		why = fmt.Sprintf("%d of %d assertions failed", failed, len(r.Assertions))
	}
	return word + " — " + why
}

// runDuration is the wall-clock length of the run.
func runDuration(r *Report) string {
	if r.StartedAt.IsZero() || r.EndedAt.Before(r.StartedAt) {
		return dash
	}
	return r.EndedAt.Sub(r.StartedAt).Round(time.Second).String()
}

// targetLine describes the attacked endpoint.
func targetLine(r *Report) string {
	t := r.Target
	parts := []string{}
	if t.Method != "" || t.URL != "" {
		parts = append(parts, strings.TrimSpace(t.Method+" "+t.URL))
	}
	if t.Sim != "" {
		parts = append(parts, "simulator, autoscaler "+t.Sim)
	}
	if t.Timeout > 0 {
		parts = append(parts, "timeout "+fmtSeconds(t.Timeout))
	}
	return strings.Join(parts, " · ")
}

// startedLine is the start time in UTC, or a dash.
func startedLine(r *Report) string {
	if r.StartedAt.IsZero() {
		return dash
	}
	return r.StartedAt.UTC().Format("2006-01-02 15:04:05 UTC")
}

// stageRow is the per-stage figures every renderer tabulates.
func stageRow(s Stats) []string {
	errs := fmtInt(s.Errors)
	if c := errorClasses(s.ErrorsByClass); c != "" && s.Errors > 0 {
		errs += " (" + c + ")"
	}
	l := s.LatencyMs
	return []string{
		s.Name, fmtRate(s.TargetRate), fmtRate(s.AchievedRate), fmtInt(s.Requests), fmtInt(s.Successes),
		fmtInt(s.Timeouts), errs, fmtInt(s.Delayed) + " / " + fmtInt(s.Unsent),
		fmtMs(l.P50), fmtMs(l.P90), fmtMs(l.P95), fmtMs(l.P99), fmtMs(l.Max),
	}
}

// stageHeader names stageRow's columns.
var stageHeader = []string{"Stage", "Target", "Achieved", "Requests", "OK", "Timeouts", "Errors", "Delayed / unsent", "p50", "p90", "p95", "p99", "max"}

// eventRow is one scaling event: time, change, kind, source, reason.
func eventRow(e ScaleEvent) []string {
	change := fmtCount(e.From) + " → " + fmtCount(e.To)
	if e.From == e.To {
		change = fmtCount(e.To)
	}
	kind := e.Kind
	if kind == "" {
		kind = "event"
	}
	return []string{fmtClock(e.Seconds), change, kind, e.Source, e.Reason}
}

var eventHeader = []string{"Time", "Replicas", "Kind", "Source", "Reason"}

// reactionRow is one load step's reaction figures.
func reactionRow(s StepReaction) []string {
	return []string{
		s.Stage, fmtClock(s.AtSeconds), fmtRate(s.FromRate) + " → " + fmtRate(s.ToRate),
		fmtOptSeconds(s.DecisionSeconds), fmtOptSeconds(s.ActuationSeconds),
		fmtOptSeconds(s.ReadySeconds), fmtOptSeconds(s.StableSeconds),
	}
}

var reactionHeader = []string{"Step", "At", "Rate", "First decision", "Actuated", "Ready", "Stable"}

// assertionRow is one assertion: result, expression, observed, threshold.
func assertionRow(a Assertion) []string {
	res := "PASS"
	if !a.Pass {
		res = "FAIL"
	}
	return []string{res, a.Expr, fmtObserved(a.Observed, a.Unit), fmtObserved(a.Threshold, a.Unit)}
}

var assertionHeader = []string{"Result", "Assertion", "Observed", "Threshold"}

// replicaLine sums up the replica count over the run.
func replicaLine(s ReplicaSummary) string {
	if !s.Known {
		return "replicas not observed"
	}
	return fmt.Sprintf("replicas %s → %s (min %s, max %s)", fmtCount(s.Initial), fmtCount(s.Final), fmtCount(s.Min), fmtCount(s.Max))
}

// evidenceText writes a finding's evidence in key order: "a=1, b=x".
func evidenceText(m map[string]any) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch x := v.(type) {
		case float64:
			v = FormatNumber(x, 4)
		}
		parts = append(parts, fmt.Sprintf("%s=%v", k, v))
	}
	return strings.Join(parts, ", ")
}

// headlineHeader is the headline table's header row.
func headlineHeader(t Table, notes bool) []string {
	h := append([]string{"Metric"}, t.Columns...)
	if notes {
		h = append(h, "Note")
	}
	return h
}

// headlineCells is one headline row's cells.
func headlineCells(row Row, notes bool) []string {
	out := []string{row.Metric}
	for _, c := range row.Cells {
		out = append(out, c.Text)
	}
	if notes {
		out = append(out, row.Note)
	}
	return out
}

// reactionSummary writes the run-wide reaction figures.
func reactionSummary(re *Reaction) string {
	parts := []string{
		"replica-seconds " + FormatNumber(re.ReplicaSeconds, 0),
		"SLO violated for " + fmtSeconds(re.SLOViolationSeconds),
		"under-provisioned " + fmtRatio(re.UnderProvisionTimeshare) + " of the time",
		"over-provisioned " + fmtRatio(re.OverProvisionTimeshare) + " of the time",
	}
	if re.PerReplicaCapacity > 0 {
		parts = append(parts, "capacity "+fmtRate(re.PerReplicaCapacity)+" per replica")
	}
	return strings.Join(parts, " · ")
}
