package load

import (
	"math"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/surge-sh/surge/pkg/report"
)

// Sample is one finished request, with times relative to the run start.
type Sample struct {
	Seq  uint64
	Kind int
	// Scheduled is when the schedule said to send it; Sent is when it went.
	Scheduled, Sent time.Duration
	// Service is measured from Sent; Latency from Scheduled (what the user
	// waited: coordinated omission corrected).
	Service, Latency time.Duration
	Class            Class
	BytesIn          uint64
	BytesOut         uint64
}

// End is when the request finished.
func (s Sample) End() time.Duration { return s.Sent + s.Service }

// Histogram ranges. Values are microseconds; anything above an hour is
// recorded as an hour.
const (
	histMax       = int64(time.Hour / time.Microsecond)
	stageSigFigs  = 3 // 0.1%: stage and run percentiles people compare
	secondSigFigs = 2 // 1%: per-second series for charts and live checks
)

// DefaultLateTolerance is how late a request may go out before it is counted
// as delayed: above timer jitter, below anything a user would notice.
const DefaultLateTolerance = 10 * time.Millisecond

type bucket struct {
	requests, successes, timeouts, delayed int64
	byClass                                [numClasses]int64
	sentIn                                 int64 // requests whose send time fell in the span
	bytesIn, bytesOut                      int64
	lat, svc                               *hdr.Histogram
}

func newBucket(sig int) *bucket {
	return &bucket{lat: hdr.New(1, histMax, sig), svc: hdr.New(1, histMax, sig)}
}

func (b *bucket) add(s Sample, late time.Duration) {
	b.requests++
	b.byClass[s.Class]++
	switch s.Class {
	case ClassOK:
		b.successes++
	case ClassTimeout:
		b.timeouts++
	}
	if s.Sent-s.Scheduled > late {
		b.delayed++
	}
	b.bytesIn += int64(s.BytesIn)
	b.bytesOut += int64(s.BytesOut)
	record(b.lat, s.Latency)
	record(b.svc, s.Service)
}

func (b *bucket) reset() {
	lat, svc := b.lat, b.svc
	lat.Reset()
	svc.Reset()
	*b = bucket{lat: lat, svc: svc}
}

func record(h *hdr.Histogram, d time.Duration) {
	v := int64(d / time.Microsecond)
	if v < 1 {
		v = 1
	}
	if v > histMax {
		v = histMax
	}
	_ = h.RecordValue(v)
}

func latency(h *hdr.Histogram) report.Latency {
	if h.TotalCount() == 0 {
		return report.Latency{}
	}
	ms := func(us int64) float64 { return math.Round(float64(us)) / 1000 }
	return report.Latency{
		Min:  ms(h.Min()),
		Mean: math.Round(h.Mean()) / 1000,
		P50:  ms(h.ValueAtQuantile(50)),
		P90:  ms(h.ValueAtQuantile(90)),
		P95:  ms(h.ValueAtQuantile(95)),
		P99:  ms(h.ValueAtQuantile(99)),
		Max:  ms(h.Max()),
	}
}

// Second is what clients saw of the requests scheduled in one second.
type Second struct {
	T        int // seconds since the run start
	Target   float64
	Sent     int64 // requests whose send time fell in this second
	Requests int64 // requests scheduled in this second that finished
	OK       int64
	Timeouts int64
	Errors   int64
	P95Ms    float64
}

// Aggregator folds samples into per-stage, per-kind, per-second and
// sliding-window figures. Memory depends on the number of stages and kinds
// and on the timeout, never on the number of requests. Not safe for
// concurrent use: the engine feeds it from one goroutine and guards reads.
type Aggregator struct {
	sched   *Schedule
	kinds   []string
	kindFor func(uint64) int
	late    time.Duration
	timeout time.Duration

	stages    []*bucket
	stageKind [][]*bucket
	total     *bucket
	totalKind []*bucket

	// per-second buckets by scheduled time: open ones until no more
	// results can arrive for them, then folded into seconds.
	open    map[int]*bucket
	free    []*bucket
	seconds []Second
	sentPer map[int]int64
	done    int // seconds below this are final

	// window: per completion second, for live figures.
	ring      []*bucket
	ringSec   []int
	watermark time.Duration
}

// NewAggregator prepares an aggregator for a schedule. kindFor maps a
// request number to its kind (for planned counts per kind); timeout bounds
// how long a second stays open.
func NewAggregator(s *Schedule, kinds []string, kindFor func(uint64) int, timeout, late time.Duration) *Aggregator {
	if late <= 0 {
		late = DefaultLateTolerance
	}
	if len(kinds) == 0 {
		kinds = []string{"default"}
	}
	a := &Aggregator{
		sched: s, kinds: kinds, kindFor: kindFor, late: late, timeout: timeout,
		total:   newBucket(stageSigFigs),
		open:    map[int]*bucket{},
		sentPer: map[int]int64{},
	}
	for range s.Stages() {
		a.stages = append(a.stages, newBucket(stageSigFigs))
		var ks []*bucket
		if len(kinds) > 1 {
			for range kinds {
				ks = append(ks, newBucket(stageSigFigs))
			}
		}
		a.stageKind = append(a.stageKind, ks)
	}
	if len(kinds) > 1 {
		for range kinds {
			a.totalKind = append(a.totalKind, newBucket(stageSigFigs))
		}
	}
	const windowSeconds = 60
	a.ring = make([]*bucket, windowSeconds)
	a.ringSec = make([]int, windowSeconds)
	for i := range a.ring {
		a.ring[i] = newBucket(secondSigFigs)
		a.ringSec[i] = -1
	}
	return a
}

// Add folds one sample in.
func (a *Aggregator) Add(s Sample) {
	if s.Latency < s.Service {
		s.Latency = s.Service
	}
	// A user-facing timeout is counted from when the user asked: a request
	// the client sent late that then answered past the deadline timed out
	// for that user too.
	if s.Class == ClassOK && a.timeout > 0 && s.Latency > a.timeout {
		s.Class = ClassTimeout
	}
	si := a.sched.StageAt(s.Scheduled)
	a.stages[si].add(s, a.late)
	a.total.add(s, a.late)
	a.stages[a.sched.StageAt(s.Sent)].sentIn++
	a.total.sentIn++
	if len(a.totalKind) > 0 && s.Kind >= 0 && s.Kind < len(a.totalKind) {
		a.stageKind[si][s.Kind].add(s, a.late)
		a.totalKind[s.Kind].add(s, a.late)
	}

	sec := int(s.Scheduled / time.Second)
	a.sentPer[int(s.Sent/time.Second)]++
	if sec >= a.done {
		b := a.open[sec]
		if b == nil {
			b = a.newSecondBucket()
			a.open[sec] = b
		}
		b.add(s, a.late)
	} else if i := sec; i < len(a.seconds) {
		// a straggler for a second already folded: count it, its latency
		// can no longer move that second's P95.
		a.foldCounts(&a.seconds[i], s.Class)
	}

	end := s.End()
	es := int(end / time.Second)
	slot := es % len(a.ring)
	if a.ringSec[slot] != es {
		a.ring[slot].reset()
		a.ringSec[slot] = es
	}
	a.ring[slot].add(s, a.late)
	if end > a.watermark {
		a.watermark = end
		a.fold(false)
	}
}

func (a *Aggregator) newSecondBucket() *bucket {
	if n := len(a.free); n > 0 {
		b := a.free[n-1]
		a.free = a.free[:n-1]
		return b
	}
	return newBucket(secondSigFigs)
}

func (a *Aggregator) foldCounts(sec *Second, c Class) {
	sec.Requests++
	switch c {
	case ClassOK:
		sec.OK++
	case ClassTimeout:
		sec.Timeouts++
	default:
		sec.Errors++
	}
}

// fold finalises the seconds no result can still arrive for (all of them
// when final is set).
func (a *Aggregator) fold(final bool) {
	grace := a.timeout + 5*time.Second
	limit := int((a.watermark - grace) / time.Second)
	if final {
		limit = int(a.sched.Duration()/time.Second) + 1
		for sec := range a.open {
			limit = max(limit, sec+1)
		}
	}
	for ; a.done < limit; a.done++ {
		sec := a.done
		st := Second{T: sec}
		from := time.Duration(sec) * time.Second
		st.Target = a.sched.HitsBefore(from+time.Second) - a.sched.HitsBefore(from)
		if b := a.open[sec]; b != nil {
			st.Requests, st.OK, st.Timeouts = b.requests, b.successes, b.timeouts
			st.Errors = b.requests - b.successes - b.timeouts
			st.P95Ms = float64(b.lat.ValueAtQuantile(95)) / 1000
			delete(a.open, sec)
			b.reset()
			a.free = append(a.free, b)
		}
		a.seconds = append(a.seconds, st)
	}
}

// Window returns client figures for requests that finished in the last d
// before now (a run-relative time), at per-second resolution.
func (a *Aggregator) Window(now, d time.Duration) report.Stats {
	acc := newBucket(secondSigFigs)
	hi := int(now / time.Second)
	lo := hi - int(math.Ceil(d.Seconds())) + 1
	for i, sec := range a.ringSec {
		if sec >= lo && sec <= hi && sec >= 0 {
			b := a.ring[i]
			acc.requests += b.requests
			acc.successes += b.successes
			acc.timeouts += b.timeouts
			for c := range b.byClass {
				acc.byClass[c] += b.byClass[c]
			}
			acc.lat.Merge(b.lat)
			acc.svc.Merge(b.svc)
		}
	}
	st := report.Stats{
		Name:            "window",
		StartSeconds:    float64(lo),
		DurationSeconds: d.Seconds(),
	}
	fill(&st, acc)
	return st
}

// Watermark is the latest request end seen.
func (a *Aggregator) Watermark() time.Duration { return a.watermark }

// Seconds finalises every second and returns the per-second series.
func (a *Aggregator) Seconds() []Second {
	a.fold(true)
	out := make([]Second, len(a.seconds))
	copy(out, a.seconds)
	for i := range out {
		out[i].Sent = a.sentPer[out[i].T]
	}
	return out
}

// Stats returns per-stage figures and the totals. ranFor is how long the
// load ran (shorter than the schedule when it was stopped early): stages
// and requests planned after it count as not run, not as unsent.
func (a *Aggregator) Stats(ranFor time.Duration) ([]report.Stats, report.Stats) {
	spans := a.sched.Stages()
	stages := make([]report.Stats, len(spans))
	plannedKind := a.plannedByKind(ranFor)
	for i, sp := range spans {
		st := report.Stats{
			Name:            sp.Name,
			RateShape:       sp.RateShape,
			StartSeconds:    sp.Start.Seconds(),
			DurationSeconds: sp.Duration.Seconds(),
		}
		st.TargetRate = (a.sched.HitsBefore(sp.End()) - a.sched.HitsBefore(sp.Start)) / sp.Duration.Seconds()
		end := min(sp.End(), max(ranFor, sp.Start))
		st.PlannedRequests = a.sched.PlannedIn(sp.Start, end)
		fill(&st, a.stages[i])
		if ran := (end - sp.Start).Seconds(); ran > 0 {
			st.AchievedRate = float64(a.stages[i].sentIn) / ran
		}
		st.Unsent = max(0, st.PlannedRequests-st.Requests)
		for k, kb := range a.stageKind[i] {
			ks := report.Stats{Name: a.kinds[k], StartSeconds: st.StartSeconds, DurationSeconds: st.DurationSeconds}
			fill(&ks, kb)
			ks.PlannedRequests = plannedKind[i][k]
			ks.Unsent = max(0, ks.PlannedRequests-ks.Requests)
			if st.PlannedRequests > 0 {
				ks.TargetRate = st.TargetRate * float64(ks.PlannedRequests) / float64(st.PlannedRequests)
			}
			if d := (end - sp.Start).Seconds(); d > 0 {
				ks.AchievedRate = float64(ks.Requests) / d
			}
			st.Kinds = append(st.Kinds, ks)
		}
		stages[i] = st
	}
	tot := report.Stats{Name: "total", DurationSeconds: a.sched.Duration().Seconds()}
	tot.TargetRate = a.sched.HitsBefore(a.sched.Duration()) / a.sched.Duration().Seconds()
	fill(&tot, a.total)
	for _, s := range stages {
		tot.PlannedRequests += s.PlannedRequests
		tot.Unsent += s.Unsent
	}
	if d := min(ranFor, a.sched.Duration()).Seconds(); d > 0 {
		tot.AchievedRate = float64(tot.Requests) / d
	}
	for k, kb := range a.totalKind {
		ks := report.Stats{Name: a.kinds[k], DurationSeconds: tot.DurationSeconds}
		fill(&ks, kb)
		for i := range stages {
			ks.PlannedRequests += plannedKind[i][k]
		}
		ks.Unsent = max(0, ks.PlannedRequests-ks.Requests)
		if tot.PlannedRequests > 0 {
			ks.TargetRate = tot.TargetRate * float64(ks.PlannedRequests) / float64(tot.PlannedRequests)
		}
		if d := min(ranFor, a.sched.Duration()).Seconds(); d > 0 {
			ks.AchievedRate = float64(ks.Requests) / d
		}
		tot.Kinds = append(tot.Kinds, ks)
	}
	return stages, tot
}

// plannedByKind counts, per stage and kind, the requests the schedule
// planned before ranFor. The kind of request k is a pure function of k, so
// this is exact; it walks every planned request once.
func (a *Aggregator) plannedByKind(ranFor time.Duration) [][]int64 {
	out := make([][]int64, len(a.stages))
	for i := range out {
		out[i] = make([]int64, len(a.kinds))
	}
	if len(a.kinds) < 2 || a.kindFor == nil {
		return out
	}
	si := 0
	spans := a.sched.Stages()
	for k := uint64(0); ; k++ {
		at, ok := a.sched.At(k)
		if !ok || at >= ranFor {
			return out
		}
		for si < len(spans)-1 && at >= spans[si].End() {
			si++
		}
		out[si][a.kindFor(k)]++
	}
}

func fill(st *report.Stats, b *bucket) {
	st.Requests = b.requests
	st.Successes = b.successes
	st.Timeouts = b.timeouts
	st.Errors = b.requests - b.successes - b.timeouts
	st.Delayed = b.delayed
	st.BytesIn, st.BytesOut = b.bytesIn, b.bytesOut
	st.LatencyMs = latency(b.lat)
	st.ServiceLatencyMs = latency(b.svc)
	for c := ClassRefused; c < numClasses; c++ {
		if n := b.byClass[c]; n > 0 {
			if st.ErrorsByClass == nil {
				st.ErrorsByClass = map[string]int64{}
			}
			st.ErrorsByClass[c.String()] = n
		}
	}
}
