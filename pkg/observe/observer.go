package observe

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"time"

	"github.com/surge-sh/surge/pkg/report"
)

// Env is what an Observer takes from its surroundings.
type Env struct {
	// Getenv reads the environment (KUBECONFIG, token variables); nil means os.Getenv.
	Getenv func(string) string
	// Kubeconfig and KubeContext come from the --kubeconfig and --context flags.
	Kubeconfig, KubeContext string
	// DefaultScrapeURL is the in-process simulator's /metrics, when the
	// target is the simulator: it is scraped even without a scrape block.
	DefaultScrapeURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// source is one place signals are read from.
type source interface {
	meta() sourceMeta
	// check tells whether the source can be read at all.
	check(ctx context.Context) error
	// poll reads the current values. Readings with an error are per-signal
	// failures; a returned error means the source as a whole failed, though
	// the readings that did succeed still count.
	poll(ctx context.Context, start, now time.Time) ([]reading, []timedEvent, error)
}

// watcher is a source that also follows a stream during the run.
type watcher interface {
	watch(ctx context.Context, start time.Time, emit func(timedEvent))
}

// finisher is a source that can re-read the whole run at the end.
type finisher interface {
	finish(ctx context.Context, start, end time.Time, step time.Duration) []rangeResult
}

type sourceMeta struct {
	name, kind, detail string
	optional           bool
	// priority decides which source's series is reported when two give the
	// same signal: the one closer to the truth wins.
	priority int
	// eventSource names the source of replica-change events per signal.
	eventSource func(signal string) string
}

type reading struct {
	signal, unit, query string
	value               float64
	err                 error
}

type timedEvent struct {
	at time.Time
	ev report.ScaleEvent
	// sized is false when the event carries no replica counts: they are
	// filled from the replica series at that time.
	sized bool
	// toOnly is set when only the new size is known.
	toOnly bool
}

type rangeResult struct {
	signal, query string
	points        []timedValue
	err           error
}

type timedValue struct {
	at time.Time
	v  float64
}

type seriesKey struct{ source, signal string }

type seriesData struct {
	unit, query string
	points      []report.Point
	gaps        gapTracker
	// ranged is set when the end-of-run range query replaced the points.
	ranged bool
}

type sourceState struct {
	src     source
	checked error
	lastErr string
	gaps    gapTracker
	firstOK *float64
	note    string
}

// Observer polls its sources during a run and assembles what they saw.
type Observer struct {
	interval time.Duration
	now      func() time.Time
	sources  []*sourceState
	// tick makes the poll cadence injectable in tests.
	tick func(time.Duration) (<-chan time.Time, func())

	mu     sync.Mutex
	start  time.Time
	end    time.Time
	series map[seriesKey]*seriesData
	events []report.ScaleEvent
	sized  []bool
	toOnly []bool
}

// New builds an Observer from a defaulted, validated Config. It contacts
// nothing: Check does.
func New(cfg Config, env Env) (*Observer, error) {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	o := &Observer{
		interval: cfg.Interval.D(),
		now:      env.Now,
		series:   make(map[seriesKey]*seriesData),
		tick: func(d time.Duration) (<-chan time.Time, func()) {
			t := time.NewTicker(d)
			return t.C, t.Stop
		},
	}
	if cfg.Scrape != nil || env.DefaultScrapeURL != "" {
		sc := ScrapeConfig{}
		if cfg.Scrape != nil {
			sc = *cfg.Scrape
		}
		if sc.URL == "" {
			sc.URL = env.DefaultScrapeURL
		}
		if sc.URL == "" {
			return nil, errors.New("observe: scrape.url is required: the target is not the built-in simulator")
		}
		o.add(newScrapeSource(sc))
	}
	if cfg.Prometheus != nil {
		ps, err := newPrometheusSource(*cfg.Prometheus, cfg.Kubernetes, env)
		if err != nil {
			return nil, fmt.Errorf("observe: prometheus: %w", err)
		}
		o.add(ps)
	}
	if cfg.Kubernetes != nil {
		o.add(newKubeSource(*cfg.Kubernetes, env))
	}
	return o, nil
}

func (o *Observer) add(s source) { o.sources = append(o.sources, &sourceState{src: s}) }

// Check reaches every source once. An unreachable source that is not
// optional is an error naming it; an optional one is noted in the report
// and polled anyway, in case it comes up.
func (o *Observer) Check(ctx context.Context) error {
	var errs []error
	for _, s := range o.sources {
		m := s.src.meta()
		err := s.src.check(ctx)
		o.mu.Lock()
		s.checked = err
		if err != nil {
			s.lastErr = err.Error()
		}
		o.mu.Unlock()
		if err != nil && !m.optional {
			errs = append(errs, fmt.Errorf("observe %s: %w", m.name, err))
		}
	}
	return errors.Join(errs...)
}

// Run polls every source each interval, from start until ctx is done. A
// failing poll becomes a gap; the loop goes on.
func (o *Observer) Run(ctx context.Context, start time.Time) {
	o.mu.Lock()
	o.start = start
	o.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range o.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o.loop(ctx, s)
		}()
		if w, ok := s.src.(watcher); ok {
			wg.Add(1)
			go func() {
				defer wg.Done()
				w.watch(ctx, start, o.recordEvent)
			}()
		}
	}
	wg.Wait()
}

func (o *Observer) loop(ctx context.Context, s *sourceState) {
	ticks, stop := o.tick(o.interval)
	defer stop()
	for {
		o.pollOnce(ctx, s)
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
	}
}

// minPollTimeout keeps a short interval from turning a merely slow answer
// (a target busy under the very load surge sends) into a gap: a late
// sample is worth more than none, the ticker just skips the missed ticks.
const minPollTimeout = 5 * time.Second

// pollTimeout bounds one poll so that a hung server shows up as a gap
// instead of stalling the loop.
func (o *Observer) pollTimeout() time.Duration { return max(o.interval, minPollTimeout) }

func (o *Observer) pollOnce(ctx context.Context, s *sourceState) {
	if ctx.Err() != nil {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, o.pollTimeout())
	defer cancel()
	now := o.now()
	o.mu.Lock()
	start := o.start
	o.mu.Unlock()
	readings, evs, err := s.src.poll(pctx, start, now)
	if ctx.Err() != nil && err != nil {
		// The run ended during the poll: not a failure of the source.
		return
	}
	o.record(s, now, readings, evs, err)
}

// record stores the outcome of one poll made at now.
func (o *Observer) record(s *sourceState, now time.Time, readings []reading, evs []timedEvent, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := s.src.meta()
	t := o.seconds(now)
	if err != nil {
		s.lastErr = err.Error()
		s.gaps.fail(t, err.Error())
	} else {
		s.gaps.ok(t)
		if s.firstOK == nil {
			s.firstOK = &t
		}
	}
	for _, r := range readings {
		k := seriesKey{m.name, r.signal}
		sd := o.series[k]
		if sd == nil {
			sd = &seriesData{unit: unitOf(r.signal, r.unit), query: r.query}
			o.series[k] = sd
		}
		if r.err != nil {
			sd.gaps.fail(t, r.err.Error())
			s.lastErr = r.err.Error()
			continue
		}
		sd.gaps.ok(t)
		if math.IsNaN(r.value) || math.IsInf(r.value, 0) {
			// No value this time (a quantile over no traffic), which is
			// not a failure; JSON could not carry it anyway.
			continue
		}
		sd.points = append(sd.points, report.Point{t, r.value})
	}
	for _, e := range evs {
		o.addEventLocked(e)
	}
}

func (o *Observer) recordEvent(e timedEvent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.addEventLocked(e)
}

func (o *Observer) addEventLocked(e timedEvent) {
	ev := e.ev
	ev.Seconds = math.Max(0, o.seconds(e.at))
	o.events = append(o.events, ev)
	o.sized = append(o.sized, e.sized)
	o.toOnly = append(o.toOnly, e.toOnly)
}

func (o *Observer) seconds(t time.Time) float64 {
	if o.start.IsZero() {
		return 0
	}
	return t.Sub(o.start).Seconds()
}

// Last returns the latest value of a signal from the most trusted source
// that has one.
func (o *Observer) Last(name string) (float64, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sd := o.bestLocked(name)
	if sd == nil || len(sd.points) == 0 {
		return 0, false
	}
	return sd.points[len(sd.points)-1][1], true
}

// Finish closes the run at end: sources that can re-read the whole run (a
// Prometheus range query with step = interval) replace their live samples
// where that succeeds.
func (o *Observer) Finish(ctx context.Context, end time.Time) {
	o.mu.Lock()
	o.end = end
	start := o.start
	o.mu.Unlock()
	if start.IsZero() {
		return
	}
	for _, s := range o.sources {
		f, ok := s.src.(finisher)
		if !ok {
			continue
		}
		results := f.finish(ctx, start, end, o.interval)
		o.mu.Lock()
		name := s.src.meta().name
		var failed []string
		for _, r := range results {
			if r.err != nil {
				failed = append(failed, r.err.Error())
				continue
			}
			k := seriesKey{name, r.signal}
			sd := o.series[k]
			if sd == nil {
				sd = &seriesData{unit: unitOf(r.signal, ""), query: r.query}
				o.series[k] = sd
			}
			pts := make([]report.Point, 0, len(r.points))
			for _, p := range r.points {
				if math.IsNaN(p.v) || math.IsInf(p.v, 0) {
					continue
				}
				pts = append(pts, report.Point{o.seconds(p.at), p.v})
			}
			sd.points = pts
			sd.ranged = true
		}
		if len(failed) > 0 {
			s.note = "range query at the end failed, live samples kept: " + failed[0]
		}
		o.mu.Unlock()
	}
}
