package report

import (
	"reflect"
	"testing"
)

func TestHeadlineColumns(t *testing.T) {
	tests := []struct {
		name   string
		report func() *Report
		want   []string
	}{
		{name: "first stage and highest target rate", report: fixture, want: []string{"baseline", "peak"}},
		{name: "scenario names the columns", report: func() *Report {
			r := fixture()
			r.Compare = []string{"ramp", "cooldown"}
			return r
		}, want: []string{"ramp", "cooldown"}},
		{name: "first stage is the peak", report: func() *Report {
			r := fixture()
			r.Stages = r.Stages[2:]
			return r
		}, want: []string{"peak"}},
		{name: "tie keeps the earliest peak", report: func() *Report {
			r := fixture()
			r.Stages[1].TargetRate = r.Stages[2].TargetRate
			return r
		}, want: []string{"baseline", "ramp"}},
		{name: "no stages", report: minimalReport, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HeadlineColumns(tt.report()); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("columns %v, want %v", got, tt.want)
			}
		})
	}
}

func TestHeadlineFigures(t *testing.T) {
	r := fixture()
	h := Headline(r)
	if len(h.Rows) != 7 {
		t.Fatalf("got %d rows, want 7", len(h.Rows))
	}
	byKey := map[string]Row{}
	for _, row := range h.Rows {
		byKey[row.Key] = row
	}
	peak, _ := r.Stage("peak")
	tests := []struct {
		key  string
		want float64
	}{
		{MetricCPU, r.Signal("cpu").ByStage["peak"].Avg},
		{MetricGPU, r.Signal("gpu").ByStage["peak"].Avg},
		{MetricQueueDepth, r.Signal("queue_depth").ByStage["peak"].Max},
		{MetricServerP95, r.Signal("p95_latency").ByStage["peak"].Max},
		{MetricClientP95, peak.LatencyMs.P95},
		{MetricTimeoutRate, peak.TimeoutRate()},
		{MetricReplicas, r.Signal("replicas").ByStage["peak"].Max},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			row, ok := byKey[tt.key]
			if !ok {
				t.Fatalf("no %s row", tt.key)
			}
			c := row.Cells[1]
			if !c.Known || c.Value != tt.want {
				t.Fatalf("peak %s = %v (known %v), want %v", tt.key, c.Value, c.Known, tt.want)
			}
			if row.Note != "" {
				t.Fatalf("unexpected note %q", row.Note)
			}
		})
	}
}

func TestHeadlineMissingFigures(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(r *Report)
		key      string
		wantNote string
	}{
		{name: "signal never observed", key: MetricGPU, wantNote: NotObserved, mutate: func(r *Report) {
			r.Signals = withoutSignal(r.Signals, "gpu")
		}},
		{name: "replicas never observed", key: MetricReplicas, wantNote: NotObserved, mutate: func(r *Report) {
			r.Signals = withoutSignal(r.Signals, "replicas")
		}},
		{name: "signal without samples in the compared stages", key: MetricQueueDepth, wantNote: "no samples in these stages", mutate: func(r *Report) {
			r.Signal("queue_depth").ByStage = map[string]Agg{"ramp": {Max: 3, Samples: 1}}
		}},
		{name: "stage without requests", key: MetricClientP95, wantNote: "no requests in these stages", mutate: func(r *Report) {
			r.Compare = []string{"nosuchstage"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture()
			tt.mutate(r)
			h := Headline(r)
			for _, row := range h.Rows {
				if row.Key != tt.key {
					continue
				}
				if row.Note != tt.wantNote {
					t.Fatalf("note %q, want %q", row.Note, tt.wantNote)
				}
				for _, c := range row.Cells {
					if c.Known || c.Text != "—" {
						t.Fatalf("cell %+v, want an unknown dash", c)
					}
				}
				if !h.HasNotes() {
					t.Fatal("HasNotes is false with a noted row")
				}
				return
			}
			t.Fatalf("no %s row", tt.key)
		})
	}
}

func withoutSignal(sigs []Signal, name string) []Signal {
	var out []Signal
	for _, s := range sigs {
		if s.Name != name {
			out = append(out, s)
		}
	}
	return out
}

func TestVerdictLine(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(r *Report)
		want   string
	}{
		{name: "one failed", mutate: func(*Report) {}, want: "FAIL — 1 of 3 assertions failed"},
		{name: "all passed", mutate: func(r *Report) {
			r.Verdict = VerdictPass
			r.Assertions = r.Assertions[1:]
		}, want: "PASS — all 2 assertions passed"},
		{name: "no assertions", mutate: func(r *Report) { r.Verdict, r.Assertions = VerdictPass, nil }, want: "PASS — no assertions"},
		{name: "aborted", mutate: func(r *Report) { r.Verdict, r.Abort = VerdictAborted, "interrupted" }, want: "ABORTED — interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture()
			tt.mutate(r)
			if got := VerdictLine(r); got != tt.want {
				t.Fatalf("%q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatters(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"ratio large", fmtRatio(0.553), "55%"},
		{"ratio small", fmtRatio(0.0123), "1.2%"},
		{"ratio tiny", fmtRatio(0.0004), "0.04%"},
		{"ratio zero", fmtRatio(0), "0%"},
		{"ms", fmtMs(212.4), "212 ms"},
		{"ms seconds", fmtMs(4120), "4.1 s"},
		{"ms sub-10", fmtMs(3.25), "3.2 ms"},
		{"count", fmtCount(11), "11"},
		{"count fraction", fmtCount(6.7778), "6.8"},
		{"range", fmtRange(3, 11), "3–11"},
		{"range flat", fmtRange(3, 3), "3"},
		{"clock", fmtClock(125), "T+02:05"},
		{"seconds", fmtSeconds(150), "2m30s"},
		{"seconds short", fmtSeconds(45), "45s"},
		{"value by unit", fmtValue(0.5, "ratio"), "50%"},
		{"value rate", fmtValue(49.82, "req/s"), "49.8/s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("%q, want %q", tt.got, tt.want)
			}
		})
	}
}
