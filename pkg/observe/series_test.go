package observe

import (
	"math"
	"reflect"
	"testing"

	"github.com/surge-sh/surge/pkg/report"
)

func pts(vals ...float64) []report.Point {
	var out []report.Point
	for i := 0; i+1 < len(vals); i += 2 {
		out = append(out, report.Point{vals[i], vals[i+1]})
	}
	return out
}

func TestAggregate(t *testing.T) {
	stages := []Span{{Name: "baseline", Start: 0, End: 10}, {Name: "peak", Start: 10, End: 20}}
	tests := []struct {
		name   string
		points []report.Point
		want   map[string]report.Agg
	}{
		{
			name:   "point on a boundary belongs to the later stage",
			points: pts(0, 1, 5, 3, 10, 7, 15, 9),
			want: map[string]report.Agg{
				"baseline": {Min: 1, Avg: 2, Max: 3, Last: 3, Samples: 2},
				"peak":     {Min: 7, Avg: 8, Max: 9, Last: 9, Samples: 2},
			},
		},
		{
			name:   "last stage takes the point at its end",
			points: pts(20, 4),
			want:   map[string]report.Agg{"peak": {Min: 4, Avg: 4, Max: 4, Last: 4, Samples: 1}},
		},
		{
			name:   "points after the run are ignored",
			points: pts(2, 5, 25, 100),
			want:   map[string]report.Agg{"baseline": {Min: 5, Avg: 5, Max: 5, Last: 5, Samples: 1}},
		},
		{
			name:   "last is the latest, not the largest",
			points: pts(11, 9, 12, 2),
			want:   map[string]report.Agg{"peak": {Min: 2, Avg: 5.5, Max: 9, Last: 2, Samples: 2}},
		},
		{name: "no points", points: nil, want: map[string]report.Agg{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := aggregate(tt.points, stages); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestChanges(t *testing.T) {
	tests := []struct {
		name   string
		points []report.Point
		want   []report.ScaleEvent
	}{
		{name: "steady", points: pts(0, 3, 5, 3, 10, 3), want: nil},
		{
			name:   "up then down",
			points: pts(0, 3, 5, 3, 10, 6, 15, 6, 20, 4),
			want: []report.ScaleEvent{
				{Seconds: 10, From: 3, To: 6, Kind: "desired", Source: "hpa", Reason: "desired replicas 3 -> 6"},
				{Seconds: 20, From: 6, To: 4, Kind: "desired", Source: "hpa", Reason: "desired replicas 6 -> 4"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := changes(tt.points, "desired", "hpa", "desired replicas")
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		name   string
		points []report.Point
		want   report.ReplicaSummary
	}{
		{name: "none", want: report.ReplicaSummary{}},
		{name: "scale out and back", points: pts(0, 3, 5, 11, 10, 2, 15, 4), want: report.ReplicaSummary{Known: true, Initial: 3, Min: 2, Max: 11, Final: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.points); got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGapTracker(t *testing.T) {
	type step struct {
		t   float64
		err string
	}
	tests := []struct {
		name  string
		steps []step
		end   float64
		want  []report.Gap
	}{
		{name: "never failed", steps: []step{{0, ""}, {5, ""}}, end: 10},
		{
			name:  "failed and recovered",
			steps: []step{{0, ""}, {5, "refused"}, {10, "timeout"}, {15, ""}, {20, ""}},
			end:   25,
			want:  []report.Gap{{FromSeconds: 5, ToSeconds: 15, Error: "refused"}},
		},
		{
			name:  "never came back",
			steps: []step{{0, ""}, {5, "refused"}, {10, "refused"}},
			end:   30,
			want:  []report.Gap{{FromSeconds: 5, ToSeconds: 30, Error: "refused"}},
		},
		{
			name:  "two gaps",
			steps: []step{{0, "a"}, {5, ""}, {10, "b"}, {15, ""}},
			end:   20,
			want:  []report.Gap{{FromSeconds: 0, ToSeconds: 5, Error: "a"}, {FromSeconds: 10, ToSeconds: 15, Error: "b"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var g gapTracker
			for _, s := range tt.steps {
				if s.err != "" {
					g.fail(s.t, s.err)
				} else {
					g.ok(s.t)
				}
			}
			if got := g.closed(tt.end); !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMergeGaps(t *testing.T) {
	got := mergeGaps([]report.Gap{{FromSeconds: 10, ToSeconds: 20, Error: "b"}, {FromSeconds: 0, ToSeconds: 12, Error: "a"}, {FromSeconds: 30, ToSeconds: 31, Error: "c"}})
	want := []report.Gap{{FromSeconds: 0, ToSeconds: 20, Error: "a"}, {FromSeconds: 30, ToSeconds: 31, Error: "c"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestValueAt(t *testing.T) {
	p := pts(0, 3, 5, 4, 10, 6)
	tests := []struct {
		name string
		t    float64
		want float64
	}{
		{name: "before the series", t: -1, want: 3},
		{name: "between samples", t: 7, want: 4},
		{name: "on a sample", t: 10, want: 6},
		{name: "after", t: 99, want: 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := valueAt(p, tt.t); !ok || got != tt.want {
				t.Fatalf("got %v %v, want %v", got, ok, tt.want)
			}
		})
	}
	if _, ok := valueAt(nil, 1); ok {
		t.Fatal("empty series has a value")
	}
}

func TestQuantile(t *testing.T) {
	inf := math.Inf(1)
	tests := []struct {
		name string
		b    buckets
		q    float64
		want float64
	}{
		// 100 observations: 50 up to 0.1, 40 in (0.1, 0.5], 10 in (0.5, 1].
		// The 95th is the 5th of the 10 in the last bucket: 0.5 + 0.5*5/10.
		{name: "interpolates in its bucket", b: buckets{le: []float64{0.1, 0.5, 1, inf}, count: []float64{50, 90, 100, 100}}, q: 0.95, want: 0.75},
		{name: "first bucket starts at zero", b: buckets{le: []float64{0.1, 0.5, inf}, count: []float64{100, 100, 100}}, q: 0.5, want: 0.05},
		{name: "in +Inf is the highest finite bound", b: buckets{le: []float64{0.1, 0.5, inf}, count: []float64{10, 20, 100}}, q: 0.95, want: 0.5},
		{name: "no observations", b: buckets{le: []float64{0.1, inf}, count: []float64{0, 0}}, q: 0.95, want: math.NaN()},
		{name: "only +Inf bucket", b: buckets{le: []float64{inf}, count: []float64{5}}, q: 0.95, want: math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.b.quantile(tt.q)
			if math.IsNaN(tt.want) != math.IsNaN(got) || !math.IsNaN(got) && math.Abs(got-tt.want) > 1e-9 {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBucketsSince(t *testing.T) {
	inf := math.Inf(1)
	prev := buckets{le: []float64{0.1, 1, inf}, count: []float64{10, 20, 25}}
	tests := []struct {
		name string
		cur  buckets
		want []float64
	}{
		{name: "difference", cur: buckets{le: prev.le, count: []float64{15, 40, 50}}, want: []float64{5, 20, 25}},
		{name: "counter reset keeps the current counts", cur: buckets{le: prev.le, count: []float64{1, 2, 3}}, want: []float64{1, 2, 3}},
		{name: "new layout keeps the current counts", cur: buckets{le: []float64{1, inf}, count: []float64{30, 40}}, want: []float64{30, 40}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.cur.since(prev); !reflect.DeepEqual(got.count, tt.want) {
				t.Fatalf("got %v, want %v", got.count, tt.want)
			}
		})
	}
}
