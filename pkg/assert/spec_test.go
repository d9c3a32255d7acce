package assert

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/surge-sh/surge/pkg/problem"
	"github.com/surge-sh/surge/pkg/units"
)

type specFile struct {
	Assert []Spec `yaml:"assert"`
}

func TestSpecYAML(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		want    []Spec
		wantErr string
	}{
		{name: "plain strings", doc: "assert:\n  - p95 < 350ms during peak\n  - 'timeout_rate < 1%'\n",
			want: []Spec{{Expr: "p95 < 350ms during peak"}, {Expr: "timeout_rate < 1%"}}},
		{name: "mapping", doc: "assert:\n  - {expr: p95 < 2s, abortOnFail: true, after: 30s, window: 15s}\n",
			want: []Spec{{Expr: "p95 < 2s", AbortOnFail: true, After: units.Duration(30 * time.Second), Window: units.Duration(15 * time.Second)}}},
		{name: "block mapping", doc: "assert:\n  - expr: error_rate < 5%\n    abortOnFail: true\n",
			want: []Spec{{Expr: "error_rate < 5%", AbortOnFail: true}}},
		{name: "unknown key", doc: "assert:\n  - p95 < 1s\n  - expr: p95 < 2s\n    abortonfail: true\n",
			wantErr: `line 4: assertion: unknown key "abortonfail" (want expr, abortOnFail, after, window)`},
		{name: "missing expr", doc: "assert:\n  - abortOnFail: true\n",
			wantErr: "line 2: assertion: missing expr"},
		{name: "bad duration", doc: "assert:\n  - {expr: p95 < 2s, after: soon}\n",
			wantErr: `line 2: assertion: after: invalid duration "soon" (want e.g. 500ms, 90s, 2m)`},
		{name: "bad bool", doc: "assert:\n  - {expr: p95 < 2s, abortOnFail: maybe}\n",
			wantErr: "line 2: assertion: abortOnFail: cannot unmarshal !!str `maybe` into bool"},
		{name: "number instead of expr", doc: "assert:\n  - 42\n",
			wantErr: `line 2: assertion: want a string such as "p95 < 350ms" or a mapping with expr, got "42"`},
		{name: "list instead of expr", doc: "assert:\n  - [p95, 3]\n",
			wantErr: `line 2: assertion: want a string such as "p95 < 350ms" or a mapping with expr`},
		{name: "duplicate key", doc: "assert:\n  - {expr: p95 < 2s, expr: p95 < 3s}\n",
			wantErr: `line 2: assertion: key "expr" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f specFile
			err := yaml.Unmarshal([]byte(tt.doc), &f)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range f.Assert {
				f.Assert[i] = Spec{Expr: f.Assert[i].Expr, AbortOnFail: f.Assert[i].AbortOnFail, After: f.Assert[i].After, Window: f.Assert[i].Window}
			}
			if !reflect.DeepEqual(f.Assert, tt.want) {
				t.Fatalf("got %+v, want %+v", f.Assert, tt.want)
			}
			out, err := yaml.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			var back specFile
			if err := yaml.Unmarshal(out, &back); err != nil {
				t.Fatalf("re-read %s: %v", out, err)
			}
			for i := range back.Assert {
				if b, w := back.Assert[i], tt.want[i]; b.Expr != w.Expr || b.AbortOnFail != w.AbortOnFail || b.After != w.After || b.Window != w.Window {
					t.Fatalf("round trip through\n%s gave %+v, want %+v", out, b, w)
				}
			}
		})
	}
}

func TestValidateSpecs(t *testing.T) {
	stages := []string{"baseline", "ramp", "peak"}
	tests := []struct {
		name   string
		doc    string
		stages []string
		want   []problem.Problem
	}{
		{name: "valid", doc: "assert:\n  - p95 < 350ms during peak\n  - {expr: timeout_rate < 5%, abortOnFail: true, after: 30s}\n  - p95 <= +10% vs baseline\n",
			stages: stages},
		{name: "parse error points into the file", doc: "assert:\n  - p95 < 1s\n  - p95 < 35x\n", stages: stages,
			want: []problem.Problem{{Path: "[1]", Line: 3, Column: 13, Message: `"p95 < 35x": column 9: unknown unit "x" (want ms, s, m, %)`}}},
		{name: "quoted expression column", doc: "assert:\n  - {expr: \"p95 < 35x\"}\n", stages: stages,
			want: []problem.Problem{{Path: "[0]", Line: 2, Column: 21, Message: `"p95 < 35x": column 9: unknown unit "x" (want ms, s, m, %)`}}},
		{name: "unknown stage", doc: "assert:\n  - p95 < 1s during peek\n", stages: stages,
			want: []problem.Problem{{Path: "[0]", Line: 2, Column: 5, Message: `"p95 < 1s during peek": unknown stage "peek" (stages: baseline, ramp, peak)`}}},
		{name: "stages unchecked when nil", doc: "assert:\n  - p95 < 1s during peek\n"},
		{name: "live baseline criterion", doc: "assert:\n  - {expr: p95 <= +10% vs baseline, abortOnFail: true}\n", stages: stages,
			want: []problem.Problem{{Path: "[0]", Line: 2, Column: 5, Message: `"p95 <= +10% vs baseline": abortOnFail: a baseline criterion can only be judged after the run`}}},
		{name: "live reaction", doc: "assert:\n  - {expr: reaction.decision < 1m, abortOnFail: true}\n", stages: stages,
			want: []problem.Problem{{Path: "[0]", Line: 2, Column: 5, Message: `"reaction.decision < 1m": abortOnFail: reaction figures are known only after the run`}}},
		{name: "options without abortOnFail", doc: "assert:\n  - {expr: p95 < 1s, after: 30s, window: 5s}\n", stages: stages,
			want: []problem.Problem{
				{Path: "[0]", Line: 2, Column: 5, Message: `"p95 < 1s": after applies only with abortOnFail: true`},
				{Path: "[0]", Line: 2, Column: 5, Message: `"p95 < 1s": window applies only with abortOnFail: true`},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f specFile
			if err := yaml.Unmarshal([]byte(tt.doc), &f); err != nil {
				t.Fatal(err)
			}
			got := ValidateSpecs(f.Assert, tt.stages)
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNeedsBaseline(t *testing.T) {
	tests := []struct {
		name  string
		exprs []string
		want  bool
	}{
		{"absolute only", []string{"p95 < 1s", "timeout_rate < 1%"}, false},
		{"relative", []string{"p95 < 1s", "p95 <= +10% vs baseline"}, true},
		{"baseline margin", []string{"error_rate <= baseline + 1%"}, true},
		{"unparseable ignored", []string{"p95 <= +10% vs"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var specs []Spec
			for _, e := range tt.exprs {
				specs = append(specs, Spec{Expr: e})
			}
			if got := NeedsBaseline(specs); got != tt.want {
				t.Fatalf("NeedsBaseline = %v, want %v", got, tt.want)
			}
		})
	}
}
