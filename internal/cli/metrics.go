package cli

import (
	"context"
	"errors"

	"github.com/surge-sh/surge/pkg/load"
)

// selfMetrics serves surge's own client-side metrics during a run.
type selfMetrics interface {
	Observe(load.Sample)
	Close() error
}

// serveSelfMetrics starts the --metrics-addr endpoint.
func serveSelfMetrics(ctx context.Context, addr string, sched *load.Schedule, scenario string) (selfMetrics, error) {
	return nil, errors.New("not implemented yet")
}
