package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/surge-sh/surge/pkg/clientmetrics"
	"github.com/surge-sh/surge/pkg/load"
)

// selfMetrics serves surge's own client-side metrics during a run.
type selfMetrics interface {
	// Start tells the metrics when the load began (rates and the current
	// stage are computed from it at scrape time).
	Start(began time.Time)
	Observe(load.Sample)
	Close() error
}

// metricsServer is the --metrics-addr endpoint.
type metricsServer struct {
	*clientmetrics.Metrics
	srv  *http.Server
	ln   net.Listener
	once sync.Once
	err  error
}

// serveSelfMetrics starts the --metrics-addr endpoint. The address is bound
// before it returns, so a port already in use fails the run at once rather
// than leaving a dashboard silently empty.
func serveSelfMetrics(ctx context.Context, addr string, sched *load.Schedule, scenario string) (selfMetrics, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve metrics: %w", err)
	}
	m := clientmetrics.New(sched, scenario, clientmetrics.Options{})
	mux := http.NewServeMux()
	mux.Handle("/metrics", m.Handler())
	s := &metricsServer{
		Metrics: m,
		ln:      ln,
		srv:     &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second},
	}
	go func() { _ = s.srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		_ = s.Close()
	}()
	return s, nil
}

// Addr is the address the endpoint listens on.
func (s *metricsServer) Addr() string { return s.ln.Addr().String() }

// Close stops serving, letting a scrape in progress finish briefly.
func (s *metricsServer) Close() error {
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.err = fmt.Errorf("stop metrics endpoint: %w", err)
		}
	})
	return s.err
}
