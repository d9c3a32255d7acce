package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// WriteTerminal renders the report for a terminal or a CI log: the headline
// table, the stages, the scaling timeline, the assertions, the findings and
// the verdict line. It uses no colour, so logs stay readable.
func WriteTerminal(w io.Writer, r *Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "surge · %s · %s\n", r.Scenario.Name, VerdictLine(r))
	fmt.Fprintf(bw, "started %s · ran %s", startedLine(r), runDuration(r))
	if t := targetLine(r); t != "" {
		fmt.Fprintf(bw, " · %s", t)
	}
	fmt.Fprintln(bw)

	h := Headline(r)
	if len(h.Columns) > 0 {
		fmt.Fprintln(bw)
		notes := h.HasNotes()
		rows := make([][]string, 0, len(h.Rows))
		for _, row := range h.Rows {
			rows = append(rows, headlineCells(row, notes))
		}
		var text []int
		if notes {
			text = append(text, len(h.Columns)+1)
		}
		if err := termTable(bw, headlineHeader(h, notes), rows, 1, text...); err != nil {
			return err
		}
	}

	if len(r.Stages) > 0 {
		fmt.Fprintln(bw, "\nStages")
		rows := make([][]string, 0, len(r.Stages)+1)
		for _, s := range r.Stages {
			rows = append(rows, compactStageRow(s))
		}
		rows = append(rows, compactStageRow(r.Totals))
		if err := termTable(bw, stageHeader, rows, 1); err != nil {
			return err
		}
		if classes := stageErrorClasses(r); len(classes) > 0 {
			fmt.Fprintf(bw, "Errors by class: %s\n", strings.Join(classes, " · "))
		}
	}

	fmt.Fprintf(bw, "\nScaling: %s\n", replicaLine(r.Scaling.Replicas))
	if len(r.Scaling.Events) > 0 {
		rows := make([][]string, 0, len(r.Scaling.Events))
		for _, e := range r.Scaling.Events {
			rows = append(rows, eventRow(e))
		}
		if err := termTable(bw, eventHeader, rows, 0); err != nil {
			return err
		}
	}
	if re := r.Scaling.Reaction; re != nil {
		if len(re.Steps) > 0 {
			rows := make([][]string, 0, len(re.Steps))
			for _, s := range re.Steps {
				rows = append(rows, reactionRow(s))
			}
			if err := termTable(bw, reactionHeader, rows, 0); err != nil {
				return err
			}
		}
		fmt.Fprintf(bw, "Reaction: %s\n", reactionSummary(re))
	}

	if len(r.Assertions) > 0 {
		fmt.Fprintln(bw, "\nAssertions")
		rows := make([][]string, 0, len(r.Assertions))
		for _, a := range r.Assertions {
			rows = append(rows, assertionRow(a))
		}
		if err := termTable(bw, assertionHeader, rows, 0); err != nil {
			return err
		}
	}

	if len(r.Diagnosis) > 0 {
		fmt.Fprintln(bw, "\nFindings")
		for _, f := range r.Diagnosis {
			fmt.Fprintf(bw, "  %-8s %s: %s\n", strings.ToUpper(f.Severity), f.ID, f.Message)
		}
	}
	if len(r.Warnings) > 0 {
		fmt.Fprintln(bw, "\nWarnings")
		for _, warn := range r.Warnings {
			fmt.Fprintf(bw, "  - %s\n", warn)
		}
	}
	fmt.Fprintf(bw, "\nVerdict: %s\n", VerdictLine(r))
	return bw.Flush()
}

// termTable writes one box-drawn table; columns from firstNumeric on are
// right-aligned, as figures read best, except the text columns named.
func termTable(w io.Writer, header []string, rows [][]string, firstNumeric int, text ...int) error {
	align := make([]tw.Align, len(header))
	for i := range align {
		align[i] = tw.AlignLeft
		if firstNumeric > 0 && i >= firstNumeric {
			align[i] = tw.AlignRight
		}
	}
	for _, i := range text {
		align[i] = tw.AlignLeft
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render table: %w", err)
	}
	return nil
}
