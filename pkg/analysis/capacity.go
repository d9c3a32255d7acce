package analysis

import (
	"errors"
	"fmt"
	"math"

	"github.com/surge-sh/surge/pkg/report"
)

// The capacity estimators, as Capacity.Method names them.
const (
	MethodSaturation  = "saturation"
	MethodUtilization = "utilization"
)

// Capacity is the measured throughput of one ready replica.
type Capacity struct {
	// PerReplica is in requests per second per ready replica.
	PerReplica float64
	// Method is the estimator that produced it: MethodSaturation or
	// MethodUtilization.
	Method string
	// Samples is how many intervals or samples the median rests on.
	Samples int
}

// MeasureCapacity estimates the per-replica capacity from the run.
//
// The saturation estimator reads the intervals between two queue samples
// in which the service was provably saturated: the queue was non-empty at
// the start and grew, the GPU (when observed) was at GPUSaturated or more,
// the ready replica count did not change, and no client gave up (so no
// request left the queue but by being served). Over such an interval the
// service completed arrivals − queue growth requests, and
//
//	capacity = (∫ achieved_rate − (q_end − q_start)) / (Δt × ready)
//
// The median over the intervals is the estimate. When fewer than
// MinCapacitySamples intervals qualify, the utilization estimator reads
// the operational utilization law (X = U × capacity) on the GPU samples
// between UtilizationLow and UtilizationHigh with no queue and no timeouts,
// where the throughput X is the arrival rate:
//
//	capacity = achieved_rate / (ready × gpu)
func MeasureCapacity(r *report.Report) (Capacity, error) {
	in := capacityInputs{
		queue:    signalSeries(r, signalQueueDepth),
		ready:    signalSeries(r, signalReplicas),
		achieved: signalSeries(r, signalAchievedRate),
		timeouts: signalSeries(r, signalTimeoutRate).perSecond(),
		gpu:      signalSeries(r, signalGPU),
		timeout:  r.Target.Timeout,
	}
	if len(in.ready) == 0 || len(in.achieved) == 0 {
		return Capacity{}, errors.New("measure capacity: the report has no ready-replica or achieved-rate signal")
	}
	sat := in.saturated()
	if len(sat) >= MinCapacitySamples {
		return Capacity{PerReplica: round(median(sat), 3), Method: MethodSaturation, Samples: len(sat)}, nil
	}
	util := in.utilization()
	if len(util) >= MinCapacitySamples {
		return Capacity{PerReplica: round(median(util), 3), Method: MethodUtilization, Samples: len(util)}, nil
	}
	return Capacity{}, fmt.Errorf("measure capacity: %d saturated intervals and %d usable GPU samples, want %d of either (the run never saturated the service, and no GPU utilisation between %g and %g was observed)",
		len(sat), len(util), MinCapacitySamples, UtilizationLow, UtilizationHigh)
}

type capacityInputs struct {
	queue, ready, achieved, gpu series
	timeouts                    map[int]float64
	timeout                     float64
}

// saturated returns the per-replica completion rate of every saturated
// interval.
func (in capacityInputs) saturated() []float64 {
	var out []float64
	for i := 1; i < len(in.queue); i++ {
		a, b := in.queue[i-1], in.queue[i]
		dt := b[0] - a[0]
		if dt <= 0 || a[1] < 1 || b[1] <= a[1] {
			continue
		}
		if len(in.gpu) > 0 {
			if g, _ := in.gpu.at(b[0]); g < GPUSaturated {
				continue
			}
		}
		n, ok := in.steadyReady(a[0], b[0])
		if !ok || !in.noAbandon(a[0], b[0]) {
			continue
		}
		served := in.achieved.integral(a[0], b[0]) - (b[1] - a[1])
		if served <= 0 {
			continue
		}
		out = append(out, served/dt/n)
	}
	return out
}

// utilization returns achieved/(ready × gpu) for every usable GPU sample;
// a sample is the mean over the second before it.
func (in capacityInputs) utilization() []float64 {
	var out []float64
	for _, p := range in.gpu {
		t, g := p[0], p[1]
		if g < UtilizationLow || g > UtilizationHigh || t < 1 {
			continue
		}
		n, ok := in.steadyReady(t-1, t)
		if !ok {
			continue
		}
		if q, known := in.queue.at(t); known && q >= n {
			continue
		}
		if in.timeouts[int(math.Floor(t-1))] > 0 {
			continue
		}
		x := in.achieved.integral(t-1, t)
		if x <= 0 {
			continue
		}
		out = append(out, x/(n*g))
	}
	return out
}

// steadyReady returns the ready replica count when it held over [a, b].
func (in capacityInputs) steadyReady(a, b float64) (float64, bool) {
	n, _ := in.ready.at(a)
	if n < 1 || len(in.ready.changes(a, b+1e-9)) > 0 {
		return 0, false
	}
	return n, true
}

// noAbandon tells whether no client gave up during [a, b]: a request
// scheduled at second s times out at s+timeout, so the seconds scheduled
// in [a−timeout−1, b−timeout] must have had no timeouts.
func (in capacityInputs) noAbandon(a, b float64) bool {
	if in.timeout <= 0 {
		return true
	}
	for s := int(math.Floor(a-in.timeout)) - 1; s <= int(math.Floor(b-in.timeout)); s++ {
		if in.timeouts[s] > 0 {
			return false
		}
	}
	return true
}
