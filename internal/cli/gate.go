package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/assert"
	"github.com/surge-sh/surge/pkg/problem"
	"github.com/surge-sh/surge/pkg/report"
)

// defaultGateCriteria judge a run against its baseline when no criteria
// are given: a latency regression beyond noise, or a failure rate one point
// above the baseline's. Both are relative, so one set fits any service.
var defaultGateCriteria = []string{
	"p95 <= +10% vs baseline",
	"error_rate <= baseline + 1%",
}

// GateOptions are the inputs of `surge gate`.
type GateOptions struct {
	IO *IOStreams
	// Result is the report judged; Baseline the one relative criteria
	// compare with (optional when every criterion is absolute).
	Result, Baseline string
	// CriteriaFile is a YAML list of assertions; Asserts are given on the
	// command line. With neither, defaultGateCriteria apply.
	CriteriaFile string
	Asserts      []string
	Format       string
	// AllowAborted judges an aborted run's figures instead of failing it.
	AllowAborted bool
}

var gateWriters = map[string]func(io.Writer, *gateResult) error{
	"terminal": writeGateTerminal,
	"md":       writeGateMarkdown,
	"json":     writeGateJSON,
}

func newCmdGate(f *Factory, runF func(*GateOptions) error) *cobra.Command {
	opts := &GateOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "gate RESULT.json [--baseline OLD.json] [--criteria FILE | --assert EXPR ...]",
		Short: "Judge a saved run against criteria and a baseline run (exit 3 on failure)",
		Long: `Judge a saved run against criteria, for pipelines that run the load in one
step and judge it in another. Criteria are assertions (see docs/assertions.md),
absolute ("p95 < 350ms during peak") or relative to the baseline run
("p95 <= +10% vs baseline", "error_rate <= baseline + 1%"). They come from
--criteria, a YAML list in the format of a scenario's assert: block, and from
--assert, repeatable. With neither, the default criteria apply:
  ` + strings.Join(defaultGateCriteria, "\n  ") + `
A run that was aborted fails the gate unless --allow-aborted is given.

Exit codes: 0 every criterion passed; 2 invalid input (a report file, a
criterion, a flag); 3 one or more criteria failed.`,
		Example: `  surge gate out/report.json --baseline main/report.json
  surge gate out/report.json --assert "p95 < 350ms during peak" --assert "timeout_rate < 1%"
  surge gate out/report.json --baseline main/report.json --criteria slo.yaml --format md`,
		Args: exactArgs(1, "one report file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Result = args[0]
			if _, ok := gateWriters[opts.Format]; !ok {
				return Invalidf("gate: unknown --format %q (want %s)", opts.Format, sortedFormatNames(gateWriters))
			}
			if runF != nil {
				return runF(opts)
			}
			return runGate(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Baseline, "baseline", "", "the report relative criteria compare with")
	cmd.Flags().StringVar(&opts.CriteriaFile, "criteria", "", "YAML file with a list of assertions")
	cmd.Flags().StringArrayVar(&opts.Asserts, "assert", nil, "an assertion (repeatable)")
	cmd.Flags().StringVar(&opts.Format, "format", "terminal", "output format: terminal, md or json")
	cmd.Flags().BoolVar(&opts.AllowAborted, "allow-aborted", false, "judge an aborted run instead of failing it")
	return cmd
}

// gateResult is what the gate concluded.
type gateResult struct {
	Result     string             `json:"result"`
	Baseline   string             `json:"baseline,omitempty"`
	Pass       bool               `json:"pass"`
	Assertions []report.Assertion `json:"assertions"`
}

func runGate(opts *GateOptions) error {
	specs, err := gateCriteria(opts)
	if err != nil {
		return err
	}
	result, err := loadSavedReport("gate", opts.Result)
	if err != nil {
		return err
	}
	var baseline *report.Report
	if opts.Baseline != "" {
		if baseline, err = loadSavedReport("gate", opts.Baseline); err != nil {
			return err
		}
	} else if assert.NeedsBaseline(specs) {
		if opts.CriteriaFile == "" && len(opts.Asserts) == 0 {
			return Invalidf("gate: the default criteria compare with a baseline: give --baseline OLD.json, or criteria with --criteria or --assert")
		}
		return Invalidf("gate: some criteria compare with a baseline: give --baseline OLD.json")
	}
	got, err := assert.Evaluate(specs, result, baseline)
	if err != nil {
		return Invalidf("gate: %w", err)
	}
	if result.Verdict == report.VerdictAborted && !opts.AllowAborted {
		msg := "the run was aborted"
		if result.Abort != "" {
			msg += ": " + result.Abort
		}
		got = append([]report.Assertion{{Expr: "run completed", Message: msg + " (--allow-aborted judges it anyway)"}}, got...)
	}
	res := &gateResult{Result: opts.Result, Baseline: opts.Baseline, Pass: true, Assertions: got}
	for _, a := range got {
		res.Pass = res.Pass && a.Pass
	}
	if err := gateWriters[opts.Format](opts.IO.Out, res); err != nil {
		return fmt.Errorf("gate: write result: %w", err)
	}
	if !res.Pass {
		return AssertionsFailed
	}
	return nil
}

// gateCriteria gathers and checks the criteria: every problem at once.
func gateCriteria(opts *GateOptions) ([]assert.Spec, error) {
	var specs []assert.Spec
	var problems []string
	if opts.CriteriaFile != "" {
		fromFile, err := readCriteriaFile(opts.CriteriaFile)
		if err != nil {
			return nil, err
		}
		for _, p := range assert.ValidateSpecs(fromFile, nil) {
			problems = append(problems, fmt.Sprintf("%s: %s", opts.CriteriaFile, p.Error()))
		}
		specs = append(specs, fromFile...)
	}
	var cli []assert.Spec
	for _, a := range opts.Asserts {
		cli = append(cli, assert.Spec{Expr: a})
	}
	for _, p := range assert.ValidateSpecs(cli, nil) {
		p.Path = problem.Join("--assert", p.Path)
		problems = append(problems, p.Error())
	}
	specs = append(specs, cli...)
	if len(problems) > 0 {
		return nil, Invalidf("gate: invalid criteria:\n  %s", strings.Join(problems, "\n  "))
	}
	if len(specs) == 0 {
		for _, d := range defaultGateCriteria {
			specs = append(specs, assert.Spec{Expr: d})
		}
	}
	return specs, nil
}

// readCriteriaFile reads a YAML list of assertions, each a string or a
// mapping as in a scenario's assert: block.
func readCriteriaFile(path string) ([]assert.Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, Invalidf("gate: read criteria %q: no such file", path)
		}
		return nil, Invalidf("gate: read criteria %q: %w", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Invalidf("gate: read criteria %q: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.SequenceNode {
		return nil, Invalidf("gate: read criteria %q: want a list of assertions, e.g.\n  - p95 <= +10%% vs baseline\n  - timeout_rate < 1%%", path)
	}
	var specs []assert.Spec
	if err := doc.Content[0].Decode(&specs); err != nil {
		return nil, Invalidf("gate: read criteria %q: %w", path, err)
	}
	if len(specs) == 0 {
		return nil, Invalidf("gate: read criteria %q: the list is empty", path)
	}
	return specs, nil
}

func gateRows(res *gateResult) [][]string {
	rows := make([][]string, 0, len(res.Assertions))
	for _, a := range res.Assertions {
		mark := "PASS"
		if !a.Pass {
			mark = "FAIL"
		}
		rows = append(rows, []string{mark, a.Expr, a.Message})
	}
	return rows
}

func gateSummary(res *gateResult) string {
	failed := 0
	for _, a := range res.Assertions {
		if !a.Pass {
			failed++
		}
	}
	if failed == 0 {
		return fmt.Sprintf("gate: PASS, all %d criteria passed", len(res.Assertions))
	}
	return fmt.Sprintf("gate: FAIL, %d of %d criteria failed", failed, len(res.Assertions))
}

func writeGateTerminal(w io.Writer, res *gateResult) error {
	bw := bufio.NewWriter(w)
	t := tablewriter.NewTable(bw,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
	)
	t.Header([]string{"Result", "Criterion", "Detail"})
	if err := t.Bulk(gateRows(res)); err != nil {
		return err
	}
	if err := t.Render(); err != nil {
		return err
	}
	fmt.Fprintln(bw, gateSummary(res))
	return bw.Flush()
}

func writeGateMarkdown(w io.Writer, res *gateResult) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "### %s\n\n| Result | Criterion | Detail |\n| --- | --- | --- |\n", gateSummary(res))
	cell := strings.NewReplacer("|", `\|`, "\n", " ")
	for _, row := range gateRows(res) {
		mark := "✅ PASS"
		if row[0] == "FAIL" {
			mark = "❌ FAIL"
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s |\n", mark, cell.Replace(row[1]), cell.Replace(row[2]))
	}
	_, err := w.Write(b.Bytes())
	return err
}

func writeGateJSON(w io.Writer, res *gateResult) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}
