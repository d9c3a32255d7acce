// Package compare builds the before/after table of two saved runs — the
// "Before KEDA / After KEDA" story: client and server P95 at peak, timeout
// rate, queue depth, replicas, CPU and GPU, time to first scale-up — with
// deltas and a direction-aware mark, and renders it for a terminal,
// Markdown and JSON.
package compare

import (
	"math"

	"github.com/surge-sh/surge/pkg/report"
)

// Mark says how a figure moved from before to after.
type Mark string

// The marks. Better and Worse are given only to figures with a direction
// (lower latency is better); Changed marks a move of a figure that is not
// good or bad in itself.
const (
	Better  Mark = "better"
	Worse   Mark = "worse"
	Same    Mark = "same"
	Changed Mark = "changed"
	// Unknown is the mark of a row that lacks a figure on either side.
	Unknown Mark = "n/a"
)

// Direction says which way a figure improves.
type Direction int

// The directions.
const (
	// Neutral figures are means, not ends: more replicas under load or a
	// lower GPU utilisation can be headroom or waste, and the latency and
	// timeout rows already say whether users fared better.
	Neutral Direction = iota
	LowerBetter
	HigherBetter
)

// Value is one side of a row.
type Value struct {
	V     float64
	Known bool
	// Never marks an event that did not happen in the run (no scale-up):
	// a known outcome, worse than any time for a lower-is-better figure.
	Never bool
	// Text overrides the formatted figure, e.g. "3 → 11" for replicas.
	Text string
}

// Row is one metric of the comparison.
type Row struct {
	// Key is a stable identifier for tools: "client_p95_peak", ...
	Key string
	// Metric is the label people read.
	Metric string
	// Unit is the figures' unit: "ms", "s", "ratio", "requests", "replicas".
	Unit          string
	Direction     Direction
	Before, After Value
	// Delta is After-Before and DeltaPct its percentage of Before; nil when
	// a side is missing (or Before is 0, for DeltaPct).
	Delta, DeltaPct *float64
	Mark            Mark
}

// Table is the before/after comparison of two runs.
type Table struct {
	// Labels name the two runs: "Before KEDA", "After KEDA".
	Labels [2]string
	// Scenarios are the two runs' scenario names.
	Scenarios [2]string
	// Peak is the stage each run's "at peak" figures come from.
	Peak [2]string
	Rows []Row
}

// DefaultLabels name the runs when the caller gives no labels.
var DefaultLabels = [2]string{"Before", "After"}

// Compare builds the table of run a (before) against run b (after).
func Compare(a, b *report.Report, labels [2]string) *Table {
	if labels[0] == "" {
		labels[0] = DefaultLabels[0]
	}
	if labels[1] == "" {
		labels[1] = DefaultLabels[1]
	}
	t := &Table{
		Labels:    labels,
		Scenarios: [2]string{a.Scenario.Name, b.Scenario.Name},
		Peak:      [2]string{PeakStage(a), PeakStage(b)},
	}
	runs := [2]*report.Report{a, b}
	for _, m := range metrics {
		row := Row{Key: m.key, Metric: m.label, Unit: m.unit, Direction: m.dir}
		row.Before = m.value(runs[0], t.Peak[0])
		row.After = m.value(runs[1], t.Peak[1])
		judge(&row, m.tolerance)
		t.Rows = append(t.Rows, row)
	}
	return t
}

// PeakStage is the stage a run's "at peak" figures are read from: the
// second stage of the report's headline comparison when it names one, else
// the stage with the highest target rate (the first on a tie).
func PeakStage(r *report.Report) string {
	if len(r.Compare) >= 2 {
		if _, ok := r.Stage(r.Compare[1]); ok {
			return r.Compare[1]
		}
	}
	peak := ""
	best := math.Inf(-1)
	for _, s := range r.Stages {
		if s.TargetRate > best {
			peak, best = s.Name, s.TargetRate
		}
	}
	return peak
}

// judge fills the deltas and the mark. A move within tolerance (in the
// row's unit) or within 1% of the before figure is noise: "same".
func judge(row *Row, tolerance float64) {
	b, a := row.Before, row.After
	switch {
	case b.Never && a.Never:
		row.Mark = Same
		return
	case (!b.Known && !b.Never) || (!a.Known && !a.Never):
		row.Mark = Unknown
		return
	case b.Never || a.Never:
		// One run never got there: for a lower-is-better time, getting there
		// at all is the improvement.
		row.Mark = Changed
		if row.Direction == LowerBetter {
			row.Mark = Worse
			if b.Never {
				row.Mark = Better
			}
		}
		return
	}
	d := a.V - b.V
	row.Delta = &d
	if b.V != 0 {
		p := d / math.Abs(b.V) * 100
		row.DeltaPct = &p
	}
	same := math.Abs(d) <= tolerance || (row.DeltaPct != nil && math.Abs(*row.DeltaPct) < 1)
	if a.Text != "" || b.Text != "" {
		// A composite cell ("3 → 11") changed if its text did.
		same = same && a.Text == b.Text
	}
	switch {
	case same:
		row.Mark = Same
	case row.Direction == Neutral:
		row.Mark = Changed
	case (d < 0) == (row.Direction == LowerBetter):
		row.Mark = Better
	default:
		row.Mark = Worse
	}
}
