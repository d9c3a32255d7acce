package sim

import (
	"fmt"
	"math"
	"time"
)

// The autoscalers follow the Kubernetes HPA controller and KEDA:
//
//   - Algorithm: kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale
//     ("Algorithm details"): desired = ceil(current × currentMetric/target),
//     skipped while |1 − ratio| <= tolerance (0.1).
//   - Resource (CPU) metrics: pkg/controller/podautoscaler/replica_calculator.go
//     GetResourceReplicas: the mean utilisation of ready pods; on a scale-up
//     not-yet-ready pods count as 0% and the ratio is recomputed.
//   - External metrics with an AverageValue target (what KEDA's triggers
//     become): GetExternalPerPodMetricReplicas: ratio = metric/(target ×
//     statusReplicas); outside the tolerance, desired = ceil(metric/target).
//   - Behavior: pkg/controller/podautoscaler/horizontal.go,
//     normalizeDesiredReplicasWithBehaviors: stabilizeRecommendationWithBehaviors
//     (scale-down takes the highest recommendation of the last 300 s; the
//     history is seeded with the current replica count by
//     recordInitialRecommendation) then convertDesiredReplicasWithBehaviorRate
//     with the default policies: up by max(4 pods, 100%) per 15 s, down by
//     100% per 15 s, and the minReplicas/maxReplicas clamps.
//   - KEDA: keda.sh/docs/latest/reference/scaledobject-spec: the operator
//     polls triggers every pollingInterval to activate (0 -> 1) and, only
//     when minReplicaCount is 0, to scale to zero after cooldownPeriod
//     without activity; 1..N is the HPA above, fed by KEDA's metrics server
//     (each HPA sync queries the triggers unless useCachedMetrics).
//     Scalers: redis (LLEN of listName, target listLength) and prometheus
//     (query result, target threshold), both AverageValue by default.

type scaler interface{ policy() Policy }

func newScaler(c *Config, m *Model) scaler {
	a := c.Autoscaler
	switch a.Policy {
	case PolicyHPACPU:
		s := &cpuScaler{m: m, h: newHPA(a.HPA, a.MinReplicas, a.MaxReplicas), sync: a.HPA.SyncPeriod.D()}
		s.h.seed(0, m.desired)
		s.last = m.Usage()
		m.schedule(s.sync, s.tick)
		return s
	case PolicyKEDA:
		lo := max(*a.KEDA.MinReplicaCount, 1) // the HPA KEDA creates never goes below 1
		s := &kedaScaler{m: m, cfg: a.KEDA, h: newHPA(a.HPA, lo, a.KEDA.MaxReplicaCount), sync: a.HPA.SyncPeriod.D()}
		s.h.seed(0, m.desired)
		m.schedule(s.cfg.PollingInterval.D(), s.poll)
		m.schedule(s.sync, s.tick)
		return s
	}
	return nil
}

// hpa is the scale-normalisation part of the HPA controller: stabilization
// window, scaling policies, min/max. Times are offsets; nothing reads a clock.
type hpa struct {
	min, max   int
	tolerance  float64
	downWindow time.Duration
	upPods     int
	upPercent  int
	upPeriod   time.Duration
	downPeriod time.Duration
	recs       []timedCount // unstabilized recommendations
	upEvents   []timedCount // replicas added
	downEvents []timedCount // replicas removed
}

type timedCount struct {
	at time.Duration
	n  int
}

func newHPA(c HPA, lo, hi int) *hpa {
	return &hpa{
		min: lo, max: hi,
		tolerance:  *c.Tolerance,
		downWindow: c.ScaleDownStabilization.D(),
		upPods:     c.ScaleUpPods,
		upPercent:  c.ScaleUpPercent,
		upPeriod:   c.ScaleUpPeriod.D(),
		downPeriod: DefaultScalePeriod,
	}
}

// seed records the replica count seen when the controller first handles the
// HPA (recordInitialRecommendation), which holds scale-downs for a window.
func (h *hpa) seed(at time.Duration, current int) {
	h.recs = append(h.recs, timedCount{at, current})
}

// decide turns a metric proposal into the replica count the controller sets
// now, recording what it needs for later decisions, and says why.
func (h *hpa) decide(now time.Duration, current, proposal int) (int, string) {
	if current > h.max {
		return h.max, "current number of replicas above maxReplicas"
	}
	if current < h.min {
		return h.min, "current number of replicas below minReplicas"
	}
	stabilized, why := h.stabilize(now, current, proposal)
	desired, limit := h.limitRate(now, current, stabilized)
	if limit != "" {
		why = limit
	}
	if desired > current {
		h.upEvents = append(h.upEvents, timedCount{now, desired - current})
	} else if desired < current {
		h.downEvents = append(h.downEvents, timedCount{now, current - desired})
	}
	return desired, why
}

// stabilize is stabilizeRecommendationWithBehaviors: scale-ups use the
// lowest recommendation of the scale-up window (0 s by default, so the
// proposal itself); scale-downs the highest of the scale-down window.
func (h *hpa) stabilize(now time.Duration, current, proposal int) (int, string) {
	rec, why := proposal, ""
	if proposal < current {
		for _, r := range h.recs {
			if r.at > now-h.downWindow && r.n > rec {
				rec = r.n
				why = fmt.Sprintf("scale-down stabilized: highest recommendation of the last %s is %d", h.downWindow, r.n)
			}
		}
	}
	// keep only what the longest window can still use
	keep := h.recs[:0]
	for _, r := range h.recs {
		if r.at > now-h.downWindow {
			keep = append(keep, r)
		}
	}
	h.recs = append(keep, timedCount{now, proposal})
	return rec, why
}

// limitRate is convertDesiredReplicasWithBehaviorRate with the default
// policies (selectPolicy Max): scale-up at most to max(periodStart + pods,
// ceil(periodStart × (1 + percent/100))), scale-down at most 100% per period.
func (h *hpa) limitRate(now time.Duration, current, desired int) (int, string) {
	switch {
	case desired > current:
		start := current - changes(h.upEvents, now, h.upPeriod)
		limit := max(start+h.upPods, int(math.Ceil(float64(start)*(1+float64(h.upPercent)/100))))
		limit = max(limit, current)
		if limit < h.max && desired > limit {
			return limit, fmt.Sprintf("scale-up limited to %d (max of %d pods or %d%% per %s)", limit, h.upPods, h.upPercent, h.upPeriod)
		}
		if desired > h.max {
			return h.max, fmt.Sprintf("desired %d above maxReplicas", desired)
		}
	case desired < current:
		// 100% per period: the only floor is minReplicas.
		if desired < h.min {
			return h.min, fmt.Sprintf("desired %d below minReplicas", desired)
		}
	}
	return desired, ""
}

func changes(events []timedCount, now, period time.Duration) int {
	n := 0
	for _, e := range events {
		if e.at > now-period {
			n += e.n
		}
	}
	return n
}

// cpuProposal is GetResourceReplicas for one CPU metric: meanReady is the
// mean utilisation of ready pods and target the target (both ratios).
func cpuProposal(current, ready, starting int, meanReady, target, tolerance float64) int {
	if ready == 0 || math.IsNaN(meanReady) {
		return current // no metrics for any ready pod: no scaling
	}
	// The controller works in whole percent (GetResourceUtilizationRatio
	// divides milli-values as integers); so does the model.
	pct := func(x float64) float64 { return math.Floor(x*100 + 1e-9) }
	target = pct(target)
	ratio := pct(meanReady) / target
	rebalance := starting > 0 && ratio > 1
	if !rebalance {
		if math.Abs(1-ratio) <= tolerance {
			return current
		}
		return int(math.Ceil(ratio * float64(ready)))
	}
	// On a scale-up, pods still starting are assumed to use 0%.
	n := ready + starting
	newRatio := pct(meanReady*float64(ready)/float64(n)) / target
	if math.Abs(1-newRatio) <= tolerance || newRatio < 1 {
		return current
	}
	proposal := int(math.Ceil(newRatio * float64(n)))
	if proposal < current {
		return current
	}
	return proposal
}

// averageValueProposal is GetExternalPerPodMetricReplicas: metric is the
// trigger's value, target its per-replica target (AverageValue).
func averageValueProposal(current int, metric, target, tolerance float64) int {
	if current == 0 {
		return 0
	}
	ratio := metric / (target * float64(current))
	if math.Abs(1-ratio) <= tolerance {
		return current
	}
	return int(math.Ceil(metric / target))
}

// cpuScaler is the hpa-cpu policy.
type cpuScaler struct {
	m    *Model
	h    *hpa
	sync time.Duration
	last Usage
}

func (s *cpuScaler) policy() Policy { return PolicyHPACPU }

func (s *cpuScaler) tick(m *Model) {
	m.schedule(m.now+s.sync, s.tick)
	u := m.Usage()
	mean := u.Sub(s.last).CPU(m.cfg.CPU)
	s.last = u
	st := m.State()
	target := m.cfg.Autoscaler.HPA.TargetCPU / 100
	current := m.specReplicas()
	proposal := cpuProposal(current, st.Ready, st.Starting, mean, target, s.h.tolerance)
	desired, why := s.h.decide(m.now, current, proposal)
	if why == "" {
		why = fmt.Sprintf("cpu %.0f%% vs target %.0f%%", mean*100, target*100)
	}
	m.scaleTo(desired, "cpu", why)
}

// kedaScaler is the keda policy: KEDA's operator loop plus the HPA it owns.
type kedaScaler struct {
	m          *Model
	cfg        KEDA
	h          *hpa
	sync       time.Duration
	lastActive time.Duration
	cached     []float64
}

func (s *kedaScaler) policy() Policy { return PolicyKEDA }

// TriggerValue is the current value of trigger t: the queue length for
// redis, the server-side P95 in ms over its window for prometheus (0 when
// there is no data, as KEDA's ignoreNullValues does).
func (m *Model) TriggerValue(t Trigger) float64 {
	switch t.Type {
	case TriggerRedis:
		return float64(m.queueLen)
	case TriggerPrometheus:
		v := m.P95(t.Window.D())
		if math.IsNaN(v) {
			return 0
		}
		return v
	}
	return 0
}

func (s *kedaScaler) sample(m *Model) []float64 {
	v := make([]float64, len(s.cfg.Triggers))
	for i, t := range s.cfg.Triggers {
		v[i] = m.TriggerValue(t)
	}
	return v
}

// poll is the KEDA operator's loop: activation and scale to zero.
func (s *kedaScaler) poll(m *Model) {
	m.schedule(m.now+s.cfg.PollingInterval.D(), s.poll)
	values := s.sample(m)
	s.cached = values
	active := false
	for i, t := range s.cfg.Triggers {
		act := float64(t.ActivationListLength)
		if t.Type == TriggerPrometheus {
			act = float64(t.ActivationThreshold)
		}
		if values[i] > act {
			active = true
		}
	}
	if active {
		s.lastActive = m.now
	}
	cur, minCount := m.specReplicas(), *s.cfg.MinReplicaCount
	switch {
	case cur == 0 && active:
		m.scaleTo(max(minCount, 1), "activation", "a trigger is active")
	case cur > 0 && !active && minCount == 0 && m.now-s.lastActive >= s.cfg.CooldownPeriod.D():
		m.scaleTo(0, "cooldown", fmt.Sprintf("no trigger active for %s", s.cfg.CooldownPeriod))
	case cur > 0 && cur < minCount:
		m.scaleTo(minCount, "min", "below minReplicaCount")
	}
}

// tick is a sync of the HPA KEDA owns: the max of the triggers' proposals.
func (s *kedaScaler) tick(m *Model) {
	m.schedule(m.now+s.sync, s.tick)
	current := m.specReplicas()
	if current == 0 {
		return // the HPA does not scale a target at zero; KEDA activates it
	}
	values := s.cached
	if !s.cfg.UseCachedMetrics || values == nil {
		values = s.sample(m)
	}
	proposal, trigger, why := 0, "", ""
	for i, t := range s.cfg.Triggers {
		target := float64(t.ListLength)
		if t.Type == TriggerPrometheus {
			target = float64(t.Threshold)
		}
		p := averageValueProposal(current, values[i], target, s.h.tolerance)
		if trigger == "" || p > proposal {
			proposal, trigger = p, t.Type
			why = fmt.Sprintf("%s %.0f vs %s per replica", t.Type, values[i], Number(target))
		}
	}
	desired, limit := s.h.decide(m.now, current, proposal)
	if limit != "" {
		why = limit
	}
	m.scaleTo(desired, trigger, why)
}
