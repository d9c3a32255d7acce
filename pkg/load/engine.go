package load

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/surge-sh/surge/pkg/redact"
	"github.com/surge-sh/surge/pkg/report"
)

// Defaults for the engine's options.
const (
	DefaultTimeout = 30 * time.Second
	// DefaultMaxBody bounds how much of each response is read into memory;
	// the rest is drained and counted. Bodies are never kept.
	DefaultMaxBody = 512
	// flushEvery bounds what a crash can lose from the results stream.
	flushEvery = time.Second
	// DefaultIdleConnTimeout closes connections idle this long. vegeta
	// keeps up to 10000 idle connections per host with no timeout, so the
	// pool ratchets up to the largest concurrency spike of the run and a
	// long run holds more memory than a short one. Go reuses the most
	// recently idled connection first, so connections opened for a spike
	// are the ones that sit idle and close.
	DefaultIdleConnTimeout = 5 * time.Second
)

// Options configure one run of the engine.
type Options struct {
	Schedule *Schedule
	Targeter *Targeter
	// Timeout is the user-facing timeout.
	Timeout time.Duration
	// MaxInFlight caps concurrent requests (vegeta's MaxWorkers).
	MaxInFlight int
	// InsecureSkipVerify turns TLS verification off; it is on by default.
	InsecureSkipVerify bool
	KeepAlive          bool
	// LateTolerance: sent later than scheduled by more than this counts as delayed.
	LateTolerance time.Duration
	// Results receives the raw results stream (vegeta's gob encoding, so
	// `vegeta report` reads it too). May be nil.
	Results io.Writer
	// OnStart is called once with the attack's start time, as soon as it
	// is known (before any result).
	OnStart func(began time.Time)
	// Name labels the attack.
	Name string
	// OnSample, when set, sees every finished request (from the results
	// loop: it must be quick), e.g. to export surge's own metrics.
	OnSample func(Sample)
}

// Outcome is what a run measured.
type Outcome struct {
	Began, Ended time.Time
	Stages       []report.Stats
	Totals       report.Stats
	Seconds      []Second
	// Stopped is true when the context ended the run early.
	Stopped bool
	// Err is a failure that ended the run (e.g. a request template that
	// cannot render); the figures up to it are still filled.
	Err error
}

// Engine runs one schedule against one targeter.
type Engine struct {
	opts  Options
	agg   *Aggregator
	mu    sync.Mutex // guards agg between the results loop and Live
	began atomic.Pointer[time.Time]
	recvd atomic.Uint64
	errs  atomic.Int64
}

// NewEngine prepares a run.
func NewEngine(opts Options) *Engine {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.LateTolerance <= 0 {
		opts.LateTolerance = DefaultLateTolerance
	}
	e := &Engine{opts: opts}
	e.agg = NewAggregator(opts.Schedule, opts.Targeter.Names(), opts.Targeter.KindFor, opts.Timeout, opts.LateTolerance)
	return e
}

// startPacer records when vegeta's attack began: the first Pace call is
// made right after, with the elapsed time since then.
type startPacer struct {
	Pacer
	once sync.Once
	e    *Engine
}

func (p *startPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	p.once.Do(func() {
		b := time.Now().Add(-elapsed)
		p.e.began.Store(&b)
		if p.e.opts.OnStart != nil {
			p.e.opts.OnStart(b)
		}
	})
	return p.Pacer.Pace(elapsed, hits)
}

// Run sends the schedule and returns what clients saw. Cancelling ctx stops
// sending; requests in flight finish (bounded by the timeout) and count.
func (e *Engine) Run(ctx context.Context) (*Outcome, error) {
	o := e.opts
	maxInFlight := uint64(o.MaxInFlight)
	if maxInFlight == 0 {
		maxInFlight = vegeta.DefaultMaxWorkers
	}
	dialer := &net.Dialer{KeepAlive: 30 * time.Second}
	client := &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         dialer.DialContext,
		MaxIdleConnsPerHost: vegeta.DefaultConnections,
		IdleConnTimeout:     DefaultIdleConnTimeout,
	}}
	atk := vegeta.NewAttacker(
		vegeta.Client(client), // first: the options below adjust its transport
		vegeta.Timeout(o.Timeout),
		vegeta.MaxWorkers(maxInFlight),
		vegeta.Workers(min(maxInFlight, vegeta.DefaultWorkers)),
		vegeta.MaxBody(DefaultMaxBody),
		vegeta.KeepAlive(o.KeepAlive),
		vegeta.TLSConfig(&tls.Config{InsecureSkipVerify: o.InsecureSkipVerify}), //nolint:gosec // opt-in, documented
		vegeta.Redirects(vegeta.DefaultRedirects),
	)
	var targetErr atomic.Pointer[error]
	tr := func(t *vegeta.Target) error {
		err := o.Targeter.Target(t)
		if err != nil {
			targetErr.CompareAndSwap(nil, &err)
		}
		return err
	}

	var enc vegeta.Encoder
	var bw *bufio.Writer
	if o.Results != nil {
		bw = bufio.NewWriterSize(o.Results, 64<<10)
		enc = vegeta.NewEncoder(bw)
	}
	stopped := atomic.Bool{}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stopped.Store(true)
			atk.Stop()
		case <-done:
		}
	}()

	results := atk.Attack(tr, &startPacer{Pacer: Pacer{S: o.Schedule}, e: e}, 0, o.Name)
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	var encErr error
loop:
	for {
		select {
		case res, ok := <-results:
			if !ok {
				break loop
			}
			s := e.sample(res)
			if enc != nil && encErr == nil {
				// The stream keeps what clients saw, never a credential
				// that rode in a URL; the kind marker survives.
				res.Body, res.Headers = nil, nil
				res.URL = redact.URL(res.URL)
				encErr = enc.Encode(res)
			}
			e.mu.Lock()
			e.agg.Add(s)
			e.mu.Unlock()
			if o.OnSample != nil {
				o.OnSample(s)
			}
			e.recvd.Add(1)
			if s.Class != ClassOK {
				e.errs.Add(1)
			}
		case <-flush.C:
			if bw != nil && encErr == nil {
				encErr = bw.Flush()
			}
		}
	}
	close(done)
	ended := time.Now()
	if bw != nil && encErr == nil {
		encErr = bw.Flush()
	}
	out := &Outcome{Ended: ended, Stopped: stopped.Load()}
	if b := e.began.Load(); b != nil {
		out.Began = *b
	} else {
		out.Began = ended
	}
	ranFor := o.Schedule.Duration()
	if out.Stopped {
		ranFor = min(ranFor, ended.Sub(out.Began))
	}
	e.mu.Lock()
	out.Stages, out.Totals = e.agg.Stats(ranFor)
	out.Seconds = e.agg.Seconds()
	e.mu.Unlock()
	if p := targetErr.Load(); p != nil {
		out.Err = fmt.Errorf("build request: %w", *p)
	}
	if encErr != nil {
		return out, fmt.Errorf("write results stream: %w", encErr)
	}
	return out, nil
}

// sample turns a vegeta result into a Sample relative to the run start.
func (e *Engine) sample(r *vegeta.Result) Sample {
	var began time.Time
	if b := e.began.Load(); b != nil {
		began = *b
	}
	return SampleOf(r, began, e.opts.Schedule)
}

// SampleOf normalises a result against the run start and the schedule: the
// same arithmetic for a live run and for a report rebuilt from the stream.
func SampleOf(r *vegeta.Result, began time.Time, s *Schedule) Sample {
	kind, _ := KindOf(r.URL)
	sent := r.Timestamp.Sub(began)
	sched, ok := s.At(r.Seq)
	if !ok || sched > sent {
		// vegeta numbers hits in the order workers pick them up, which can
		// swap neighbours by a tick; never date a request after its send.
		sched = min(sched, sent)
	}
	return Sample{
		Seq:       r.Seq,
		Kind:      kind,
		Scheduled: sched,
		Sent:      sent,
		Service:   r.Latency,
		Latency:   sent + r.Latency - sched,
		Class:     Classify(r.Code, r.Error),
		BytesIn:   r.BytesIn,
		BytesOut:  r.BytesOut,
	}
}

// Live is a snapshot of the run for the live view and abort checks.
type Live struct {
	Elapsed    time.Duration
	Stage      string
	TargetRate float64
	Sent       uint64
	Done       uint64
	InFlight   uint64
	Failed     int64
	// Window is client figures over the last WindowLen.
	Window report.Stats
}

// Snapshot returns live figures, with a sliding window of length window.
func (e *Engine) Snapshot(now time.Time, window time.Duration) Live {
	var l Live
	b := e.began.Load()
	if b == nil {
		return l
	}
	l.Elapsed = now.Sub(*b)
	s := e.opts.Schedule
	l.Stage = s.Stages()[s.StageAt(l.Elapsed)].Name
	l.TargetRate = s.Rate(l.Elapsed)
	l.Sent = e.opts.Targeter.Built()
	l.Done = e.recvd.Load()
	if l.Sent > l.Done {
		l.InFlight = l.Sent - l.Done
	}
	l.Failed = e.errs.Load()
	e.mu.Lock()
	l.Window = e.agg.Window(l.Elapsed, window)
	e.mu.Unlock()
	return l
}
