package observe

import (
	"math"

	"github.com/surge-sh/surge/pkg/report"
)

// Result assembles the signals (with per-stage aggregates), the scaling
// timeline and the health of every source.
func (o *Observer) Result(stages []Span) ([]report.Signal, report.Scaling, []report.SourceInfo) {
	o.mu.Lock()
	defer o.mu.Unlock()
	end := o.seconds(o.end)
	if o.end.IsZero() {
		end = o.seconds(o.now())
	}
	if len(stages) > 0 {
		end = math.Max(end, stages[len(stages)-1].End)
	}

	var signals []report.Signal
	var scaling report.Scaling
	for _, name := range o.signalNamesLocked() {
		win := o.winnerLocked(name)
		m := win.src.meta()
		sd := o.series[seriesKey{m.name, name}]
		sig := report.Signal{
			Name: name, Unit: sd.unit, Source: m.kind, Query: sd.query,
			Points:  append([]report.Point{}, sd.points...),
			ByStage: aggregate(sd.points, stages),
		}
		// A range query read the stored history, so the live failures
		// of this signal no longer leave holes in it.
		if !sd.ranged {
			sig.Gaps = mergeGaps(append(sourceGaps(win, end), sd.gaps.closed(end)...))
		}
		signals = append(signals, sig)
		if kind, ok := replicaKinds[name]; ok {
			src := m.kind
			if m.eventSource != nil {
				src = m.eventSource(name)
			}
			scaling.Events = append(scaling.Events, changes(sd.points, kind, src, replicaWords[name])...)
		}
	}
	if rep := o.bestLocked(SignalReplicas); rep != nil {
		scaling.Replicas = summarize(rep.points)
	}
	scaling.Events = append(scaling.Events, o.sizedEventsLocked()...)
	sortEvents(scaling.Events)
	if scaling.Events == nil {
		scaling.Events = []report.ScaleEvent{}
	}
	for _, s := range o.sources {
		if d, ok := s.src.(autoscalerDescriber); ok && scaling.Autoscaler == nil {
			scaling.Autoscaler = d.autoscalerInfo()
		}
	}

	var infos []report.SourceInfo
	for _, s := range o.sources {
		m := s.src.meta()
		gaps := sourceGaps(s, end)
		info := report.SourceInfo{Name: m.name, Kind: m.kind, Detail: m.detail, Gaps: gaps}
		// A signal that failed on its own (a query with no result) makes
		// the source not OK either, though the source itself answered.
		signalGaps := false
		for k, sd := range o.series {
			if k.source == m.name && !sd.ranged && len(sd.gaps.closed(end)) > 0 {
				signalGaps = true
			}
		}
		info.OK = len(gaps) == 0 && !signalGaps && s.checked == nil
		if !info.OK {
			info.Error = s.lastErr
		}
		if s.note != "" {
			info.Detail += "; " + s.note
		}
		infos = append(infos, info)
	}
	return signals, scaling, infos
}

// sourceGaps is where a source gave nothing. One that was unreachable at the
// start (so optional) has a gap from the start until its first good poll.
func sourceGaps(s *sourceState, end float64) []report.Gap {
	gaps := s.gaps.closed(end)
	if s.checked == nil {
		return gaps
	}
	to := end
	if s.firstOK != nil {
		to = *s.firstOK
	}
	return mergeGaps(append([]report.Gap{{FromSeconds: 0, ToSeconds: to, Error: s.checked.Error()}}, gaps...))
}

var replicaWords = map[string]string{
	SignalReplicas:        "ready replicas",
	SignalReplicasDesired: "desired replicas",
	SignalReplicasSpec:    "replicas (spec)",
}

// winnerLocked picks the source whose series of a signal is reported: the
// highest priority one with points, else the highest priority one at all.
func (o *Observer) winnerLocked(name string) *sourceState {
	var win *sourceState
	winPoints := false
	for _, s := range o.sources {
		sd := o.series[seriesKey{s.src.meta().name, name}]
		if sd == nil {
			continue
		}
		has := len(sd.points) > 0
		switch {
		case win == nil, has && !winPoints:
		case has == winPoints && s.src.meta().priority > win.src.meta().priority:
		default:
			continue
		}
		win, winPoints = s, has
	}
	return win
}

// sizedEventsLocked fills in the replica counts that discrete events do not
// carry, from the replica series at their time: a rescale event names only
// its new size, a plain event none.
func (o *Observer) sizedEventsLocked() []report.ScaleEvent {
	out := make([]report.ScaleEvent, len(o.events))
	desired := o.bestLocked(SignalReplicasDesired)
	if desired == nil {
		desired = o.bestLocked(SignalReplicasSpec)
	}
	ready := o.bestLocked(SignalReplicas)
	pointsOf := func(sd *seriesData) []report.Point {
		if sd == nil {
			return nil
		}
		return sd.points
	}
	for i, ev := range o.events {
		switch {
		case o.toOnly[i]:
			// The size before: the last desired count seen strictly
			// before the event, since the poll may already show the new one.
			if v, ok := valueAt(pointsOf(desired), ev.Seconds-1e-9); ok {
				ev.From = v
			}
		case !o.sized[i]:
			if v, ok := valueAt(pointsOf(ready), ev.Seconds); ok {
				ev.From, ev.To = v, v
			}
		}
		out[i] = ev
	}
	return out
}

func (o *Observer) signalNamesLocked() []string {
	seen := map[string]bool{}
	for k := range o.series {
		seen[k.signal] = true
	}
	var names []string
	for _, n := range signalOrder {
		if seen[n] {
			names = append(names, n)
			delete(seen, n)
		}
	}
	return append(names, sortedKeys(seen)...)
}

// bestLocked is the reported series of a signal, or nil.
func (o *Observer) bestLocked(name string) *seriesData {
	w := o.winnerLocked(name)
	if w == nil {
		return nil
	}
	return o.series[seriesKey{w.src.meta().name, name}]
}
