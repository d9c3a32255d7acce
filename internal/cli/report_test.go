package cli

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// goldenReport is the report.json the report package's golden tests keep
// up to date: a real renderer output.
const goldenReport = "../../pkg/report/testdata/report.golden.json"

func copyGoldenReport(t *testing.T, dir string) string {
	t.Helper()
	raw, err := os.ReadFile(goldenReport)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "report.json")
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want ReportOptions
	}{
		{name: "defaults", args: []string{"r.json"},
			want: ReportOptions{Result: "r.json", Formats: []string{"json", "md", "html"}}},
		{name: "formats and out", args: []string{"run/", "--format", "md,junit", "--out", "o"},
			want: ReportOptions{Result: "run/", Formats: []string{"md", "junit"}, OutDir: "o"}},
		{name: "step summary", args: []string{"r.json", "--format=terminal", "--step-summary"},
			want: ReportOptions{Result: "r.json", Formats: []string{"terminal"}, StepSummary: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld()
			var got *ReportOptions
			cmd := newCmdReport(w.f, func(o *ReportOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestReportCommand(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares a temporary directory and returns the arguments.
		setup      func(t *testing.T, dir string) []string
		wantCode   int
		wantFiles  []string
		wantStdout string
		wantStderr string
	}{
		{name: "re-render into the report's directory", wantCode: ExitOK,
			setup: func(t *testing.T, dir string) []string {
				return []string{"report", copyGoldenReport(t, filepath.Join(dir, "run")), "--format", "md,html,junit"}
			},
			wantFiles: []string{"run/report.md", "run/report.html", "run/junit.xml", "run/charts/latency.svg"}},
		{name: "run directory and --out", wantCode: ExitOK,
			setup: func(t *testing.T, dir string) []string {
				copyGoldenReport(t, filepath.Join(dir, "run"))
				return []string{"report", filepath.Join(dir, "run"), "--format", "json,junit", "--out", filepath.Join(dir, "out")}
			},
			wantFiles: []string{"out/report.json", "out/junit.xml"}},
		{name: "terminal to stdout", wantCode: ExitOK, wantStdout: "Verdict: FAIL",
			setup: func(t *testing.T, dir string) []string {
				return []string{"report", copyGoldenReport(t, dir), "--format", "terminal"}
			}},
		{name: "unknown format", wantCode: ExitInvalid, wantStderr: `unknown report format "pdf"`,
			setup: func(t *testing.T, dir string) []string {
				return []string{"report", copyGoldenReport(t, dir), "--format", "md,pdf"}
			}},
		{name: "invalid JSON names the file", wantCode: ExitInvalid, wantStderr: "broken.json",
			setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "broken.json")
				os.WriteFile(p, []byte(`{"schemaVersion": "surge.report/v1", "stages": [`), 0o644)
				return []string{"report", p}
			}},
		{name: "other schema version", wantCode: ExitInvalid, wantStderr: "schemaVersion",
			setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "old.json")
				os.WriteFile(p, []byte(`{"schemaVersion": "surge.report/v0"}`), 0o644)
				return []string{"report", p}
			}},
		{name: "no such file", wantCode: ExitInvalid, wantStderr: "nothing-here.json",
			setup: func(t *testing.T, dir string) []string {
				return []string{"report", filepath.Join(dir, "nothing-here.json")}
			}},
		{name: "missing report.json is rebuilt", wantStderr: "has no report.json",
			setup: func(t *testing.T, dir string) []string {
				return []string{"report", filepath.Join(dir, "report.json")}
			}},
		{name: "no arguments", wantCode: ExitInvalid,
			setup: func(t *testing.T, dir string) []string { return []string{"report"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w := newTestWorld()
			code := w.run(tt.setup(t, dir)...)
			if tt.name == "missing report.json is rebuilt" {
				// Whatever rebuilding concludes about an empty directory,
				// it must say that the report was missing and not exit 0.
				if code == ExitOK {
					t.Fatalf("exit 0 for a directory with nothing to rebuild from")
				}
			} else if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.wantCode, w.errOut)
			}
			for _, f := range tt.wantFiles {
				if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
					t.Errorf("%s missing or empty: %v", f, err)
				}
			}
			if !strings.Contains(w.out.String(), tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, w.out)
			}
			if !strings.Contains(w.errOut.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, w.errOut)
			}
		})
	}
}

func TestReportStepSummary(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.md")
	w := newTestWorld()
	w.env["GITHUB_STEP_SUMMARY"] = summary
	if code := w.run("report", copyGoldenReport(t, dir), "--format", "json", "--step-summary"); code != ExitOK {
		t.Fatalf("exit %d: %s", code, w.errOut)
	}
	got, err := os.ReadFile(summary)
	if err != nil || !strings.Contains(string(got), "| Metric | baseline | peak |") {
		t.Fatalf("step summary not written (%v):\n%s", err, got)
	}
}
