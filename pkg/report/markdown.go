package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown renders the report as GitHub-flavoured Markdown (report.md):
// the headline table first, then stages, request kinds, signals with their
// charts, the scaling timeline, assertions, findings and warnings. Charts
// are embedded by the relative path charts/<name>.svg that WriteCharts
// writes beside report.md.
func WriteMarkdown(w io.Writer, r *Report) error {
	return writeMarkdown(w, r, true)
}

// WriteMarkdownSummary is WriteMarkdown without chart images, for places
// where the chart files cannot be reached (a CI job summary).
func WriteMarkdownSummary(w io.Writer, r *Report) error {
	return writeMarkdown(w, r, false)
}

func writeMarkdown(w io.Writer, r *Report, charts bool) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# surge: %s — %s %s\n\n", mdEscape(r.Scenario.Name), verdictEmoji(r.Verdict), strings.ToUpper(string(r.Verdict)))
	fmt.Fprintf(bw, "**%s**\n\n", mdEscape(VerdictLine(r)))
	meta := []string{"started " + startedLine(r), "ran " + runDuration(r)}
	if r.Scenario.File != "" {
		meta = append([]string{"scenario `" + r.Scenario.File + "`"}, meta...)
	}
	if t := targetLine(r); t != "" {
		meta = append(meta, mdEscape(t))
	}
	fmt.Fprintf(bw, "%s\n\n", strings.Join(meta, " · "))
	if r.Abort != "" {
		fmt.Fprintf(bw, "> **Aborted:** %s\n\n", mdEscape(r.Abort))
	}

	h := Headline(r)
	if len(h.Columns) > 0 {
		notes := h.HasNotes()
		rows := make([][]string, 0, len(h.Rows))
		for _, row := range h.Rows {
			rows = append(rows, headlineCells(row, notes))
		}
		mdTable(bw, headlineHeader(h, notes), rows, 1)
		fmt.Fprintln(bw, "\n<sub>CPU and GPU: average over the stage · queue depth and server P95: maximum over the stage · client P95 and timeout rate: over every request of the stage · replicas: range over the stage.</sub>")
		fmt.Fprintln(bw)
	}

	if len(r.Stages) > 0 {
		fmt.Fprint(bw, "## Stages\n\n")
		rows := make([][]string, 0, len(r.Stages)+1)
		for _, s := range r.Stages {
			rows = append(rows, stageRow(s))
		}
		total := stageRow(r.Totals)
		total[0] = "**total**"
		mdTable(bw, stageHeader, append(rows, total), 1)
		fmt.Fprintln(bw, "\n<sub>Latency is measured from each request's scheduled send time, so a client that fell behind still counts the wait a user would have seen.</sub>")
		fmt.Fprintln(bw)
		writeMarkdownKinds(bw, r)
	}

	writeMarkdownSignals(bw, r, charts)
	writeMarkdownScaling(bw, r)

	if len(r.Assertions) > 0 {
		fmt.Fprint(bw, "## Assertions\n\n")
		rows := make([][]string, 0, len(r.Assertions))
		for _, a := range r.Assertions {
			row := assertionRow(a)
			row[0] = passMark(a.Pass) + " " + row[0]
			row[1] = "`" + a.Expr + "`"
			rows = append(rows, row)
		}
		mdTable(bw, assertionHeader, rows, 2)
		for _, a := range r.Assertions {
			if !a.Pass && a.Message != "" {
				fmt.Fprintf(bw, "\n- `%s`: %s", a.Expr, mdEscape(a.Message))
			}
		}
		fmt.Fprint(bw, "\n\n")
	}

	if len(r.Diagnosis) > 0 {
		fmt.Fprint(bw, "## Findings\n\n")
		for _, f := range r.Diagnosis {
			fmt.Fprintf(bw, "- %s **%s** `%s`: %s", severityEmoji(f.Severity), strings.ToUpper(f.Severity), f.ID, mdEscape(f.Message))
			if len(f.Evidence) > 0 {
				fmt.Fprintf(bw, "<br><sub>evidence: %s</sub>", mdEscape(evidenceText(f.Evidence)))
			}
			fmt.Fprintln(bw)
		}
		fmt.Fprintln(bw)
	}

	if len(r.Warnings) > 0 {
		fmt.Fprint(bw, "## Warnings\n\n")
		for _, warn := range r.Warnings {
			fmt.Fprintf(bw, "- ⚠️ %s\n", mdEscape(warn))
		}
		fmt.Fprintln(bw)
	}
	fmt.Fprintf(bw, "<sub>surge report %s · verdict: %s</sub>\n", SchemaVersion, r.Verdict)
	return bw.Flush()
}

func writeMarkdownKinds(bw *bufio.Writer, r *Report) {
	header := []string{"Stage", "Kind", "Target", "Achieved", "Requests", "OK", "Timeouts", "Errors", "p50", "p95", "p99"}
	var rows [][]string
	add := func(stage string, kinds []Stats) {
		for _, k := range kinds {
			rows = append(rows, []string{stage, k.Name, fmtRate(k.TargetRate), fmtRate(k.AchievedRate),
				fmtInt(k.Requests), fmtInt(k.Successes), fmtInt(k.Timeouts), fmtInt(k.Errors),
				fmtMs(k.LatencyMs.P50), fmtMs(k.LatencyMs.P95), fmtMs(k.LatencyMs.P99)})
		}
	}
	for _, s := range r.Stages {
		add(s.Name, s.Kinds)
	}
	add("**total**", r.Totals.Kinds)
	if len(rows) == 0 {
		return
	}
	fmt.Fprint(bw, "### Per request kind\n\n")
	mdTable(bw, header, rows, 2)
	fmt.Fprintln(bw)
}

func writeMarkdownSignals(bw *bufio.Writer, r *Report, charts bool) {
	if len(r.Signals) == 0 {
		return
	}
	fmt.Fprint(bw, "## Signals\n\n")
	header := []string{"Signal", "Source"}
	for _, s := range r.Stages {
		header = append(header, s.Name)
	}
	rows := make([][]string, 0, len(r.Signals))
	for _, sig := range r.Signals {
		row := []string{"`" + sig.Name + "`", sig.Source}
		for _, s := range r.Stages {
			a, ok := sig.ByStage[s.Name]
			if !ok || a.Samples == 0 {
				row = append(row, dash)
				continue
			}
			row = append(row, fmtValue(a.Avg, sig.Unit)+" / "+fmtValue(a.Max, sig.Unit))
		}
		rows = append(rows, row)
	}
	mdTable(bw, header, rows, 2)
	fmt.Fprintln(bw, "\n<sub>Each cell: average / maximum over the stage.</sub>")
	fmt.Fprintln(bw)
	var gaps []string
	for _, sig := range r.Signals {
		for _, g := range sig.Gaps {
			gaps = append(gaps, fmt.Sprintf("- `%s`: no data from %s to %s (%s)", sig.Name, fmtClock(g.FromSeconds), fmtClock(g.ToSeconds), mdEscape(g.Error)))
		}
	}
	if len(gaps) > 0 {
		fmt.Fprintf(bw, "Gaps:\n\n%s\n\n", strings.Join(gaps, "\n"))
	}
	if charts {
		for _, c := range chartSpecs(r) {
			fmt.Fprintf(bw, "![%s](charts/%s.svg)\n\n", mdEscape(c.title), c.name)
		}
	}
}

func writeMarkdownScaling(bw *bufio.Writer, r *Report) {
	sc := r.Scaling
	if !sc.Replicas.Known && len(sc.Events) == 0 && sc.Reaction == nil {
		return
	}
	fmt.Fprint(bw, "## Scaling\n\n")
	fmt.Fprintf(bw, "%s\n\n", upperFirst(replicaLine(sc.Replicas)))
	if len(sc.Events) > 0 {
		rows := make([][]string, 0, len(sc.Events))
		for _, e := range sc.Events {
			row := eventRow(e)
			row[4] = mdEscape(row[4])
			rows = append(rows, row)
		}
		mdTable(bw, eventHeader, rows, 0)
		fmt.Fprintln(bw)
	}
	if re := sc.Reaction; re != nil {
		fmt.Fprint(bw, "### Reaction\n\n")
		if len(re.Steps) > 0 {
			rows := make([][]string, 0, len(re.Steps))
			for _, s := range re.Steps {
				rows = append(rows, reactionRow(s))
			}
			mdTable(bw, reactionHeader, rows, 3)
			fmt.Fprintln(bw, "\n<sub>Seconds from the load step to the first scale decision, the actuation, replicas ready and latency stable again; — means it never got there.</sub>")
			fmt.Fprintln(bw)
		}
		fmt.Fprintf(bw, "%s\n\n", upperFirst(reactionSummary(re)))
	}
}

// mdTable writes a GitHub table; columns from firstNumeric on (when > 0)
// are right-aligned.
func mdTable(w io.Writer, header []string, rows [][]string, firstNumeric int) {
	cells := make([]string, len(header))
	seps := make([]string, len(header))
	for i, h := range header {
		cells[i] = mdCell(h)
		seps[i] = "---"
		if firstNumeric > 0 && i >= firstNumeric {
			seps[i] = "---:"
		}
	}
	fmt.Fprintf(w, "| %s |\n| %s |\n", strings.Join(cells, " | "), strings.Join(seps, " | "))
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = mdCell(c)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

// mdCell keeps a value inside its table cell.
func mdCell(s string) string {
	s = strings.ReplaceAll(s, "|", `\|`)
	return strings.ReplaceAll(s, "\n", " ")
}

// mdEscape neutralises the characters that would turn free text (an error
// message, a reason from the cluster) into markup.
var mdReplacer = strings.NewReplacer(`\`, `\\`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`)

func mdEscape(s string) string { return mdReplacer.Replace(s) }

func verdictEmoji(v Verdict) string {
	switch v {
	case VerdictPass:
		return "✅"
	case VerdictFail:
		return "❌"
	default:
		return "⚠️"
	}
}

func passMark(pass bool) string {
	if pass {
		return "✅"
	}
	return "❌"
}

func severityEmoji(s string) string {
	switch s {
	case "critical":
		return "🔴"
	case "warning":
		return "🟠"
	default:
		return "🔵"
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
