package report

import "sort"

// Headline metric keys, in the order the table shows them. They are stable
// identifiers for tools; the Metric labels are for people.
const (
	MetricCPU         = "cpu"
	MetricGPU         = "gpu"
	MetricQueueDepth  = "queue_depth"
	MetricServerP95   = "p95_latency"
	MetricClientP95   = "client_p95"
	MetricTimeoutRate = "timeout_rate"
	MetricReplicas    = "replicas"
)

// NotObserved is the note of a headline row whose signal the run never saw.
const NotObserved = "not observed"

// Table is the headline table: one row per metric, one column per compared
// stage (by default baseline and peak).
type Table struct {
	// Columns are the compared stage names, in order.
	Columns []string
	Rows    []Row
}

// Row is one metric of the headline table.
type Row struct {
	// Key is the metric's stable identifier (MetricCPU, ...).
	Key string
	// Metric is the label people read: "CPU", "P95 (server)", ...
	Metric string
	// How says how a stage's figure is summarised: "avg", "max", "p95", ...
	How string
	// Cells hold one figure per column.
	Cells []Cell
	// Note explains a row without figures, e.g. NotObserved.
	Note string
}

// Cell is one figure of the headline table.
type Cell struct {
	Value float64
	// Known is false when there is no figure; Text is then "—".
	Known bool
	// Text is the figure formatted with its unit: "55%", "4.1 s", "3–11".
	Text string
}

// dash stands for a missing figure in every renderer.
const dash = "—"

// HeadlineColumns returns the stages the headline compares: r.Compare when
// set, otherwise the first stage and the stage with the highest target rate
// (the first such stage on a tie). When these are the same stage, or the run
// has a single stage, there is one column.
func HeadlineColumns(r *Report) []string {
	if len(r.Compare) > 0 {
		return append([]string(nil), r.Compare...)
	}
	if len(r.Stages) == 0 {
		return nil
	}
	first, peak := r.Stages[0], r.Stages[0]
	for _, s := range r.Stages[1:] {
		if s.TargetRate > peak.TargetRate {
			peak = s
		}
	}
	if peak.Name == first.Name {
		return []string{first.Name}
	}
	return []string{first.Name, peak.Name}
}

// Headline builds the headline table that every renderer shows first.
//
// Per compared stage: CPU and GPU are the average over the stage (a
// utilisation is a level, and the average is what capacity plans use);
// queue depth and the server-side P95 are the maximum over the stage (the
// worst the service reached, which is what an SLO cares about, and the P95
// series is already smoothed by its PromQL window); client P95 and the
// timeout rate come from the client's own measurement of every request of
// the stage; replicas show the range seen during the stage.
func Headline(r *Report) Table {
	t := Table{Columns: HeadlineColumns(r)}
	t.Rows = []Row{
		signalRow(r, t.Columns, MetricCPU, "CPU", "avg", func(a Agg) float64 { return a.Avg }, fmtRatio),
		signalRow(r, t.Columns, MetricGPU, "GPU", "avg", func(a Agg) float64 { return a.Avg }, fmtRatio),
		signalRow(r, t.Columns, MetricQueueDepth, "Queue depth", "max", func(a Agg) float64 { return a.Max }, fmtCount),
		signalRow(r, t.Columns, MetricServerP95, "P95 (server)", "max", func(a Agg) float64 { return a.Max }, fmtMs),
		statsRow(r, t.Columns, MetricClientP95, "P95 (client)", "p95", func(s Stats) float64 { return s.LatencyMs.P95 }, fmtMs),
		statsRow(r, t.Columns, MetricTimeoutRate, "Timeout rate", "ratio", Stats.TimeoutRate, fmtRatio),
		replicasRow(r, t.Columns),
	}
	return t
}

func signalRow(r *Report, cols []string, key, label, how string, pick func(Agg) float64, format func(float64) string) Row {
	row := Row{Key: key, Metric: label, How: how}
	sig := r.Signal(key)
	for _, c := range cols {
		cell := Cell{Text: dash}
		if sig != nil {
			if a, ok := sig.ByStage[c]; ok && a.Samples > 0 {
				v := pick(a)
				cell = Cell{Value: v, Known: true, Text: format(v)}
			}
		}
		row.Cells = append(row.Cells, cell)
	}
	switch {
	case sig == nil:
		row.Note = NotObserved
	case !anyKnown(row.Cells):
		row.Note = "no samples in these stages"
	}
	return row
}

func statsRow(r *Report, cols []string, key, label, how string, pick func(Stats) float64, format func(float64) string) Row {
	row := Row{Key: key, Metric: label, How: how}
	for _, c := range cols {
		cell := Cell{Text: dash}
		if s, ok := r.Stage(c); ok && s.Requests > 0 {
			v := pick(s)
			cell = Cell{Value: v, Known: true, Text: format(v)}
		}
		row.Cells = append(row.Cells, cell)
	}
	if !anyKnown(row.Cells) {
		row.Note = "no requests in these stages"
	}
	return row
}

// replicasRow shows the replica range of each stage ("3–11"); its Value is
// the stage's maximum, the figure an assertion like replicas.max reads.
func replicasRow(r *Report, cols []string) Row {
	row := Row{Key: MetricReplicas, Metric: "Replicas", How: "range"}
	sig := r.Signal(MetricReplicas)
	for _, c := range cols {
		cell := Cell{Text: dash}
		if sig != nil {
			if a, ok := sig.ByStage[c]; ok && a.Samples > 0 {
				cell = Cell{Value: a.Max, Known: true, Text: fmtRange(a.Min, a.Max)}
			}
		}
		row.Cells = append(row.Cells, cell)
	}
	switch {
	case sig == nil:
		row.Note = NotObserved
	case !anyKnown(row.Cells):
		row.Note = "no samples in these stages"
	}
	return row
}

func anyKnown(cells []Cell) bool {
	for _, c := range cells {
		if c.Known {
			return true
		}
	}
	return false
}

// HasNotes reports whether any row carries a note, so renderers show the
// note column only when it says something.
func (t Table) HasNotes() bool {
	for _, r := range t.Rows {
		if r.Note != "" {
			return true
		}
	}
	return false
}

// sortedKeys returns a map's keys in order, for deterministic output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
