package clientmetrics

import (
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/surge-sh/surge/pkg/load"
)

func schedule(t *testing.T) *load.Schedule {
	t.Helper()
	s, err := load.NewSchedule([]load.StageSpan{
		{Name: "baseline", Duration: 10 * time.Second, Segments: []load.Segment{{Duration: 10 * time.Second, From: 10, To: 10}}},
		{Name: "ramp", Duration: 10 * time.Second, Segments: []load.Segment{{Duration: 10 * time.Second, From: 10, To: 30}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// clock is a settable clock.
type clock struct{ ns atomic.Int64 }

func (c *clock) now() time.Time            { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(t time.Time)           { c.ns.Store(t.UnixNano()) }
func newClock(t time.Time) *clock          { c := &clock{}; c.set(t); return c }
func sec(s float64) time.Duration          { return time.Duration(s * float64(time.Second)) }
func at(t0 time.Time, s float64) time.Time { return t0.Add(sec(s)) }

// scrape reads the endpoint the way Prometheus does and parses the text format.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: status %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse exposition: %v", err)
	}
	return fams
}

// value finds the sample of family name whose labels include want.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, lp := range m.GetLabel() {
			labels[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func TestCountsByStageAndClass(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	c := newClock(t0)
	m := New(schedule(t), "bf", Options{Now: c.now})
	samples := []struct {
		scheduled float64
		latency   float64
		class     load.Class
	}{
		{1, 0.1, load.ClassOK},
		{2, 0.2, load.ClassOK},
		{3, 4, load.ClassTimeout},
		{9.9, 0.05, load.ClassRefused},
		{10, 0.3, load.ClassOK}, // the first instant of ramp
		{12, 0.3, load.Class5xx},
		{15, 25, load.ClassOK},
	}
	want := map[[2]string]int{}
	wantErr := map[[2]string]int{}
	wantHist := map[string]int{}
	for i, s := range samples {
		c.set(at(t0, s.scheduled+s.latency))
		m.Observe(load.Sample{Seq: uint64(i), Scheduled: sec(s.scheduled), Sent: sec(s.scheduled), Service: sec(s.latency), Latency: sec(s.latency), Class: s.class})
		stage := "baseline"
		if s.scheduled >= 10 {
			stage = "ramp"
		}
		want[[2]string{stage, s.class.String()}]++
		if s.class != load.ClassOK {
			wantErr[[2]string{stage, s.class.String()}]++
		}
		wantHist[stage]++
	}
	c.set(at(t0, 15)) // mid-ramp: 10 + 20*5/10 = 20 req/s
	fams := scrape(t, m.Handler())

	for _, stage := range []string{"baseline", "ramp"} {
		for _, cl := range classes {
			key := [2]string{stage, cl.String()}
			got, ok := value(t, fams, "surge_requests_total", map[string]string{"stage": stage, "class": cl.String(), "scenario": "bf"})
			if !ok || got != float64(want[key]) {
				t.Errorf("surge_requests_total{stage=%q,class=%q} = %v (present %v), want %d", stage, cl, got, ok, want[key])
			}
			got, ok = value(t, fams, "surge_request_errors_total", map[string]string{"stage": stage, "class": cl.String()})
			if cl == load.ClassOK {
				if ok {
					t.Errorf("surge_request_errors_total has class ok")
				}
				continue
			}
			if !ok || got != float64(wantErr[key]) {
				t.Errorf("surge_request_errors_total{stage=%q,class=%q} = %v, want %d", stage, cl, got, wantErr[key])
			}
		}
		if got, _ := value(t, fams, "surge_request_latency_seconds", map[string]string{"stage": stage}); got != float64(wantHist[stage]) {
			t.Errorf("latency histogram count in %s = %v, want %d", stage, got, wantHist[stage])
		}
	}
	if got, _ := value(t, fams, "surge_target_rate", nil); math.Abs(got-20) > 1e-9 {
		t.Errorf("surge_target_rate = %v, want 20", got)
	}
	if _, ok := value(t, fams, "surge_current_stage_info", map[string]string{"stage": "ramp"}); !ok {
		t.Errorf("surge_current_stage_info{stage=ramp} missing")
	}
	if _, ok := value(t, fams, "surge_current_stage_info", map[string]string{"stage": "baseline"}); ok {
		t.Errorf("surge_current_stage_info{stage=baseline} present mid-ramp")
	}
	// 100 arrivals in baseline, then the ramp's integral over 5 s: 10*5 + 2*25/2.
	if got, _ := value(t, fams, "surge_scheduled_requests_total", nil); got != 175 {
		t.Errorf("surge_scheduled_requests_total = %v, want 175", got)
	}
}

func TestLatencyBucketsHoldCorrectedLatency(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	m := New(schedule(t), "bf", Options{Now: newClock(t0).now})
	// Sent 2 s late, served in 100 ms: the user waited 2.1 s.
	m.Observe(load.Sample{Scheduled: sec(1), Sent: sec(3), Service: sec(0.1), Latency: sec(2.1)})
	fams := scrape(t, m.Handler())
	h := fams["surge_request_latency_seconds"].GetMetric()
	var hist *dto.Histogram
	for _, mm := range h {
		for _, lp := range mm.GetLabel() {
			if lp.GetName() == "stage" && lp.GetValue() == "baseline" {
				hist = mm.GetHistogram()
			}
		}
	}
	if hist == nil {
		t.Fatal("no baseline histogram")
	}
	if math.Abs(hist.GetSampleSum()-2.1) > 1e-9 {
		t.Errorf("sum = %v, want 2.1 (latency from the scheduled time)", hist.GetSampleSum())
	}
	var last float64
	for _, b := range hist.GetBucket() {
		if !math.IsInf(b.GetUpperBound(), 1) {
			last = b.GetUpperBound()
		}
	}
	if last != 30 {
		t.Errorf("largest finite bucket = %v, want 30", last)
	}
	for _, b := range hist.GetBucket() {
		want := uint64(0)
		if b.GetUpperBound() >= 2.1 {
			want = 1
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v count %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
}

func TestScheduleFiguresFollowTheClock(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		start     bool
		elapsed   float64
		wantRate  float64
		wantStage string
	}{
		{name: "before the start", start: false, wantRate: 0},
		{name: "baseline", start: true, elapsed: 3, wantRate: 10, wantStage: "baseline"},
		{name: "end of ramp", start: true, elapsed: 19.5, wantRate: 29, wantStage: "ramp"},
		{name: "after the end", start: true, elapsed: 25, wantRate: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock(t0)
			m := New(schedule(t), "bf", Options{Now: c.now})
			if tt.start {
				m.Start(t0)
			}
			c.set(at(t0, tt.elapsed))
			fams := scrape(t, m.Handler())
			if got, ok := value(t, fams, "surge_target_rate", nil); !ok || math.Abs(got-tt.wantRate) > 1e-9 {
				t.Errorf("surge_target_rate = %v (present %v), want %v", got, ok, tt.wantRate)
			}
			n := len(fams["surge_current_stage_info"].GetMetric())
			switch {
			case tt.wantStage == "" && n != 0:
				t.Errorf("surge_current_stage_info has %d series, want none", n)
			case tt.wantStage != "":
				if _, ok := value(t, fams, "surge_current_stage_info", map[string]string{"stage": tt.wantStage}); !ok || n != 1 {
					t.Errorf("surge_current_stage_info: want one series for %q, got %d", tt.wantStage, n)
				}
			}
		})
	}
}

func TestFirstSampleDatesTheStart(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	c := newClock(at(t0, 4.5))
	m := New(schedule(t), "bf", Options{Now: c.now})
	// It finished at 4.5 s into the run: the run began at t0.
	m.Observe(load.Sample{Scheduled: sec(4), Sent: sec(4), Service: sec(0.5), Latency: sec(0.5)})
	c.set(at(t0, 12))
	fams := scrape(t, m.Handler())
	if got, _ := value(t, fams, "surge_elapsed_seconds", nil); math.Abs(got-12) > 1e-9 {
		t.Errorf("surge_elapsed_seconds = %v, want 12", got)
	}
}

func BenchmarkObserve(b *testing.B) {
	s, _ := load.NewSchedule([]load.StageSpan{{Name: "a", Duration: time.Minute, Segments: []load.Segment{{Duration: time.Minute, From: 10, To: 10}}}})
	m := New(s, "bf", Options{})
	m.Start(time.Now())
	sm := load.Sample{Scheduled: sec(1), Sent: sec(1), Service: sec(0.1), Latency: sec(0.1), Class: load.Class5xx}
	b.ReportAllocs()
	for b.Loop() {
		m.Observe(sm)
	}
}
