package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const judgeData = "testdata/judge/"

func TestCompareFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    CompareOptions
		wantErr string
	}{
		{name: "defaults", args: []string{"a.json", "b.json"},
			want: CompareOptions{Before: "a.json", After: "b.json", Labels: [2]string{"Before", "After"}, Format: "terminal"}},
		{name: "labels format out", args: []string{"a.json", "b.json", "--labels", " Before KEDA , After KEDA", "--format", "md", "-o", "cmp.md"},
			want: CompareOptions{Before: "a.json", After: "b.json", Labels: [2]string{"Before KEDA", "After KEDA"}, Format: "md", Out: "cmp.md"}},
		{name: "one label", args: []string{"a.json", "b.json", "--labels", "Before"},
			wantErr: `compare: --labels "Before": want two names separated by a comma, e.g. "Before KEDA,After KEDA"`},
		{name: "empty label", args: []string{"a.json", "b.json", "--labels", "Before,"},
			wantErr: `want two names`},
		{name: "unknown format", args: []string{"a.json", "b.json", "--format", "html"},
			wantErr: `compare: unknown --format "html" (want json, md, terminal)`},
		{name: "one file", args: []string{"a.json"}, wantErr: "want two report files, got 1 arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld()
			var got *CompareOptions
			cmd := newCmdCompare(w.f, func(o *CompareOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SetOut(w.out)
			cmd.SetErr(w.errOut)
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				if exitCode(err) != ExitInvalid {
					t.Fatalf("exit %d, want %d", exitCode(err), ExitInvalid)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.IO = nil
			if *got != tt.want {
				t.Fatalf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestCompareCommand(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		want     int
		stdout   []string
		stderr   string
		jsonOut  bool
		fileOut  string
		fileWant string
	}{
		{name: "terminal table", args: []string{judgeData + "before.json", judgeData + "after.json", "--labels", "Before KEDA,After KEDA"},
			want: ExitOK, stdout: []string{"Before KEDA vs After KEDA", "│ Client P95 at peak", "4.2 s", "320 ms", "better", "3 → 11"}},
		{name: "markdown", args: []string{judgeData + "before.json", judgeData + "after.json", "--format", "md"},
			want: ExitOK, stdout: []string{"### Before vs After", "| Timeout rate at peak | 12% | 0% |", "✅ better"}},
		{name: "json", args: []string{judgeData + "before.json", judgeData + "after.json", "--format", "json"},
			want: ExitOK, jsonOut: true},
		{name: "to a file", args: []string{judgeData + "before.json", judgeData + "after.json", "--format", "md", "--out", "OUT"},
			want: ExitOK, fileOut: "cmp.md", fileWant: "| Peak queue depth | 870 | 60 |"},
		{name: "worse is still exit 0", args: []string{judgeData + "after.json", judgeData + "before.json"},
			want: ExitOK, stdout: []string{"worse"}},
		{name: "missing file", args: []string{judgeData + "nope.json", judgeData + "after.json"},
			want: ExitInvalid, stderr: `surge: compare: read "testdata/judge/nope.json": no such file`},
		{name: "truncated json", args: []string{judgeData + "before.json", judgeData + "truncated.json"},
			want: ExitInvalid, stderr: `surge: compare: read "testdata/judge/truncated.json": decode report: unexpected EOF`},
		{name: "old schema", args: []string{judgeData + "old-schema.json", judgeData + "after.json"},
			want: ExitInvalid, stderr: `schemaVersion "surge.report/v0", want "surge.report/v1"`},
		{name: "bad format", args: []string{judgeData + "before.json", judgeData + "after.json", "--format", "pdf"},
			want: ExitInvalid, stderr: `unknown --format "pdf"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld()
			args := append([]string{"compare"}, tt.args...)
			var outPath string
			if tt.fileOut != "" {
				outPath = filepath.Join(t.TempDir(), tt.fileOut)
				for i, a := range args {
					if a == "OUT" {
						args[i] = outPath
					}
				}
			}
			if got := w.run(args...); got != tt.want {
				t.Fatalf("exit %d, want %d; stderr: %s", got, tt.want, w.errOut)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(w.out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, w.out)
				}
			}
			if tt.stderr != "" && !strings.Contains(w.errOut.String(), tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", w.errOut, tt.stderr)
			}
			if tt.jsonOut {
				var v struct {
					SchemaVersion string           `json:"schemaVersion"`
					Rows          []map[string]any `json:"rows"`
				}
				if err := json.Unmarshal(w.out.Bytes(), &v); err != nil || v.SchemaVersion != "surge.compare/v1" || len(v.Rows) == 0 {
					t.Errorf("stdout is not the comparison JSON (%v):\n%s", err, w.out)
				}
			}
			if outPath != "" {
				data, err := os.ReadFile(outPath)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(data), tt.fileWant) {
					t.Errorf("%s lacks %q:\n%s", tt.fileOut, tt.fileWant, data)
				}
				if w.out.Len() != 0 {
					t.Errorf("stdout not empty with --out: %s", w.out)
				}
			}
		})
	}
}
