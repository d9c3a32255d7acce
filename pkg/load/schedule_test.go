package load

import (
	"math"
	"testing"
	"time"
)

func mustSchedule(t *testing.T, stages ...StageSpan) *Schedule {
	t.Helper()
	s, err := NewSchedule(stages)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func stage(name string, d time.Duration, segs ...Segment) StageSpan {
	return StageSpan{Name: name, Duration: d, Segments: segs}
}

// countHits drives the pacer the way vegeta's attack loop does, with a
// simulated clock that jumps to each wait, and counts hits per stage.
func countHits(t *testing.T, s *Schedule) []int64 {
	t.Helper()
	p := Pacer{S: s}
	counts := make([]int64, len(s.Stages()))
	var elapsed time.Duration
	var hits uint64
	for {
		wait, stop := p.Pace(elapsed, hits)
		if stop {
			return counts
		}
		elapsed += wait
		counts[s.StageAt(elapsed)]++
		hits++
		if hits > 10_000_000 {
			t.Fatal("pacer never stopped")
		}
	}
}

func TestPacerHitsPerStageMatchIntegral(t *testing.T) {
	tests := []struct {
		name   string
		stages []StageSpan
		want   []float64 // integral of the rate over each stage
	}{
		{
			name:   "constant",
			stages: []StageSpan{stage("c", 10*time.Second, Segment{10 * time.Second, 50, 50})},
			want:   []float64{500},
		},
		{
			name: "black friday shape",
			stages: []StageSpan{
				stage("baseline", 2*time.Minute, Segment{2 * time.Minute, 50, 50}),
				stage("ramp", 5*time.Minute, Segment{5 * time.Minute, 50, 400}),
				stage("peak", 10*time.Minute, Segment{10 * time.Minute, 400, 400}),
				stage("cooldown", 3*time.Minute, Segment{3 * time.Minute, 50, 50}),
			},
			want: []float64{6000, 67500, 240000, 9000},
		},
		{
			name: "fractional rates and a descending ramp",
			stages: []StageSpan{
				stage("a", 7*time.Second, Segment{7 * time.Second, 0.7, 0.7}),
				stage("b", 13*time.Second, Segment{13 * time.Second, 33.3, 2.1}),
				stage("c", 3*time.Second, Segment{3 * time.Second, 0, 0}),
				stage("d", 9*time.Second, Segment{9 * time.Second, 0, 17}),
			},
			want: []float64{4.9, 13 * (33.3 + 2.1) / 2, 0, 9 * 17.0 / 2},
		},
		{
			name: "steps",
			stages: []StageSpan{stage("s", 40*time.Second,
				Segment{10 * time.Second, 10, 10}, Segment{10 * time.Second, 20, 20},
				Segment{10 * time.Second, 30, 30}, Segment{10 * time.Second, 40, 40})},
			want: []float64{1000},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSchedule(t, tt.stages...)
			got := countHits(t, s)
			var total int64
			for i, w := range tt.want {
				if math.Abs(float64(got[i])-w) > 1 {
					t.Errorf("stage %d: %d hits, want %.2f ±1", i, got[i], w)
				}
				if p := s.PlannedIn(s.Stages()[i].Start, s.Stages()[i].End()); p != got[i] {
					t.Errorf("stage %d: PlannedIn = %d, pacer sent %d", i, p, got[i])
				}
				total += got[i]
			}
			if total != s.Planned() {
				t.Errorf("pacer sent %d, Planned() = %d", total, s.Planned())
			}
		})
	}
}

func TestPacerIsPureAndMonotonic(t *testing.T) {
	s := mustSchedule(t, stage("ramp", 10*time.Second, Segment{10 * time.Second, 10, 100}))
	p := Pacer{S: s}
	var prev time.Duration
	for k := uint64(0); k < uint64(s.Planned()); k++ {
		at, ok := s.At(k)
		if !ok {
			t.Fatalf("hit %d: schedule ended early", k)
		}
		if at < prev {
			t.Fatalf("hit %d at %v before hit %d at %v", k, at, k-1, prev)
		}
		prev = at
		// Asked at elapsed=0, the wait is the scheduled time itself; asked
		// late, the pacer says go now.
		if w, stop := p.Pace(0, k); stop || w != at {
			t.Fatalf("Pace(0, %d) = %v, %v; want %v", k, w, stop, at)
		}
		if w, stop := p.Pace(at+time.Millisecond, k); w != 0 || stop != (at+time.Millisecond >= s.Duration()) {
			t.Fatalf("Pace(late, %d) = %v, want 0", k, w)
		}
	}
	if _, stop := p.Pace(0, uint64(s.Planned())); !stop {
		t.Fatal("pacer must stop after the planned hits")
	}
	if _, stop := p.Pace(s.Duration(), 3); !stop {
		t.Fatal("pacer must stop when the schedule's time is up, sent or not")
	}
	if r := p.Rate(5 * time.Second); math.Abs(r-55) > 1e-9 {
		t.Fatalf("Rate(5s) = %v, want 55", r)
	}
}

func TestNewScheduleRejectsBadStages(t *testing.T) {
	tests := []struct {
		name  string
		stage StageSpan
	}{
		{"zero duration", stage("z", 0)},
		{"negative rate", stage("n", time.Second, Segment{time.Second, -1, 1})},
		{"NaN rate", stage("nan", time.Second, Segment{time.Second, math.NaN(), 1})},
		{"segments shorter than stage", stage("s", 2*time.Second, Segment{time.Second, 1, 1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewSchedule([]StageSpan{tt.stage}); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}
