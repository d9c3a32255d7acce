// Package load is surge's load engine: a piecewise arrival schedule driven
// through one vegeta attack (open model), requests built from templates and
// data feeders, and aggregation of what clients saw into bounded-memory
// histograms per stage, per request kind and per second.
package load

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Segment is a piece of the arrival schedule whose rate moves linearly from
// From to To requests/second over Duration (From == To: constant).
type Segment struct {
	Duration time.Duration
	From, To float64
}

// hits returns the expected arrivals in the first t seconds of the segment.
func (s Segment) hits(t float64) float64 {
	d := s.Duration.Seconds()
	if d <= 0 {
		return 0
	}
	return s.From*t + (s.To-s.From)*t*t/(2*d)
}

// timeOf returns the offset t (seconds) at which hits(t) == h, for
// 0 <= h <= hits(duration). Written as 2h/(a+sqrt(a²+2sh)) so that it stays
// exact when the slope s is zero or negative.
func (s Segment) timeOf(h float64) float64 {
	if h <= 0 {
		return 0
	}
	d := s.Duration.Seconds()
	a, slope := s.From, (s.To-s.From)/d
	disc := a*a + 2*slope*h
	if disc < 0 {
		disc = 0
	}
	den := a + math.Sqrt(disc)
	if den <= 0 {
		return d
	}
	return 2 * h / den
}

// StageSpan is one named stage of a schedule.
type StageSpan struct {
	Name      string
	RateShape string
	Start     time.Duration
	Duration  time.Duration
	// Segments are the stage's pieces, in order.
	Segments []Segment
}

// End is when the stage ends, relative to the run start.
func (s StageSpan) End() time.Duration { return s.Start + s.Duration }

// Schedule is the whole arrival plan: stages made of linear segments. Hit k
// (0-based) is scheduled at T(k), the time at which the integral of the rate
// reaches k, so a constant rate r sends hit k at k/r like vegeta's own
// ConstantPacer.
type Schedule struct {
	stages []StageSpan
	segs   []Segment
	starts []float64 // segment start times, seconds
	cum    []float64 // expected hits before each segment
	total  float64   // expected hits over the whole schedule
	dur    time.Duration
}

// NewSchedule builds a schedule from stages laid end to end; each stage's
// Start is set from the ones before it.
func NewSchedule(stages []StageSpan) (*Schedule, error) {
	s := &Schedule{}
	var at time.Duration
	for i, st := range stages {
		if st.Duration <= 0 {
			return nil, fmt.Errorf("schedule: stage %q: duration must be positive", st.Name)
		}
		var segDur time.Duration
		for _, seg := range st.Segments {
			if seg.From < 0 || seg.To < 0 || math.IsNaN(seg.From) || math.IsNaN(seg.To) || math.IsInf(seg.From, 0) || math.IsInf(seg.To, 0) {
				return nil, fmt.Errorf("schedule: stage %q: rate must be a finite number >= 0", st.Name)
			}
			if seg.Duration <= 0 {
				return nil, fmt.Errorf("schedule: stage %q: segment duration must be positive", st.Name)
			}
			segDur += seg.Duration
		}
		if segDur != st.Duration {
			return nil, fmt.Errorf("schedule: stage %q: segments last %v, stage lasts %v", st.Name, segDur, st.Duration)
		}
		st.Start = at
		stages[i] = st
		s.segs = append(s.segs, st.Segments...)
		at += st.Duration
	}
	var t time.Duration
	for _, seg := range s.segs {
		s.starts = append(s.starts, t.Seconds())
		s.cum = append(s.cum, s.total)
		s.total += seg.hits(seg.Duration.Seconds())
		t += seg.Duration
	}
	s.stages = stages
	s.dur = at
	return s, nil
}

// Stages returns the stage spans with their start times.
func (s *Schedule) Stages() []StageSpan { return s.stages }

// Duration is the length of the whole schedule.
func (s *Schedule) Duration() time.Duration { return s.dur }

// Planned is the number of hits the schedule sends: every k with T(k) < end.
func (s *Schedule) Planned() int64 { return int64(math.Ceil(s.total - 1e-9)) }

// HitsBefore is the expected number of arrivals in [0, t).
func (s *Schedule) HitsBefore(t time.Duration) float64 {
	sec := t.Seconds()
	if sec <= 0 {
		return 0
	}
	if t >= s.dur {
		return s.total
	}
	i := sort.Search(len(s.starts), func(i int) bool { return s.starts[i] > sec }) - 1
	return s.cum[i] + s.segs[i].hits(sec-s.starts[i])
}

// PlannedIn is the number of hits k with T(k) in [from, to).
func (s *Schedule) PlannedIn(from, to time.Duration) int64 {
	return int64(math.Ceil(s.HitsBefore(to)-1e-9)) - int64(math.Ceil(s.HitsBefore(from)-1e-9))
}

// At returns T(k), the scheduled offset of hit k, and false when the
// schedule ends before hit k.
func (s *Schedule) At(k uint64) (time.Duration, bool) {
	h := float64(k)
	if h >= s.total-1e-9 {
		return s.dur, false
	}
	// The last segment whose cumulative start is <= h. It has hits: a
	// zero-rate segment followed by one with cum > h would end the search
	// earlier, and a zero-rate last segment means h >= total.
	i := sort.Search(len(s.cum), func(i int) bool { return s.cum[i] > h }) - 1
	off := s.segs[i].timeOf(h - s.cum[i])
	return time.Duration((s.starts[i] + off) * float64(time.Second)), true
}

// Rate is the instantaneous arrival rate at t.
func (s *Schedule) Rate(t time.Duration) float64 {
	sec := t.Seconds()
	if sec < 0 || t >= s.dur {
		return 0
	}
	i := sort.Search(len(s.starts), func(i int) bool { return s.starts[i] > sec }) - 1
	seg := s.segs[i]
	return seg.From + (seg.To-seg.From)*(sec-s.starts[i])/seg.Duration.Seconds()
}

// StageAt returns the index of the stage that contains t (the last one for
// t at or past the end).
func (s *Schedule) StageAt(t time.Duration) int {
	for i, st := range s.stages {
		if t < st.End() {
			return i
		}
	}
	return len(s.stages) - 1
}

// Pacer adapts a Schedule to vegeta's Pacer interface. Pace is a pure
// function of (elapsed, hits).
type Pacer struct{ S *Schedule }

// Pace implements vegeta.Pacer: wait until T(hits); stop when the planned
// hits are sent or the schedule's time is up. A hit still unsent at the end
// (the in-flight cap held it back) is not sent late: the report counts it as
// unsent instead.
func (p Pacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	at, ok := p.S.At(hits)
	if !ok || elapsed >= p.S.dur {
		return 0, true
	}
	if at <= elapsed {
		return 0, false
	}
	return at - elapsed, false
}

// Rate implements vegeta.Pacer.
func (p Pacer) Rate(elapsed time.Duration) float64 { return p.S.Rate(elapsed) }
