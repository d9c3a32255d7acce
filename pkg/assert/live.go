package assert

import (
	"fmt"
	"time"

	"github.com/surge-sh/surge/pkg/report"
)

// Live is the running test as a live check sees it.
type Live interface {
	// Window returns the client stats over the last d.
	Window(d time.Duration) report.Stats
	// Signal returns the latest value of the named signal.
	Signal(name string) (float64, bool)
	// Stage returns the name of the current stage.
	Stage() string
}

// liveSignalDims are the units of the canonical signals, which a Live
// does not report; other signals are judged as plain numbers.
var liveSignalDims = map[string]dim{
	"cpu": dimRatio, "gpu": dimRatio, "timeout_rate": dimRatio,
	"p95_latency": dimMs, "client_p95": dimMs,
}

// CheckLive judges the abortOnFail specs against the running test at
// elapsed time since its start and says whether to stop the load, and why:
// the reason names the assertion, the observed value and the window, and
// the caller adds that it was an abortOnFail check.
// A spec is judged only once its After delay has passed and only while
// the current stage is the one it is scoped to (any stage when unscoped).
// Client figures are taken over the spec's sliding window, signal and
// replica figures at their latest value whatever the aggregate (the
// latest value above a bound means the max is too). A figure with no data
// yet (no request in the window, a signal not read yet) is not judged:
// the end-of-run evaluation will fail it if it never appears.
func CheckLive(specs []Spec, l Live, elapsed time.Duration) (abort bool, reason string) {
	for _, s := range specs {
		if !s.AbortOnFail || elapsed < s.After.D() {
			continue
		}
		e, err := Parse(s.Expr)
		if err != nil || e.NeedsBaseline() {
			continue // ValidateSpecs rejects these before the run
		}
		if e.Stage != "" && e.Stage != l.Stage() {
			continue
		}
		v, desc, ok := liveValue(e, l, s.WindowOrDefault())
		if !ok {
			continue
		}
		thr, err := convert(e.Bound.Q, v.dim, e.Figure.Name)
		if err != nil {
			continue
		}
		if !e.Op.Holds(v.v, thr) {
			return true, fmt.Sprintf("%q failed: %s was %s (want %s %s)", s.Expr, desc, v.text(v.v), e.Op, e.Bound)
		}
	}
	return false, ""
}

func liveValue(e *Expr, l Live, window time.Duration) (value, string, bool) {
	switch e.Figure.Class {
	case ClassClient:
		v, ok := clientFigure(l.Window(window), e.Figure.Field)
		info := figures[e.Figure.Name]
		return value{v: v, dim: info.dim, unit: info.unit}, fmt.Sprintf("%s over the last %s", e.Figure.Name, window), ok
	case ClassSignal:
		v, ok := l.Signal(e.Figure.Signal)
		return value{v: v, dim: liveSignalDims[e.Figure.Signal]}, e.Figure.Signal + " (latest value)", ok
	case ClassReplicas:
		v, ok := l.Signal("replicas")
		return value{v: v, unit: "replicas"}, "replicas (latest value)", ok
	}
	return value{}, "", false
}
