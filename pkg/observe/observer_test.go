package observe

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/surge-sh/surge/pkg/report"
)

// fakeSource answers polls from a script, one step per poll.
type fakeSource struct {
	name     string
	prio     int
	optional bool
	checkErr error

	mu    sync.Mutex
	steps []fakeStep
	n     int
	polls chan time.Time
}

type fakeStep struct {
	values map[string]float64
	events []timedEvent
	err    error
}

func (f *fakeSource) meta() sourceMeta {
	return sourceMeta{name: f.name, kind: f.name, optional: f.optional, priority: f.prio}
}

func (f *fakeSource) check(context.Context) error { return f.checkErr }

func (f *fakeSource) poll(_ context.Context, _, now time.Time) ([]reading, []timedEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer func() {
		if f.polls != nil {
			f.polls <- now
		}
	}()
	if f.n >= len(f.steps) {
		return nil, nil, errors.New("script over")
	}
	st := f.steps[f.n]
	f.n++
	var rs []reading
	for _, k := range sortedKeys(st.values) {
		rs = append(rs, reading{signal: k, value: st.values[k]})
	}
	return rs, st.events, st.err
}

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func newTestObserver(clock *fakeClock, srcs ...source) *Observer {
	o := &Observer{interval: 5 * time.Second, now: clock.Now, series: map[seriesKey]*seriesData{}}
	for _, s := range srcs {
		o.add(s)
	}
	return o
}

// TestRunPollsOnEveryTickAndRecordsGaps drives the loop with a hand-fed
// ticker: a failure in the middle becomes a gap and the loop goes on.
func TestRunPollsOnEveryTickAndRecordsGaps(t *testing.T) {
	clock := &fakeClock{t: t0}
	src := &fakeSource{name: "scrape", prio: 1, polls: make(chan time.Time), steps: []fakeStep{
		{values: map[string]float64{"replicas": 3, "queue_depth": 1}},
		{values: map[string]float64{"replicas": 3, "queue_depth": 40}},
		{err: errors.New("connection refused")},
		{err: errors.New("connection refused")},
		{values: map[string]float64{"replicas": 5, "queue_depth": 10}},
	}}
	o := newTestObserver(clock, src)
	ticks := make(chan time.Time)
	o.tick = func(time.Duration) (<-chan time.Time, func()) { return ticks, func() {} }

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { o.Run(ctx, t0); close(done) }()
	for i := range src.steps {
		<-src.polls
		if v, ok := o.Last("queue_depth"); !ok || i == 0 && v != 1 {
			t.Fatalf("after poll %d: Last = %v %v", i, v, ok)
		}
		if i == len(src.steps)-1 {
			break
		}
		clock.Set(t0.Add(time.Duration(i+1) * 5 * time.Second))
		ticks <- clock.Now()
	}
	cancel()
	<-done
	o.Finish(context.Background(), t0.Add(25*time.Second))

	signals, scaling, infos := o.Result([]Span{{Name: "baseline", Start: 0, End: 10}, {Name: "peak", Start: 10, End: 25}})
	wantGap := []report.Gap{{FromSeconds: 10, ToSeconds: 20, Error: "connection refused"}}
	if len(signals) != 2 || signals[0].Name != "queue_depth" || signals[1].Name != "replicas" {
		t.Fatalf("signals %+v", signals)
	}
	q := signals[0]
	if want := pts(0, 1, 5, 40, 20, 10); !reflect.DeepEqual(q.Points, want) {
		t.Errorf("points %v, want %v", q.Points, want)
	}
	if !reflect.DeepEqual(q.Gaps, wantGap) {
		t.Errorf("signal gaps %+v, want %+v", q.Gaps, wantGap)
	}
	if q.Unit != "requests" || q.ByStage["baseline"].Max != 40 || q.ByStage["peak"].Last != 10 {
		t.Errorf("signal %+v", q)
	}
	if len(infos) != 1 || infos[0].OK || !reflect.DeepEqual(infos[0].Gaps, wantGap) || infos[0].Error != "connection refused" {
		t.Errorf("source info %+v", infos)
	}
	wantScaling := report.ReplicaSummary{Known: true, Initial: 3, Min: 3, Max: 5, Final: 5}
	if scaling.Replicas != wantScaling {
		t.Errorf("replicas %+v, want %+v", scaling.Replicas, wantScaling)
	}
	if len(scaling.Events) != 1 || scaling.Events[0].Seconds != 20 || scaling.Events[0].Kind != "ready" {
		t.Errorf("events %+v", scaling.Events)
	}
}

func TestResultPrefersTheTrustedSource(t *testing.T) {
	clock := &fakeClock{t: t0}
	scrape := &fakeSource{name: "scrape", prio: 1}
	kube := &fakeSource{name: "kubernetes", prio: 3}
	o := newTestObserver(clock, scrape, kube)
	o.start = t0
	o.record(o.sources[0], t0, []reading{{signal: "replicas", value: 2}, {signal: "gpu", value: 0.5}}, nil, nil)
	o.record(o.sources[1], t0, []reading{{signal: "replicas", value: 4}}, nil, nil)
	o.record(o.sources[1], t0.Add(5*time.Second), []reading{{signal: "replicas", value: 6}}, nil, nil)
	o.end = t0.Add(10 * time.Second)

	if v, _ := o.Last("replicas"); v != 6 {
		t.Errorf("Last(replicas) = %v, want the kubernetes value 6", v)
	}
	signals, scaling, _ := o.Result(nil)
	bySig := map[string]report.Signal{}
	for _, s := range signals {
		bySig[s.Name] = s
	}
	if bySig["replicas"].Source != "kubernetes" || bySig["gpu"].Source != "scrape" {
		t.Errorf("sources: replicas from %q, gpu from %q", bySig["replicas"].Source, bySig["gpu"].Source)
	}
	if scaling.Replicas.Initial != 4 || scaling.Replicas.Final != 6 {
		t.Errorf("replicas %+v", scaling.Replicas)
	}
}

func TestEventsAreSizedFromTheSeries(t *testing.T) {
	clock := &fakeClock{t: t0}
	kube := &fakeSource{name: "kubernetes", prio: 3}
	o := newTestObserver(clock, kube)
	o.start = t0
	s := o.sources[0]
	o.record(s, t0, []reading{{signal: "replicas_desired", value: 3}, {signal: "replicas", value: 3}}, nil, nil)
	o.record(s, t0.Add(10*time.Second), []reading{{signal: "replicas_desired", value: 7}, {signal: "replicas", value: 3}}, nil, nil)
	o.recordEvent(timedEvent{at: t0.Add(8 * time.Second), toOnly: true, ev: report.ScaleEvent{To: 7, Reason: "SuccessfulRescale: New size: 7", Source: "event", Kind: "event"}})
	o.recordEvent(timedEvent{at: t0.Add(2 * time.Second), ev: report.ScaleEvent{Reason: "KEDAScalersStarted", Source: "event", Kind: "event"}})
	o.recordEvent(timedEvent{at: t0.Add(-30 * time.Second), sized: true, ev: report.ScaleEvent{From: 1, To: 2, Reason: "old", Source: "event", Kind: "event"}})
	o.end = t0.Add(20 * time.Second)

	_, scaling, _ := o.Result(nil)
	want := []report.ScaleEvent{
		{Seconds: 0, From: 1, To: 2, Reason: "old", Source: "event", Kind: "event"},
		{Seconds: 2, From: 3, To: 3, Reason: "KEDAScalersStarted", Source: "event", Kind: "event"},
		{Seconds: 8, From: 3, To: 7, Reason: "SuccessfulRescale: New size: 7", Source: "event", Kind: "event"},
		{Seconds: 10, From: 3, To: 7, Reason: "desired replicas 3 -> 7", Source: "kubernetes", Kind: "desired"},
	}
	if !reflect.DeepEqual(scaling.Events, want) {
		t.Fatalf("events\n got %+v\nwant %+v", scaling.Events, want)
	}
}

func TestCheckNamesTheFailingSource(t *testing.T) {
	tests := []struct {
		name     string
		optional bool
		wantErr  bool
	}{
		{name: "required source unreachable", wantErr: true},
		{name: "optional source unreachable", optional: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: t0}
			src := &fakeSource{name: "prometheus", prio: 2, optional: tt.optional, checkErr: errors.New("dial tcp 127.0.0.1:1: connection refused")}
			o := newTestObserver(clock, src)
			err := o.Check(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check() = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && err.Error() != "observe prometheus: dial tcp 127.0.0.1:1: connection refused" {
				t.Fatalf("error %q does not name the source", err)
			}
			o.start = t0
			o.end = t0.Add(30 * time.Second)
			_, _, infos := o.Result(nil)
			want := []report.Gap{{FromSeconds: 0, ToSeconds: 30, Error: "dial tcp 127.0.0.1:1: connection refused"}}
			if infos[0].OK || !reflect.DeepEqual(infos[0].Gaps, want) {
				t.Fatalf("info %+v", infos[0])
			}
		})
	}
}

func TestNaNIsNoSampleAndNoGap(t *testing.T) {
	clock := &fakeClock{t: t0}
	o := newTestObserver(clock, &fakeSource{name: "prometheus", prio: 2})
	o.start = t0
	nan := 0.0
	nan = nan / nan
	o.record(o.sources[0], t0, []reading{{signal: "p95_latency", value: nan}}, nil, nil)
	o.record(o.sources[0], t0.Add(5*time.Second), []reading{{signal: "p95_latency", value: 120}}, nil, nil)
	signals, _, infos := o.Result(nil)
	if len(signals) != 1 || !reflect.DeepEqual(signals[0].Points, pts(5, 120)) || len(signals[0].Gaps) != 0 || signals[0].Unit != "ms" {
		t.Fatalf("signals %+v", signals)
	}
	if !infos[0].OK {
		t.Fatalf("info %+v", infos[0])
	}
}

// TestOptionalSourceThatComesUpLate: an optional source unreachable at the
// start has a gap from the start until its first good poll, on itself and
// on its signals.
func TestOptionalSourceThatComesUpLate(t *testing.T) {
	clock := &fakeClock{t: t0}
	src := &fakeSource{name: "prometheus", prio: 2, optional: true, checkErr: errors.New("connection refused")}
	o := newTestObserver(clock, src)
	if err := o.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	o.start = t0
	o.record(o.sources[0], t0, nil, nil, errors.New("connection refused"))
	o.record(o.sources[0], t0.Add(10*time.Second), []reading{{signal: "gpu", value: 0.9}}, nil, nil)
	o.end = t0.Add(20 * time.Second)
	signals, _, infos := o.Result(nil)
	want := []report.Gap{{FromSeconds: 0, ToSeconds: 10, Error: "connection refused"}}
	if !reflect.DeepEqual(infos[0].Gaps, want) || infos[0].OK {
		t.Errorf("source %+v, want gaps %+v", infos[0], want)
	}
	if len(signals) != 1 || !reflect.DeepEqual(signals[0].Gaps, want) {
		t.Errorf("signals %+v, want gaps %+v", signals, want)
	}
}
