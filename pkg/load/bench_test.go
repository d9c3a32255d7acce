package load

import (
	"testing"
	"time"
)

// BenchmarkAggregatorAdd is the per-result cost in the engine's results
// loop: every finished request passes through it once.
func BenchmarkAggregatorAdd(b *testing.B) {
	s, err := NewSchedule([]StageSpan{
		{Name: "a", Duration: time.Hour, Segments: []Segment{{time.Hour, 5000, 5000}}},
	})
	if err != nil {
		b.Fatal(err)
	}
	agg := NewAggregator(s, []string{"short", "long"}, func(k uint64) int { return int(k % 2) }, 4*time.Second, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := time.Duration(i) * 200 * time.Microsecond
		agg.Add(Sample{
			Seq: uint64(i), Kind: i % 2, Scheduled: at, Sent: at,
			Service: 3 * time.Millisecond, Latency: 3 * time.Millisecond,
		})
	}
}

// BenchmarkPacer is the cost of one Pace call over a many-segment schedule.
func BenchmarkPacer(b *testing.B) {
	var stages []StageSpan
	for i := 0; i < 100; i++ {
		stages = append(stages, StageSpan{Name: "s", Duration: time.Minute, Segments: []Segment{{time.Minute, float64(i), float64(i + 50)}}})
	}
	s, err := NewSchedule(stages)
	if err != nil {
		b.Fatal(err)
	}
	p := Pacer{S: s}
	n := uint64(s.Planned())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Pace(0, uint64(i)%n)
	}
}
