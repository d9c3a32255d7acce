package sim

import (
	"math"
	"testing"
	"time"

	"github.com/surge-sh/surge/pkg/units"
)

// fixedConfig is a small service with deterministic service times: every
// request of kind "k" takes 10ms + 90 × 1ms = 100ms.
func fixedConfig(replicas, slots int) Config {
	c := Config{
		Replicas: replicas, SlotsPerReplica: slots,
		Prefill: units.Duration(10 * time.Millisecond), PerToken: units.Duration(time.Millisecond),
		ColdStart: units.Duration(5 * time.Second),
		Kinds:     []Kind{{Name: "k", Tokens: Tokens{Min: 90, Max: 90}}, {Name: "long", Tokens: Tokens{Min: 990, Max: 990}}},
	}
	c.ApplyDefaults()
	return c
}

type recorder struct {
	done      []*Request
	decisions []Decision
	enq, deq  int
}

func (r *recorder) hooks() Hooks {
	return Hooks{
		Done:     func(q *Request) { r.done = append(r.done, q) },
		Scaled:   func(d Decision) { r.decisions = append(r.decisions, d) },
		Enqueued: func(*Request) { r.enq++ },
		Dequeued: func(*Request) { r.deq++ },
	}
}

// feed submits rate req/s evenly over [from, to) seconds.
func feed(m *Model, from, to, rate float64, spec RequestSpec) {
	for t := from; t < to; t += 1 / rate {
		m.Submit(time.Duration(t*float64(time.Second)), spec)
	}
}

func TestQueueGrowsUnderOverloadAndDrainsAfter(t *testing.T) {
	// 2 replicas × 2 slots × 10 req/s per slot = 40 req/s of capacity.
	var rec recorder
	m := NewModel(fixedConfig(2, 2), rec.hooks())
	feed(m, 0, 10, 30, RequestSpec{}) // below capacity
	if q := m.State().QueueDepth; q > 1 {
		t.Fatalf("queue %d under 75%% load", q)
	}
	feed(m, 10, 20, 60, RequestSpec{}) // 20 req/s over capacity for 10 s
	m.AdvanceTo(20 * time.Second)
	q := m.State().QueueDepth
	if q < 180 || q > 220 {
		t.Fatalf("queue after 10 s of +20 req/s = %d, want about 200", q)
	}
	if g := m.State().GPU(); g != 1 {
		t.Errorf("GPU %g while overloaded, want 1", g)
	}
	m.AdvanceTo(20*time.Second + time.Duration(q)*25*time.Millisecond + time.Second) // drains at 40/s
	if s := m.State(); s.QueueDepth != 0 || s.BusySlots != 0 {
		t.Errorf("after the drain: %+v", s)
	}
	for _, r := range rec.done {
		if r.Outcome != OutcomeOK {
			t.Fatalf("request %d ended %s without a client timeout", r.ID, r.Outcome)
		}
	}
	// FIFO: start times follow arrival order.
	for i := 1; i < len(rec.done); i++ {
		if a, b := rec.done[i-1], rec.done[i]; a.Arrived < b.Arrived && a.Started > b.Started {
			t.Fatalf("request %d started after the later request %d", a.ID, b.ID)
		}
	}
}

func TestServiceTimeFromTokens(t *testing.T) {
	m := NewModel(fixedConfig(1, 1), Hooks{})
	tests := []struct {
		name    string
		spec    RequestSpec
		kind    string
		tokens  int
		service time.Duration
	}{
		{"named kind", RequestSpec{Kind: "long"}, "long", 990, time.Second},
		{"unknown kind is the first", RequestSpec{Kind: "nope"}, "k", 90, 100 * time.Millisecond},
		{"missing kind is the first", RequestSpec{}, "k", 90, 100 * time.Millisecond},
		{"explicit tokens", RequestSpec{Kind: "long", Tokens: 40}, "long", 40, 50 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := m.Submit(m.Now(), tt.spec)
			if r.Kind != tt.kind || r.Tokens != tt.tokens || r.Service != tt.service {
				t.Errorf("got kind %q tokens %d service %s", r.Kind, r.Tokens, r.Service)
			}
			m.AdvanceTo(m.Now() + 2*time.Second)
			if r.Outcome != OutcomeOK || r.Latency() != tt.service {
				t.Errorf("outcome %s latency %s", r.Outcome, r.Latency())
			}
		})
	}
}

func TestTokenDrawsAreSeeded(t *testing.T) {
	c := fixedConfig(1, 1)
	c.Kinds = []Kind{{Name: "u", Tokens: Tokens{Min: 10, Max: 20}}, {Name: "n", Tokens: Tokens{Mean: 100, Stddev: 30}}}
	draw := func(seed int64) []int {
		c.Seed = seed
		m := NewModel(c, Hooks{})
		var out []int
		for i := range 200 {
			r := m.Submit(0, RequestSpec{Kind: []string{"u", "n"}[i%2]})
			if r.Kind == "u" && (r.Tokens < 10 || r.Tokens > 20) || r.Tokens < 1 {
				t.Fatalf("draw %d out of range for %s", r.Tokens, r.Kind)
			}
			out = append(out, r.Tokens)
		}
		return out
	}
	a, b, other := draw(7), draw(7), draw(8)
	same, diff := true, false
	for i := range a {
		same = same && a[i] == b[i]
		diff = diff || a[i] != other[i]
	}
	if !same || !diff {
		t.Errorf("same seed same draws: %v; other seed differs: %v", same, diff)
	}
}

func TestLeavingClientsLeaveTheQueue(t *testing.T) {
	var rec recorder
	m := NewModel(fixedConfig(1, 1), rec.hooks())
	first := m.Submit(0, RequestSpec{Kind: "long"}) // occupies the slot for 1 s
	patient := m.Submit(0, RequestSpec{})
	impatient := m.Submit(0, RequestSpec{Timeout: 300 * time.Millisecond})
	cancelled := m.Submit(0, RequestSpec{})
	if q := m.State().QueueDepth; q != 3 {
		t.Fatalf("queue %d, want 3", q)
	}
	m.Cancel(200*time.Millisecond, cancelled)
	m.AdvanceTo(400 * time.Millisecond)
	if q := m.State().QueueDepth; q != 1 {
		t.Fatalf("queue %d after two clients left, want 1", q)
	}
	if cancelled.Outcome != OutcomeCancelled || impatient.Outcome != OutcomeCancelled || impatient.Finished != 300*time.Millisecond {
		t.Errorf("cancelled %s, impatient %s at %s", cancelled.Outcome, impatient.Outcome, impatient.Finished)
	}
	// A client that leaves while served does not free the GPU.
	m.Cancel(500*time.Millisecond, first)
	m.AdvanceTo(2 * time.Second)
	if first.Outcome != OutcomeAbandoned || first.Finished != time.Second {
		t.Errorf("first: %s at %s, want abandoned at 1s", first.Outcome, first.Finished)
	}
	if patient.Outcome != OutcomeOK || patient.Started != time.Second || patient.QueueTime() != time.Second {
		t.Errorf("patient: %s started %s", patient.Outcome, patient.Started)
	}
	if rec.enq != 4 || rec.deq != 4 {
		t.Errorf("queue hooks: %d enqueued, %d dequeued; want 4 and 4", rec.enq, rec.deq)
	}
}

func TestColdStartDelaysCapacity(t *testing.T) {
	var rec recorder
	m := NewModel(fixedConfig(1, 1), rec.hooks())
	feed(m, 0, 1, 80, RequestSpec{}) // 80 requests, 8 s of work for one slot
	m.AdvanceTo(time.Second)
	m.scaleTo(3, "test", "")
	m.AdvanceTo(5900 * time.Millisecond)
	if s := m.State(); s.Ready != 1 || s.Starting != 2 || s.Desired != 3 {
		t.Fatalf("before the cold start ends: %+v", s)
	}
	m.AdvanceTo(6 * time.Second)
	if s := m.State(); s.Ready != 3 || s.Starting != 0 {
		t.Fatalf("after the cold start: %+v", s)
	}
	m.AdvanceTo(20 * time.Second)
	helped := 0
	for _, r := range rec.done {
		if r.Replica != 0 {
			helped++
			if r.Started < 6*time.Second {
				t.Fatalf("request %d started at %s on replica %d before it was ready", r.ID, r.Started, r.Replica)
			}
		}
	}
	if helped == 0 || len(rec.done) != rec.enq {
		t.Errorf("%d of %d requests served by the new replicas", helped, len(rec.done))
	}
	if len(rec.decisions) != 1 || rec.decisions[0].Direction() != "up" {
		t.Errorf("decisions %+v", rec.decisions)
	}
}

func TestScaleDownDrainsInFlightWork(t *testing.T) {
	m := NewModel(fixedConfig(2, 1), Hooks{})
	a := m.Submit(0, RequestSpec{Kind: "long"})
	b := m.Submit(0, RequestSpec{Kind: "long"})
	m.scaleTo(1, "test", "")
	if s := m.State(); s.Ready != 1 || s.Draining != 1 {
		t.Fatalf("after scale-down: %+v", s)
	}
	next := m.Submit(100*time.Millisecond, RequestSpec{})
	m.AdvanceTo(3 * time.Second)
	if a.Outcome != OutcomeOK || b.Outcome != OutcomeOK {
		t.Errorf("in-flight work lost: %s, %s", a.Outcome, b.Outcome)
	}
	if next.Started != time.Second || next.Replica == 1 {
		t.Errorf("new work went to the draining replica or did not wait: replica %d at %s", next.Replica, next.Started)
	}
	if s := m.State(); s.Ready != 1 || s.Draining != 0 {
		t.Errorf("drained replica not removed: %+v", s)
	}
	// A starting replica is removed before a ready one.
	m.scaleTo(2, "test", "")
	m.scaleTo(1, "test", "")
	if s := m.State(); s.Ready != 1 || s.Starting != 0 || s.Draining != 0 {
		t.Errorf("scale-down removed a ready replica before a starting one: %+v", s)
	}
}

func TestCPUPlateausWhileGPUSaturates(t *testing.T) {
	c := fixedConfig(3, 4)
	m := NewModel(c, Hooks{})
	feed(m, 0, 30, 200, RequestSpec{Timeout: 4 * time.Second}) // 1.67× capacity
	start := m.Usage()
	m.AdvanceTo(30 * time.Second)
	s := m.State()
	if s.GPU() != 1 {
		t.Errorf("GPU %g, want saturated", s.GPU())
	}
	wantCPU := c.CPU.Baseline + c.CPU.PerBusySlot*float64(c.SlotsPerReplica)
	if cpu := m.CPU(); math.Abs(cpu-wantCPU) > 1e-9 || cpu > 0.6 {
		t.Errorf("CPU %g, want the plateau %g (well below 70%%)", cpu, wantCPU)
	}
	u := m.Usage().Sub(start)
	if g := u.GPU(); g != 1 {
		t.Errorf("mean GPU over the last span %g", g)
	}
	// Idle: CPU is the baseline, GPU zero.
	m.AdvanceTo(60 * time.Second)
	idle := m.Usage()
	m.AdvanceTo(61 * time.Second)
	w := m.Usage().Sub(idle)
	if w.GPU() != 0 || math.Abs(w.CPU(c.CPU)-c.CPU.Baseline) > 1e-9 {
		t.Errorf("idle GPU %g CPU %g", w.GPU(), w.CPU(c.CPU))
	}
}

func TestGPURatio(t *testing.T) {
	m := NewModel(fixedConfig(2, 4), Hooks{})
	for range 3 {
		m.Submit(0, RequestSpec{Kind: "long"})
	}
	s := m.State()
	if s.BusySlots != 3 || s.ReadySlots != 8 || s.GPU() != 3.0/8 {
		t.Errorf("state %+v GPU %g, want 3/8", s, s.GPU())
	}
	// Busy slots spread over replicas: least busy first.
	m2 := NewModel(fixedConfig(2, 4), Hooks{})
	a, b := m2.Submit(0, RequestSpec{Kind: "long"}), m2.Submit(0, RequestSpec{Kind: "long"})
	if a.Replica == b.Replica {
		t.Errorf("two requests on replica %d while the other was idle", a.Replica)
	}
}

func TestBucketQuantileMatchesPrometheus(t *testing.T) {
	bounds := []float64{0.1, 0.2, 0.5}
	tests := []struct {
		name   string
		counts []float64
		q      float64
		want   float64
	}{
		{"interpolates in the bucket", []float64{0, 10, 0, 0}, 0.5, 0.15},
		{"first bucket starts at zero", []float64{10, 0, 0, 0}, 0.5, 0.05},
		{"rank in +Inf is the top bound", []float64{1, 0, 0, 9}, 0.95, 0.5},
		{"p95 across buckets", []float64{50, 40, 10, 0}, 0.95, 0.35},
		{"no data", []float64{0, 0, 0, 0}, 0.95, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := bucketQuantile(tt.q, bounds, tt.counts)
			if math.IsNaN(tt.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.want) > 1e-9) {
				t.Errorf("got %g, want %g", got, tt.want)
			}
		})
	}
}

func TestP95Window(t *testing.T) {
	m := NewModel(fixedConfig(1, 100), Hooks{})
	for i := range 100 {
		m.Submit(time.Duration(i)*10*time.Millisecond, RequestSpec{}) // 100 ms each
	}
	m.AdvanceTo(2 * time.Second)
	if p := m.P95(time.Minute); p < 50 || p > 100 {
		t.Errorf("P95 %g ms, want within the 50–100 ms bucket", p)
	}
	m.AdvanceTo(2 * time.Minute)
	if p := m.P95(time.Minute); !math.IsNaN(p) {
		t.Errorf("P95 %g ms over a window without completions, want NaN", p)
	}
}
