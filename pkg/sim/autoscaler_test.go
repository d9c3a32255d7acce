package sim

import (
	"testing"
	"time"

	"github.com/surge-sh/surge/pkg/units"
)

func defaultHPA(lo, hi int) *hpa {
	var c Config
	c.ApplyDefaults()
	return newHPA(c.Autoscaler.HPA, lo, hi)
}

// Formula cases from "Algorithm details" of the HPA documentation and
// replica_calculator.go.
func TestCPUProposal(t *testing.T) {
	tests := []struct {
		name                     string
		current, ready, starting int
		mean, target             float64
		want                     int
	}{
		{"doc example 50 pods at 90% vs 75%", 50, 50, 0, 0.90, 0.75, 60},
		{"ratio 200/100 doubles", 3, 3, 0, 1.0, 0.5, 6},
		{"within tolerance above", 10, 10, 0, 0.76, 0.70, 10},
		{"within tolerance below", 10, 10, 0, 0.64, 0.70, 10},
		{"just outside tolerance", 10, 10, 0, 0.78, 0.70, 12},
		{"scale down", 4, 4, 0, 0.35, 0.70, 2},
		{"CPU plateau below target: no scale-up", 3, 3, 0, 0.55, 0.70, 3},
		{"uses ready pods, not spec", 5, 3, 0, 1.4, 0.70, 6},
		{"starting pods count as 0% on scale-up", 6, 3, 3, 1.4, 0.70, 6},
		{"starting pods: still above after rebalance", 4, 2, 2, 2.1, 0.70, 6},
		{"no ready pods: no metrics, no change", 3, 0, 3, 0, 0.70, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cpuProposal(tt.current, tt.ready, tt.starting, tt.mean, tt.target, 0.1); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAverageValueProposal(t *testing.T) {
	tests := []struct {
		name           string
		current        int
		metric, target float64
		want           int
	}{
		{"queue 500 / listLength 50", 3, 500, 50, 10},
		{"zero queue", 3, 0, 50, 0},
		{"within tolerance keeps current", 3, 160, 50, 3},
		{"P95 4200ms / 2000", 3, 4200, 2000, 3},
		{"P95 9000ms / 2000", 3, 9000, 2000, 5},
		{"rounds up", 3, 201, 50, 5},
		{"1% over is inside the tolerance", 4, 202, 50, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := averageValueProposal(tt.current, tt.metric, tt.target, 0.1); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

// Each step is one HPA sync: at, current replicas, metric proposal, and
// the replica count the controller sets.
type hpaStep struct {
	at                      time.Duration
	current, proposal, want int
}

func TestHPABehavior(t *testing.T) {
	s := time.Second
	tests := []struct {
		name   string
		lo, hi int
		seed   int
		steps  []hpaStep
	}{
		{
			name: "scale-up limited to max(4 pods, 100%) per 15s",
			lo:   1, hi: 100, seed: 3,
			steps: []hpaStep{
				{15 * s, 3, 30, 7},   // 3+4 > 3×2
				{30 * s, 7, 30, 14},  // the first event left the window: 7×2
				{35 * s, 14, 30, 14}, // +7 within the last 15 s: periodStart 7, limit 14
				{45 * s, 14, 30, 28}, // periodStart 14: 28
			},
		},
		{
			name: "small counts get 4 pods",
			lo:   1, hi: 100, seed: 1,
			steps: []hpaStep{{15 * s, 1, 10, 5}},
		},
		{
			name: "scale-down held by the stabilization window seeded with the start count",
			lo:   1, hi: 20, seed: 6,
			steps: []hpaStep{
				{15 * s, 6, 2, 6},
				{150 * s, 6, 2, 6},
				{299 * s, 6, 2, 6},
				{300 * s, 6, 2, 2},   // the seed at 0 s left the window (timestamps after now-300s count)
				{310 * s, 2, 5, 5},   // scale-up is not stabilized
				{320 * s, 5, 1, 5},   // the 5 of 310 s holds
				{611 * s, 5, 1, 1},   // window passed
				{612 * s, 1, 1, 1},   // nothing to do
				{613 * s, 1, 0, 1},   // min clamp
				{614 * s, 1, 50, 5},  // rate limit before max
				{630 * s, 5, 50, 10}, // doubled
				{645 * s, 10, 50, 20},
				{660 * s, 20, 50, 20}, // max clamp
			},
		},
		{
			name: "min and max clamp out-of-range counts before metrics",
			lo:   3, hi: 5, seed: 4,
			steps: []hpaStep{
				{15 * s, 8, 1, 5},
				{30 * s, 1, 9, 3},
			},
		},
		{
			name: "tolerance band: proposal equals current, nothing changes",
			lo:   1, hi: 10, seed: 4,
			steps: []hpaStep{{15 * s, 4, 4, 4}, {30 * s, 4, 4, 4}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := defaultHPA(tt.lo, tt.hi)
			h.seed(0, tt.seed)
			for i, st := range tt.steps {
				if got, why := h.decide(st.at, st.current, st.proposal); got != st.want {
					t.Fatalf("step %d at %s: current %d proposal %d -> %d (%s), want %d", i, st.at, st.current, st.proposal, got, why, st.want)
				}
			}
		})
	}
}

// syncTo advances a model to t and returns the desired replicas.
func desiredAt(m *Model, t time.Duration) int {
	m.AdvanceTo(t)
	return m.State().Desired
}

func TestHPACPUPolicyOnTheModel(t *testing.T) {
	c := fixedConfig(2, 4)
	c.Autoscaler.Policy = PolicyHPACPU
	c.Autoscaler.MaxReplicas = 10
	// A CPU-bound service this time: CPU reaches 95% with every slot busy.
	c.CPU = CPU{Baseline: 0.15, PerBusySlot: 0.2}
	var rec recorder
	m := NewModel(c, rec.hooks())
	feed(m, 0, 14, 60, RequestSpec{Timeout: 4 * time.Second}) // 75% of 80 req/s
	if d := desiredAt(m, 14*time.Second); d != 2 {
		t.Fatalf("desired %d before the first sync", d)
	}
	// Mean busy 3 of 4 slots: CPU 75% vs 70%: inside the tolerance.
	if d := desiredAt(m, 15*time.Second); d != 2 {
		t.Fatalf("desired %d at 75%% CPU, want no change (tolerance)", d)
	}
	feed(m, 15, 30, 200, RequestSpec{Timeout: 4 * time.Second})
	if d := desiredAt(m, 30*time.Second); d <= 2 || d > 6 {
		t.Fatalf("desired %d after 15 s at 95%% CPU, want a scale-up limited to 6", d)
	}
	if len(rec.decisions) == 0 || rec.decisions[0].Trigger != "cpu" || rec.decisions[0].At != 30*time.Second {
		t.Errorf("decisions %+v", rec.decisions)
	}
}

func TestKEDAPolicyOnTheModel(t *testing.T) {
	two := 2
	keda := func(triggers ...Trigger) Config {
		c := fixedConfig(2, 1) // 2 × 10 req/s
		c.Autoscaler.Policy = PolicyKEDA
		c.Autoscaler.KEDA = KEDA{MinReplicaCount: &two, MaxReplicaCount: 20, Triggers: triggers}
		c.ApplyDefaults()
		return c
	}
	redis := Trigger{Type: TriggerRedis, ListLength: 50}
	prom := Trigger{Type: TriggerPrometheus, Threshold: 2000, Window: units.Duration(30 * time.Second)}

	t.Run("max over triggers", func(t *testing.T) {
		var rec recorder
		m := NewModel(keda(prom, redis), rec.hooks())
		feed(m, 0, 15, 30, RequestSpec{}) // 10 req/s too many: queue ≈ 150 at 15 s
		m.AdvanceTo(15 * time.Second)
		q := m.State().QueueDepth
		// The sync saw the queue at 15 s, give or take the request that
		// completed at the same instant.
		if d := m.State().Desired; d*50 < q-1 || (d-1)*50 >= q+1 || d <= 2 {
			t.Fatalf("desired %d with queue %d, want ceil(q/50)", d, q)
		}
		if rec.decisions[0].Trigger != TriggerRedis {
			t.Errorf("decision by %q, want redis (queue beats P95)", rec.decisions[0].Trigger)
		}
	})
	t.Run("zero queue keeps minReplicaCount", func(t *testing.T) {
		c := keda(redis)
		c.Replicas = 5
		var rec recorder
		m := NewModel(c, rec.hooks())
		if d := desiredAt(m, 299*time.Second); d != 5 {
			t.Fatalf("desired %d inside the stabilization window", d)
		}
		if d := desiredAt(m, 301*time.Second); d != 2 {
			t.Fatalf("desired %d with an empty queue after the window, want minReplicaCount 2", d)
		}
	})
	t.Run("cooldown scales to zero only with minReplicaCount 0", func(t *testing.T) {
		c := keda(redis)
		zero := 0
		c.Autoscaler.KEDA.MinReplicaCount = &zero
		c.Autoscaler.KEDA.CooldownPeriod = units.Duration(120 * time.Second)
		c.Autoscaler.HPA.ScaleDownStabilization = new(units.Duration)
		var rec recorder
		m := NewModel(c, rec.hooks())
		if d := desiredAt(m, 20*time.Second); d != 1 {
			t.Fatalf("desired %d, want the HPA floor of 1", d)
		}
		if d := desiredAt(m, 119*time.Second); d != 1 {
			t.Fatalf("desired %d before the cooldown", d)
		}
		if d := desiredAt(m, 120*time.Second); d != 0 {
			t.Fatalf("desired %d after 120 s idle, want 0", d)
		}
		// Activation on the next poll after work arrives.
		m.Submit(125*time.Second, RequestSpec{})
		if d := desiredAt(m, 150*time.Second); d != 1 {
			t.Fatalf("desired %d after activation, want 1", d)
		}
		last := rec.decisions[len(rec.decisions)-1]
		if last.Trigger != "activation" || last.At != 150*time.Second {
			t.Errorf("last decision %+v, want activation at the 150 s poll", last)
		}
		m.AdvanceTo(160 * time.Second)
		if r := m.State(); r.Ready != 1 {
			t.Errorf("ready %d after the cold start", r.Ready)
		}
	})
}
