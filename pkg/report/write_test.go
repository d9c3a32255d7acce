package report

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseFormats(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "all files", in: "md,html,json,junit", want: []string{"md", "html", "json", "junit"}},
		{name: "spaces, case and repeats", in: " JSON , md,json,", want: []string{"json", "md"}},
		{name: "terminal", in: "terminal", want: []string{"terminal"}},
		{name: "unknown", in: "md,pdf", wantErr: `unknown report format "pdf"`},
		{name: "empty", in: " , ", wantErr: "no report format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFormats(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestWriteAll(t *testing.T) {
	tests := []struct {
		name    string
		formats []string
		want    []string
		absent  []string
	}{
		{name: "every file format", formats: []string{"json", "md", "html", "junit"},
			want: []string{"report.json", "report.md", "report.html", "junit.xml", "charts/rate.svg", "charts/latency.svg"}},
		{name: "json only writes no charts", formats: []string{"json"},
			want: []string{"report.json"}, absent: []string{"report.md", "charts"}},
		{name: "terminal has no file", formats: []string{"terminal", "junit"},
			want: []string{"junit.xml"}, absent: []string{"report.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "run")
			if err := WriteAll(dir, fixture(), tt.formats); err != nil {
				t.Fatal(err)
			}
			for _, f := range tt.want {
				if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
					t.Errorf("%s missing or empty: %v", f, err)
				}
			}
			for _, f := range tt.absent {
				if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
					t.Errorf("%s written, want absent", f)
				}
			}
			leftovers, _ := filepath.Glob(filepath.Join(dir, "*.tmp"))
			if len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

// The Markdown embeds exactly the charts WriteCharts writes, by relative
// path, so report.md shows them wherever the run directory is unpacked.
func TestMarkdownEmbedsWrittenCharts(t *testing.T) {
	dir := t.TempDir()
	if err := WriteAll(dir, fixture(), []string{"md"}); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "charts", "*.svg"))
	if len(files) == 0 {
		t.Fatal("no charts written")
	}
	for _, f := range files {
		ref := "](charts/" + filepath.Base(f) + ")"
		if !bytes.Contains(md, []byte(ref)) {
			t.Errorf("report.md does not embed %s", ref)
		}
	}
	if n := bytes.Count(md, []byte("](charts/")); n != len(files) {
		t.Errorf("report.md embeds %d charts, %d written", n, len(files))
	}
}

func TestWriteAllRejectsUnknownFormat(t *testing.T) {
	if err := WriteAll(t.TempDir(), fixture(), []string{"pdf"}); err == nil {
		t.Fatal("WriteAll accepted an unknown format")
	}
}

func TestAppendStepSummary(t *testing.T) {
	t.Run("unset does nothing", func(t *testing.T) {
		if err := AppendStepSummary(func(string) string { return "" }, fixture()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("appends after earlier content", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "summary.md")
		if err := os.WriteFile(path, []byte("## earlier step\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		env := func(k string) string {
			if k == StepSummaryEnv {
				return path
			}
			return ""
		}
		for range 2 {
			if err := AppendStepSummary(env, fixture()); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := os.ReadFile(path)
		if !bytes.HasPrefix(got, []byte("## earlier step\n")) {
			t.Fatal("earlier content lost")
		}
		if n := bytes.Count(got, []byte("# surge: blackfriday")); n != 2 {
			t.Fatalf("summary appears %d times, want 2", n)
		}
		if bytes.Contains(got, []byte("](charts/")) {
			t.Fatal("step summary embeds chart files it cannot reach")
		}
		if !bytes.Contains(got, []byte("| Metric | baseline | peak |")) {
			t.Fatal("step summary lacks the headline table")
		}
	})
	t.Run("unwritable path", func(t *testing.T) {
		env := func(string) string { return filepath.Join(t.TempDir(), "missing", "dir", "summary.md") }
		if err := AppendStepSummary(env, fixture()); err == nil {
			t.Fatal("no error for an unwritable summary file")
		}
	})
}

func TestJUnit(t *testing.T) {
	type tc struct {
		Name    string `xml:"name,attr"`
		Failure *struct {
			Message string `xml:"message,attr"`
		} `xml:"failure"`
		Error *struct {
			Message string `xml:"message,attr"`
		} `xml:"error"`
	}
	type doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Tests    int  `xml:"tests,attr"`
			Failures int  `xml:"failures,attr"`
			Cases    []tc `xml:"testcase"`
		} `xml:"testsuite"`
	}
	tests := []struct {
		name                         string
		mutate                       func(r *Report)
		wantTests, wantFail, wantErr int
		wantFailMsg                  string
	}{
		{name: "one case per assertion", mutate: func(*Report) {}, wantTests: 3, wantFail: 1, wantFailMsg: "observed "},
		{name: "no assertions still a suite", mutate: func(r *Report) { r.Assertions, r.Verdict = nil, VerdictPass }, wantTests: 1},
		{name: "aborted run is an error case", mutate: func(r *Report) { r.Verdict, r.Abort = VerdictAborted, "interrupted" },
			wantTests: 4, wantFail: 1, wantErr: 1, wantFailMsg: "observed "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture()
			tt.mutate(r)
			var buf bytes.Buffer
			if err := WriteJUnit(&buf, r); err != nil {
				t.Fatal(err)
			}
			var d doc
			if err := xml.Unmarshal(buf.Bytes(), &d); err != nil {
				t.Fatalf("junit.xml is not XML: %v\n%s", err, buf.String())
			}
			if d.Tests != tt.wantTests || d.Failures != tt.wantFail || d.Errors != tt.wantErr || len(d.Suites) != 1 {
				t.Fatalf("tests/failures/errors %d/%d/%d in %d suites, want %d/%d/%d in 1",
					d.Tests, d.Failures, d.Errors, len(d.Suites), tt.wantTests, tt.wantFail, tt.wantErr)
			}
			if got := len(d.Suites[0].Cases); got != tt.wantTests {
				t.Fatalf("%d test cases, want %d", got, tt.wantTests)
			}
			for i, a := range r.Assertions {
				c := d.Suites[0].Cases[i]
				if c.Name != a.Expr {
					t.Errorf("case %d named %q, want %q", i, c.Name, a.Expr)
				}
				if (c.Failure != nil) == a.Pass {
					t.Errorf("case %q: failure %v for pass=%v", c.Name, c.Failure != nil, a.Pass)
				}
				if c.Failure != nil && (!strings.Contains(c.Failure.Message, tt.wantFailMsg) || !strings.Contains(c.Failure.Message, "threshold")) {
					t.Errorf("failure message %q lacks observed vs threshold", c.Failure.Message)
				}
			}
		})
	}
}

// A report that is mostly empty (an aborted run, a run without observation)
// must still render in every format.
func TestRenderersOnSparseReports(t *testing.T) {
	reports := map[string]func() *Report{
		"aborted before any data": minimalReport,
		"zero value":              func() *Report { return &Report{} },
		"no observation": func() *Report {
			r := fixture()
			r.Signals, r.Scaling, r.Sources, r.Diagnosis = nil, Scaling{}, nil, nil
			return r
		},
	}
	for name, mk := range reports {
		for _, format := range []string{FormatTerminal, FormatMarkdown, FormatHTML, FormatJSON, FormatJUnit} {
			t.Run(name+"/"+format, func(t *testing.T) {
				render, _ := RendererFor(format)
				var buf bytes.Buffer
				if err := render(&buf, mk()); err != nil {
					t.Fatal(err)
				}
				if buf.Len() == 0 {
					t.Fatal("empty output")
				}
			})
		}
	}
}

func TestTerminalSaysNotObserved(t *testing.T) {
	r := fixture()
	r.Signals = withoutSignal(r.Signals, "gpu")
	var buf bytes.Buffer
	if err := WriteTerminal(&buf, r); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "│ GPU ") {
			if !strings.Contains(line, "—") || !strings.Contains(line, NotObserved) {
				t.Fatalf("GPU row %q lacks the dash and the note", line)
			}
			return
		}
	}
	t.Fatalf("no GPU row:\n%s", buf.String())
}
