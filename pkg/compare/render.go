package compare

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/surge-sh/surge/pkg/report"
)

// SchemaVersion names the layout of the JSON comparison.
const SchemaVersion = "surge.compare/v1"

// Writer renders a comparison table.
type Writer func(io.Writer, *Table) error

// Writers are the renderers by format name.
var Writers = map[string]Writer{
	"terminal": WriteTerminal,
	"md":       WriteMarkdown,
	"json":     WriteJSON,
}

const dash = "—"

// WriteTerminal renders the table for a terminal or a CI log, without
// colour.
func WriteTerminal(w io.Writer, t *Table) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, title(t))
	align := []tw.Align{tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight, tw.AlignLeft}
	tab := tablewriter.NewTable(bw,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	tab.Header(header(t))
	for _, r := range t.Rows {
		if err := tab.Append(cells(r, string(r.Mark))); err != nil {
			return fmt.Errorf("render comparison: %w", err)
		}
	}
	if err := tab.Render(); err != nil {
		return fmt.Errorf("render comparison: %w", err)
	}
	fmt.Fprintln(bw, footnote(t))
	return bw.Flush()
}

// WriteMarkdown renders the table as GitHub-flavoured Markdown.
func WriteMarkdown(w io.Writer, t *Table) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "### %s\n\n", mdCell(title(t)))
	h := header(t)
	for i := range h {
		h[i] = mdCell(h[i])
	}
	fmt.Fprintf(bw, "| %s |\n| --- | ---: | ---: | ---: | --- |\n", strings.Join(h, " | "))
	for _, r := range t.Rows {
		c := cells(r, mdMark(r.Mark))
		for i := range c {
			c[i] = mdCell(c[i])
		}
		fmt.Fprintf(bw, "| %s |\n", strings.Join(c, " | "))
	}
	fmt.Fprintf(bw, "\n<sub>%s</sub>\n", mdCell(footnote(t)))
	return bw.Flush()
}

// jsonRow is a row as CI reads it: numbers in the row's unit (null when
// missing), the same figures as people read them, and the mark.
type jsonRow struct {
	Key          string   `json:"key"`
	Metric       string   `json:"metric"`
	Unit         string   `json:"unit"`
	BetterWhen   string   `json:"betterWhen,omitempty"`
	Before       *float64 `json:"before"`
	After        *float64 `json:"after"`
	BeforeText   string   `json:"beforeText"`
	AfterText    string   `json:"afterText"`
	Delta        *float64 `json:"delta"`
	DeltaPercent *float64 `json:"deltaPercent"`
	Mark         Mark     `json:"mark"`
}

type jsonTable struct {
	SchemaVersion string    `json:"schemaVersion"`
	Labels        [2]string `json:"labels"`
	Scenarios     [2]string `json:"scenarios"`
	Peak          [2]string `json:"peak"`
	Rows          []jsonRow `json:"rows"`
}

// WriteJSON renders the table as indented JSON.
func WriteJSON(w io.Writer, t *Table) error {
	out := jsonTable{SchemaVersion: SchemaVersion, Labels: t.Labels, Scenarios: t.Scenarios, Peak: t.Peak, Rows: []jsonRow{}}
	for _, r := range t.Rows {
		jr := jsonRow{Key: r.Key, Metric: r.Metric, Unit: r.Unit,
			BeforeText: valueText(r.Before, r.Unit), AfterText: valueText(r.After, r.Unit),
			Delta: round(r.Delta), DeltaPercent: round(r.DeltaPct), Mark: r.Mark}
		switch r.Direction {
		case LowerBetter:
			jr.BetterWhen = "lower"
		case HigherBetter:
			jr.BetterWhen = "higher"
		}
		if r.Before.Known {
			jr.Before = round(&r.Before.V)
		}
		if r.After.Known {
			jr.After = round(&r.After.V)
		}
		out.Rows = append(out.Rows, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// round keeps JSON figures free of float noise (0.30000000000000004).
func round(p *float64) *float64 {
	if p == nil {
		return nil
	}
	v, _ := strconv.ParseFloat(strconv.FormatFloat(*p, 'g', 10, 64), 64)
	return &v
}

func title(t *Table) string {
	return fmt.Sprintf("%s vs %s", t.Labels[0], t.Labels[1])
}

func header(t *Table) []string {
	return []string{"Metric", t.Labels[0], t.Labels[1], "Change", "Effect"}
}

func cells(r Row, mark string) []string {
	if r.Mark == Unknown {
		mark = dash
	}
	return []string{r.Metric, valueText(r.Before, r.Unit), valueText(r.After, r.Unit), deltaText(r), mark}
}

// footnote says where the at-peak figures come from and how a move is judged.
func footnote(t *Table) string {
	peak := fmt.Sprintf("at peak = stage %q", t.Peak[0])
	if t.Peak[1] != t.Peak[0] {
		peak = fmt.Sprintf("at peak = stage %q (%s) and %q (%s)", t.Peak[0], t.Labels[0], t.Peak[1], t.Labels[1])
	}
	return peak + "; lower latency, timeouts, errors, queue depth and scale-up time are better; " +
		"replicas, CPU and GPU are marked changed, not judged; moves under 1% are the same."
}

func mdMark(m Mark) string {
	switch m {
	case Better:
		return "✅ better"
	case Worse:
		return "❌ worse"
	}
	return string(m)
}

func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// valueText writes one side of a row.
func valueText(v Value, unit string) string {
	switch {
	case v.Never:
		return "never"
	case !v.Known:
		return dash
	case v.Text != "":
		return v.Text
	}
	return format(v.V, unit)
}

// deltaText writes the move: "-3.9 s (-93%)", "-11.8 pp (-98%)", "+8".
func deltaText(r Row) string {
	if r.Delta == nil {
		return dash
	}
	d := *r.Delta
	sign := "+"
	if d < 0 {
		sign = "-"
	}
	var s string
	if r.Unit == "ratio" {
		s = sign + report.FormatNumber(math.Abs(d)*100, 1) + " pp"
	} else {
		s = sign + format(math.Abs(d), r.Unit)
	}
	if d == 0 {
		s = "0"
	}
	if r.DeltaPct != nil && d != 0 {
		s += fmt.Sprintf(" (%s%s%%)", sign, report.FormatNumber(math.Abs(*r.DeltaPct), 0))
	}
	return s
}

// format writes a figure in its unit, as the report's tables do.
func format(v float64, unit string) string {
	switch unit {
	case "ms":
		switch {
		case math.Abs(v) >= 1000:
			return report.FormatNumber(v/1000, 1) + " s"
		case math.Abs(v) >= 10:
			return report.FormatNumber(v, 0) + " ms"
		}
		return report.FormatNumber(v, 1) + " ms"
	case "ratio":
		p := v * 100
		switch {
		case p == 0:
			return "0%"
		case math.Abs(p) >= 10:
			return report.FormatNumber(p, 0) + "%"
		case math.Abs(p) >= 1:
			return report.FormatNumber(p, 1) + "%"
		}
		return report.FormatNumber(p, 2) + "%"
	case "s":
		if v >= 60 && v == math.Trunc(v) {
			m, s := int(v)/60, int(v)%60
			if s == 0 {
				return fmt.Sprintf("%dm", m)
			}
			return fmt.Sprintf("%dm%02ds", m, s)
		}
		return report.FormatNumber(v, 1) + "s"
	}
	return fmtCount(v)
}

func fmtCount(v float64) string {
	if math.Abs(v) >= 100 {
		return report.FormatNumber(v, 0)
	}
	return report.FormatNumber(v, 1)
}
