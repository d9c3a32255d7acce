package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Renderer writes a report in one format. Every format shares this shape.
type Renderer func(io.Writer, *Report) error

// Format names, as given to --format.
const (
	FormatTerminal = "terminal"
	FormatMarkdown = "md"
	FormatHTML     = "html"
	FormatJSON     = "json"
	FormatJUnit    = "junit"
)

// FileFormats are the formats written to files, in the order WriteAll
// writes them, with their file names.
var FileFormats = []struct{ Name, File string }{
	{FormatJSON, "report.json"},
	{FormatMarkdown, "report.md"},
	{FormatHTML, "report.html"},
	{FormatJUnit, "junit.xml"},
}

// DefaultFormats are the files a run writes when not told otherwise.
var DefaultFormats = []string{FormatJSON, FormatMarkdown, FormatHTML}

// RendererFor returns the renderer of a format name.
func RendererFor(format string) (Renderer, bool) {
	switch format {
	case FormatTerminal:
		return WriteTerminal, true
	case FormatMarkdown:
		return WriteMarkdown, true
	case FormatHTML:
		return WriteHTML, true
	case FormatJSON:
		return writeJSON, true
	case FormatJUnit:
		return WriteJUnit, true
	}
	return nil, false
}

// ParseFormats reads a comma-separated format list ("md,html,json,junit"),
// dropping blanks and duplicates; an unknown name is an error that lists
// the known ones.
func ParseFormats(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(list, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" || seen[f] {
			continue
		}
		if _, ok := RendererFor(f); !ok {
			return nil, fmt.Errorf("unknown report format %q (want md, html, json, junit or terminal)", f)
		}
		seen[f] = true
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, errors.New("no report format given (want md, html, json, junit or terminal)")
	}
	return out, nil
}

// WriteAll writes the report into a run directory, one file per format:
// report.json, report.md (with charts/<name>.svg beside it), report.html
// and junit.xml. The terminal format has no file and is ignored here. Each
// file is written whole to a temporary name and renamed, so a reader never
// sees half a report.
func WriteAll(dir string, r *Report, formats []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	want := map[string]bool{}
	for _, f := range formats {
		if _, ok := RendererFor(f); !ok {
			return fmt.Errorf("write report: unknown format %q", f)
		}
		want[f] = true
	}
	for _, ff := range FileFormats {
		if !want[ff.Name] {
			continue
		}
		render, _ := RendererFor(ff.Name)
		if err := writeFileAtomic(filepath.Join(dir, ff.File), r, render); err != nil {
			return err
		}
	}
	if want[FormatMarkdown] {
		if _, err := WriteCharts(dir, r); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

func writeFileAtomic(path string, r *Report, render Renderer) error {
	var buf bytes.Buffer
	if err := render(&buf, r); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// StepSummaryEnv is the variable GitHub Actions sets to the file that
// becomes the job summary.
const StepSummaryEnv = "GITHUB_STEP_SUMMARY"

// AppendStepSummary appends the Markdown summary (without chart images,
// which the job summary cannot reach) to the file named by
// GITHUB_STEP_SUMMARY. It does nothing when the variable is unset.
func AppendStepSummary(getenv func(string) string, r *Report) error {
	path := getenv(StepSummaryEnv)
	if path == "" {
		return nil
	}
	var buf bytes.Buffer
	if err := WriteMarkdownSummary(&buf, r); err != nil {
		return fmt.Errorf("append step summary: %w", err)
	}
	buf.WriteString("\n")
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("append step summary: %w", err)
	}
	if _, err := buf.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("append step summary %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("append step summary %s: %w", path, err)
	}
	return nil
}

// writeJSON is WriteJSON over a copy whose empty lists and maps encode as
// [] and {} rather than null, as docs/report.schema.json requires: a
// pipeline can then index .assertions without a null check.
func writeJSON(w io.Writer, r *Report) error {
	return WriteJSON(w, normalized(r))
}

func normalized(r *Report) *Report {
	c := *r
	c.Stages = orEmpty(c.Stages)
	c.Signals = orEmpty(c.Signals)
	c.Assertions = orEmpty(c.Assertions)
	c.Diagnosis = orEmpty(c.Diagnosis)
	c.Scaling.Events = orEmpty(c.Scaling.Events)
	if c.Scaling.Reaction != nil {
		re := *c.Scaling.Reaction
		re.Steps = orEmpty(re.Steps)
		c.Scaling.Reaction = &re
	}
	signals := make([]Signal, len(c.Signals))
	for i, s := range c.Signals {
		s.Points = orEmpty(s.Points)
		if s.ByStage == nil {
			s.ByStage = map[string]Agg{}
		}
		signals[i] = s
	}
	c.Signals = signals
	findings := make([]Finding, len(c.Diagnosis))
	for i, f := range c.Diagnosis {
		if f.Evidence == nil {
			f.Evidence = map[string]any{}
		}
		findings[i] = f
	}
	c.Diagnosis = findings
	return &c
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
