package observe

import (
	"math"
	"sort"
	"strconv"

	"github.com/surge-sh/surge/pkg/report"
)

// Span is one stage of the run, in seconds since the run start.
type Span struct {
	Name       string
	Start, End float64
}

// Canonical signal names (docs/report.md); sources use them for the same meaning.
const (
	SignalCPU             = "cpu"
	SignalGPU             = "gpu"
	SignalQueueDepth      = "queue_depth"
	SignalP95Latency      = "p95_latency"
	SignalReplicas        = "replicas"
	SignalReplicasDesired = "replicas_desired"
	SignalReplicasSpec    = "replicas_spec"
)

// canonicalUnits gives the unit of every well-known signal, so that all
// sources agree whatever they read.
var canonicalUnits = map[string]string{
	SignalCPU:             "ratio",
	SignalGPU:             "ratio",
	SignalQueueDepth:      "requests",
	SignalP95Latency:      "ms",
	SignalReplicas:        "replicas",
	SignalReplicasDesired: "replicas",
	SignalReplicasSpec:    "replicas",
	"replicas_current":    "replicas",
	"replicas_updated":    "replicas",
}

// signalOrder is the order signals appear in the report: the headline ones
// first, the rest by name.
var signalOrder = []string{SignalCPU, SignalGPU, SignalQueueDepth, SignalP95Latency, SignalReplicas, SignalReplicasDesired, SignalReplicasSpec}

func unitOf(signal, fallback string) string {
	if u, ok := canonicalUnits[signal]; ok {
		return u
	}
	return fallback
}

// replicaKinds says which replica series turn into scaling events, and of
// which kind: a new desired count is a decision, a new spec an actuation, a
// new ready count the capacity arriving.
var replicaKinds = map[string]string{
	SignalReplicasDesired: "desired",
	SignalReplicasSpec:    "spec",
	SignalReplicas:        "ready",
}

// aggregate summarises points per stage. A point belongs to the stage whose
// [Start, End) holds it; the last stage also takes a point exactly at its
// end, where the final poll usually lands. Stages without points are left
// out rather than reported as zeros.
func aggregate(points []report.Point, stages []Span) map[string]report.Agg {
	out := make(map[string]report.Agg)
	for i, st := range stages {
		last := i == len(stages)-1
		var a report.Agg
		sum := 0.0
		for _, p := range points {
			t, v := p[0], p[1]
			if t < st.Start || t > st.End || t == st.End && !last {
				continue
			}
			if a.Samples == 0 {
				a.Min, a.Max = v, v
			}
			a.Min = math.Min(a.Min, v)
			a.Max = math.Max(a.Max, v)
			a.Last = v
			sum += v
			a.Samples++
		}
		if a.Samples > 0 {
			a.Avg = sum / float64(a.Samples)
			out[st.Name] = a
		}
	}
	return out
}

// changes turns a series into one event per change of value, at the time the
// new value was first seen.
func changes(points []report.Point, kind, source, what string) []report.ScaleEvent {
	var out []report.ScaleEvent
	for i := 1; i < len(points); i++ {
		from, to := points[i-1][1], points[i][1]
		if from == to {
			continue
		}
		out = append(out, report.ScaleEvent{
			Seconds: points[i][0], From: from, To: to, Kind: kind, Source: source,
			Reason: what + " " + formatCount(from) + " -> " + formatCount(to),
		})
	}
	return out
}

func formatCount(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return itoa(int64(v))
	}
	return ftoa(v)
}

// summarize reads the replica figures from the ready-replicas series.
func summarize(points []report.Point) report.ReplicaSummary {
	if len(points) == 0 {
		return report.ReplicaSummary{}
	}
	s := report.ReplicaSummary{Known: true, Initial: points[0][1], Final: points[len(points)-1][1], Min: points[0][1], Max: points[0][1]}
	for _, p := range points {
		s.Min = math.Min(s.Min, p[1])
		s.Max = math.Max(s.Max, p[1])
	}
	return s
}

// valueAt is the last value at or before t (the first value when t precedes
// the series), or false for an empty series.
func valueAt(points []report.Point, t float64) (float64, bool) {
	if len(points) == 0 {
		return 0, false
	}
	i := sort.Search(len(points), func(i int) bool { return points[i][0] > t })
	if i == 0 {
		return points[0][1], true
	}
	return points[i-1][1], true
}

// gapTracker turns a sequence of poll outcomes into gaps: a gap opens at the
// first failed poll and closes at the next successful one, or at the end of
// the run when the source never came back.
type gapTracker struct {
	gaps []report.Gap
	open *report.Gap
}

func (g *gapTracker) fail(t float64, err string) {
	if g.open == nil {
		g.open = &report.Gap{FromSeconds: t, ToSeconds: t, Error: err}
	}
	g.open.ToSeconds = t
}

func (g *gapTracker) ok(t float64) {
	if g.open != nil {
		g.open.ToSeconds = t
		g.gaps = append(g.gaps, *g.open)
		g.open = nil
	}
}

func (g *gapTracker) failing() bool { return g.open != nil }

// closed returns every gap, an open one ending at end.
func (g *gapTracker) closed(end float64) []report.Gap {
	out := append([]report.Gap(nil), g.gaps...)
	if g.open != nil {
		o := *g.open
		o.ToSeconds = math.Max(o.ToSeconds, end)
		out = append(out, o)
	}
	return out
}

// mergeGaps sorts gaps and joins overlapping ones, keeping the first error.
func mergeGaps(gs []report.Gap) []report.Gap {
	if len(gs) == 0 {
		return nil
	}
	gs = append([]report.Gap(nil), gs...)
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].FromSeconds < gs[j].FromSeconds })
	out := []report.Gap{gs[0]}
	for _, g := range gs[1:] {
		last := &out[len(out)-1]
		if g.FromSeconds <= last.ToSeconds {
			last.ToSeconds = math.Max(last.ToSeconds, g.ToSeconds)
			continue
		}
		out = append(out, g)
	}
	return out
}

// sortEvents orders the timeline by time; at the same second a decision
// comes before its actuation and readiness, and plain events keep the order
// they were seen in.
func sortEvents(evs []report.ScaleEvent) {
	rank := map[string]int{"desired": 0, "event": 1, "spec": 2, "ready": 3, "pod": 4}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].Seconds != evs[j].Seconds {
			return evs[i].Seconds < evs[j].Seconds
		}
		return rank[evs[i].Kind] < rank[evs[j].Kind]
	})
}

func itoa(v int64) string   { return strconv.FormatInt(v, 10) }
func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
