package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/surge-sh/surge/pkg/report"
)

// ReportOptions are the inputs of `surge report`.
type ReportOptions struct {
	// Result is a report.json or a run directory.
	Result string
	// Formats are the formats to write (md, html, json, junit, terminal).
	Formats []string
	// OutDir is where the files go; empty means the report's directory.
	OutDir string
	// StepSummary appends the Markdown summary to $GITHUB_STEP_SUMMARY.
	StepSummary bool
}

func newCmdReport(f *Factory, runF func(*ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{}
	var formats string
	cmd := &cobra.Command{
		Use:   "report RESULT",
		Short: "Re-render a saved run as Markdown, HTML, JSON or JUnit XML",
		Long: `Re-render a saved run. RESULT is a report.json or a run directory; when the
directory has no report.json, the report is rebuilt from the run's raw
results stream first.

Formats: md (report.md plus charts/*.svg), html (report.html, self-contained),
json (report.json), junit (junit.xml), terminal (printed to stdout).
Files go to --out, by default the report's own directory. The exit code says
whether rendering worked, not whether the run passed: use 'surge gate' to judge.`,
		Example: `  surge report surge-out/blackfriday-20261127-090000/report.json --format md,html
  surge report surge-out/blackfriday-20261127-090000 --format junit --out reports/
  surge report old/report.json --format terminal`,
		Args: exactArgs(1, "one report.json or run directory"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Result = args[0]
			list, err := report.ParseFormats(formats)
			if err != nil {
				return Invalidf("report: --format: %w", err)
			}
			opts.Formats = list
			if runF != nil {
				return runF(opts)
			}
			return runReport(f, opts)
		},
	}
	cmd.Flags().StringVar(&formats, "format", strings.Join(report.DefaultFormats, ","), "comma-separated formats: md, html, json, junit, terminal")
	cmd.Flags().StringVarP(&opts.OutDir, "out", "o", "", "directory to write into (default: the report's directory)")
	cmd.Flags().BoolVar(&opts.StepSummary, "step-summary", false, "also append the Markdown summary to $"+report.StepSummaryEnv+" (GitHub Actions)")
	return cmd
}

func runReport(f *Factory, opts *ReportOptions) error {
	r, dir, err := loadResult(opts.Result)
	if err != nil {
		return err
	}
	out := opts.OutDir
	if out == "" {
		out = dir
	}
	var files []string
	for _, name := range opts.Formats {
		if name == report.FormatTerminal {
			if err := report.WriteTerminal(f.IO.Out, r); err != nil {
				return fmt.Errorf("report: %w", err)
			}
			continue
		}
		files = append(files, name)
	}
	if len(files) > 0 {
		if err := report.WriteAll(out, r, files); err != nil {
			return fmt.Errorf("report: %w", err)
		}
		for _, ff := range report.FileFormats {
			for _, name := range files {
				if name == ff.Name {
					fmt.Fprintf(f.IO.ErrOut, "wrote %s\n", filepath.Join(out, ff.File))
				}
			}
		}
	}
	if opts.StepSummary {
		if err := report.AppendStepSummary(f.Getenv, r); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	return nil
}

// loadResult reads a saved run: a report.json, or a run directory whose
// report.json is read or, when missing, rebuilt from the raw results. It
// returns the report and the run directory.
func loadResult(path string) (*report.Report, string, error) {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		file := filepath.Join(path, "report.json")
		if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
			return rebuild(path)
		}
		r, err := readReport(file)
		return r, path, err
	case err == nil:
		r, err := readReport(path)
		return r, filepath.Dir(path), err
	case errors.Is(err, fs.ErrNotExist) && filepath.Base(path) == "report.json":
		if di, derr := os.Stat(filepath.Dir(path)); derr == nil && di.IsDir() {
			return rebuild(filepath.Dir(path))
		}
	}
	return nil, "", Invalidf("report: read %s: %w", path, err)
}

func readReport(file string) (*report.Report, error) {
	fh, err := os.Open(file)
	if err != nil {
		return nil, Invalidf("report: read %s: %w", file, err)
	}
	defer fh.Close()
	r, err := report.Decode(fh)
	if err != nil {
		return nil, Invalidf("report: read %s: %w", file, err)
	}
	return r, nil
}

func rebuild(dir string) (*report.Report, string, error) {
	r, err := rebuildReport(dir)
	if err != nil {
		return nil, "", fmt.Errorf("report: %s has no report.json: %w", dir, err)
	}
	return r, dir, nil
}
