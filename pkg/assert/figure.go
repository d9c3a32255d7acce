package assert

import (
	"fmt"
	"sort"
	"strings"

	"github.com/surge-sh/surge/pkg/problem"
)

// dim is what kind of number a figure is, which decides the units an
// assertion may write for it and how they convert.
type dim int

const (
	dimPlain   dim = iota // counts, rates, replicas: no unit
	dimMs                 // a duration in milliseconds
	dimSeconds            // a duration in seconds
	dimRatio              // a fraction 0..1; % divides by 100
	dimPercent            // already a percentage; % is taken as is
)

// figureInfo describes one built-in figure.
type figureInfo struct {
	class Class
	field string
	dim   dim
	unit  string // label for dimPlain figures
	// wholeRun figures have no per-stage value.
	wholeRun bool
}

var latencyFields = []string{"p50", "p90", "p95", "p99", "max", "mean", "min"}

// figures are the built-in names, canonical form first. Signal aggregates
// (`<signal>.min|avg|max|last`) are open-ended and handled apart.
var figures = map[string]figureInfo{
	"timeout_rate":   {class: ClassClient, field: "timeout_rate", dim: dimRatio},
	"error_rate":     {class: ClassClient, field: "error_rate", dim: dimRatio},
	"achieved_ratio": {class: ClassClient, field: "achieved_ratio", dim: dimRatio},
	"achieved_rate":  {class: ClassClient, field: "achieved_rate", unit: "req/s"},
	"target_rate":    {class: ClassClient, field: "target_rate", unit: "req/s"},
	"requests":       {class: ClassClient, field: "requests", unit: "requests"},
	"successes":      {class: ClassClient, field: "successes", unit: "requests"},
	"timeouts":       {class: ClassClient, field: "timeouts", unit: "requests"},
	"errors":         {class: ClassClient, field: "errors", unit: "requests"},
	"delayed":        {class: ClassClient, field: "delayed", unit: "requests"},
	"unsent":         {class: ClassClient, field: "unsent", unit: "requests"},

	"replicas.initial": {class: ClassReplicas, field: "initial", unit: "replicas"},
	"replicas.min":     {class: ClassReplicas, field: "min", unit: "replicas"},
	"replicas.max":     {class: ClassReplicas, field: "max", unit: "replicas"},
	"replicas.final":   {class: ClassReplicas, field: "final", unit: "replicas"},

	"reaction.decision":        {class: ClassReaction, field: "decision", dim: dimSeconds},
	"reaction.actuation":       {class: ClassReaction, field: "actuation", dim: dimSeconds},
	"reaction.ready":           {class: ClassReaction, field: "ready", dim: dimSeconds},
	"reaction.stable":          {class: ClassReaction, field: "stable", dim: dimSeconds},
	"reaction.slo_violation":   {class: ClassReaction, field: "slo_violation", dim: dimSeconds, wholeRun: true},
	"reaction.replica_seconds": {class: ClassReaction, field: "replica_seconds", unit: "replica-seconds", wholeRun: true},
	"reaction.under_accuracy":  {class: ClassReaction, field: "under_accuracy", dim: dimRatio, wholeRun: true},
	"reaction.over_accuracy":   {class: ClassReaction, field: "over_accuracy", dim: dimRatio, wholeRun: true},
	"reaction.under_timeshare": {class: ClassReaction, field: "under_timeshare", dim: dimRatio, wholeRun: true},
	"reaction.over_timeshare":  {class: ClassReaction, field: "over_timeshare", dim: dimRatio, wholeRun: true},
}

// aliases map other accepted spellings to canonical names.
var aliases = map[string]string{}

func init() {
	for _, f := range latencyFields {
		figures["latency."+f] = figureInfo{class: ClassClient, field: f, dim: dimMs}
		figures["service_latency."+f] = figureInfo{class: ClassClient, field: "service_" + f, dim: dimMs}
		aliases[f] = "latency." + f
		aliases["service_"+f] = "service_latency." + f
	}
}

// knownSignals are the canonical signal names, for better messages only:
// any signal a report carries can be asserted on.
var knownSignals = map[string]bool{
	"cpu": true, "gpu": true, "queue_depth": true, "p95_latency": true,
	"replicas": true, "replicas_desired": true, "replicas_spec": true,
	"client_p95": true, "in_flight": true,
}

var signalAggs = []string{"min", "avg", "max", "last"}

// lookupFigure resolves a figure name as written. A name with one dot
// whose prefix is not a built-in group is a signal aggregate.
func lookupFigure(name string) (Figure, figureInfo, string) {
	canon := name
	if a, ok := aliases[name]; ok {
		canon = a
	}
	if info, ok := figures[canon]; ok {
		return Figure{Name: canon, Class: info.class, Field: info.field}, info, ""
	}
	group, field, dotted := strings.Cut(name, ".")
	switch {
	case !dotted && knownSignals[name]:
		return Figure{}, figureInfo{}, fmt.Sprintf("signal %q needs an aggregate: %s.min, %s.avg, %s.max or %s.last", name, name, name, name, name)
	case !dotted:
		return Figure{}, figureInfo{}, fmt.Sprintf("unknown figure %q%s", name, suggest(name))
	case group == "latency" || group == "service_latency":
		return Figure{}, figureInfo{}, fmt.Sprintf("unknown %s figure %q (want %s)", group, field, strings.Join(latencyFields, ", "))
	case group == "replicas" && field != "avg" && field != "last":
		return Figure{}, figureInfo{}, fmt.Sprintf("unknown replicas figure %q (want initial, min, max, final, or the signal's avg, last)", field)
	case group == "reaction":
		return Figure{}, figureInfo{}, fmt.Sprintf("unknown reaction figure %q (want %s)", field, strings.Join(reactionFields(), ", "))
	case strings.Contains(field, "."):
		return Figure{}, figureInfo{}, fmt.Sprintf("unknown figure %q (a signal figure is <signal>.min|avg|max|last)", name)
	}
	for _, a := range signalAggs {
		if field == a {
			return Figure{Name: name, Class: ClassSignal, Field: field, Signal: group}, figureInfo{class: ClassSignal, field: field}, ""
		}
	}
	return Figure{}, figureInfo{}, fmt.Sprintf("unknown aggregate %q of signal %q (want min, avg, max, last)", field, group)
}

func reactionFields() []string {
	var out []string
	for name, info := range figures {
		if info.class == ClassReaction {
			out = append(out, strings.TrimPrefix(name, "reaction."))
		}
	}
	sort.Strings(out)
	return out
}

// suggest proposes the closest built-in name to a misspelt one.
func suggest(name string) string {
	cands := make([]string, 0, len(aliases)+len(figures))
	for cand := range aliases {
		cands = append(cands, cand)
	}
	for cand := range figures {
		cands = append(cands, cand)
	}
	best, ok := problem.Nearest(name, cands)
	if !ok {
		return " (want a client figure such as p95, timeout_rate, error_rate, achieved_rate, or <signal>.min|avg|max|last)"
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

// signalDim maps a signal's unit to the units an assertion may use on it.
func signalDim(unit string) dim {
	switch strings.ToLower(unit) {
	case "ms", "milliseconds":
		return dimMs
	case "s", "seconds":
		return dimSeconds
	case "ratio":
		return dimRatio
	case "%", "percent":
		return dimPercent
	}
	return dimPlain
}

// convert turns a written quantity into the figure's own unit.
func convert(q Quantity, d dim, figure string) (float64, error) {
	v := q.Value
	bad := func(want string) error {
		if q.Unit == UnitNone {
			return fmt.Errorf("plain number %s for %s, a ratio: write %s%% or %s", formatNumber(v), figure, formatNumber(v), formatNumber(v/100))
		}
		return fmt.Errorf("unit %q does not apply to %s (%s)", string(q.Unit), figure, want)
	}
	switch d {
	case dimMs, dimSeconds:
		want := "a duration: want ms, s, m or a plain number of "
		scale := 1.0 // milliseconds per figure unit
		if d == dimSeconds {
			scale = 1000
			want += "seconds"
		} else {
			want += "milliseconds"
		}
		switch q.Unit {
		case UnitNone:
			return v, nil
		case UnitMs:
			return v / scale, nil
		case UnitSecond:
			return v * 1000 / scale, nil
		case UnitMinute:
			return v * 60000 / scale, nil
		}
		return 0, bad(want)
	case dimRatio:
		switch q.Unit {
		case UnitPercent:
			return v / 100, nil
		case UnitNone:
			// A plain number above 1 on a ratio is almost surely a
			// percentage without its sign; reading it as a fraction would
			// make `gpu.avg < 90` pass whatever the GPU did.
			if v > 1 || v < -1 {
				return 0, bad("")
			}
			return v, nil
		}
		return 0, bad("a ratio: want % or a fraction such as 0.01")
	case dimPercent:
		if q.Unit == UnitPercent || q.Unit == UnitNone {
			return v, nil
		}
		return 0, bad("a percentage: want %")
	}
	if q.Unit != UnitNone {
		return 0, bad("a plain number: no unit")
	}
	return v, nil
}
