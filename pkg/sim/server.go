package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// EnrichResponse is the answer of POST /v1/enrich.
type EnrichResponse struct {
	Kind      string  `json:"kind"`
	Tokens    int     `json:"tokens"`
	QueueMs   float64 `json:"queueMs"`
	ServiceMs float64 `json:"serviceMs"`
	Replica   int     `json:"replica"`
}

// enrichRequest is the part of the request body the simulator reads.
type enrichRequest struct {
	Kind   string `json:"kind"`
	Tokens int    `json:"tokens"`
}

// Server serves a Model in real time over HTTP. One goroutine owns the
// model; handlers hand it closures and wait for their request to end.
type Server struct {
	cfg     Config
	ln      net.Listener
	http    *http.Server
	metrics *metrics
	redis   *redisMirror
	start   time.Time

	cmds    chan func(*Model)
	waiters map[uint64]chan struct{} // owned by the loop
	stop    context.CancelFunc
	stopped chan struct{} // closed when the loop has returned

	closeOnce sync.Once
	closeErr  error
}

// Start validates cfg (after defaults), listens on addr (e.g.
// "127.0.0.1:0") and serves the simulator until ctx is cancelled or Close.
func Start(ctx context.Context, cfg Config, addr string) (*Server, error) {
	cfg.ApplyDefaults()
	if ps := cfg.Validate(); len(ps) > 0 {
		return nil, fmt.Errorf("start simulator: invalid config: %w", errors.Join(problemsToErrors(ps)...))
	}
	s := &Server{
		cfg:     cfg,
		metrics: newMetrics(),
		cmds:    make(chan func(*Model)),
		waiters: map[uint64]chan struct{}{},
		stopped: make(chan struct{}),
	}
	if cfg.Redis != "" {
		r, err := newRedisMirror(ctx, cfg.Redis, cfg.RedisList)
		if err != nil {
			return nil, fmt.Errorf("start simulator: %w", err)
		}
		s.redis = r
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if s.redis != nil {
			s.redis.close()
		}
		return nil, fmt.Errorf("start simulator: %w", err)
	}
	s.ln = ln
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}

	hooks := Hooks{
		Done: func(r *Request) {
			s.metrics.done(r)
			if ch, ok := s.waiters[r.ID]; ok {
				delete(s.waiters, r.ID)
				close(ch)
			}
		},
		Scaled: s.metrics.scaled,
	}
	if s.redis != nil {
		hooks.Enqueued, hooks.Dequeued = s.redis.enqueued, s.redis.dequeued
	}
	s.start = time.Now()
	m := NewModel(cfg, hooks)
	loopCtx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.loop(loopCtx, m)
	go func() { _ = s.http.Serve(ln) }()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.stopped:
		}
	}()
	return s, nil
}

// URL is the server's base URL, "http://127.0.0.1:PORT".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops serving, ends waiting requests with 503 and releases Redis.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.stop()
		<-s.stopped
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := s.http.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.http.Close()
		}
		if s.redis != nil {
			err = errors.Join(err, s.redis.close())
		}
		s.closeErr = err
	})
	return s.closeErr
}

// Handler serves /v1/enrich, /metrics and /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/enrich", s.enrich)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return mux
}

func (s *Server) elapsed() time.Duration { return time.Since(s.start) }

// loop owns the model: it runs handlers' closures and wakes up for the
// model's next internal event and once a second to publish the gauges.
func (s *Server) loop(ctx context.Context, m *Model) {
	defer close(s.stopped)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := m.Usage()
	s.metrics.publish(m.State(), nil, s.cfg.CPU)
	for {
		if next, ok := m.NextEventAt(); ok {
			timer.Reset(max(0, next-s.elapsed()))
		}
		var window *Usage
		select {
		case <-ctx.Done():
			for _, ch := range s.waiters {
				close(ch)
			}
			return
		case f := <-s.cmds:
			m.AdvanceTo(s.elapsed())
			f(m)
		case <-timer.C:
			m.AdvanceTo(s.elapsed())
		case <-tick.C:
			m.AdvanceTo(s.elapsed())
			u := m.Usage()
			w := u.Sub(last)
			last, window = u, &w
		}
		s.metrics.publish(m.State(), window, s.cfg.CPU)
	}
}

// exec runs f on the loop; false if the server is stopping or ctx ended.
func (s *Server) exec(ctx context.Context, f func(*Model)) bool {
	select {
	case s.cmds <- f:
		return true
	case <-s.stopped:
		return false
	case <-ctx.Done():
		return false
	}
}

func (s *Server) enrich(w http.ResponseWriter, r *http.Request) {
	var body enrichRequest
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body: "+err.Error(), http.StatusBadRequest)
			return
		}
		if len(b) > 0 {
			// Other fields (sku, …) are the caller's business; a body that
			// is not JSON is served as the first kind.
			_ = json.Unmarshal(b, &body)
		}
	}
	ctx := r.Context()
	done := make(chan struct{})
	var req *Request
	if !s.exec(ctx, func(m *Model) {
		req = m.Submit(m.Now(), RequestSpec{Kind: body.Kind, Tokens: body.Tokens})
		if req.Outcome == "" {
			s.waiters[req.ID] = done
		} else {
			close(done)
		}
	}) {
		http.Error(w, "simulator stopping", http.StatusServiceUnavailable)
		return
	}
	select {
	case <-done:
	case <-ctx.Done():
		s.exec(context.Background(), func(m *Model) {
			delete(s.waiters, req.ID)
			m.Cancel(m.Now(), req)
		})
		return
	}
	if req.Outcome == "" { // released by a stopping loop
		http.Error(w, "simulator stopping", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(EnrichResponse{
		Kind:      req.Kind,
		Tokens:    req.Tokens,
		QueueMs:   ms(req.QueueTime()),
		ServiceMs: ms(req.Finished - req.Started),
		Replica:   req.Replica,
	})
}
