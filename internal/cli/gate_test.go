package cli

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestGateFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    GateOptions
		wantErr string
	}{
		{name: "defaults", args: []string{"r.json"},
			want: GateOptions{Result: "r.json", Format: "terminal"}},
		{name: "everything", args: []string{"r.json", "--baseline", "old.json", "--criteria", "c.yaml",
			"--assert", "p95 < 1s, really", "--assert", "timeout_rate < 1%", "--format", "json", "--allow-aborted"},
			want: GateOptions{Result: "r.json", Baseline: "old.json", CriteriaFile: "c.yaml",
				Asserts: []string{"p95 < 1s, really", "timeout_rate < 1%"}, Format: "json", AllowAborted: true}},
		{name: "unknown format", args: []string{"r.json", "--format", "xml"},
			wantErr: `gate: unknown --format "xml" (want json, md, terminal)`},
		{name: "no result", args: []string{}, wantErr: "want one report file, got 0 arguments"},
		{name: "unknown flag", args: []string{"r.json", "--treshold", "3"}, wantErr: "unknown flag: --treshold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld()
			var got *GateOptions
			root := NewRootCmd(w.f)
			for _, c := range root.Commands() {
				if c.Name() == "gate" {
					root.RemoveCommand(c)
				}
			}
			root.AddCommand(newCmdGate(w.f, func(o *GateOptions) error { got = o; return nil }))
			root.SetArgs(append([]string{"gate"}, tt.args...))
			err := root.Execute()
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
			if !reflect.DeepEqual(*got, tt.want) {
				t.Fatalf("options %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestGateCommand(t *testing.T) {
	before, after, aborted := judgeData+"before.json", judgeData+"after.json", judgeData+"aborted.json"
	tests := []struct {
		name   string
		args   []string
		want   int
		stdout []string
		stderr []string
	}{
		{name: "improvement passes the default criteria", args: []string{after, "--baseline", before},
			want: ExitOK, stdout: []string{"PASS │ p95 <= +10% vs baseline", "PASS │ error_rate <= baseline + 1%", "gate: PASS, all 2 criteria passed"}},
		{name: "regression fails the default criteria", args: []string{before, "--baseline", after},
			want: ExitAssertFail, stdout: []string{"FAIL │ p95 <= +10% vs baseline", "observed 3100ms, baseline 300ms (+933.3%)", "gate: FAIL, 2 of 2 criteria failed"}},
		{name: "absolute criteria need no baseline", args: []string{after, "--assert", "p95 < 350ms during peak", "--assert", "replicas.max >= 6"},
			want: ExitOK, stdout: []string{"all 2 criteria passed"}},
		{name: "absolute criterion fails", args: []string{before, "--assert", "timeout_rate < 1% during peak"},
			want: ExitAssertFail, stdout: []string{"observed 12.004%, want < 1%"}},
		{name: "unknown stage fails, not invalid", args: []string{after, "--assert", "p95 < 1s during soak"},
			want: ExitAssertFail, stdout: []string{`no value: stage "soak" is not in the report`}},
		{name: "criteria file", args: []string{after, "--baseline", before, "--criteria", judgeData + "criteria.yaml"},
			want: ExitOK, stdout: []string{"all 3 criteria passed"}},
		{name: "criteria file and flag combine", args: []string{before, "--baseline", after, "--criteria", judgeData + "criteria.yaml", "--assert", "requests > 0"},
			want: ExitAssertFail, stdout: []string{"3 of 4 criteria failed"}},
		{name: "markdown", args: []string{before, "--assert", "p95 < 350ms during peak", "--format", "md"},
			want: ExitAssertFail, stdout: []string{"### gate: FAIL, 1 of 1 criteria failed", "| ❌ FAIL | `p95 < 350ms during peak` | observed 4200ms, want < 350ms |"}},
		{name: "aborted run fails", args: []string{aborted, "--assert", "p95 < 350ms during peak"},
			want: ExitAssertFail, stdout: []string{`FAIL │ run completed`, `the run was aborted: abortOnFail: "p95 < 2s" failed`}},
		{name: "aborted run judged on request", args: []string{aborted, "--assert", "p95 < 350ms during peak", "--allow-aborted"},
			want: ExitOK},
		{name: "syntax error names the column", args: []string{after, "--assert", "p95 < 1s", "--assert", "p95 < 35x"},
			want: ExitInvalid, stderr: []string{`--assert[1]: "p95 < 35x": column 9: unknown unit "x" (want ms, s, m, %)`}},
		{name: "relative without baseline", args: []string{after, "--assert", "p95 <= +10% vs baseline"},
			want: ExitInvalid, stderr: []string{"gate: some criteria compare with a baseline: give --baseline OLD.json"}},
		{name: "defaults without baseline", args: []string{after},
			want: ExitInvalid, stderr: []string{"the default criteria compare with a baseline"}},
		{name: "criteria file unknown key", args: []string{after, "--baseline", before, "--criteria", judgeData + "criteria-unknown-key.yaml"},
			want: ExitInvalid, stderr: []string{`line 3: assertion: unknown key "abortonfail" (want expr, abortOnFail, after, window)`}},
		{name: "criteria file syntax error with line", args: []string{after, "--criteria", judgeData + "criteria-syntax.yaml"},
			want: ExitInvalid, stderr: []string{`testdata/judge/criteria-syntax.yaml: line 2:11: [1]: "p95 < 35x": column 9: unknown unit "x"`}},
		{name: "criteria file not a list", args: []string{after, "--criteria", judgeData + "criteria-mapping.yaml"},
			want: ExitInvalid, stderr: []string{"want a list of assertions"}},
		{name: "criteria file missing", args: []string{after, "--criteria", judgeData + "nope.yaml"},
			want: ExitInvalid, stderr: []string{`gate: read criteria "testdata/judge/nope.yaml": no such file`}},
		{name: "result missing", args: []string{judgeData + "nope.json", "--baseline", before},
			want: ExitInvalid, stderr: []string{`gate: read "testdata/judge/nope.json": no such file`}},
		{name: "baseline malformed", args: []string{after, "--baseline", judgeData + "truncated.json"},
			want: ExitInvalid, stderr: []string{"decode report"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newTestWorld()
			if got := w.run(append([]string{"gate"}, tt.args...)...); got != tt.want {
				t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr: %s", got, tt.want, w.out, w.errOut)
			}
			for _, s := range tt.stdout {
				if !hasLine(w.out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, w.out)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(w.errOut.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, w.errOut)
				}
			}
		})
	}
}

func TestGateJSON(t *testing.T) {
	w := newTestWorld()
	code := w.run("gate", judgeData+"before.json", "--baseline", judgeData+"after.json", "--format", "json", "--assert", "requests > 0", "--assert", "p95 <= +10% vs baseline")
	if code != ExitAssertFail {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitAssertFail, w.errOut)
	}
	var res struct {
		Pass       bool `json:"pass"`
		Assertions []struct {
			Expr     string  `json:"expr"`
			Pass     bool    `json:"pass"`
			Observed float64 `json:"observed"`
		} `json:"assertions"`
	}
	if err := json.Unmarshal(w.out.Bytes(), &res); err != nil {
		t.Fatalf("%v:\n%s", err, w.out)
	}
	if res.Pass || len(res.Assertions) != 2 || !res.Assertions[0].Pass || res.Assertions[1].Pass || res.Assertions[1].Observed != 3100 {
		t.Fatalf("result %+v", res)
	}
}

// hasLine reports whether one line of out holds the " │ "-separated parts
// of want in order, whatever the table's padding.
func hasLine(out, want string) bool {
	parts := strings.Split(want, " │ ")
	for _, line := range strings.Split(out, "\n") {
		rest, ok := line, true
		for _, p := range parts {
			i := strings.Index(rest, p)
			if i < 0 {
				ok = false
				break
			}
			rest = rest[i+len(p):]
		}
		if ok {
			return true
		}
	}
	return false
}
