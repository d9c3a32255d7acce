package sim

import (
	"container/heap"
	"math"
	"math/rand"
	"time"
)

// Outcome is how a request ended, seen from the server.
type Outcome string

// Request outcomes.
const (
	// OutcomeOK: served while its client waited.
	OutcomeOK Outcome = "ok"
	// OutcomeCancelled: the client gave up while the request was queued; it
	// left the queue without using a GPU slot.
	OutcomeCancelled Outcome = "cancelled"
	// OutcomeAbandoned: the client gave up while the request was being
	// served; the GPU finished the work anyway.
	OutcomeAbandoned Outcome = "abandoned"
)

// RequestSpec is what a client asks for.
type RequestSpec struct {
	// Kind names a configured kind; unknown or empty means the first kind.
	Kind string
	// Tokens overrides the kind's token draw when positive.
	Tokens int
	// Timeout, when positive, is the client's patience: at Arrived+Timeout
	// the client leaves (virtual mode). HTTP clients cancel instead.
	Timeout time.Duration
}

// Request is one request inside the model. Times are offsets from the
// model's start.
type Request struct {
	ID       uint64
	Kind     string
	Tokens   int
	Arrived  time.Duration
	Started  time.Duration // valid once Replica >= 0
	Finished time.Duration // valid once Outcome != ""
	// Service is the GPU time the request needs.
	Service time.Duration
	// Replica serving the request; -1 while queued.
	Replica int
	Outcome Outcome

	deadline time.Duration
	gone     bool // the client left
	queued   bool
}

// QueueTime is how long the request waited for a slot.
func (r *Request) QueueTime() time.Duration {
	if r.Replica < 0 {
		return r.Finished - r.Arrived
	}
	return r.Started - r.Arrived
}

// Latency is the server-side time from arrival to completion.
func (r *Request) Latency() time.Duration { return r.Finished - r.Arrived }

type replicaState int

const (
	replicaStarting replicaState = iota // loading the model
	replicaReady
	replicaDraining // removed by a scale-down, finishing in-flight work
)

type replica struct {
	id      int
	state   replicaState
	readyAt time.Duration
	busy    int
}

// Decision is one change of the desired replica count.
type Decision struct {
	At       time.Duration
	From, To int
	// Trigger is what drove it: "cpu", "redis", "prometheus", "min", "max",
	// "activation", "cooldown".
	Trigger string
	Reason  string
}

// Direction is "up" or "down".
func (d Decision) Direction() string {
	if d.To > d.From {
		return "up"
	}
	return "down"
}

// Hooks let the layers around the model observe it. They run synchronously
// inside Model calls and must not call back into the model.
type Hooks struct {
	// Done is called when a request ends, whatever the outcome.
	Done func(*Request)
	// Enqueued and Dequeued follow the queue (the Redis mirror uses them).
	Enqueued func(*Request)
	Dequeued func(*Request)
	// Scaled is called for every change of the desired replica count.
	Scaled func(Decision)
}

// Model is the discrete-event core of the simulator. It is not safe for
// concurrent use: one goroutine (the replay loop or the HTTP server's loop)
// owns it and advances it with the current offset from the start.
type Model struct {
	cfg   Config
	rng   *rand.Rand
	hooks Hooks
	now   time.Duration

	replicas []*replica
	nextID   int
	desired  int // spec.replicas

	queue    []*Request // FIFO with lazy removal of departed clients
	queueLen int
	events   eventHeap
	seq      uint64
	reqSeq   uint64

	scaler scaler
	p95    *latencyWindow
	acc    Usage
}

// NewModel returns a model at time zero with cfg.Replicas ready replicas.
// cfg must have been defaulted and validated.
func NewModel(cfg Config, hooks Hooks) *Model {
	m := &Model{
		cfg:     cfg,
		rng:     rand.New(rand.NewSource(cfg.Seed)),
		hooks:   hooks,
		desired: cfg.Replicas,
	}
	for range cfg.Replicas {
		m.replicas = append(m.replicas, &replica{id: m.nextID, state: replicaReady})
		m.nextID++
	}
	window := time.Duration(0)
	for _, t := range cfg.Autoscaler.KEDA.Triggers {
		window = max(window, t.Window.D())
	}
	m.p95 = newLatencyWindow(max(window, time.Minute))
	m.scaler = newScaler(&m.cfg, m)
	return m
}

// Now is the model's current offset from its start.
func (m *Model) Now() time.Duration { return m.now }

// Config returns the model's configuration.
func (m *Model) Config() Config { return m.cfg }

// NextEventAt returns when the next internal event is due.
func (m *Model) NextEventAt() (time.Duration, bool) {
	if len(m.events) == 0 {
		return 0, false
	}
	return m.events[0].at, true
}

// AdvanceTo processes every internal event due at or before t and moves the
// clock to t. Times never go backwards; an earlier t is treated as now.
func (m *Model) AdvanceTo(t time.Duration) {
	for len(m.events) > 0 && m.events[0].at <= t {
		e := heap.Pop(&m.events).(*event)
		m.setNow(e.at)
		e.fire(m)
	}
	m.setNow(t)
}

// Submit advances to at and adds a request, which starts at once if a slot
// is free and queues otherwise.
func (m *Model) Submit(at time.Duration, spec RequestSpec) *Request {
	m.AdvanceTo(at)
	k := m.cfg.kind(spec.Kind)
	tokens := spec.Tokens
	if tokens <= 0 {
		tokens = k.Tokens.draw(m.rng)
	}
	m.reqSeq++
	r := &Request{
		ID:      m.reqSeq,
		Kind:    k.Name,
		Tokens:  tokens,
		Arrived: m.now,
		Service: m.cfg.Prefill.D() + time.Duration(tokens)*m.cfg.PerToken.D(),
		Replica: -1,
	}
	if spec.Timeout > 0 {
		r.deadline = m.now + spec.Timeout
		m.schedule(r.deadline, func(m *Model) { m.clientLeaves(r) })
	}
	r.queued = true
	m.queue = append(m.queue, r)
	m.queueLen++
	if m.hooks.Enqueued != nil {
		m.hooks.Enqueued(r)
	}
	m.dispatch()
	return r
}

// Cancel advances to at and records that r's client left: a queued request
// leaves the queue, one in service is finished anyway (abandoned).
func (m *Model) Cancel(at time.Duration, r *Request) {
	m.AdvanceTo(at)
	m.clientLeaves(r)
}

func (m *Model) clientLeaves(r *Request) {
	if r.gone || r.Outcome != "" {
		return
	}
	r.gone = true
	if r.queued {
		r.queued = false
		m.queueLen--
		if m.hooks.Dequeued != nil {
			m.hooks.Dequeued(r)
		}
		m.finish(r, OutcomeCancelled)
	}
}

// State is an instantaneous view of the model.
type State struct {
	At         time.Duration
	QueueDepth int
	BusySlots  int // on ready replicas
	ReadySlots int
	Ready      int // ready replicas
	Starting   int // replicas loading the model
	Draining   int
	Desired    int
}

// State returns the model's current state.
func (m *Model) State() State {
	s := State{At: m.now, QueueDepth: m.queueLen, Desired: m.desired}
	for _, r := range m.replicas {
		switch r.state {
		case replicaStarting:
			s.Starting++
		case replicaReady:
			s.Ready++
			s.BusySlots += r.busy
			s.ReadySlots += m.cfg.SlotsPerReplica
		case replicaDraining:
			s.Draining++
		}
	}
	return s
}

// GPU is the busy share of the ready replicas' slots (0 without any).
func (s State) GPU() float64 {
	if s.ReadySlots == 0 {
		return 0
	}
	return float64(s.BusySlots) / float64(s.ReadySlots)
}

// Usage holds running integrals over time (in seconds) from which averages
// over any interval are taken: Usage(t2).Sub(Usage(t1)).
type Usage struct {
	At time.Duration
	// BusySlotSeconds, ReadySlotSeconds and ReadyReplicaSeconds integrate
	// the busy slots, slots and replicas of ready replicas.
	BusySlotSeconds     float64
	ReadySlotSeconds    float64
	ReadyReplicaSeconds float64
	QueueSeconds        float64
}

// Usage returns the integrals up to now.
func (m *Model) Usage() Usage { return m.acc }

// Sub returns the integrals over (o, u].
func (u Usage) Sub(o Usage) Usage {
	return Usage{
		At:                  u.At - o.At,
		BusySlotSeconds:     u.BusySlotSeconds - o.BusySlotSeconds,
		ReadySlotSeconds:    u.ReadySlotSeconds - o.ReadySlotSeconds,
		ReadyReplicaSeconds: u.ReadyReplicaSeconds - o.ReadyReplicaSeconds,
		QueueSeconds:        u.QueueSeconds - o.QueueSeconds,
	}
}

// GPU is the mean GPU utilisation over the interval (NaN if no ready slot).
func (u Usage) GPU() float64 {
	if u.ReadySlotSeconds <= 0 {
		return math.NaN()
	}
	// Busy and ready slot-seconds are sums of float products: a saturated
	// second can come out a hair above 1, which is not a utilisation.
	return math.Min(1, u.BusySlotSeconds/u.ReadySlotSeconds)
}

// CPU is the mean CPU utilisation of ready replicas over the interval under
// cpu: baseline + perBusySlot × mean busy slots per replica.
func (u Usage) CPU(c CPU) float64 {
	if u.ReadyReplicaSeconds <= 0 {
		return math.NaN()
	}
	return c.Baseline + c.PerBusySlot*u.BusySlotSeconds/u.ReadyReplicaSeconds
}

// CPU returns the instantaneous mean CPU utilisation of ready replicas.
func (m *Model) CPU() float64 {
	s := m.State()
	if s.Ready == 0 {
		return 0
	}
	return m.cfg.CPU.Baseline + m.cfg.CPU.PerBusySlot*float64(s.BusySlots)/float64(s.Ready)
}

// P95 returns the server-side P95 latency in ms over the last window, as
// histogram_quantile over inference_latency_seconds would (NaN if none).
func (m *Model) P95(window time.Duration) float64 {
	return m.p95.quantile(m.now, window, 0.95) * 1000
}

func (m *Model) setNow(t time.Duration) {
	if t <= m.now {
		return
	}
	dt := (t - m.now).Seconds()
	s := m.State()
	m.acc.BusySlotSeconds += float64(s.BusySlots) * dt
	m.acc.ReadySlotSeconds += float64(s.ReadySlots) * dt
	m.acc.ReadyReplicaSeconds += float64(s.Ready) * dt
	m.acc.QueueSeconds += float64(m.queueLen) * dt
	m.now = t
	m.acc.At = t
}

// dispatch starts queued requests while ready replicas have free slots,
// always on the least busy replica so that load and CPU spread evenly.
func (m *Model) dispatch() {
	for m.queueLen > 0 {
		var best *replica
		for _, rep := range m.replicas {
			if rep.state == replicaReady && rep.busy < m.cfg.SlotsPerReplica && (best == nil || rep.busy < best.busy) {
				best = rep
			}
		}
		if best == nil {
			return
		}
		r := m.popQueue()
		r.queued = false
		m.queueLen--
		if m.hooks.Dequeued != nil {
			m.hooks.Dequeued(r)
		}
		r.Replica = best.id
		r.Started = m.now
		best.busy++
		rep := best
		m.schedule(m.now+r.Service, func(m *Model) { m.complete(rep, r) })
	}
}

func (m *Model) popQueue() *Request {
	for {
		r := m.queue[0]
		m.queue[0] = nil
		m.queue = m.queue[1:]
		if r.queued {
			return r
		}
	}
}

func (m *Model) complete(rep *replica, r *Request) {
	rep.busy--
	o := OutcomeOK
	if r.gone || (r.deadline > 0 && m.now > r.deadline) {
		o = OutcomeAbandoned
	}
	m.p95.add(m.now, m.now-r.Arrived)
	m.finish(r, o)
	if rep.state == replicaDraining && rep.busy == 0 {
		m.removeReplica(rep)
	}
	m.dispatch()
}

func (m *Model) finish(r *Request, o Outcome) {
	r.Outcome = o
	r.Finished = m.now
	if m.hooks.Done != nil {
		m.hooks.Done(r)
	}
}

// scaleTo sets the desired replica count: new replicas start loading the
// model; removed ones are the not-yet-ready first, then the most recently
// ready (as a ReplicaSet picks pods to delete), and drain their slots.
func (m *Model) scaleTo(n int, trigger, reason string) {
	if n == m.desired {
		return
	}
	d := Decision{At: m.now, From: m.desired, To: n, Trigger: trigger, Reason: reason}
	m.desired = n
	live := 0
	for _, r := range m.replicas {
		if r.state != replicaDraining {
			live++
		}
	}
	for ; live < n; live++ {
		rep := &replica{id: m.nextID, state: replicaStarting, readyAt: m.now + m.cfg.ColdStart.D()}
		m.nextID++
		m.replicas = append(m.replicas, rep)
		m.schedule(rep.readyAt, func(m *Model) { m.becomeReady(rep) })
	}
	for ; live > n; live-- {
		victim := m.scaleDownVictim()
		if victim.state == replicaStarting || victim.busy == 0 {
			m.removeReplica(victim)
		} else {
			victim.state = replicaDraining
		}
	}
	if m.hooks.Scaled != nil {
		m.hooks.Scaled(d)
	}
	m.dispatch()
}

func (m *Model) scaleDownVictim() *replica {
	var victim *replica
	for _, r := range m.replicas {
		switch {
		case r.state == replicaDraining:
		case victim == nil:
			victim = r
		case r.state == replicaStarting && victim.state != replicaStarting:
			victim = r
		case r.state == victim.state && r.readyAt >= victim.readyAt:
			victim = r
		}
	}
	return victim
}

func (m *Model) becomeReady(rep *replica) {
	if rep.state != replicaStarting || !m.has(rep) {
		return
	}
	rep.state = replicaReady
	m.dispatch()
}

func (m *Model) has(rep *replica) bool {
	for _, r := range m.replicas {
		if r == rep {
			return true
		}
	}
	return false
}

func (m *Model) removeReplica(rep *replica) {
	for i, r := range m.replicas {
		if r == rep {
			m.replicas = append(m.replicas[:i], m.replicas[i+1:]...)
			return
		}
	}
}

// specReplicas is the number of replicas that exist and are not being
// removed (a Deployment's status.replicas after a scale).
func (m *Model) specReplicas() int { return m.desired }

func (m *Model) schedule(at time.Duration, fire func(*Model)) {
	m.seq++
	heap.Push(&m.events, &event{at: at, seq: m.seq, fire: fire})
}

func (t Tokens) draw(rng *rand.Rand) int {
	if t.Max > 0 {
		return t.Min + rng.Intn(t.Max-t.Min+1)
	}
	return max(1, int(math.Round(t.Mean+t.Stddev*rng.NormFloat64())))
}

type event struct {
	at   time.Duration
	seq  uint64 // ties are broken by scheduling order, for determinism
	fire func(*Model)
}

type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
