package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/surge-sh/surge/pkg/report"
)

// signalPreference orders signals that crossed their thresholds within one
// sampling interval of each other, which the samples cannot order: the
// queue measures the excess demand itself (and is what a queue trigger
// scales on), GPU utilisation only says that there is one (a well-packed
// GPU runs at 90% too), server P95 moves once requests have waited.
var signalPreference = []string{signalQueueDepth, signalGPU, signalP95Latency, signalCPU}

var signalWords = map[string]string{
	signalQueueDepth: "queue depth",
	signalGPU:        "GPU utilisation",
	signalP95Latency: "server P95",
	signalCPU:        "CPU utilisation",
}

// crossing is when a signal crossed its threshold.
type crossing struct {
	signal    string
	at        float64
	found     bool
	threshold string
	interval  float64
}

func (a *run) findings(rc *report.Reaction) []report.Finding {
	var out []report.Finding
	if f, ok := a.cpuBlind(); ok {
		out = append(out, f)
	}
	if f, ok := a.leadingSignal(); ok {
		out = append(out, f)
	}
	out = append(out, a.slowScaleUps(rc)...)
	if f, ok := a.scaleLimit(); ok {
		out = append(out, f)
	}
	if f, ok := a.noActivity(); ok {
		out = append(out, f)
	}
	return out
}

// queueBaseline is the median queue depth over the first stage.
func (a *run) queueBaseline() float64 {
	if len(a.r.Stages) == 0 {
		return 0
	}
	s := a.r.Stages[0]
	var v []float64
	for _, p := range a.queue {
		if p[0] >= s.StartSeconds && p[0] < s.StartSeconds+s.DurationSeconds {
			v = append(v, p[1])
		}
	}
	return median(v)
}

// queueGrowth is the first sample above the baseline from which the queue
// rose over QueueGrowthSamples samples to QueueGrowthPerReplica requests
// per ready replica above it.
func (a *run) queueGrowth() crossing {
	base := a.queueBaseline()
	c := crossing{signal: signalQueueDepth, interval: a.queue.interval(),
		threshold: fmt.Sprintf("growing over %d samples to %g per ready replica above the baseline %g", QueueGrowthSamples, QueueGrowthPerReplica, base)}
	k := QueueGrowthSamples - 1
	for i := 0; i+k < len(a.queue); i++ {
		if a.queue[i][1] <= base {
			continue
		}
		ok := true
		for j := i + 1; j <= i+k; j++ {
			ok = ok && a.queue[j][1] > a.queue[j-1][1]
		}
		last := a.queue[i+k]
		n, _ := a.ready.at(last[0])
		if ok && last[1] >= base+QueueGrowthPerReplica*math.Max(n, 1) {
			c.at, c.found = a.queue[i][0], true
			return c
		}
	}
	return c
}

// sustainedAbove is the first sample of s at or above (or, with strict,
// above) limit whose next sample is too.
func sustainedAbove(s series, limit float64, strict bool) (float64, bool) {
	over := func(v float64) bool { return v > limit || !strict && v == limit }
	for i := range s {
		if over(s[i][1]) && (i+1 == len(s) || over(s[i+1][1])) {
			return s[i][0], true
		}
	}
	return 0, false
}

// crossings are the leading-signal candidates that the report can judge.
func (a *run) crossings() []crossing {
	var out []crossing
	if len(a.queue) > 0 {
		out = append(out, a.queueGrowth())
	}
	if len(a.gpu) > 0 {
		at, ok := sustainedAbove(a.gpu, GPUSaturated, false)
		out = append(out, crossing{signal: signalGPU, at: at, found: ok, interval: a.gpu.interval(), threshold: fmt.Sprintf(">= %g for two samples", GPUSaturated)})
	}
	if len(a.p95) > 0 && a.sloKnown && a.r.SLO.P95Ms > 0 {
		at, ok := sustainedAbove(a.p95, a.r.SLO.P95Ms, true)
		out = append(out, crossing{signal: signalP95Latency, at: at, found: ok, interval: a.p95.interval(), threshold: fmt.Sprintf("> SLO P95 %g ms for two samples", a.r.SLO.P95Ms)})
	}
	if len(a.cpu) > 0 && a.opts.HPATargetCPU > 0 {
		at, ok := sustainedAbove(a.cpu, a.opts.HPATargetCPU, false)
		out = append(out, crossing{signal: signalCPU, at: at, found: ok, interval: a.cpu.interval(), threshold: fmt.Sprintf(">= HPA target %g for two samples", a.opts.HPATargetCPU)})
	}
	return out
}

// clientBreach is the first second whose client P95 broke the SLO P95.
func (a *run) clientBreach() (float64, bool) {
	if !a.sloKnown || a.r.SLO.P95Ms <= 0 {
		return 0, false
	}
	best, found := 0, false
	for s := range a.clientP95 {
		if a.breaksP95(s) && (!found || s < best) {
			best, found = s, true
		}
	}
	return float64(best), found
}

func (a *run) leadingSignal() (report.Finding, bool) {
	breach, ok := a.clientBreach()
	if !ok {
		return report.Finding{}, false
	}
	cs := a.crossings()
	var earliest *crossing
	for i := range cs {
		if cs[i].found && (earliest == nil || cs[i].at < earliest.at) {
			earliest = &cs[i]
		}
	}
	if earliest == nil {
		return report.Finding{}, false
	}
	tied := func(c crossing) bool { return c.found && c.at <= earliest.at+math.Max(c.interval, earliest.interval) }
	if a.opts.ScalingSignals != nil {
		for _, c := range cs {
			if tied(c) && slices.Contains(a.opts.ScalingSignals, c.signal) {
				return report.Finding{}, false // the autoscaler watches a signal as early as any
			}
		}
	}
	lead := *earliest
	for _, name := range signalPreference {
		i := slices.IndexFunc(cs, func(c crossing) bool { return c.signal == name })
		if i >= 0 && tied(cs[i]) {
			lead = cs[i]
			break
		}
	}
	leadSeconds := breach - lead.at
	if leadSeconds <= 0 {
		return report.Finding{}, false
	}
	ev := map[string]any{
		"signal":            lead.signal,
		"crossedAtSeconds":  round(lead.at, 3),
		"threshold":         lead.threshold,
		"leadSeconds":       round(leadSeconds, 3),
		"clientP95BreachAt": breach,
		"sloP95Ms":          a.r.SLO.P95Ms,
	}
	var others []string
	for _, c := range cs {
		key := c.signal + "CrossedAtSeconds"
		if !c.found {
			ev[key] = "never"
			if c.signal != lead.signal {
				others = append(others, signalWords[c.signal]+" never")
			}
			continue
		}
		ev[key] = round(c.at, 3)
		if c.signal != lead.signal {
			others = append(others, fmt.Sprintf("%s at %s", signalWords[c.signal], fmtSeconds(c.at)))
		}
	}
	scaling := "the autoscaler's signals are unknown"
	if a.opts.ScalingSignals != nil {
		ev["scalingSignals"] = strings.Join(a.opts.ScalingSignals, ",")
		scaling = "the autoscaler scales on " + orNone(a.opts.ScalingSignals)
	}
	msg := fmt.Sprintf("%s crossed its threshold at %s, %s before client P95 broke the %g ms SLO at %s (%s); %s: scale on %s to act before users wait",
		upperFirst(signalWords[lead.signal]), fmtSeconds(lead.at), fmtDuration(leadSeconds), a.r.SLO.P95Ms, fmtSeconds(breach),
		strings.Join(others, ", "), scaling, signalWords[lead.signal])
	return report.Finding{ID: FindingLeadingSignal, Severity: severityWarning, Message: msg, Evidence: ev}, true
}

// saturation is the span of samples in which the GPU was saturated or the
// queue stood above its baseline, from the first onset on.
func (a *run) saturation() (from, to float64, ok bool) {
	from = math.Inf(1)
	if c := a.queueGrowth(); c.found {
		from = c.at
	}
	if at, found := sustainedAbove(a.gpu, GPUSaturated, false); found {
		from = math.Min(from, at)
	}
	if math.IsInf(from, 1) {
		return 0, 0, false
	}
	base := a.queueBaseline()
	to = from
	for _, p := range a.gpu {
		if p[0] >= from && p[1] >= GPUSaturated {
			to = math.Max(to, p[0])
		}
	}
	for _, p := range a.queue {
		if p[0] >= from && p[1] > base {
			to = math.Max(to, p[0])
		}
	}
	return from, to, true
}

func maxIn(s series, from, to float64) (float64, bool) {
	m, found := 0.0, false
	for _, p := range s {
		if p[0] >= from && p[0] <= to && (!found || p[1] > m) {
			m, found = p[1], true
		}
	}
	return m, found
}

func (a *run) cpuBlind() (report.Finding, bool) {
	target := a.opts.HPATargetCPU
	if target <= 0 || len(a.violated) == 0 {
		return report.Finding{}, false
	}
	from, to, ok := a.saturation()
	if !ok {
		return report.Finding{}, false
	}
	cpuMax, ok := maxIn(a.cpu, from, to)
	if !ok || cpuMax >= target {
		return report.Finding{}, false
	}
	ev := map[string]any{
		"cpuTarget":           target,
		"cpuMax":              round(cpuMax, 3),
		"saturatedFromSecond": round(from, 3),
		"saturatedToSecond":   round(to, 3),
		"sloViolationSeconds": float64(len(a.violated)),
	}
	var saw []string
	if g, ok := maxIn(a.gpu, from, to); ok {
		ev["gpuMax"] = round(g, 3)
		saw = append(saw, fmt.Sprintf("the GPU reached %s", pct(g)))
	}
	if q, ok := maxIn(a.queue, from, to); ok {
		base := a.queueBaseline()
		ev["queueMax"], ev["queueBaseline"] = q, base
		saw = append(saw, fmt.Sprintf("the queue grew from %g to %g", base, q))
	}
	if d, ok := maxIn(a.desired, from, to); ok {
		ev["desiredReplicasMax"] = d
	}
	msg := fmt.Sprintf("CPU peaked at %s, under the HPA's %s target, from %s to %s while %s; the SLO was broken for %s: a CPU-based autoscaler cannot see this saturation",
		pct(cpuMax), pct(target), fmtSeconds(from), fmtSeconds(to), strings.Join(saw, " and "), fmtDuration(float64(len(a.violated))))
	return report.Finding{ID: FindingCPUBlind, Severity: severityCritical, Message: msg, Evidence: ev}, true
}

func (a *run) slowScaleUps(rc *report.Reaction) []report.Finding {
	var out []report.Finding
	for i, st := range a.steps {
		sr := rc.Steps[i]
		if sr.DecisionSeconds == nil {
			continue
		}
		readyAt := st.until
		if sr.ReadySeconds != nil {
			readyAt = st.AtSeconds + *sr.ReadySeconds
		}
		broke, ok := a.firstViolation(st.AtSeconds, readyAt)
		if !ok {
			continue
		}
		ev := map[string]any{
			"stage":                          st.Stage,
			"stepAtSeconds":                  st.AtSeconds,
			"decisionSeconds":                *sr.DecisionSeconds,
			"sloBrokenAtSeconds":             broke,
			"sloViolationSecondsBeforeReady": float64(a.violatedIn(st.AtSeconds, readyAt)),
		}
		var msg string
		if sr.ReadySeconds == nil {
			ev["readySeconds"], ev["coldStartSeconds"] = "never", "never"
			msg = fmt.Sprintf("the autoscaler decided %s after the load step at %s, but no new replica became ready before %s; the SLO broke at %s",
				fmtDuration(*sr.DecisionSeconds), fmtSeconds(st.AtSeconds), fmtSeconds(st.until), fmtSeconds(broke))
		} else {
			cold := *sr.ReadySeconds - *sr.DecisionSeconds
			ev["readySeconds"], ev["coldStartSeconds"] = *sr.ReadySeconds, round(cold, 3)
			cause := "most of it was the decision: scale on a signal that leads the breach, or sync/poll more often"
			if cold > *sr.DecisionSeconds {
				cause = "most of it was the cold start: keep warm capacity (a higher minReplicaCount) or load the model faster"
			}
			ev["dominant"] = map[bool]string{true: "coldStart", false: "decision"}[cold > *sr.DecisionSeconds]
			msg = fmt.Sprintf("capacity arrived %s after the load step at %s: %s to decide, %s for the new replicas to become ready; the SLO broke at %s, %s before it: %s",
				fmtDuration(*sr.ReadySeconds), fmtSeconds(st.AtSeconds), fmtDuration(*sr.DecisionSeconds), fmtDuration(cold),
				fmtSeconds(broke), fmtDuration(readyAt-broke), cause)
		}
		out = append(out, report.Finding{ID: FindingSlowScaleUp, Severity: severityWarning, Message: msg, Evidence: ev})
	}
	return out
}

// peakRate is the highest target rate of the run.
func (a *run) peakRate() float64 {
	peak := 0.0
	for _, s := range a.r.Stages {
		_, _, p := a.stageRates(s)
		peak = math.Max(peak, p)
	}
	return peak
}

func (a *run) scaleLimit() (report.Finding, bool) {
	limit := float64(a.opts.MaxReplicas)
	count := a.desired
	if len(count) == 0 {
		count = a.ready
	}
	if limit <= 0 || len(count) == 0 || len(a.violated) == 0 {
		return report.Finding{}, false
	}
	first, n := 0.0, 0
	for s := 0; s < int(math.Ceil(a.end)); s++ {
		v, _ := count.at(float64(s) + 0.5)
		if v >= limit && a.violated[s] {
			if n == 0 {
				first = float64(s)
			}
			n++
		}
	}
	if n == 0 {
		return report.Finding{}, false
	}
	peak := a.peakRate()
	ev := map[string]any{
		"maxReplicas":              limit,
		"firstAtMaxSeconds":        first,
		"sloViolationSecondsAtMax": float64(n),
		"peakRate":                 peak,
	}
	msg := fmt.Sprintf("the replicas reached the autoscaler's maximum of %g at %s and the SLO stayed broken for %s there", limit, fmtSeconds(first), fmtDuration(float64(n)))
	if a.capErr == nil {
		need := ceilRatio(peak, a.capacity.PerReplica)
		ev["demandPeak"], ev["perReplicaCapacity"] = need, a.capacity.PerReplica
		if need > limit {
			msg += fmt.Sprintf(": the peak of %g req/s needs %g replicas at %g req/s each; raise the maximum", peak, need, round(a.capacity.PerReplica, 1))
		} else {
			msg += fmt.Sprintf(": the peak of %g req/s needs only %g replicas at %g req/s each, so the limit held the catch-up back", peak, need, round(a.capacity.PerReplica, 1))
		}
	}
	return report.Finding{ID: FindingScaleLimit, Severity: severityCritical, Message: msg, Evidence: ev}, true
}

func (a *run) noActivity() (report.Finding, bool) {
	if len(a.steps) == 0 || len(a.violated) == 0 || !a.replicasKnown {
		return report.Finding{}, false
	}
	if len(a.replicaChanges(math.Inf(-1), math.Inf(1))) > 0 {
		return report.Finding{}, false
	}
	for _, e := range a.r.Scaling.Events {
		if e.Kind == "event" && isRescaleEvent(e.Reason) {
			return report.Finding{}, false
		}
	}
	replicas, _ := a.ready.at(0)
	st := a.steps[0]
	peak := a.peakRate()
	ev := map[string]any{
		"replicas":            replicas,
		"stepStage":           st.Stage,
		"stepAtSeconds":       st.AtSeconds,
		"fromRate":            st.FromRate,
		"peakRate":            peak,
		"sloViolationSeconds": float64(len(a.violated)),
	}
	who := "the autoscaler"
	if a.opts.Autoscaler != "" {
		ev["autoscaler"] = a.opts.Autoscaler
		who = "the autoscaler (" + a.opts.Autoscaler + ")"
	}
	need := ""
	if a.capErr == nil {
		d := ceilRatio(peak, a.capacity.PerReplica)
		ev["demandPeak"], ev["perReplicaCapacity"] = d, a.capacity.PerReplica
		need = fmt.Sprintf(", which needs %g replicas at %g req/s each", d, round(a.capacity.PerReplica, 1))
	}
	msg := fmt.Sprintf("replicas stayed at %g for the whole run while the target rate rose from %g to %g req/s%s, and the SLO was broken for %s: %s never acted",
		replicas, st.FromRate, peak, need, fmtDuration(float64(len(a.violated))), who)
	return report.Finding{ID: FindingNoAutoscaler, Severity: severityCritical, Message: msg, Evidence: ev}, true
}

// fmtSeconds writes an instant of the run: "t=34s".
func fmtSeconds(t float64) string { return "t=" + trimFloat(round(t, 1)) + "s" }

// fmtDuration writes a length of time: "4s".
func fmtDuration(d float64) string { return trimFloat(round(d, 1)) + "s" }

func pct(r float64) string { return trimFloat(round(100*r, 1)) + "%" }

func trimFloat(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%.1f", v), ".0") }

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func orNone(v []string) string {
	if len(v) == 0 {
		return "nothing (no autoscaler)"
	}
	return strings.Join(v, " and ")
}
