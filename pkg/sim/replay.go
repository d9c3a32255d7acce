package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"time"

	"github.com/surge-sh/surge/pkg/problem"
)

// Arrivals is how Replay spaces requests.
type Arrivals string

// Arrival processes.
const (
	// ArrivalsEven spaces arrivals evenly at the instantaneous rate, as
	// surge's load engine (vegeta's pacers) does: arrival k is sent when the
	// integral of the rate reaches k. It is the default, so that a replay
	// predicts what `surge run` will do.
	ArrivalsEven Arrivals = "even"
	// ArrivalsPoisson draws a non-homogeneous Poisson process with the rate
	// as intensity (exponential gaps in integrated-rate time).
	ArrivalsPoisson Arrivals = "poisson"
)

// KindWeight is one entry of a request mix.
type KindWeight struct {
	Kind   string
	Weight float64
}

// ReplayInput is a traffic curve to run through a model in virtual time.
type ReplayInput struct {
	// Duration of the arrivals; the replay then runs on until every request
	// has ended.
	Duration time.Duration
	// Rate is the arrival rate (req/s) at t seconds. When nil, Rates gives
	// one rate per second.
	Rate  func(t float64) float64
	Rates []float64
	// ClientTimeout is every client's patience (0 = clients wait forever).
	ClientTimeout time.Duration
	// Mix weights the request kinds; empty means every request is of the
	// first configured kind.
	Mix []KindWeight
	// Seed drives arrival gaps (Poisson) and kind picks; token draws use
	// the Config's seed.
	Seed     int64
	Arrivals Arrivals
}

// ReplayResult is what a replay measured.
type ReplayResult struct {
	// Seconds has one entry per second of Duration.
	Seconds   []Second
	Totals    Window
	Decisions []Decision
	requests  []clientRecord
}

// Second is one second of a replay. Arrivals, Timeouts and ClientP95Ms are
// by arrival second (the client's scheduled time); Completions by
// completion second; QueueDepth, Ready and Desired are sampled at the end of
// the second; GPU and CPU are means over the second.
type Second struct {
	T           int
	TargetRate  float64
	Arrivals    int
	Completions int
	Timeouts    int
	ClientP95Ms float64
	QueueDepth  int
	GPU         float64
	CPU         float64
	Ready       int
	Desired     int
}

// Window summarises a span of a replay.
type Window struct {
	From, To    float64 // seconds
	Requests    int
	Successes   int
	Timeouts    int
	TimeoutRate float64
	// ClientP95Ms counts a timed-out request at the client timeout, as a
	// load generator records it.
	ClientP95Ms float64
	MaxQueue    int
	MeanQueue   float64
	MeanGPU     float64
	MeanCPU     float64
	MaxCPU      float64
	MinReady    int
	MaxReady    int
	MaxDesired  int
}

type clientRecord struct {
	arrived float64 // seconds
	latency float64 // ms, as the client saw it
	timeout bool
}

// Replay runs cfg (defaulted and validated here) against the arrival curve
// in virtual time: no sleeping, deterministic for a given input.
func Replay(cfg Config, in ReplayInput) (*ReplayResult, error) {
	cfg.ApplyDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		return nil, fmt.Errorf("replay: invalid sim config: %w", errors.Join(problemsToErrors(ps)...))
	}
	if in.Duration <= 0 {
		return nil, errors.New("replay: duration must be positive")
	}
	rate := in.Rate
	if rate == nil {
		if len(in.Rates) == 0 {
			return nil, errors.New("replay: no arrival rate (set Rate or Rates)")
		}
		rates := in.Rates
		rate = func(t float64) float64 { return rates[min(int(t), len(rates)-1)] }
	}
	rng := rand.New(rand.NewSource(in.Seed))
	arrivals := arrivalTimes(rate, in.Duration.Seconds(), in.Arrivals, rng)
	kinds := kindPicker(cfg, in.Mix, rng)

	res := &ReplayResult{}
	secs := int(math.Ceil(in.Duration.Seconds()))
	res.Seconds = make([]Second, secs)
	pending := 0
	var m *Model
	m = NewModel(cfg, Hooks{
		Done: func(r *Request) {
			pending--
			rec := clientRecord{arrived: r.Arrived.Seconds(), latency: ms(r.Latency())}
			if r.Outcome != OutcomeOK {
				rec.timeout = true
				rec.latency = ms(in.ClientTimeout)
			} else if s := int(r.Finished.Seconds()); s < secs {
				res.Seconds[s].Completions++
			}
			res.requests = append(res.requests, rec)
		},
		Scaled: func(d Decision) { res.Decisions = append(res.Decisions, d) },
	})

	last := m.Usage()
	next := 0
	sample := func(s int) {
		m.AdvanceTo(time.Duration(s+1) * time.Second)
		u := m.Usage()
		d := u.Sub(last)
		last = u
		st := m.State()
		res.Seconds[s] = Second{
			T: s, TargetRate: rate(float64(s) + 0.5),
			Arrivals: res.Seconds[s].Arrivals, Completions: res.Seconds[s].Completions,
			QueueDepth: st.QueueDepth, GPU: nanZero(d.GPU()), CPU: nanZero(d.CPU(cfg.CPU)),
			Ready: st.Ready, Desired: st.Desired,
		}
	}
	for _, at := range arrivals {
		for next < secs && at >= float64(next+1) {
			sample(next)
			next++
		}
		res.Seconds[int(at)].Arrivals++
		pending++
		m.Submit(time.Duration(at*float64(time.Second)), RequestSpec{Kind: kinds(), Timeout: in.ClientTimeout})
	}
	for ; next < secs; next++ {
		sample(next)
	}
	// Let every request end: clients with a timeout leave by then.
	for end := m.Now() + 10*time.Minute; pending > 0 && m.Now() < end; {
		m.AdvanceTo(m.Now() + time.Second)
	}
	slices.SortStableFunc(res.requests, func(a, b clientRecord) int {
		switch {
		case a.arrived < b.arrived:
			return -1
		case a.arrived > b.arrived:
			return 1
		}
		return 0
	})
	for s := range res.Seconds {
		w := res.Window(float64(s), float64(s+1))
		res.Seconds[s].Timeouts = w.Timeouts
		res.Seconds[s].ClientP95Ms = w.ClientP95Ms
	}
	res.Totals = res.Window(0, float64(secs))
	return res, nil
}

// Window summarises the requests that arrived in [from, to) seconds and the
// seconds that start in it.
func (r *ReplayResult) Window(from, to float64) Window {
	w := Window{From: from, To: to, MinReady: math.MaxInt}
	var lat []float64
	for _, c := range r.requests {
		if c.arrived < from || c.arrived >= to {
			continue
		}
		w.Requests++
		if c.timeout {
			w.Timeouts++
		} else {
			w.Successes++
		}
		lat = append(lat, c.latency)
	}
	if w.Requests > 0 {
		w.TimeoutRate = float64(w.Timeouts) / float64(w.Requests)
		w.ClientP95Ms = percentile(lat, 0.95)
	}
	n := 0
	for _, s := range r.Seconds {
		if float64(s.T) < from || float64(s.T) >= to {
			continue
		}
		n++
		w.MaxQueue = max(w.MaxQueue, s.QueueDepth)
		w.MeanQueue += float64(s.QueueDepth)
		w.MeanGPU += s.GPU
		w.MeanCPU += s.CPU
		w.MaxCPU = max(w.MaxCPU, s.CPU)
		w.MinReady = min(w.MinReady, s.Ready)
		w.MaxReady = max(w.MaxReady, s.Ready)
		w.MaxDesired = max(w.MaxDesired, s.Desired)
	}
	if n > 0 {
		w.MeanQueue /= float64(n)
		w.MeanGPU /= float64(n)
		w.MeanCPU /= float64(n)
	} else {
		w.MinReady = 0
	}
	return w
}

// percentile is the nearest-rank percentile of v (which it sorts).
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	i := int(math.Ceil(q*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}

// arrivalTimes integrates rate over [0, dur) in 1 ms steps and emits an
// arrival each time the integral crosses the next threshold.
func arrivalTimes(rate func(float64) float64, dur float64, kind Arrivals, rng *rand.Rand) []float64 {
	const dt = 0.001
	nextThreshold := func(prev float64) float64 {
		if kind == ArrivalsPoisson {
			return prev + rng.ExpFloat64()
		}
		return prev + 1
	}
	var out []float64
	threshold := 0.0
	if kind == ArrivalsPoisson {
		threshold = nextThreshold(0)
	}
	cum := 0.0
	steps := int(math.Round(dur / dt))
	for i := range steps {
		t := float64(i) * dt
		r := max(0, rate(t+dt/2))
		after := cum + r*dt
		for after > cum && threshold <= after {
			frac := max(0, (threshold-cum)/(after-cum))
			if at := t + frac*dt; at < dur {
				out = append(out, at)
			}
			threshold = nextThreshold(threshold)
		}
		cum = after
	}
	return out
}

func kindPicker(cfg Config, mix []KindWeight, rng *rand.Rand) func() string {
	if len(mix) == 0 {
		name := cfg.Kinds[0].Name
		return func() string { return name }
	}
	total := 0.0
	for _, k := range mix {
		total += max(0, k.Weight)
	}
	return func() string {
		x := rng.Float64() * total
		for _, k := range mix {
			x -= max(0, k.Weight)
			if x < 0 {
				return k.Kind
			}
		}
		return mix[len(mix)-1].Kind
	}
}

func problemsToErrors(ps []problem.Problem) []error {
	errs := make([]error, len(ps))
	for i, p := range ps {
		errs[i] = p
	}
	return errs
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func nanZero(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return f
}
