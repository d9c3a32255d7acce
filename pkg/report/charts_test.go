package report

import (
	"bytes"
	"math"
	"reflect"
	"testing"
)

func TestSegments(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		in   []Point
		want [][]Point
	}{
		{name: "regular", in: []Point{{0, 1}, {5, 2}, {10, 3}, {15, 4}}, want: [][]Point{{{0, 1}, {5, 2}, {10, 3}, {15, 4}}}},
		{name: "source gap", in: []Point{{0, 1}, {5, 2}, {10, 3}, {40, 4}, {45, 5}},
			want: [][]Point{{{0, 1}, {5, 2}, {10, 3}}, {{40, 4}, {45, 5}}}},
		{name: "not a number", in: []Point{{0, 1}, {5, nan}, {10, 3}, {15, 4}},
			want: [][]Point{{{0, 1}}, {{10, 3}, {15, 4}}}},
		{name: "all NaN", in: []Point{{0, nan}, {5, math.Inf(1)}}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := segments(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("segments %v, want %v", got, tt.want)
			}
		})
	}
}

func TestChartsSurviveOddData(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(r *Report)
		wantCharts []string
	}{
		{name: "NaN samples", mutate: func(r *Report) {
			s := r.Signal("p95_latency")
			s.Points[3][1], s.Points[4][1] = math.NaN(), math.Inf(1)
		}, wantCharts: []string{"rate", "latency", "queue_depth", "utilization", "replicas", "timeout_rate"}},
		{name: "only NaN drops the series", mutate: func(r *Report) {
			r.Signals = []Signal{{Name: "queue_depth", Unit: "requests", Points: []Point{{0, math.NaN()}}}}
		}, wantCharts: nil},
		{name: "no signals", mutate: func(r *Report) { r.Signals = nil }, wantCharts: nil},
		{name: "custom signal gets its own chart", mutate: func(r *Report) {
			r.Signals = []Signal{{Name: "kafka lag/topic", Unit: "messages", Points: []Point{{0, 1}, {10, 5}}}}
		}, wantCharts: []string{"signal-kafka_lag_topic"}},
		{name: "flat zero series", mutate: func(r *Report) {
			r.Signals = []Signal{{Name: "timeout_rate", Unit: "ratio", Points: []Point{{0, 0}, {10, 0}}}}
			r.Scaling.Events = nil
		}, wantCharts: []string{"timeout_rate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture()
			tt.mutate(r)
			charts, err := Charts(r)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range charts {
				names = append(names, c.Name)
				if !bytes.Contains(c.SVG, []byte("<svg")) {
					t.Errorf("%s is not an SVG", c.Name)
				}
			}
			if !reflect.DeepEqual(names, tt.wantCharts) {
				t.Fatalf("charts %v, want %v", names, tt.wantCharts)
			}
			var html bytes.Buffer
			if err := WriteHTML(&html, r); err != nil {
				t.Fatalf("html: %v", err)
			}
		})
	}
}
