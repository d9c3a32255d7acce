package scenario_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/surge-sh/surge/internal/cli"
)

const hostileHead = `apiVersion: surge/v1alpha1
kind: Scenario
name: hostile
target: {url: "http://127.0.0.1:8080/"}
`

// TestHostileInputValidate runs `surge validate` on broken and absurd
// scenarios: each ends in exit 2 with a message naming the field, quickly,
// and without printing a plan.
func TestHostileInputValidate(t *testing.T) {
	bigFile := hostileHead + "description: |\n" + strings.Repeat("  "+strings.Repeat("x", 1022)+"\n", 5<<10)
	tests := []struct {
		name string
		data string
		want []string
	}{
		{name: "malformed YAML", data: hostileHead + "load: {stages: [unclosed\n", want: []string{"line 5: did not find expected ',' or ']'"}},
		{name: "tab indentation", data: hostileHead + "load:\n\tstages: []\n", want: []string{"line 6: found character that cannot start any token (a tab character: indent YAML with spaces)"}},
		{name: "5 MiB file", data: bigFile, want: []string{"larger than 4 MiB"}},
		{name: "binary", data: "\x7fELF\x02\x01\x01\x00\x00\x00\xff\xfe", want: []string{"invalid scenario"}},
		{name: "empty", data: "", want: []string{"file is empty"}},
		{name: "a list at the top", data: "- a\n- b\n", want: []string{"want a mapping"}},
		{name: "two documents", data: hostileHead + "---\n" + hostileHead, want: []string{"more than one YAML document"}},
		{name: "rate is a list", data: hostileHead + "load: {stages: [{name: s, duration: 1s, rate: [1, 2]}]}\n", want: []string{"load.stages[0].rate", "want a rate"}},
		{name: "stages is a mapping", data: hostileHead + "load: {stages: {name: s}}\n", want: []string{"load.stages", "cannot read YAML map"}},
		{name: "maxInFlight is text", data: hostileHead + "load: {maxInFlight: many, stages: [{name: s, duration: 1s, rate: 1}]}\n", want: []string{"load.maxInFlight", "cannot read YAML"}},
		{name: "duration is a number", data: hostileHead + "load: {stages: [{name: s, duration: [], rate: 1}]}\n", want: []string{"load.stages[0].duration"}},
		{name: "target is a list", data: "apiVersion: surge/v1alpha1\nkind: Scenario\nname: x\ntarget: [a]\nload: {stages: [{name: s, duration: 1s, rate: 1}]}\n", want: []string{"target", "cannot read YAML seq"}},
		{name: "rate 1e12", data: hostileHead + "load: {stages: [{name: s, duration: 1s, rate: 1e12}]}\n", want: []string{"load.stages[0].rate", "above 10000000 requests/second"}},
		{name: "ramp to 1e12", data: hostileHead + "load: {stages: [{name: s, duration: 1s, rate: 1..1e12}]}\n", want: []string{"load.stages[0].rate", "above"}},
		{name: "negative rate", data: hostileHead + "load: {stages: [{name: s, duration: 1s, rate: -5}]}\n", want: []string{"load.stages[0].rate", "negative"}},
		{name: "NaN rate", data: hostileHead + "load: {stages: [{name: s, duration: 1s, rate: .nan}]}\n", want: []string{"load.stages[0].rate", "not a rate"}},
		{name: "infinite rate", data: hostileHead + "load: {stages: [{name: s, duration: 1s, rate: .inf}]}\n", want: []string{"load.stages[0].rate", "not a rate"}},
		{name: "duration 1000h", data: hostileHead + "load: {stages: [{name: s, duration: 1000h, rate: 1}]}\n", want: []string{"load.stages[0].duration", "at most"}},
		{name: "schedule over a week", data: hostileHead + "load: {stages: [{name: a, duration: 100h, rate: 1}, {name: b, duration: 100h, rate: 1}]}\n", want: []string{"load.stages", "at most"}},
		{name: "duration past int64", data: hostileHead + "load: {stages: [{name: s, duration: 9999999999999999h, rate: 1}]}\n", want: []string{"load.stages[0].duration", "invalid duration"}},
		{name: "negative duration", data: hostileHead + "load: {stages: [{name: s, duration: -5s, rate: 1}]}\n", want: []string{"load.stages[0].duration", "negative"}},
		{name: "zero duration", data: hostileHead + "load: {stages: [{name: s, duration: 0s, rate: 1}]}\n", want: []string{"load.stages[0].duration", "must be positive"}},
		{name: "maxInFlight -1", data: hostileHead + "load: {maxInFlight: -1, stages: [{name: s, duration: 1s, rate: 1}]}\n", want: []string{"load.maxInFlight", "must be positive"}},
		{name: "maxInFlight past int", data: hostileHead + "load: {maxInFlight: 99999999999999999999999, stages: [{name: s, duration: 1s, rate: 1}]}\n", want: []string{"load.maxInFlight"}},
		{name: "maxRate negative", data: hostileHead + "load: {maxRate: -1, stages: [{name: s, duration: 1s, rate: 1}]}\n", want: []string{"load.maxRate", "must be positive"}},
		{name: "negative timeout", data: "apiVersion: surge/v1alpha1\nkind: Scenario\nname: x\ntarget: {url: 'http://h/', timeout: -1s}\nload: {stages: [{name: s, duration: 1s, rate: 1}]}\n", want: []string{"target.timeout"}},
		{name: "observe interval 1ms", data: hostileHead + "load: {stages: [{name: s, duration: 1s, rate: 1}]}\nobserve: {interval: 1ms}\n", want: []string{"observe.interval", "at least"}},
		{name: "steps 0", data: hostileHead + "load: {stages: [{name: s, duration: 1s, rate: 1..2 in 0 steps}]}\n", want: []string{"load.stages[0].rate", "steps"}},
		{name: "unknown key", data: hostileHead + "laod: {}\n", want: []string{"unknown field \"laod\"", "did you mean \"load\""}},
		{name: "alias bomb", data: billionLaughs(), want: []string{"invalid scenario"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hostile.yaml")
			if err := os.WriteFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			f := &cli.Factory{
				IO:     &cli.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
				Now:    func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) },
				Getenv: func(string) string { return "" },
			}
			began := time.Now()
			code := cli.Run(context.Background(), f, []string{"validate", path})
			if d := time.Since(began); d > 5*time.Second {
				t.Errorf("validate took %v", d)
			}
			if code != cli.ExitInvalid {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, cli.ExitInvalid, out.String(), errOut.String())
			}
			msg := errOut.String()
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			if strings.Contains(out.String(), "STAGE") {
				t.Errorf("a plan was printed for an invalid scenario:\n%s", out.String())
			}
			if len(msg) > 8<<10 {
				t.Errorf("a %d-byte message: the input is echoed back", len(msg))
			}
		})
	}
}

// billionLaughs nests nine levels of nine aliases under load.stages: 9^9
// stages if expanded.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString(hostileHead)
	b.WriteString("description: x\nload:\n  stages: &l0 [{name: s, duration: 1s, rate: 1}]\n")
	b.WriteString("slo:\n")
	for i := 1; i <= 9; i++ {
		b.WriteString("  l")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(": &l")
		b.WriteString(string(rune('0' + i)))
		b.WriteString(" [")
		for j := 0; j < 9; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*l")
			b.WriteString(string(rune('0' + i - 1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("assert: *l9\n")
	return b.String()
}
